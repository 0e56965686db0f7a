"""The training loop (Alg. 1): sample problems, compute the method's loss, take an Adam step.

The loop reads top to bottom; everything method-specific (reasoning steps, replay,
truncation) lives in the method's ``loss``. Losses are accumulated on the device and read
back every ``log_every`` iterations, so the loop does not wait on the device each step.

With a ``checkpoint`` path, the loop saves everything it needs to go on (weights, optimiser and
learning-rate schedule, replay buffers, the generator's state, the loss log) at most every
``checkpoint_every_s`` seconds, atomically, and a later call with the same path resumes from
it: a run killed at iteration 9,000 of 10,000 loses minutes, not the run. Training draws all its
randomness from ``generator``, so a resumed run ends with exactly the weights (and loss curve)
of an uninterrupted one on the same device.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import Tensor
from tqdm.auto import tqdm

from irem.atomic import atomic_torch_save
from irem.config import TrainConfig, with_defaults
from irem.graphed import GraphedStep, check_graphable
from irem.methods import Method
from irem.provenance import native_bf16
from irem.replay import ReplayBuffer
from irem.tasks import Task
from irem.validate import check_non_negative, describe

__all__ = ["TrainConfig", "TrainLog", "TrainingDiverged", "train"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; no run record is written."""


@dataclass
class TrainLog:
    """What training measured: the loss curve and its speed."""

    train_loss: list[tuple[int, float]] = field(default_factory=list)  # (iteration, mean loss)
    wall_s: float = 0.0  # training time, including the time before a resume (up to its checkpoint)
    iters_per_s: float = 0.0
    resumed_from: int | None = None  # the checkpoint's iteration when training was resumed


CHECKPOINT_FORMAT = 1
CHECKPOINT_EVERY_S = 300.0  # default seconds between checkpoints (for experiment runs, $IREM_CHECKPOINT_EVERY_S)


def checkpoint_interval() -> float:
    """Seconds between training checkpoints: ``$IREM_CHECKPOINT_EVERY_S`` when set (0: every iteration), else 300."""
    raw = os.environ.get("IREM_CHECKPOINT_EVERY_S", "").strip()
    if not raw:
        return CHECKPOINT_EVERY_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"IREM_CHECKPOINT_EVERY_S must be a finite number of seconds >= 0, got {raw!r}")
    return value


def replay_buffers(method: Method) -> dict[str, ReplayBuffer]:
    """The replay buffers ``method`` (or any of its submodules) holds, by attribute path.

    They are not part of ``method.state_dict()`` (the weights cache does not need them), but a
    checkpoint does: a resumed run must replay exactly what the uninterrupted run would.
    """
    return {
        f"{prefix}.{attr}".lstrip("."): value
        for prefix, module in method.named_modules()
        for attr, value in vars(module).items()
        if isinstance(value, ReplayBuffer)
    }


def _save_checkpoint(path: Path, method, optimizer, schedule, generator, config, done, log, running, wall_s,
                     identity) -> None:  # fmt: skip
    atomic_torch_save(
        {
            "format": CHECKPOINT_FORMAT,
            "identity": identity,
            "config": asdict(config),
            "iteration": done,
            "method": method.state_dict(),
            "replay": {name: buf.state_dict() for name, buf in replay_buffers(method).items()},
            "optimizer": optimizer.state_dict(),
            "schedule": None if schedule is None else schedule.state_dict(),
            "generator": generator.get_state(),
            "train_loss": [list(p) for p in log.train_loss],
            "running": running,
            "wall_s": wall_s,
        },
        path,
    )


