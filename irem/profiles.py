"""Profiles: named sets of defaults for each experiment; explicit overrides win.

* ``smoke``: every code path runs in seconds on 2 CPU cores (tests, nbval).
* ``quick``: a CPU reader reruns an experiment in minutes, same dimensions, fewer iterations.
* ``paper``: the paper's settings (App. C); meant for a GPU.
"""

from __future__ import annotations

from irem.config import EvalConfig, TrainConfig, split_overrides
from irem.tasks.graphs import GRAPH_TASKS
from irem.validate import check_choice

PROFILES = ("smoke", "quick", "paper")
EXPERIMENTS = ("continuous", "composition", "graph", "denoising", "ablations", "scratchpad")
# experiments that train IREM variants on tasks of other experiments: each task takes the
# defaults of its own experiment, so a variant with the default settings is that experiment's run
VARIANT_EXPERIMENTS = ("ablations", "scratchpad")

_SMOKE = dict(
    iterations=30, batch_size=16, hidden=64, replay_capacity=256, log_every=10,
    test_problems=32, test_steps=12, eval_batch=32, landscape_problems=4,
)  # fmt: skip

_QUICK = dict(iterations=4000, log_every=100)

# graphs (App. C-D): batch 64, GNN width 128; evaluation costs grow with edges (n^2 per graph)
_GRAPH = dict(batch_size=64, hidden=128, landscape_problems=0)
_GRAPH_SMOKE = {**_SMOKE, "hidden": 32, "test_problems": 8, "test_steps": 6, "eval_batch": 8}
_GRAPH_QUICK = {**_GRAPH, "iterations": 1500, "log_every": 50, "test_problems": 200, "test_steps": 40}

# denoising (App. A): conv nets of width 64 (quick: 32), energy summed over pixels, so a step
# size of order 1; test-time reasoning up to 100 steps
_DENOISE = dict(batch_size=64, hidden=64, step_size=1.0, test_steps=100, landscape_problems=0)
_DENOISE_SMOKE = dict(iterations=10, batch_size=4, hidden=8, step_size=1.0, replay_capacity=64, log_every=5,
                      test_steps=6, landscape_problems=0)  # fmt: skip
_DENOISE_QUICK = {**_DENOISE, "iterations": 400, "batch_size": 16, "hidden": 32, "lr": 1e-3,
                  "replay_capacity": 2000, "log_every": 20}  # fmt: skip

# composition nests the addition models of the continuous experiment: same training
_DEFAULTS: dict[str, dict[str, dict]] = {
    "smoke": {"continuous": _SMOKE, "composition": {**_SMOKE, "compose_max": 4}, "graph": _GRAPH_SMOKE,
              "denoising": _DENOISE_SMOKE},
    "quick": {"continuous": _QUICK, "composition": _QUICK, "graph": _GRAPH_QUICK, "denoising": _DENOISE_QUICK},
    "paper": {"continuous": {}, "composition": {}, "graph": _GRAPH, "denoising": _DENOISE},
}  # fmt: skip

# task options by profile: denoising patch size and test crop (0: whole test images)
_TASK_OPTIONS: dict[str, dict[str, dict]] = {
    "smoke": {"denoising": {"patch": 16, "test_crop": 24}},
    "quick": {"denoising": {"patch": 32, "test_crop": 128}},
    "paper": {"denoising": {"patch": 40, "test_crop": 0}},
}


def default_task_options(profile: str, experiment: str) -> dict:
    """The task options ``profile`` uses for ``experiment`` (empty for most)."""
    check_choice("profile", profile, PROFILES)
    return dict(_TASK_OPTIONS[profile].get(experiment, {}))


def resolve(
    profile: str, experiment: str, overrides: dict | None = None, task: str | None = None
) -> tuple[TrainConfig, EvalConfig]:
    """The train and eval configs of ``experiment`` (on ``task``) under ``profile``, with ``overrides``."""
    check_choice("profile", profile, PROFILES)
    check_choice("experiment", experiment, EXPERIMENTS)
    if experiment in VARIANT_EXPERIMENTS:
        base = "graph" if task in GRAPH_TASKS else "continuous"
        values = {**_DEFAULTS[profile][base], **(overrides or {})}
    else:
        values = {**_DEFAULTS[profile][experiment], **(overrides or {})}
    train, evaluation = split_overrides(values)
    return TrainConfig(**train), EvalConfig(**evaluation)
