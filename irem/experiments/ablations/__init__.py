"""Ablations of IREM (Tables 2-3, Sections 4.2-4.3): importing it registers the experiment."""

from irem.experiments.ablations.experiment import TABLE2_VARIANTS

__all__ = ["TABLE2_VARIANTS"]
