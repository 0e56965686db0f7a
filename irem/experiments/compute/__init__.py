"""Test-time compute on graphs, beyond the paper: restarts chosen by energy; importing it registers the experiment.

The declaration and evaluation are in :mod:`.experiment`, the numbers and prose in :mod:`.analysis`,
the figure in :mod:`.figures`; the graph chapter's notebook shows them.
"""

from irem.experiments.compute import experiment  # noqa: F401 (registers the experiment)
