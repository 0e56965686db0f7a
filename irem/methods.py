"""Methods behind one interface: ``loss(batch, generator)`` and ``predict(...) -> Trajectory``.

IREM (the paper's method) learns an energy and reasons by descending it; the baselines
(App. D) map the problem to an answer directly (feedforward) or through a fixed number of
computation steps. The trainer and the evaluator only ever call this interface.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from irem import ired, minimize
from irem.compiled import CompiledGradient, CompiledLoss
from irem.config import PRECISIONS, EvalConfig, TrainConfig
from irem.minimize import Trajectory
from irem.models import bound_energy
from irem.replay import ReplayBuffer
from irem.tasks import Batch, Task
from irem.validate import check_choice, register


def uniform_like(t: Tensor, generator: torch.Generator, shape: tuple[int, ...] | None = None) -> Tensor:
    """U(-1, 1) noise of ``t``'s shape (or ``shape``): every descent's starting point."""
    shape = t.shape if shape is None else shape
    return torch.rand(shape, generator=generator, device=t.device, dtype=t.dtype) * 2 - 1


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The autocast region of ``TrainConfig.precision``: none for ``"fp32"``, bf16 for ``"bf16"``.

    Only training uses it; evaluation (``predict``) always runs in fp32.
    """
    check_choice("precision", precision, PRECISIONS)
    return contextlib.nullcontext() if precision == "fp32" else torch.autocast(device.type, dtype=torch.bfloat16)


