"""Test-time compute on graphs, beyond the paper: more reasoning steps, and restarts chosen by energy.

For IREM trained as in the graph experiment (the same runs: their cached weights are reused),
the error against the number of reasoning steps on graphs of ``NODES`` nodes when each problem
starts from k random answers and keeps the one with the lowest energy (k in ``RESTARTS``), as the
energy-diffusion follow-up (IRED, ICML 2024) selects among samples.
"""

from __future__ import annotations

import torch

from irem import evaluate
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.graph import size_problems
from irem.experiments.running import evaluate_splits, generator
from irem.methods import Method
from irem.store import RunSpec
from irem.tasks import GRAPH_TASKS, GraphTask

NODES = (15, 30)  # larger than any training graph (2-10 nodes)
RESTARTS = (1, 4, 16)


def evaluate_compute(method: Method, task: GraphTask, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Table 1's splits, then the error against steps for each number of restarts at each size of ``NODES``."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    curves["restarts"] = {}
    for n in NODES:  # the same graphs as Fig. 2's curves at this size
        test = size_problems(task, spec, n, device)
        curves["restarts"][str(n)] = evaluate.restarts(method, test, spec.eval, generator(device, TEST_SEED),
                                                       RESTARTS, label=f"{n} nodes")  # fmt: skip
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
