"""Ablations of IREM (Section 4.5, Tables 2-3): importing it registers the experiment."""

from irem.experiments.ablations.experiment import TABLE2_VARIANTS

__all__ = ["TABLE2_VARIANTS"]
