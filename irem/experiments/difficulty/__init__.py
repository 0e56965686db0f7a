"""Harder problems, beyond the paper (see :mod:`.experiment`): importing it registers the experiment."""

from irem.experiments.difficulty.experiment import NODES, SCALES

__all__ = ["NODES", "SCALES"]
