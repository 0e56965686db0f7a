"""Test-time compute on graphs, beyond the paper: more reasoning steps, and restarts chosen by energy.

For IREM trained as in the graph experiment (the same runs: their cached weights are reused),
the error against the number of reasoning steps on graphs of ``NODES`` nodes when each problem
starts from k random answers and keeps the one with the lowest energy (k in ``RESTARTS``), as the
energy-diffusion follow-up (IRED, ICML 2024) selects among samples.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor

from irem import eval_stages
from irem.config import EvalConfig
from irem.evaluate import rounded
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.graph.experiment import size_problems
from irem.experiments.running import evaluate_splits, generator
from irem.methods import Method
from irem.store import RunSpec
from irem.tasks import GRAPH_TASKS, Batch, GraphTask
from irem.validate import check_positive

NODES = (15, 30)  # larger than any training graph (2-10 nodes)
RESTARTS = (1, 4, 16)
BY_RESTARTS = "restarts"  # the record curve: str(nodes) -> str(k) -> test error after each step (restarts)


@torch.no_grad()
def restarts(method: Method, test: Batch, options: EvalConfig, generator: torch.Generator, counts: tuple[int, ...],
             label: str = "restarts") -> dict[str, list[float]]:  # fmt: skip
    """Error against reasoning steps when each problem starts from k random answers and keeps one.

    Test-time compute beyond more steps (as the energy-diffusion follow-up, IRED, selects among
    samples): run ``max(counts)`` descents from independent U(-1, 1) starts; after every step,
    each problem answers with the descent whose energy is lowest there. Returns the MSE after
    every step for each k of ``counts`` (the first k descents). Each descent is a resumable
    stage (:mod:`irem.eval_stages`) named after ``label``.
    """
    if not counts:
        raise ValueError("counts: give at least one number of restarts, e.g. (1, 4, 16)")
    for k in counts:
        check_positive("restarts", k, integer=True)
    descent = partial(_descent, method, test.split(options.eval_batch), options, generator)
    descents = [eval_stages.stage(f"{label}: descent {i}", descent, generator) for i in range(max(counts))]
    energies = torch.stack([e for e, _ in descents])  # (K, S+1, P)
    sq_err = torch.stack([err for _, err in descents])  # (K, S+1, P): each problem's summed squared error
    out = {}
    for k in counts:
        best = energies[:k].argmin(0, keepdim=True)  # (1, S+1, P): the lowest-energy descent, per step and problem
        out[str(k)] = rounded(sq_err[:k].gather(0, best).squeeze(0).sum(-1) / test.y.numel())
    return out


def _descent(method: Method, chunks: list[Batch], options: EvalConfig, generator: torch.Generator
             ) -> tuple[Tensor, Tensor]:  # fmt: skip
    """One descent of every problem from a random start: its energy and its summed squared error, (S+1, P) each.

    Kept per problem, not per answer element, so that many descents fit in memory (and on disk).
    """
    energies, sq_err = [], []
    for chunk in chunks:
        traj = method.predict(chunk, options.test_steps, generator, options)
        per_row = ((traj.ys - chunk.y) ** 2).flatten(2).sum(-1)  # (S+1, rows)
        rows = chunk.row_problem  # a property that indexes every edge: read it once
        if rows is not None:  # a graph's rows are its edges: sum them per graph
            per_row = per_row.new_zeros(len(per_row), len(chunk)).index_add_(1, rows, per_row)
        energies.append(traj.energies.cpu())
        sq_err.append(per_row.cpu())
    return torch.cat(energies, 1), torch.cat(sq_err, 1)


def evaluate_compute(method: Method, task: GraphTask, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Table 1's splits, then the error against steps for each number of restarts at each size of ``NODES``."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    curves[BY_RESTARTS] = {}
    for n in NODES:  # the same graphs as Fig. 2's curves at this size
        test = size_problems(task, spec, n, device)
        curves[BY_RESTARTS][str(n)] = restarts(method, test, spec.eval, generator(device, TEST_SEED), RESTARTS,
                                               label=f"{n} nodes")  # fmt: skip
    return metrics, curves


COMPUTE = register(Experiment(
    name="compute",
    title="Test-time compute on graphs: steps and restarts chosen by energy (beyond the paper)",
    tasks=tuple(GRAPH_TASKS),
    methods=("irem",),
    evaluate=evaluate_compute,
    borrows_defaults=True,  # the graph experiment's settings: its IREM weights are reused
    seeds=1,
))  # fmt: skip