class Method(nn.Module):
    """A way of computing answers, trained by ``irem.train.train``."""

    name: ClassVar[str]
    label: ClassVar[str]  # its name in the book's tables and legends
    color: ClassVar[str]  # its colour in every figure (the colour-blind-safe palette of seaborn)
    iterative: ClassVar[bool] = False  # can it use more computation at test time?

    def __init__(self, task: Task, config: TrainConfig) -> None:
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
    label = "IREM"
    color = "#0173b2"
    iterative = True

    def __init__(self, task: Task, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.energy = task.network(self.name, config)
        self.buffer = ReplayBuffer(config.replay_capacity) if config.replay else None
        self._compiled: CompiledLoss | None = None  # built at the first step with config.compiled
        self._compiled_gradient: CompiledGradient | None = None  # built at the first prediction with compiled_eval

    def _energy_of(self, x, fp32: bool = False) -> minimize.EnergyFn:
        """``E(x, .)`` for the problems ``x`` (``models.bound_energy``; energies cast to fp32 with ``fp32``)."""
        energy = bound_energy(self.energy, x)
        return (lambda yy, zz: energy(yy, zz).float()) if fp32 else energy

    def _start(self, batch: Batch, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        # denoising starts from the noisy image; every other task from U(-1, 1) noise
        y0 = batch.x.clone() if batch.starts_from_input else uniform_like(batch.y, generator)
        d = self.config.scratchpad
        z0 = uniform_like(batch.y, generator, (len(batch), d)) if d else None
        return y0, z0

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        cfg = self.config
        y0, z0 = self._start(batch, generator)
        # Fresh problems from noise, after as many (``replay_batch`` where set) replayed from where an
        # earlier descent stopped, once the buffer holds a batch (as in the authors' release).
        if self.buffer is not None and len(self.buffer) >= len(batch):
            old = self.buffer.sample(cfg.replay_batch or len(batch), generator)
            fresh = batch.replay_fields(y0)
            merged = {k: torch.cat([old[k], fresh[k]]) for k in fresh}
            batch, y0 = batch.from_replay_fields(merged)
            if z0 is not None:
                z0 = torch.cat([old["z"], z0])
        if cfg.compiled:  # the same loss and gradients, from one compiled function (irem.compiled)
            if self._compiled is None:
                self._compiled = CompiledLoss(self.energy, cfg.steps, cfg.step_size, cfg.truncate)
            loss, y_hat, z_hat = self._compiled(batch.x, y0, z0, batch.y)
        else:
            # precision "bf16": the energy network's matrix multiplies in bf16 (one autocast region for the
            # whole descent, so each weight is cast once); energies, the answer and its steps stay fp32
            with autocast(cfg.precision, y0.device):
                energy = self._energy_of(batch.x, fp32=cfg.precision != "fp32")
                y_hat, z_hat, _ = minimize.descend(energy, y0, cfg.steps, cfg.step_size, z=z0, truncate=cfg.truncate)
            loss = F.mse_loss(y_hat, batch.y)
        if self.buffer is not None:
            extra = {} if z_hat is None else {"z": z_hat}
            stored = {**batch.replay_fields(y_hat), **extra}
            if cfg.replay_keep:  # the release keeps the replayed problems and the first fresh ones only
                stored = {k: v[: cfg.replay_keep] for k, v in stored.items()}
            self.buffer.add(**stored)
        return loss

    @staticmethod
    def _step_scale(batch: Batch, options: EvalConfig) -> float:
        """The factor ``options.test_step_scaling`` puts on the test-time step size of ``batch``.

        Batches that support a rule say so with a ``step_scale(rule)`` method (graphs: "edges").
        """
        if options.test_step_scaling == "none":
            return 1.0
        if options.test_step_scaling == "tuned":
            raise ValueError("test_step_scaling='tuned' is chosen on validation problems by irem.evaluate, which then "
                             "predicts with the step size it chose; call evaluate_split or evaluate_batch")  # fmt: skip
        step_scale = getattr(batch, "step_scale", None)
        if step_scale is None:
            raise ValueError(f"test_step_scaling={options.test_step_scaling!r} applies to graph tasks only; "
                             "use 'none' here")  # fmt: skip
        return step_scale(options.test_step_scaling)

    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        y0, z0 = self._start(batch, generator)
        return self.predict_from(batch, y0, steps, generator, options, z0)

    def predict_from(self, batch: Batch, y0: Tensor, steps: int, generator: torch.Generator, options: EvalConfig,
                     z0: Tensor | None = None) -> Trajectory:  # fmt: skip
        """Test-time descent from the given answer ``y0`` (e.g. the true answer, to see where the minimum lies).

        With a scratchpad and no ``z0``, the scratchpad starts from U(-1, 1) noise, as in ``predict``.
        """
        if z0 is None and self.config.scratchpad:
            z0 = uniform_like(batch.y, generator, (len(batch), self.config.scratchpad))
        step_size = (options.test_step_size or self.config.step_size) * self._step_scale(batch, options)
        gradient = None
        if options.compiled_eval:  # the steps' energies and gradients from one compiled function (irem.compiled)
            if self._compiled_gradient is None:
                self._compiled_gradient = CompiledGradient(self.energy)
            gradient = partial(self._compiled_gradient, batch.x)
        return minimize.predict(
            self._energy_of(batch.x),
            y0,
            steps,
            step_size,
            z=z0,
            halt_tol=options.halt_tol,
            halt_patience=options.halt_patience,
            gradient=gradient,
        )


class Feedforward(Method):
    """A direct map y = f(x) (App. D): the same MLP as the energy, with ReLU."""

    name = "feedforward"
    label = "Feedforward"
    color = "#949494"

    def __init__(self, task: Task, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.net = task.network(self.name, config)

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        return F.mse_loss(self.net(batch.x), batch.y)

    @torch.no_grad()
    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        y = self.net(batch.x)
        return _fixed_steps(batch, [y], 1)


def _fixed_steps(batch: Batch, outputs: list[Tensor], halt: int, start: Tensor | None = None) -> Trajectory:
    """A trajectory of answers after each step, all problems of ``batch`` halting at step ``halt``.

    ``start`` is the answer before the first step (zeros when the method has none).
    """
    ys = torch.stack([torch.zeros_like(outputs[0]) if start is None else start, *outputs])
    halt_step = torch.full((len(batch),), min(halt, len(outputs)), dtype=torch.long, device=ys.device)
    return Trajectory(ys=ys, energies=None, halt_step=halt_step)


class Recurrent(Method):
    """An LSTM unrolled for ``config.steps`` steps, trained on its last answer (App. D).

    At test time it can unroll for more steps; its answer is the one after the number of
    steps it was trained with.
    """

    name = "recurrent"
    label = "Recurrent"
    color = "#029e73"
    iterative = True

    def __init__(self, task: Task, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.net = task.network(self.name, config)

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        return F.mse_loss(self.net(batch.x, self.config.steps)[-1], batch.y)

    @torch.no_grad()
    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        return _fixed_steps(batch, self.net(batch.x, steps), self.config.steps)


def halting_distribution(halt_prob: Tensor) -> Tensor:
    """PonderNet's halting distribution over steps from per-step halting probabilities.

    p_t = lambda_t * prod_{s<t} (1 - lambda_s) for t < T, and the last step takes the
    remaining mass, so every column sums to exactly 1.

    Args:
        halt_prob: (T, B) probability lambda_t of halting at step t given not halted before.

    Returns:
        (T, B) probability of halting exactly at each step.
    """
    survive = torch.cumprod(1 - halt_prob, dim=0)  # (T, B) P(not halted after step t)
    before = torch.cat([torch.ones_like(survive[:1]), survive[:-1]])  # P(reached step t)
    p = halt_prob * before
    return torch.cat([p[:-1], before[-1:]])  # the last step takes what is left


class Programmatic(Method):
    """PonderNet (Banino et al., 2021): a step network with a learned halting probability.

    Training minimises the expected loss under the halting distribution plus
    ``config.ponder_kl`` times KL(halting || geometric prior with mean ``config.steps``
    steps); at test time each problem's halting step is sampled from its distribution.
    """

    name = "programmatic"
    label = "Programmatic"
    color = "#d55e00"
    iterative = True

    def __init__(self, task: Task, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.step = task.network(self.name, config)

    def _unroll(self, batch: Batch, steps: int, generator: torch.Generator) -> tuple[list[Tensor], Tensor]:
        y = uniform_like(batch.y, generator)
        ys, logits = [y], []
        for _ in range(steps):
            y, logit = self.step(batch.x, y)
            ys.append(y)
            logits.append(logit)
        return ys, torch.sigmoid(torch.stack(logits))  # ys[0] is the start; (T, P) halting probabilities

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        n = self.config.steps
        ys, halt_prob = self._unroll(batch, n, generator)
        p = halting_distribution(halt_prob)
        per_step = torch.stack([batch.problem_mean((y - batch.y) ** 2) for y in ys[1:]])  # (N, P)
        expected = (p * per_step).sum(0).mean()
        prior = halting_distribution(torch.full((n, 1), 1.0 / n, device=p.device))  # (N, 1)
        kl = (p * (torch.log(p + 1e-10) - torch.log(prior))).sum(0).mean()
        return expected + self.config.ponder_kl * kl

    @torch.no_grad()
    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        ys, halt_prob = self._unroll(batch, steps, generator)
        # halting is sampled from the distribution the model was trained under: over its
        # first config.steps steps, the last taking the remaining mass; the steps beyond
        # are run only to draw the error-vs-steps curve
        p = halting_distribution(halt_prob[: min(steps, self.config.steps)])
        halt = torch.multinomial(p.T, 1, generator=generator).squeeze(1) + 1  # sampled step, 1-based
        traj = _fixed_steps(batch, ys[1:], steps, start=ys[0])
        traj.halt_step = halt
        return traj


def denoising_targets(y: Tensor, noise: Tensor, level: Tensor, steps: int) -> tuple[Tensor, Tensor]:
    """The iterative-denoising pair at noise level k: (input y_k, target y_{k+1}).

    y_k = a_k y + (1 - a_k) noise with a_k = k / steps, a linear schedule from pure noise
    (k = 0, the U(-1, 1) start of test-time reasoning) to the answer (k = steps).

    Args:
        y: (rows, D) answers.
        noise: (rows, D) the U(-1, 1) start the path leaves from.
        level: (rows,) noise level k of each row, integers in [0, steps).
        steps: number of levels (the reasoning steps N).
    """
    a = (level.float() / steps).unsqueeze(-1)
    a_next = ((level + 1).float() / steps).unsqueeze(-1)
    return a * y + (1 - a) * noise, a_next * y + (1 - a_next) * noise


class IterativeFeedforward(Method):
    """y <- y + f(x, y), trained to denoise (App. D): each step removes one noise level."""

    name = "iterative_feedforward"
    label = "Iterative FF"
    color = "#cc78bc"
    iterative = True

    def __init__(self, task: Task, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.net = task.network(self.name, config)

    def _step(self, x: Tensor, y: Tensor) -> Tensor:
        return y + self.net(x, y)

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        n = self.config.steps
        level = torch.randint(n, (len(batch),), generator=generator, device=batch.y.device)  # one per problem
        level = batch.to_rows(level)
        y_in, target = denoising_targets(batch.y, uniform_like(batch.y, generator), level, n)
        return F.mse_loss(self._step(batch.x, y_in), target)

    @torch.no_grad()
    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        y = y0 = uniform_like(batch.y, generator)
        ys = []
        for _ in range(steps):
            y = self._step(batch.x, y)
            ys.append(y)
        return _fixed_steps(batch, ys, self.config.steps, start=y0)


class IRED(Method):
    """IRED (Du, Mao and Tenenbaum, 2024): annealed energy landscapes learned by denoising and contrast.

    Training and the test-time descent through the landscapes are ``irem.ired``'s (``training_loss``,
    ``descend_landscapes``); the network is the task's ``E(x, y, k)``.
    """

    name = "ired"
    label = "IRED"
    color = "#de8f05"
    iterative = True

    def __init__(self, task: Task, config: TrainConfig) -> None:
        super().__init__(task, config)
        self.net = task.network(self.name, config)
        self.schedule = ired.Schedule.of(config.noise_schedule, config.landscapes)

    def _energy(self, batch: Batch) -> ired.LandscapeEnergy:
        """``E(x, y, k)`` on ``batch``'s problems: ``k`` one landscape for all (an int) or one per problem (P,)."""

        def energy(y: Tensor, k: Tensor | int) -> Tensor:
            if isinstance(k, int):
                k = torch.full((len(batch),), k, dtype=torch.long, device=y.device)
            return self.net(batch.x, y, k)

        return energy

    def loss(self, batch: Batch, generator: torch.Generator) -> Tensor:
        cfg = self.config
        return ired.training_loss(self._energy(batch), batch.y, len(batch), self.schedule, cfg.energy_weight,
                                  cfg.answer_clip, generator, batch.row_problem)  # fmt: skip

    def predict(self, batch: Batch, steps: int, generator: torch.Generator, options: EvalConfig) -> Trajectory:
        """Descend every landscape (``steps`` is IREM's; IRED's is ``options.landscape_steps`` per landscape)."""
        start = torch.randn(batch.y.shape, generator=generator, device=batch.y.device)
        return self.predict_from(batch, start, options)

    def predict_from(self, batch: Batch, y: Tensor, options: EvalConfig, start: int | None = None) -> Trajectory:
        """The descent from ``y`` (at landscape ``start``'s scale; default the smoothest landscape)."""
        path = ired.descend_landscapes(self._energy(batch), y, self.schedule, options.landscape_steps, start=start,
                                       denoise_first=options.denoise_first, reject=options.reject,
                                       clip=self.config.answer_clip * options.test_clip_scale,
                                       rows=batch.row_problem)  # fmt: skip
        last = torch.full((len(batch),), path.answers.shape[0] - 1, dtype=torch.long, device=y.device)
        return Trajectory(ys=path.answers, energies=None, halt_step=last)


METHODS: dict[str, type[Method]] = {}


def register_method(cls: type[Method]) -> type[Method]:
    """Add a method class to ``METHODS``; one without a name, a label or a colour is an error."""
    return register(METHODS, cls, ("label", "color"), "method")


for _cls in (IREM, Feedforward, Recurrent, Programmatic, IterativeFeedforward, IRED):
    register_method(_cls)


# the paper's method and its four baselines (App. D): the methods of the paper's experiments; IRED, its
# authors' follow-up, has a chapter of its own
PAPER_METHODS = ("irem", "feedforward", "recurrent", "programmatic", "iterative_feedforward")


def make_method(name: str, task: Task, config: TrainConfig) -> Method:
    """Build a method by name for ``task``."""
    check_choice("method", name, METHODS)
    return METHODS[name](task, config)


def method_label(name: str) -> str:
    """A method's name in the book (``"iterative_feedforward"`` -> ``"Iterative FF"``)."""
    check_choice("method", name, METHODS)
    return METHODS[name].label
