"""Evaluation: error against reasoning steps, error at the halting step, energy landscapes.

All functions run a trained method on freshly drawn test problems from a fixed generator
and return plain Python numbers and lists, ready for a run record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import Tensor

from irem.config import EvalConfig
from irem.curves import ENERGY_BY_STEP, MSE_BY_STEP, TUNING
from irem.methods import IREM, Method
from irem.tasks import Batch, Task
from irem.tasks.continuous import ContinuousTask

REPORT_STEPS = (1, 5, 10, 20, 40, 80)  # steps at which metrics.<split>.mse_by_steps is kept
SMOOTH_TOLERANCE = 0.01  # "smooth": a rise of the mean energy up to this share of its whole fall is not counted


def rounded(values: Tensor | list[float], digits: int = 6) -> list[float]:
    """Floats for JSON: significant digits, not fixed decimals, so small errors survive."""
    if isinstance(values, Tensor):
        values = values.tolist()
    return [float(f"{v:.{digits}g}") for v in values]


def evaluate_split(
    method: Method,
    task: Task,
    difficulty: str,
    options: EvalConfig,
    generator: torch.Generator,
    validation_generator: torch.Generator | None = None,
) -> tuple[dict, dict]:
    """Error of ``method`` on ``options.test_problems`` problems of one difficulty.

    Returns:
        ``(metrics, curves)``. ``metrics`` holds the headline ``mse`` (at each problem's
        halting step for methods that halt, else after the method's computation),
        ``mse_by_steps`` at ``REPORT_STEPS``, ``mean_halt_step`` and ``label_variance``
        (the MSE of always predicting the mean answer, a reference every table shows).
        ``curves`` holds the full error and mean energy at every step. With a "tuned" step size,
        the validation problems are drawn from ``validation_generator`` (see :func:`evaluate_batch`).
    """
    test = task.sample(options.test_problems, difficulty, generator)
    validation = None
    if options.test_step_scaling == "tuned":
        validation = task.sample(options.tune_problems, difficulty, validation_generator), validation_generator
    return evaluate_batch(method, test, options, generator, validation)


def evaluate_batch(method: Method, test: Batch, options: EvalConfig, generator: torch.Generator,
                   validation: tuple[Batch, torch.Generator] | None = None) -> tuple[dict, dict]:  # fmt: skip
    """As :func:`evaluate_split`, on the given test problems.

    With ``options.test_step_scaling="tuned"``, IREM's step size is first chosen on ``validation``
    (problems of the same kind drawn with their own generator, :func:`tune_step_size`); the metrics
    then hold the chosen ``step_size`` and the curves the ``tuning`` table.
    """
    if options.test_step_scaling != "tuned":
        return _evaluate(method, test, options, generator)
    if validation is None:
        raise ValueError("test_step_scaling='tuned' needs validation problems to choose the step size on")
    tuning = tune_step_size(method, *validation, options)
    metrics, curves = _evaluate(method, test, tuning.options, generator)
    metrics["step_size"] = tuning.step_size
    curves[TUNING] = tuning.table
    return metrics, curves


@dataclass(frozen=True)
class Tuning:
    """The test-time step size chosen on validation problems, and what each tried one gave there."""

    step_size: float
    options: EvalConfig  # the evaluation options with that step size
    table: dict  # {"step_size": [...], "mse": [...], "smooth": [0/1 ...]}, largest step size first


def smooth(energy: list[float]) -> bool:
    """Whether a mean energy curve falls overall and never rises by more than ``SMOOTH_TOLERANCE`` of its fall."""
    fall = energy[0] - min(energy)
    return energy[-1] < energy[0] and all(b <= a + SMOOTH_TOLERANCE * fall for a, b in zip(energy, energy[1:]))


def tune_step_size(method: Method, validation: Batch, generator: torch.Generator, options: EvalConfig) -> Tuning:
    """The paper's test-time protocol (Section 3.2): IREM's step size chosen for one kind of test problem.

    Each step size of ``options.tune_grid`` (factors on the training one) runs on the same
    ``validation`` problems from the same starting answers. ``tune_rule="smooth"`` takes the largest
    whose mean energy falls at every step ("energy values decrease smoothly across iterations"; the
    smallest when none does), ``"lowest_error"`` the one of the lowest validation error (the larger on
    a tie). The test problems are never seen.
    """
    if not isinstance(method, IREM):
        raise ValueError(f"test_step_scaling='tuned' chooses IREM's step size; {type(method).__name__} has none")
    base = options.test_step_size or method.config.step_size
    start = generator.get_state()
    table: dict = {"step_size": [], "mse": [], "smooth": []}
    for factor in options.tune_factors():
        generator.set_state(start)
        metrics, curves = _evaluate(method, validation, at_step_size(options, base * factor), generator)
        table["step_size"].append(base * factor)
        table["mse"].append(metrics["mse"])
        table["smooth"].append(int(smooth(curves[ENERGY_BY_STEP])))
    if options.tune_rule == "smooth":
        chosen = table["smooth"].index(1) if any(table["smooth"]) else len(table["smooth"]) - 1
    else:
        chosen = min(range(len(table["mse"])), key=table["mse"].__getitem__)
    step_size = table["step_size"][chosen]
    return Tuning(step_size, at_step_size(options, step_size), table)


def as_evaluated(options: EvalConfig, metrics: dict) -> EvalConfig:
    """The options a split was evaluated with: at its chosen step size when ``metrics`` hold one ("tuned")."""
    return at_step_size(options, metrics["step_size"]) if "step_size" in metrics else options


def at_step_size(options: EvalConfig, step_size: float) -> EvalConfig:
    """``options`` with a fixed test-time step size (and no further scaling)."""
    return replace(options, test_step_size=step_size, test_step_scaling="none", **EvalConfig.tuning_defaults())


def _evaluate(method: Method, test: Batch, options: EvalConfig, generator: torch.Generator) -> tuple[dict, dict]:
    """Error and energy at every step, and at halting, on ``test``."""
    steps = options.test_steps if method.iterative else 1
    err_sum = None  # (S+1,) summed squared error per step
    energy_sum = None
    halt_err, halt_steps = 0.0, 0.0
    for chunk in test.split(options.eval_batch):
        traj = method.predict(chunk, steps, generator, options)
        per_step = ((traj.ys - chunk.y) ** 2).flatten(1).sum(-1)  # (S+1,) summed over answer elements
        err_sum = per_step if err_sum is None else err_sum + per_step
        if traj.energies is not None:
            e = traj.energies.sum(-1)
            energy_sum = e if energy_sum is None else energy_sum + e
        halt_err += ((traj.at_halt(chunk.row_problem) - chunk.y) ** 2).sum().item()
        halt_steps += traj.halt_step.float().sum().item()
    n, elements = len(test), test.y.numel()  # the MSE is over all answer elements (graphs: edges)
    mse_curve = err_sum / elements
    metrics = {
        "mse": halt_err / elements,
        "mse_final": mse_curve[-1].item(),
        "mse_by_steps": {str(s): mse_curve[s].item() for s in REPORT_STEPS if s < len(mse_curve)},
        "mean_halt_step": halt_steps / n,
        "label_variance": test.y.var(dim=0).mean().item(),
    }
    curves = {MSE_BY_STEP: rounded(mse_curve)}
    if energy_sum is not None:
        curves[ENERGY_BY_STEP] = rounded(energy_sum / n)
    return metrics, curves


@torch.no_grad()
def energy_landscape(
    method: Method, task: ContinuousTask, difficulty: str, options: EvalConfig, generator: torch.Generator
) -> dict:
    """Energy of candidates at growing distance from the solution (Fig. 5).

    For each of ``options.landscape_problems`` problems, candidates y* + s * eps with
    eps ~ N(0, I) and s on a log grid; returns each candidate's MSE from y* and its energy
    relative to the energy of y* itself (energies of different problems have different
    offsets, so only differences are comparable).
    """
    energy = getattr(method, "energy", None)
    if energy is None or options.landscape_problems == 0:
        return {}
    batch = task.sample(options.landscape_problems, difficulty, generator)
    scales = torch.logspace(-2, 0.5, 16, device=batch.y.device)
    base = energy(batch.x, batch.y)  # (P,)
    mse, rel_energy = [], []
    for s in scales:
        eps = torch.randn(batch.y.shape, generator=generator, device=batch.y.device)
        cand = batch.y + s * eps
        mse.append(((cand - batch.y) ** 2).mean(-1))
        rel_energy.append(energy(batch.x, cand) - base)
    return {"mse": rounded(torch.cat(mse), 4), "energy": rounded(torch.cat(rel_energy), 4)}
