"""Methods behind one interface: ``loss(batch, generator)`` and ``predict(...) -> Trajectory``.

IREM (the paper's method) learns an energy and reasons by descending it; the baselines
(App. D) map the problem to an answer directly (feedforward) or through a fixed number of
computation steps. The trainer and the evaluator only ever call this interface.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from irem.config import EvalConfig, TrainConfig
from irem import minimize
from irem.minimize import Trajectory
from irem.models import EnergyMLP, FeedforwardMLP
from irem.replay import ReplayBuffer
from irem.tasks.continuous import Batch, ContinuousTask
from irem.validate import check_choice


def uniform_like(t: Tensor, generator: torch.Generator, shape: tuple[int, ...] | None = None) -> Tensor:
    """U(-1, 1) noise of ``t``'s shape (or ``shape``): every descent's starting point."""
    shape = t.shape if shape is None else shape
    return torch.rand(shape, generator=generator, device=t.device, dtype=t.dtype) * 2 - 1


class Method(nn.Module):
    """A way of computing answers, trained by ``irem.train.train``."""

    name: ClassVar[str]
    iterative: ClassVar[bool] = False  # can it use more computation at test time?

    def __init__(self, task: ContinuousTask, config: TrainConfig) -> None:
        super().__init__()
        self.config = config

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        """The training loss on one batch (a scalar with a graph)."""
        raise NotImplementedError

    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        """Answers to ``batch``, step by step, with ``steps`` steps where the method allows."""
        raise NotImplementedError


class IREM(Method):
    """Iterative reasoning as energy minimisation (Alg. 1-3).

    Training descends ``config.steps`` steps of size ``config.step_size`` from U(-1, 1)
    noise (and, with replay, from where earlier descents stopped) and regresses the end
    point onto the answer; prediction descends ``options.test_steps`` steps and halts each
    problem at its energy minimum.
    """

    name = "irem"
    iterative = True

    def __init__(self, task: ContinuousTask, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.energy = EnergyMLP(task.x_dim, task.y_dim, config.scratchpad, config.hidden)
        self.buffer = ReplayBuffer(config.replay_capacity) if config.replay else None

    def _start(self, batch: Batch, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        y0 = uniform_like(batch.y, generator)
        d = self.config.scratchpad
        z0 = uniform_like(batch.y, generator, (len(batch), d)) if d else None
        return y0, z0

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        cfg = self.config
        x, y = batch.x, batch.y
        y0, z0 = self._start(batch, generator)
        # Half fresh problems from noise, half replayed from where an earlier descent
        # stopped, once the buffer holds a batch (as in the authors' release).
        if self.buffer is not None and len(self.buffer) >= len(batch):
            old = self.buffer.sample(len(batch), generator)
            x, y, y0 = torch.cat([old["x"], x]), torch.cat([old["y"], y]), torch.cat([old["y_hat"], y0])
            if z0 is not None:
                z0 = torch.cat([old["z"], z0])
        y_hat, z_hat, _ = minimize.descend(
            lambda yy, zz: self.energy(x, yy, zz), y0, cfg.steps, cfg.step_size, z=z0, truncate=cfg.truncate
        )
        if self.buffer is not None:
            extra = {} if z_hat is None else {"z": z_hat}
            self.buffer.add(x=x, y=y, y_hat=y_hat, **extra)
        return F.mse_loss(y_hat, y)

    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        y0, z0 = self._start(batch, generator)
        step_size = options.test_step_size or self.config.step_size
        return minimize.predict(
            lambda yy, zz: self.energy(batch.x, yy, zz),
            y0,
            steps,
            step_size,
            z=z0,
            halt_tol=options.halt_tol,
            halt_patience=options.halt_patience,
        )


class Feedforward(Method):
    """A direct map y = f(x) (App. D): the same MLP as the energy, with ReLU."""

    name = "feedforward"

    def __init__(self, task: ContinuousTask, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.net = FeedforwardMLP(task.x_dim, task.y_dim, config.hidden)

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        return F.mse_loss(self.net(batch.x), batch.y)

    @torch.no_grad()
    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        y = self.net(batch.x)
        ys = torch.stack([torch.zeros_like(y), y])  # one step: from nothing to the answer
        return Trajectory(ys=ys, energies=None, halt_step=torch.ones(len(batch), dtype=torch.long, device=y.device))


METHODS: dict[str, type[Method]] = {m.name: m for m in (IREM, Feedforward)}


def make_method(name: str, task: ContinuousTask, config: TrainConfig) -> Method:
    """Build a method by name for ``task``."""
    check_choice("method", name, METHODS)
    return METHODS[name](task, config)
