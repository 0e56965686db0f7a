"""Harder problems, beyond the paper's two splits: what IREM's descent and energy do on them.

The paper's claim (Fig. 2, Fig. 3) is that harder problems are solved by reasoning for longer.
For IREM trained as in its task's own experiment (the same runs: their cached weights are
reused), problems get harder along a continuum: on addition, operands from U(-s, s) for scales
s (training: 1; the ``harder`` split: 2.5); on graphs, more nodes (training: 2-10; the
``harder`` split: 15; Fig. 2 goes to 30). At each level: the error against steps for several
test-time step sizes, halting with several relative tolerances, and two checks of the energy
at the true answer.
"""

from __future__ import annotations

import torch

from irem import evaluate
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.graph import size_problems
from irem.experiments.running import evaluate_splits, generator
from irem.methods import Method
from irem.store import RunSpec
from irem.tasks import GRAPH_TASKS, GraphTask, Task

SCALES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)  # addition's operand range; 1 is the training one, 2.5 the harder split's
NODES = (10, 15, 20, 30)  # graph sizes: Fig. 2's test graphs; training had 2-10 nodes
STEP_SIZE_FACTORS = (0.1, 0.3, 1.0)  # test-time lambda as a fraction of the training one
HALT_TOLS = (1e-2, 1e-3, 1e-4)  # relative halting tolerances (the evaluation default is 1e-3)
STEPS_FACTOR = 4  # addition reasons for 4x the evaluation's test steps (320 at the paper's 80); graphs for 1x
AT_STEPS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320)


def evaluate_difficulty(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Table 1's splits, then :func:`irem.evaluate.difficulty` over ``SCALES`` (addition) or ``NODES`` (graphs)."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    lambdas = tuple(round(f * spec.train.step_size, 6) for f in STEP_SIZE_FACTORS)
    gen = generator(device, TEST_SEED)
    if isinstance(task, GraphTask):  # a 30-node graph costs 9x a 10-node one per step: Fig. 2's step budget
        levels, steps = NODES, spec.eval.test_steps
        problems = lambda nodes: size_problems(task, spec, nodes, device)  # noqa: E731
    else:
        n = max(1, spec.eval.test_problems // 4)
        levels, steps = SCALES, STEPS_FACTOR * spec.eval.test_steps
        problems = lambda scale: task.sample_scale(n, scale, gen)  # noqa: E731
    curves["difficulty"] = evaluate.difficulty(method, levels, problems, spec.eval, gen, lambdas, HALT_TOLS, steps,
                                               AT_STEPS)  # fmt: skip
    return metrics, curves


DIFFICULTY = register(Experiment(
    name="difficulty",
    title="Harder problems: IREM's descent and energy on a continuum of difficulties (beyond the paper)",
    tasks=("addition", *GRAPH_TASKS),
    methods=("irem",),
    evaluate=evaluate_difficulty,
    borrows_defaults=True,  # each task's own experiment's settings: its IREM weights are reused
))  # fmt: skip
