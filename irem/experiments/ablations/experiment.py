"""Ablations of IREM (Table 2 of Section 4.2, Table 3 of Section 4.3): Table 2, Table 3 and test-time step sizes.

Table 2: replay buffer and truncated backpropagation on shortest path, with training speed and
memory; Table 3: the training step size on addition; plus, for the addition model trained with
the paper's step size, reasoning at test time with every step size of ``TEST_STEP_SIZES``. Each
variant trains as its task's own experiment does, with one setting changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch

from irem.config import EvalConfig, TrainConfig
from irem.evaluate import evaluate_split
from irem.experiments import paper
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.running import evaluate_splits
from irem.methods import Method
from irem.store import RunSpec
from irem.tasks import DIFFICULTIES, Task

TABLE2_TASK, TABLE3_TASK = "shortest_path", "addition"
TABLE2_VARIANTS = tuple(paper.TABLE2)  # (replay buffer, truncated backpropagation)
TEST_STEP_SIZES = (10.0, 30.0, 100.0, 300.0, 1000.0)  # test-time lambda, for the model trained with 100
TEST_STEP_SIZE = "test_step_size"  # the record curve of the test-time step-size sweep (step_size_sweep)


def variants(tasks: Sequence[str], methods: Sequence[str]) -> list[tuple[str, str, dict]]:
    """Table 2's variants on shortest path and Table 3's step sizes on addition (IREM only)."""
    out = [(TABLE2_TASK, "irem", {"replay": r, "truncate": t}) for r, t in TABLE2_VARIANTS]
    out += [(TABLE3_TASK, "irem", {"step_size": lam}) for lam in paper.TABLE3]
    return [v for v in out if v[0] in tasks and v[1] in methods]


def step_size_sweep(method: Method, task: Task, options: EvalConfig, step_sizes: tuple[float, ...], seed: int) -> dict:
    """Test-time reasoning with other step sizes than the training one.

    For each lambda and difficulty: the error at every step, at halting, and the mean halting
    step, on the same test problems for every lambda.
    """
    out: dict = {}
    for lam in step_sizes:
        for i, difficulty in enumerate(DIFFICULTIES):
            gen = torch.Generator(device=next(method.parameters()).device).manual_seed(seed + i)
            metrics, curves = evaluate_split(method, task, difficulty, replace(options, test_step_size=lam), gen)
            out.setdefault(str(lam), {})[difficulty] = {
                "mse": metrics["mse"],
                "mean_halt_step": metrics["mean_halt_step"],
                "mse_by_step": curves["mse_by_step"],
            }
    return out


def evaluate_ablation(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Both test splits; the paper-lambda addition model also reasons with every test-time lambda."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    if spec.task == TABLE3_TASK and spec.train.step_size == TrainConfig.step_size:
        curves[TEST_STEP_SIZE] = step_size_sweep(method, task, spec.eval, TEST_STEP_SIZES, TEST_SEED)
    return metrics, curves


ABLATIONS = register(Experiment(
    name="ablations",
    title="Ablations of IREM (Tables 2-3, test-time step sizes)",
    tasks=(TABLE2_TASK, TABLE3_TASK),
    methods=("irem",),
    evaluate=evaluate_ablation,
    grid=variants,
    borrows_defaults=True,
    measures_cost=True,
    seeds=3,
))  # fmt: skip
