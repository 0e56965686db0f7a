"""Composition (Section 4.4): nesting the learned addition, Table 4 and Figs. 6-7.

Each method's addition model, trained exactly as in the continuous experiment (so the two
share cached weights), answers ``compose_max`` nested additions; the splits are the depths.
"""

from __future__ import annotations

import torch

from irem.config import EvalConfig
from irem.evaluate import rounded
from irem.experiments import paper
from irem.experiments.continuous.experiment import QUICK
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.running import generator
from irem.methods import PAPER_METHODS, Method
from irem.profiles import SMOKE
from irem.store import RunSpec
from irem.tasks import Task
from irem.tasks.continuous import Addition

COMPOSITION_MSE = "composition_mse"  # record curve: the MSE after k = 1 .. compose_max nested additions (Fig. 7)
EXAMPLE = "example"  # record curve: one problem's 3x3 corners, {"inputs": [4 x 9], "prediction", "truth"} (Fig. 6)


def composition(
    method: Method, task: Addition, options: EvalConfig, generator: torch.Generator
) -> tuple[list[float], dict]:
    """Nest the learned addition (Section 4.4): y^k = Alg(y^{k-1}, v_k), truth v_0 + ... + v_k.

    Each of ``options.test_problems`` problems draws ``compose_max + 1`` operands as the
    training inputs are drawn (U(-1, 1)); every method answers each nested addition with its own final
    answer (at halting for IREM).

    Returns:
        ``(mse, example)``: the MSE after k = 1 .. compose_max operations, and the first 3x3
        corner of the inputs, prediction and truth of one problem after three operations
        (the paper's Fig. 6).
    """
    n, k_max = options.test_problems, options.compose_max
    # every operand is drawn as a training input is (U(-1, 1)), not as an answer a + b
    vs = task.operands(n * (k_max + 1), generator).view(k_max + 1, n, -1)  # (K+1, n, D)
    sq_err = torch.zeros(k_max, device=vs.device)
    example = {}
    steps = options.test_steps if method.iterative else 1
    for chunk in range(0, n, options.eval_batch):
        v = vs[:, chunk : chunk + options.eval_batch]
        estimate, truth = v[0], v[0]
        for k in range(1, k_max + 1):
            truth = truth + v[k]
            problem = task.problem(estimate, v[k])  # the model's own last answer plus the next operand
            estimate = method.predict(problem, steps, generator, options).at_halt()
            sq_err[k - 1] += ((estimate - truth) ** 2).mean(-1).sum()
            if chunk == 0 and k == 3:
                corner = [t[0].view(20, 20)[:3, :3] for t in (v[0], v[1], v[2], v[3], estimate, truth)]
                example = {
                    "inputs": [rounded(c.flatten(), 4) for c in corner[:4]],
                    "prediction": rounded(corner[4].flatten(), 4),
                    "truth": rounded(corner[5].flatten(), 4),
                }
    return rounded(sq_err / n), example


def evaluate_composition(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """The MSE after k = 1 .. compose_max nested additions, and one worked example (Fig. 6)."""
    mse, example = composition(method, task, spec.eval, generator(device, TEST_SEED))
    metrics = {str(k): {"mse": m} for k, m in enumerate(mse, start=1)}
    return metrics, {COMPOSITION_MSE: mse, EXAMPLE: example}


COMPOSITION = register(Experiment(
    name="composition",
    title="Composition of the learned addition (Section 4.4, Table 4, Figs. 6-7)",
    tasks=("addition",),
    methods=PAPER_METHODS,
    evaluate=evaluate_composition,
    profiles={"smoke": {**SMOKE, "compose_max": 4}, "quick": QUICK},
    paper={("addition", m, str(k)): v for m, row in paper.TABLE4.items() for k, v in row.items()},
    home=False,  # addition's home is the continuous experiment
    version=2,  # 2: operands drawn as training inputs, U(-1, 1) (version 1 drew sums a + b, in [-2, 2])
))  # fmt: skip
