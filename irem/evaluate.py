"""Evaluation: error against reasoning steps, error at the halting step, energy landscapes.

All functions run a trained method on freshly drawn test problems from a fixed generator
and return plain Python numbers and lists, ready for a run record.
"""

from __future__ import annotations

import torch
from torch import Tensor

from irem.config import EvalConfig
from irem.curves import ENERGY_BY_STEP, MSE_BY_STEP
from irem.methods import Method
from irem.tasks import Batch, Task
from irem.tasks.continuous import ContinuousTask

REPORT_STEPS = (1, 5, 10, 20, 40, 80)  # steps at which metrics.<split>.mse_by_steps is kept


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
) -> tuple[dict, dict]:
    """Error of ``method`` on ``options.test_problems`` problems of one difficulty.

    Returns:
        ``(metrics, curves)``. ``metrics`` holds the headline ``mse`` (at each problem's
        halting step for methods that halt, else after the method's computation),
        ``mse_by_steps`` at ``REPORT_STEPS``, ``mean_halt_step`` and ``label_variance``
        (the MSE of always predicting the mean answer, a reference every table shows).
        ``curves`` holds the full error and mean energy at every step.
    """
    test = task.sample(options.test_problems, difficulty, generator)
    return evaluate_batch(method, test, options, generator)


def evaluate_batch(method: Method, test: Batch, options: EvalConfig, generator: torch.Generator) -> tuple[dict, dict]:
    """As :func:`evaluate_split`, on the given test problems."""
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
        "mse_by_steps": {str(s): mse_curve[s].item() for s in REPORT_STEPS if s <= steps},
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
