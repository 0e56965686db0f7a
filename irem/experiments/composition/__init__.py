"""Composition of the learned addition (Section 4.4, Table 4, Figs. 6-7): importing it registers the experiment."""

from irem.experiments.composition import experiment  # noqa: F401 (registers the experiment)
