"""IRED, the authors' follow-up, in the same harness: importing it registers the experiment."""

from irem.experiments.ired.experiment import IRED_EXPERIMENT

__all__ = ["IRED_EXPERIMENT"]
