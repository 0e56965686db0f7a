"""Harder problems, beyond the paper's two splits: what IREM's descent and energy do on them.

The paper's claim (Fig. 3) is that harder problems are solved by reasoning for longer. For IREM
on addition, trained as in the continuous experiment (the same runs: their cached weights are
reused), operands are drawn from U(-s, s) for a continuum of scales s (training: 1; the
``harder`` split: 2.5). At each scale: the error against steps for several test-time step sizes,
halting with several relative tolerances, and two checks of the energy at the true answer.
"""

from __future__ import annotations

import torch

from irem import evaluate
from irem.experiments.core import TEST_SEED, Experiment, evaluate_splits, generator, register
from irem.methods import Method
from irem.runs import RunSpec
from irem.tasks import Task

SCALES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)  # operand range; 1 is the training one, 2.5 the harder split's
STEP_SIZE_FACTORS = (0.1, 0.3, 1.0)  # test-time lambda as a fraction of the training one
HALT_TOLS = (1e-2, 1e-3, 1e-4)  # relative halting tolerances (the evaluation default is 1e-3)
STEPS_FACTOR = 4  # reason for 4x the evaluation's test steps (320 at the paper's 80)
AT_STEPS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320)


def evaluate_difficulty(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Table 1's splits, then :func:`irem.evaluate.difficulty` over ``SCALES``."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    lambdas = tuple(round(f * spec.train.step_size, 6) for f in STEP_SIZE_FACTORS)
    curves["difficulty"] = evaluate.difficulty(method, task, spec.eval, generator(device, TEST_SEED), SCALES, lambdas,
                                               HALT_TOLS, STEPS_FACTOR * spec.eval.test_steps, AT_STEPS)  # fmt: skip
    return metrics, curves


DIFFICULTY = register(Experiment(
    name="difficulty",
    title="Harder problems: IREM's descent and energy on a continuum of addition difficulties (beyond the paper)",
    tasks=("addition",),
    methods=("irem",),
    evaluate=evaluate_difficulty,
    borrows_defaults=True,  # the continuous experiment's settings: its IREM weights are reused
))  # fmt: skip