def _resume(path: Path, method, optimizer, schedule, generator, config, log, running, identity) -> tuple[int, float]:
    """Load the checkpoint at ``path`` into the training state; returns (iteration, training time so far)."""
    try:
        # on the CPU first: the optimiser moves its state to the parameters' device (its step counts stay on
        # the CPU), the generator's state is a CPU tensor
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"format {state.get('format')!r}, expected {CHECKPOINT_FORMAT}")
        if identity is not None and state.get("identity") != identity:  # another seed's, under this run's name
            raise ValueError(f"it belongs to another run ({state.get('identity')}, not {identity})")
        saved, current = with_defaults(TrainConfig, state["config"]), asdict(config)  # fields added since: default
        if saved != current:
            differ = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
            raise ValueError(f"it was made with another training config (differs in {differ})")
        done = int(state["iteration"])
        if not 0 < done < config.iterations:
            raise ValueError(f"iteration {done} is outside 1..{config.iterations - 1}")
        buffers = replay_buffers(method)
        if set(state["replay"]) != set(buffers):
            raise ValueError(f"replay buffers {sorted(state['replay'])} saved, {sorted(buffers)} here")
        method.load_state_dict(state["method"])
        for name, buf in buffers.items():
            buf.load_state_dict(state["replay"][name], device=generator.device)
        optimizer.load_state_dict(state["optimizer"])
        if schedule is not None:
            schedule.load_state_dict(state["schedule"])
        generator.set_state(state["generator"])
        running.copy_(state["running"])
        log.train_loss = [(int(i), float(v)) for i, v in state["train_loss"]]
        return done, float(state["wall_s"])
    except Exception as e:  # truncated, corrupt, from an older version or another config
        raise ValueError(f"checkpoint {path} cannot be resumed ({describe(e)}); delete it "
                         "(or rerun with --retrain / retrain=True) to train from the start") from None  # fmt: skip


def _optimizer(method: Method, config: TrainConfig, device: torch.device):
    """Adam (and the cosine schedule, where asked) over the method's parameters."""
    # fused: one pass over each parameter, no temporaries (matches the per-tensor loop to ~5e-8 relative);
    # capturable: Adam's step count lives on the device, so a CUDA graph can replay the update
    fused = device.type in ("cpu", "cuda") or None  # None: torch's default elsewhere
    optimizer = torch.optim.Adam(method.parameters(), lr=config.lr, fused=fused, capturable=config.cuda_graph)
    schedule = None
    if config.lr_schedule == "cosine":
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.iterations)
    return optimizer, schedule


