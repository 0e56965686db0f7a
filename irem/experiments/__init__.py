"""The paper's experiments, one chapter each, in one registry.

A chapter is a module or package of this package that builds an
:class:`~irem.experiments.experiment.Experiment` and passes it to
:func:`~irem.experiments.experiment.register`; importing this package imports every one of them,
so a new chapter needs no list to be edited (a user's own can register from anywhere).

``run(name, ...)`` runs (or loads) every run of a registered experiment and returns its records
with the table the book shows, the paper's numbers beside ours. The notebooks and the CLI call it
and loop over ``REGISTRY``.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from irem.experiments.experiment import REGISTRY, TEST_SEED, Experiment, get, home_of, register
from irem.experiments.results import (
    ExperimentResult,
    best_profile,
    run,
    stored,
    stored_beside,
    stored_by_task,
    stored_records_at,
)  # fmt: skip
from irem.experiments.running import resolve_device, run_spec
from irem.experiments.sweep import run_all

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    import_module(f"{__name__}.{_info.name}")
# the order of `irem reproduce all`: the experiments whose tasks are their own first, so that an
# experiment that reuses their trained models (composition, the ablations, ...) finds them cached
_order = sorted(REGISTRY.values(), key=lambda e: (not e.home or e.borrows_defaults, e.name))
REGISTRY.clear()
REGISTRY.update((e.name, e) for e in _order)

__all__ = [
    "REGISTRY", "TEST_SEED", "Experiment", "ExperimentResult", "best_profile", "get", "home_of", "register",
    "resolve_device", "run", "run_all", "run_spec", "stored", "stored_beside",
    "stored_by_task", "stored_records_at",
]  # fmt: skip
