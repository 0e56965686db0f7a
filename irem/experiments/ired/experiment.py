"""IRED (Du, Mao and Tenenbaum, ICML 2024) on the paper's tasks, beside IREM and its baselines.

The continuous tasks and shortest path, trained as their own experiments train IREM (the same
profiles: iterations, batch, widths) and scored on the same test problems with the same metrics
(Table 1; on shortest path also the graph sizes of Fig. 2), plus what the chapter asks of IRED: its
error against the number of steps per landscape (Fig. 3 redrawn, with the energy evaluations each
costs), and where a descent on its sharpest landscape started at the true answer ends (the diagnosis
of IREM's Fig. 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch

from irem.config import EvalConfig
from irem.evaluate import rounded
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.experiments.graph.experiment import evaluate_graph
from irem.experiments.running import evaluate_splits, generator
from irem.methods import IRED, Method
from irem.store import RunSpec
from irem.tasks import CONTINUOUS_TASKS, GRAPH_TASKS, Batch, Task

STEPS_PER_LANDSCAPE = (1, 2, 5, 10, 20)  # test-time steps on each landscape: error against inference steps
DIAGNOSIS_STEPS = 80  # steps on the sharpest landscape from the true answer
# record curves: {split: {str(steps per landscape): {"mse", "evaluations"}}}; {split: [mse by step]}
BY_LANDSCAPE_STEPS = "by_landscape_steps"
FROM_ANSWER = "from_answer"

GRAPH_TASK = "shortest_path"  # the one graph task (at 10, 15 and 30 nodes)
# the chapter's ablations of IRED, on addition: each a change to the full method (the projection is a
# test-time setting, so its ablation evaluates the full method's weights again)
ABLATION_TASK = "addition"
ABLATIONS = {
    "one landscape (noise 0.2)": {"landscapes": 1, "noise_schedule": "0.2"},
    "no energy supervision": {"energy_weight": 0.0},
    "no projection before the steps": {"denoise_first": False},
}
# the test-time bound on answers scaled as the harder addition's operand range is against training's (an
# evaluation setting; the release notes that generalisation needs a larger bound than training's)
LOOSER_BOUND = {"test_clip_scale": 2.5}
RELEASE = {"grad_clip": 1.0}  # the release clips gradients to norm 1 (its Adam's learning rate, 1e-4, is IREM's)


def ired_runs(tasks: Sequence[str], methods: Sequence[str]) -> list[tuple[str, str, dict]]:
    """IRED on each task, with the release's gradient clipping over the task's own profile."""
    return [(t, m, dict(RELEASE)) for t in tasks for m in methods]


def energy_evaluations(method: IRED, options: EvalConfig) -> int:
    """Energy (or energy-gradient) evaluations per problem in one descent through every landscape."""
    per_step = 2 if options.reject == "energy" else 1  # the step's gradient, and the energy that may reject it
    return method.schedule.landscapes * (int(options.denoise_first) + per_step * options.landscape_steps)


def _final_mse(method: IRED, test: Batch, options: EvalConfig, starts: torch.Generator) -> float:
    """The error after the whole descent on ``test`` (the same problems and starts for every setting)."""
    err = sum(((method.predict(chunk, 0, starts, options).ys[-1] - chunk.y) ** 2).sum().item()
              for chunk in test.split(options.eval_batch))  # fmt: skip
    return err / test.y.numel()


@torch.no_grad()
def from_answer(method: IRED, task: Task, split: str, options: EvalConfig, device: torch.device, seed: int) -> list:
    """The error at every step of a descent on the sharpest landscape that starts at the true answer.

    Where it moves away from the answer, the sharpest landscape's minimum is not at the answer.
    """
    test = task.sample(options.test_problems, split, generator(device, seed))
    at_answer = replace(options, landscape_steps=DIAGNOSIS_STEPS, denoise_first=False)
    err = None
    for chunk in test.split(options.eval_batch):
        start = method.schedule.scale[0] * chunk.y
        per_step = ((method.predict_from(chunk, start, at_answer, start=0).ys - chunk.y) ** 2).flatten(1).sum(-1)
        err = per_step if err is None else err + per_step
    return rounded(err / test.y.numel())


def evaluate_ired(method: Method, task: Task, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """Both difficulties; the error for each number of steps per landscape; the descent from the answer."""
    evaluate_task = evaluate_graph if task.name in GRAPH_TASKS else evaluate_splits
    metrics, curves = evaluate_task(method, task, spec, device)
    if not isinstance(method, IRED):
        return metrics, curves
    for i, split in enumerate(task.test_splits):
        seed = TEST_SEED + i
        test, sweep = task.sample(spec.eval.test_problems, split, generator(device, seed)), {}
        for steps in STEPS_PER_LANDSCAPE:
            options = replace(spec.eval, landscape_steps=steps)
            sweep[str(steps)] = {"mse": _final_mse(method, test, options, generator(device, seed + 1)),
                                 "evaluations": energy_evaluations(method, options)}  # fmt: skip
        curves.setdefault(BY_LANDSCAPE_STEPS, {})[split] = sweep
        curves.setdefault(FROM_ANSWER, {})[split] = from_answer(method, task, split, spec.eval, device, seed)
    return metrics, curves


IRED_EXPERIMENT = register(Experiment(
    name="ired",
    title="IRED, the authors' follow-up (ICML 2024), on the continuous tasks and shortest path",
    tasks=(*CONTINUOUS_TASKS, GRAPH_TASK),
    methods=("ired",),
    evaluate=evaluate_ired,
    grid=ired_runs,
    borrows_defaults=True,  # each task trains as its own experiment trains IREM
    home=False,
))  # fmt: skip