def _training_step(method: Method, task: Task, config: TrainConfig, generator: torch.Generator,
                   optimizer: torch.optim.Optimizer) -> Callable[[], Tensor]:  # fmt: skip
    """One optimiser step on a fresh batch, returning its loss; with ``cuda_graph``, captured and replayed."""

    def one_step() -> Tensor:
        # a fresh batch from the training distribution
        batch = task.sample(config.batch_size, task.train_split, generator)
        # the method's loss: for IREM, reasoning steps (+ replay) then the answer's MSE
        loss = method.loss(batch, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(method.parameters(), config.grad_clip)
        optimizer.step()
        return loss

    if not config.cuda_graph:
        return one_step

    def counters_to_device() -> None:  # a replayed graph runs no Python to advance them
        for buffer in replay_buffers(method).values():
            buffer.keep_counters_on_device()

    return GraphedStep(one_step, generator, before_capture=counters_to_device)  # the same step (irem.graphed)


def _log_loss(log: TrainLog, running: Tensor, done: int, what: str) -> float:
    """The mean loss since the last log (read back once per ``log_every``), appended to ``log``; NaN raises."""
    n = done - (log.train_loss[-1][0] if log.train_loss else 0)
    mean = running.item() / n
    running.zero_()
    if not torch.isfinite(torch.tensor(mean)):
        raise TrainingDiverged(f"{what}: loss became {mean} at iteration {done}; try a smaller lr or step_size, "
                               "or set grad_clip")  # fmt: skip
    log.train_loss.append((done, mean))
    return mean


def train(
    method: Method,
    task: Task,
    config: TrainConfig,
    generator: torch.Generator,
    *,
    progress: bool = True,
    on_log: Callable[[int, float], None] | None = None,
    on_step: Callable[[int], None] | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every_s: float = CHECKPOINT_EVERY_S,
    snapshot_at: Collection[int] = (),
    on_snapshot: Callable[[int, TrainLog], None] | None = None,
    identity: str | None = None,
) -> TrainLog:
    """Train ``method`` on problems of ``task`` drawn from ``generator`` (in place).

    Args:
        method: the method to train; it must already be on ``generator.device``.
        task: where training problems come from (difficulty ``"same"``).
        config: iterations, batch size, learning rate and schedule, gradient clipping.
        generator: the source of training problems and of the method's noise.
        progress: show a tqdm progress bar.
        on_log: called as ``on_log(iteration, mean_loss)`` every ``config.log_every``.
        on_step: called as ``on_step(iteration)`` after every optimiser step (``irem.measure``
            times the real training step through it).
        checkpoint: where to save the training state (and resume from, when the file exists).
            The caller deletes it once the trained model is stored.
        checkpoint_every_s: seconds between checkpoints at least (0: after every iteration);
            none is saved after the last iteration.
        snapshot_at: iterations after which ``on_snapshot`` is called.
        on_snapshot: called as ``on_snapshot(iteration, log_so_far)`` at each of ``snapshot_at``,
            while the method holds the weights of that iteration.
        identity: names the run (``RunSpec.train_hash()``): stored in each checkpoint, and a checkpoint
            of another run (another seed's, say) is refused rather than resumed.

    Raises:
        TrainingDiverged: when the loss becomes NaN or infinite.
        ValueError: when ``checkpoint`` exists but cannot be resumed (the error names it).
    """
    if config.cuda_graph:
        check_graphable(method.name, task.name, generator.device, config.lr_schedule)
    if config.precision == "bf16" and generator.device.type == "cpu" and not native_bf16():
        warnings.warn("precision='bf16' on a CPU without native bf16 (no AVX512-BF16 or AMX): torch emulates it, "
                      "many times slower than fp32 (18x measured on an AVX2-only EPYC); use precision='fp32' here",
                      stacklevel=2)  # fmt: skip
    optimizer, schedule = _optimizer(method, config, generator.device)
    log = TrainLog()
    running = torch.zeros((), device=generator.device)  # loss summed since the last log
    first, before = 0, 0.0  # where training starts, and the training time spent before a resume
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        check_non_negative("checkpoint_every_s", checkpoint_every_s)
        if checkpoint.exists():
            first, before = _resume(checkpoint, method, optimizer, schedule, generator, config, log, running,
                                    identity)  # fmt: skip
            log.resumed_from = first
    bar = tqdm(range(first, config.iterations), initial=first, total=config.iterations,
               desc=f"train {method.name}", disable=not progress, leave=False)  # fmt: skip

    step = _training_step(method, task, config, generator, optimizer)
    method.train()
    start = last_saved = time.perf_counter()
    for it in bar:
        loss = step()
        if schedule is not None:
            schedule.step()
        if on_step is not None:
            on_step(it + 1)
        running += loss.detach()
        # every log_every iterations (and at the end): read the loss back, check it
        done = it + 1
        if done % config.log_every == 0 or done == config.iterations:
            mean = _log_loss(log, running, done, f"{method.name} on {task.name}")
            bar.set_postfix(loss=f"{mean:.4g}")
            if on_log is not None:
                on_log(done, mean)
        if done in snapshot_at and on_snapshot is not None:
            wall = before + time.perf_counter() - start
            on_snapshot(done, TrainLog(list(log.train_loss), wall, done / wall, log.resumed_from))
        # every checkpoint_every_s seconds (never after the last iteration): the state to resume from
        if checkpoint is not None and done < config.iterations:
            now = time.perf_counter()
            if now - last_saved >= checkpoint_every_s:
                _save_checkpoint(checkpoint, method, optimizer, schedule, generator, config, done, log, running,
                                 before + now - start, identity)  # fmt: skip
                last_saved = time.perf_counter()
    log.wall_s = before + time.perf_counter() - start
    log.iters_per_s = config.iterations / log.wall_s
    method.eval()
    return log
