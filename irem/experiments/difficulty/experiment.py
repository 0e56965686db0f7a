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

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import torch
from torch import Tensor

from irem import eval_stages, minimize
from irem.config import EvalConfig
from irem.evaluate import rounded
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.graph.experiment import size_problems
from irem.experiments.running import evaluate_splits, generator
from irem.methods import IREM, Method
from irem.minimize import Trajectory
from irem.store import RunSpec
from irem.tasks import GRAPH_TASKS, Batch, GraphTask, Task

SCALES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0)  # addition's operand range; 1 is the training one, 2.5 the harder split's
NODES = (10, 15, 20, 30)  # graph sizes: Fig. 2's test graphs; training had 2-10 nodes
STEP_SIZE_FACTORS = (0.1, 0.3, 1.0)  # test-time lambda as a fraction of the training one
HALT_TOLS = (1e-2, 1e-3, 1e-4)  # relative halting tolerances (the evaluation default is 1e-3)
STEPS_FACTOR = 4  # addition reasons for 4x the evaluation's test steps (320 at the paper's 80); graphs for 1x
AT_STEPS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 60, 80, 120, 160, 240, 320)
# the record curve: {"steps": [...], "scales": {str(level): entry}}, an entry as :func:`difficulty` describes it
DIFFICULTY_CURVE = "difficulty"


def _stacked(trajectories: list[Trajectory]) -> tuple[Tensor, Tensor]:
    """The answers (S+1, P, ...) and energies (S+1, P) of chunks of problems, joined along problems."""
    return torch.cat([t.ys for t in trajectories], 1), torch.cat([t.energies for t in trajectories], 1)


def difficulty(
    method: IREM,
    levels: Sequence[float],
    problems: Callable[[float], Batch],
    options: EvalConfig,
    generator: torch.Generator,
    step_sizes: tuple[float, ...],
    halt_tols: tuple[float, ...],
    steps: int,
    at_steps: tuple[int, ...],
) -> dict:
    """What IREM's descent does as problems get harder: ``problems(level)`` for each of ``levels``.

    A level is how hard its problems are: an operand range s (addition, a, b ~ U(-s, s)) or a
    number of nodes (graphs); ``problems`` is called in the order of ``levels``. Per level: for
    each test-time step size of ``step_sizes``, the MSE after each step of ``at_steps`` (up to
    ``steps``) and, for each relative halting tolerance of ``halt_tols``, the mean halting step
    and the MSE there. With the training step size also two checks of the energy itself: how
    often the true answer has lower energy than where the descent from noise ends (then the
    descent, not the energy, is at fault), and the MSE of a descent that starts at the true
    answer (if it drifts away, the energy's minimum is not at the answer). Results are keyed by
    ``str(level)`` under ``"scales"``.
    """
    at = [s for s in at_steps if s <= steps]
    out: dict = {"steps": at, "scales": {}}
    for level in levels:  # each level is a resumable stage (irem.eval_stages)
        level_entry = partial(_difficulty_level, method, level, problems, options, generator, step_sizes, halt_tols,
                              steps, at)  # fmt: skip
        out["scales"][str(level)] = eval_stages.stage(f"level {level}", level_entry, generator)
    return out


def _difficulty_level(method: IREM, level: float, problems: Callable[[float], Batch], options: EvalConfig,
                      generator: torch.Generator, step_sizes: tuple[float, ...], halt_tols: tuple[float, ...],
                      steps: int, at: list[int]) -> dict:  # fmt: skip
    """One level of :func:`difficulty`."""
    test = problems(level)
    entry: dict = {"label_variance": test.y.var(0, unbiased=False).mean().item(), "step_size": {}}
    for lam in step_sizes:
        opts = replace(options, test_step_size=lam)
        ys, energies = _stacked([method.predict(c, steps, generator, opts) for c in test.split(options.eval_batch)])
        sq_err = ((ys - test.y) ** 2).flatten(2).mean(-1)  # (S+1, rows): per problem, or per edge of a graph
        halting = {}
        for tol in halt_tols:
            stop = test.to_rows(minimize.halting_steps(energies, tol, options.halt_patience))  # each row's
            halting[str(tol)] = {"mean_halt_step": stop.float().mean().item(),
                                 "mse": sq_err.gather(0, stop[None]).mean().item()}  # fmt: skip
        entry["step_size"][str(lam)] = {"mse_by_step": rounded(sq_err.mean(1)[at]), "halting": halting}
        if lam == method.config.step_size:
            from_answer = [method.predict_from(c, c.y.clone(), steps, generator, opts)
                           for c in test.split(options.eval_batch)]  # fmt: skip
            ys_a, energies_a = _stacked(from_answer)
            entry["answer_lower"] = (energies_a[0] < energies[-1]).float().mean().item()
            entry["mse_from_answer"] = rounded(((ys_a - test.y) ** 2).flatten(2).mean(-1).mean(1)[at])
    return entry


def evaluate_difficulty(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Table 1's splits, then :func:`difficulty` over ``SCALES`` (addition) or ``NODES`` (graphs)."""
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
    curves[DIFFICULTY_CURVE] = difficulty(method, levels, problems, spec.eval, gen, lambdas, HALT_TOLS, steps, AT_STEPS)
    return metrics, curves


DIFFICULTY = register(Experiment(
    name="difficulty",
    title="Harder problems: IREM's descent and energy on a continuum of difficulties (beyond the paper)",
    tasks=("addition", *GRAPH_TASKS),
    methods=("irem",),
    evaluate=evaluate_difficulty,
    borrows_defaults=True,  # each task's own experiment's settings: its IREM weights are reused
))  # fmt: skip
