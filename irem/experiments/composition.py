"""Composition (Section 4.4): nesting the learned addition, Table 4 and Figs. 6-7.

Each method's addition model, trained exactly as in the continuous experiment (so the two
share cached weights), answers ``compose_max`` nested additions; the splits are the depths.
"""

from __future__ import annotations

import torch

from irem import evaluate
from irem.experiments import paper
from irem.experiments.continuous import QUICK
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.running import generator
from irem.methods import METHODS, Method
from irem.profiles import SMOKE
from irem.store import RunSpec
from irem.tasks import Task


def evaluate_composition(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """The MSE after k = 1 .. compose_max nested additions, and one worked example (Fig. 6)."""
    mse, example = evaluate.composition(method, task, spec.eval, generator(device, TEST_SEED))
    metrics = {str(k): {"mse": m} for k, m in enumerate(mse, start=1)}
    return metrics, {"composition_mse": mse, "example": example}


COMPOSITION = register(Experiment(
    name="composition",
    title="Composition of the learned addition (Section 4.4, Table 4, Figs. 6-7)",
    tasks=("addition",),
    methods=tuple(METHODS),
    evaluate=evaluate_composition,
    profiles={"smoke": {**SMOKE, "compose_max": 4}, "quick": QUICK},
    paper={("addition", m, str(k)): v for m, row in paper.TABLE4.items() for k, v in row.items()},
    home=False,  # addition's home is the continuous experiment
    version=2,  # 2: operands drawn as training inputs, U(-1, 1) (version 1 drew sums a + b, in [-2, 2])
))  # fmt: skip
