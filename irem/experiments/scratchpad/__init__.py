"""IREM with a scratchpad (App. B): importing it registers the experiment."""

from irem.experiments.scratchpad import experiment  # noqa: F401 (registers the experiment)
