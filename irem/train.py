"""The training loop (Alg. 1): sample problems, compute the method's loss, take an Adam step.

The loop reads top to bottom; everything method-specific (reasoning steps, replay,
truncation) lives in the method's ``loss``. Losses are accumulated on the device and read
back every ``log_every`` iterations, so the loop does not wait on the device each step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from irem.config import TrainConfig
from irem.methods import Method
from irem.tasks import Task

__all__ = ["TrainConfig", "TrainLog", "TrainingDiverged", "train"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; no run record is written."""


@dataclass
class TrainLog:
    """What training measured: the loss curve and its speed."""

    train_loss: list[tuple[int, float]] = field(default_factory=list)  # (iteration, mean loss)
    wall_s: float = 0.0
    iters_per_s: float = 0.0


def train(
    method: Method,
    task: Task,
    config: TrainConfig,
    generator: torch.Generator,
    *,
    progress: bool = True,
    on_log: Callable[[int, float], None] | None = None,
    on_step: Callable[[int], None] | None = None,
) -> TrainLog:
    """Train ``method`` on problems of ``task`` drawn from ``generator`` (in place).

    Args:
        method: the method to train; it must already be on ``generator.device``.
        task: where training problems come from (difficulty ``"same"``).
        config: iterations, batch size, learning rate and schedule, gradient clipping.
        generator: the source of training problems and of the method's noise.
        progress: show a tqdm progress bar.
        on_log: called as ``on_log(iteration, mean_loss)`` every ``config.log_every``.
        on_step: called as ``on_step(iteration)`` after every optimiser step (``irem.benchmark``
            times the real training step through it).

    Raises:
        TrainingDiverged: when the loss becomes NaN or infinite.
    """
    optimizer = torch.optim.Adam(method.parameters(), lr=config.lr)
    schedule = None
    if config.lr_schedule == "cosine":
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.iterations)
    log = TrainLog()
    running = torch.zeros((), device=generator.device)  # loss summed since the last log
    bar = tqdm(range(config.iterations), desc=f"train {method.name}", disable=not progress, leave=False)
    method.train()
    start = time.perf_counter()
    for it in bar:
        # a fresh batch from the training distribution
        batch = task.sample(config.batch_size, task.train_split, generator)
        # the method's loss: for IREM, reasoning steps (+ replay) then the answer's MSE
        loss = method.loss(batch, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(method.parameters(), config.grad_clip)
        optimizer.step()
        if schedule is not None:
            schedule.step()
        if on_step is not None:
            on_step(it + 1)
        running += loss.detach()
        # every log_every iterations (and at the end): read the loss back, check it
        done = it + 1
        if done % config.log_every == 0 or done == config.iterations:
            n = done - (log.train_loss[-1][0] if log.train_loss else 0)
            mean = running.item() / n
            running.zero_()
            if not torch.isfinite(torch.tensor(mean)):
                raise TrainingDiverged(
                    f"{method.name} on {task.name}: loss became {mean} at iteration {done}; "
                    "try a smaller lr or step_size, or set grad_clip"
                )
            log.train_loss.append((done, mean))
            bar.set_postfix(loss=f"{mean:.4g}")
            if on_log is not None:
                on_log(done, mean)
    log.wall_s = time.perf_counter() - start
    log.iters_per_s = config.iterations / log.wall_s
    method.eval()
    return log
