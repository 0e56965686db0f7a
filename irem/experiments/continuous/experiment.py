"""Continuous algorithmic reasoning (Section 4.3): Table 1 (right), Figs. 3-5.

Addition, matrix completion and matrix inverse on 20x20 matrices; every method, tested on
problems like the training ones (``same``) and harder ones (``harder``).
"""

from __future__ import annotations

import torch

from irem.config import EvalConfig
from irem.evaluate import as_evaluated, rounded
from irem.experiments import paper
from irem.experiments.experiment import TEST_SEED, Experiment, Variant, register
from irem.experiments.running import evaluate_splits, generator
from irem.methods import PAPER_METHODS, Method
from irem.profiles import SMOKE
from irem.store import RunSpec
from irem.tasks import CONTINUOUS_TASKS, DIFFICULTIES, Batch, Task

FIG4_STEPS = (0, 1, 2, 3, 5, 10, 20, 40, 80)  # steps of the per-element error panels
QUICK = dict(iterations=4000, log_every=100)  # fewer iterations than the paper's 10,000
# the record curve of Fig. 4 (IREM and the iterative methods): {"steps": [...], "sq_error": [[...] per step]}
EXAMPLE_ERROR = "example_error"


def error_by_element(
    method: Method, problem: Batch, options: EvalConfig, generator: torch.Generator, at_steps: list[int]
) -> dict:
    """Squared error of every answer element of one problem at ``at_steps`` (Fig. 4)."""
    traj = method.predict(problem, max(at_steps), generator, options)
    err = (traj.ys[at_steps, 0] - problem.y[0]) ** 2  # (len(at_steps), y_dim)
    return {"steps": list(at_steps), "sq_error": [rounded(row, 4) for row in err]}


def evaluate_continuous(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Both difficulties with their energy landscapes (Fig. 5); one problem's error per element (Fig. 4)."""
    metrics, curves = evaluate_splits(method, task, spec, device, landscape=True)
    if method.iterative:
        problem = task.sample(1, "same", generator(device, TEST_SEED))
        steps = [s for s in FIG4_STEPS if s <= spec.eval.test_steps]
        options = as_evaluated(spec.eval, metrics["same"])  # "tuned": at the step size chosen for this split
        curves[EXAMPLE_ERROR] = error_by_element(method, problem, options, generator(device, TEST_SEED), steps)
    return metrics, curves


# the paper's test-time protocol (Section 3.2): IREM's step size chosen for each difficulty on validation
# problems, where Table 1 and Fig. 3 use the training one; judged beside IREM (``analysis.claims``)
TUNED = Variant("continuous, test-time step size tuned",
                "IREM with λ tuned on validation problems (the paper's protocol)", "IREM, tuned λ",
                {"test_step_scaling": "tuned"}, 1)  # fmt: skip

CONTINUOUS = register(Experiment(
    name="continuous",
    title="Continuous algorithmic reasoning (Section 4.3, Table 1 right, Figs. 3-5)",
    tasks=tuple(CONTINUOUS_TASKS),
    methods=PAPER_METHODS,
    evaluate=evaluate_continuous,
    tunes_step_size=True,
    profiles={"smoke": SMOKE, "quick": QUICK},
    paper=paper.by_split(paper.TABLE1_CONTINUOUS, DIFFICULTIES),
    variants=(TUNED,),
))  # fmt: skip
