"""IREM with a scratchpad (App. B, Algorithm 3): z descended jointly with the answer.

Every task runs IREM with scratchpads of each size D of ``sizes`` (0: none), trained as its
task's own experiment does; the paper gives no numbers, so the book measures with and without.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from irem.config import EvalConfig
from irem.evaluate import rounded
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.running import evaluate_splits, generator
from irem.methods import Method
from irem.store import RunSpec
from irem.tasks import Batch, Task

SIZES = (0, 8, 32)  # scratchpad sizes D; 0 is IREM without a scratchpad
TRAJECTORY = "trajectory"  # the record curve of one problem's descent (scratchpad_trajectory)


def variants(tasks: Sequence[str], methods: Sequence[str], sizes: Sequence[int] = SIZES) -> list[tuple[str, str, dict]]:
    """IREM on every task with each scratchpad size."""
    return [(t, m, {"scratchpad": d}) for t in tasks for m in methods for d in sizes]


def scratchpad_trajectory(method: Method, problem: Batch, options: EvalConfig, generator: torch.Generator) -> dict:
    """How one problem's answer and scratchpad evolve over the reasoning steps (App. B).

    Returns the answer's MSE and the energy at every step and, with a scratchpad, its first
    (up to 8) entries at every step.
    """
    traj = method.predict(problem, options.test_steps, generator, options)
    out = {
        "y_mse": rounded(((traj.ys - problem.y) ** 2).flatten(1).mean(-1)),
        "energy": rounded(traj.energies[:, 0]),
    }
    if traj.zs is not None:
        out["z"] = [rounded(z[0, :8], 4) for z in traj.zs]
    return out


def evaluate_scratchpad(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Both test splits, and how one problem's answer and scratchpad move over the steps."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    gen = generator(device, TEST_SEED)
    problem = task.sample(1, task.test_splits[0], gen)
    curves[TRAJECTORY] = scratchpad_trajectory(method, problem, spec.eval, gen)
    return metrics, curves


SCRATCHPAD = register(Experiment(
    name="scratchpad",
    title="IREM with a scratchpad (App. B, Algorithm 3)",
    tasks=("addition", "matrix_completion", "matrix_inverse", "shortest_path"),
    methods=("irem",),
    evaluate=evaluate_scratchpad,
    grid=variants,
    borrows_defaults=True,
    measures_cost=True,
    seeds=3,
))  # fmt: skip
