"""The paper's experiments, one module each, in one registry.

``run(name, ...)`` runs (or loads) every run of a registered experiment and returns its
records with the table the book shows, the paper's numbers beside ours. The notebooks and the
CLI call it and loop over ``REGISTRY``; no experiment logic lives anywhere else.

A new experiment is one module that builds an :class:`~irem.experiments.core.Experiment` and
passes it to :func:`~irem.experiments.core.register`; import it here to make it part of the
package (a user's own can register from anywhere).
"""

from __future__ import annotations

from importlib import import_module

from irem.experiments.core import (
    REGISTRY,
    TEST_SEED,
    Experiment,
    ExperimentResult,
    best_profile,
    get,
    home_of,
    register,
    resolve_device,
    run,
    run_all,
    run_spec,
    stored,
    stored_beside,
    stored_by_task,
    stored_records_at,
)  # fmt: skip

# the experiments of the package, registered in this order (the order of `irem reproduce all`)
for _module in ("continuous", "composition", "graph", "denoising", "ablations", "scratchpad", "compute", "difficulty"):
    import_module(f"irem.experiments.{_module}")

__all__ = [
    "REGISTRY", "TEST_SEED", "Experiment", "ExperimentResult", "best_profile", "get", "home_of", "register",
    "resolve_device", "run", "run_all", "run_spec", "stored", "stored_beside",
    "stored_by_task", "stored_records_at",
]  # fmt: skip
