"""Continuous algorithmic reasoning (Section 4.3, Table 1 right, Figs. 3-5): importing it registers the experiment."""

from irem.experiments.continuous.experiment import QUICK

__all__ = ["QUICK"]
