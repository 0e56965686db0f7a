"""Profiles: named sets of defaults for each experiment; explicit overrides win.

* ``smoke``: every code path runs in seconds on 2 CPU cores (tests, nbval).
* ``quick``: a CPU reader reruns an experiment in minutes, same dimensions, fewer iterations.
* ``paper``: the paper's settings (App. C); meant for a GPU.
"""

from __future__ import annotations

from irem.config import EvalConfig, TrainConfig, split_overrides
from irem.validate import check_choice

PROFILES = ("smoke", "quick", "paper")
EXPERIMENTS = ("continuous", "composition", "graph")

_SMOKE = dict(
    iterations=30, batch_size=16, hidden=64, replay_capacity=256, log_every=10,
    test_problems=32, test_steps=12, eval_batch=32, landscape_problems=4,
)  # fmt: skip

_QUICK = dict(iterations=4000, log_every=100)

# graphs (App. C-D): batch 64, GNN width 128; evaluation costs grow with edges (n^2 per graph)
_GRAPH = dict(batch_size=64, hidden=128, landscape_problems=0)
_GRAPH_SMOKE = {**_SMOKE, "hidden": 32, "test_problems": 8, "test_steps": 6, "eval_batch": 8}
_GRAPH_QUICK = {**_GRAPH, "iterations": 1500, "log_every": 50, "test_problems": 200, "test_steps": 40}

# composition nests the addition models of the continuous experiment: same training
_DEFAULTS: dict[str, dict[str, dict]] = {
    "smoke": {"continuous": _SMOKE, "composition": {**_SMOKE, "compose_max": 4}, "graph": _GRAPH_SMOKE},
    "quick": {"continuous": _QUICK, "composition": _QUICK, "graph": _GRAPH_QUICK},
    "paper": {"continuous": {}, "composition": {}, "graph": _GRAPH},
}


def resolve(profile: str, experiment: str, overrides: dict | None = None) -> tuple[TrainConfig, EvalConfig]:
    """The train and eval configs of ``experiment`` under ``profile``, with ``overrides``."""
    check_choice("profile", profile, PROFILES)
    check_choice("experiment", experiment, EXPERIMENTS)
    values = {**_DEFAULTS[profile][experiment], **(overrides or {})}
    train, evaluation = split_overrides(values)
    return TrainConfig(**train), EvalConfig(**evaluation)
