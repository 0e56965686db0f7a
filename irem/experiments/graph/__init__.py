"""Graph algorithmic reasoning (Section 4.2): Table 1 (left) and Fig. 2; importing it registers the experiment.

The declaration and evaluation are in :mod:`.experiment`, the tables, prose and claims in
:mod:`.analysis` (errors against training length in :mod:`.lengths`), the figures in :mod:`.figures`.
"""

from irem.experiments.graph.experiment import FIG2_NODES, size_problems, training_length_records

__all__ = ["FIG2_NODES", "size_problems", "training_length_records"]
