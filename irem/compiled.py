"""IREM's training step (``TrainConfig.compiled``) and test-time steps (``EvalConfig.compiled_eval``), compiled.

Eagerly, a training step at the paper's settings runs every reasoning step as a few hundred
separate operators, each a full pass over tensors of one row per edge (graphs) or per problem:
on a CPU the step is bound by those passes and by dispatch, not by arithmetic. A compiler fuses
them, but ``torch.compile`` cannot trace the eager step: its last reasoning step is
``autograd.grad(create_graph=True)``, differentiated again by the loss's backward, and
aot_autograd has no double backward.

Written with ``torch.func`` instead, the same computation is a function of the parameters that
``torch.compile`` traces whole: each reasoning step's gradient in the answer is
``torch.func.grad`` of the energy, and the parameters' gradient is ``torch.func.grad`` of the
loss. As in ``minimize.descend``, only the last step is differentiated when ``truncate`` is on
(the other steps run under ``no_grad``, which the outer ``grad`` respects and the inner one
does not). Shapes are dynamic, so graph batches of any size reuse one compiled function.

The results equal the eager path's to float rounding (the compiler reorders sums):
``tests/test_compiled.py`` compares the loss, the answer and every parameter's gradient. The
first step compiles (about a minute on one CPU core; inductor caches the code on disk, so later
processes take less); the training loop sees an ordinary loss whose ``backward()`` hands each
parameter the gradient computed with it.

At test time only the candidates' gradient is needed, which ``torch.compile`` traces directly
(:class:`CompiledGradient`); ``minimize.predict`` takes it in place of autograd. Where a descent
does not settle (graphs larger than in training), the rounding differences grow from step to step,
so errors there match the eager ones only approximately (``benchmarks/compiled_eval.py``).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad

from irem.minimize import EnergyFn, step_from
from irem.models import bound_energy

# iterations that compile: the first batch (no replay yet), then the first with replayed problems (twice the
# rows, past a size the first compilation guarded); later batches of any size reuse the second
WARMUP = 3


class GraphInputs(NamedTuple):
    """The fields of a torch-geometric batch that the graph energies read (a form ``torch.compile`` traces)."""

    x: Tensor
    edge_index: Tensor
    edge_attr: Tensor
    batch: Tensor
    num_graphs: int


def traceable(x: Any) -> Any:
    """Problem inputs in a form ``torch.compile`` traces: a graph batch as :class:`GraphInputs`, tensors as they are."""
    if hasattr(x, "edge_index"):
        return GraphInputs(x.x, x.edge_index, x.edge_attr, x.batch, x.num_graphs)
    return x


def check_compiler(device: torch.device) -> None:
    """Raise a ``ValueError`` when ``torch.compile`` has no C++ compiler to build CPU code with."""
    if device.type == "cpu" and not any(shutil.which(cc) for cc in ("g++", "c++", "clang++")):
        raise ValueError("compiled=True on a CPU needs a C++ compiler (g++) for torch.compile; install one "
                         "(e.g. apt install g++) or set compiled=false")  # fmt: skip


def func_descend(
    energy: EnergyFn, y: Tensor, z: Tensor | None, steps: int, step_size: float, truncate: bool
) -> tuple[Tensor, Tensor | None]:
    """``minimize.descend`` with ``torch.func``: ``steps`` gradient steps on (y, z), traceable by ``torch.compile``."""

    def total(yy: Tensor, zz: Tensor | None) -> Tensor:
        return energy(yy, zz).sum()

    step_grad = grad(total, argnums=(0,) if z is None else (0, 1))
    for i in range(steps):
        tracked = not truncate or i == steps - 1
        with contextlib.nullcontext() if tracked else torch.no_grad():
            grads = step_grad(y, z)
        y, z = step_from(y, z, grads, step_size)
    return y, z


class _Loss(nn.Module):
    """The IREM loss of an energy network as a module, so that ``functional_call`` can swap its parameters."""

    def __init__(self, energy: nn.Module) -> None:
        super().__init__()
        self.energy = energy

    def forward(self, x, y0, z0, target, steps: int, step_size: float, truncate: bool):
        y, z = func_descend(bound_energy(self.energy, x), y0, z0, steps, step_size, truncate)
        return torch.nn.functional.mse_loss(y, target), y, z


def _loss_and_grads(module: _Loss, params: dict[str, Tensor], x, y0, z0, target, steps, step_size, truncate):
    def loss_of(p: dict[str, Tensor]):
        loss, y, z = functional_call(module, p, (x, y0, z0, target, steps, step_size, truncate))
        answers = (y,) if z is None else (y, z)  # grad's auxiliary outputs must all be tensors
        return loss, (loss, *(a.detach() for a in answers))

    grads, (loss, y, *z) = grad(loss_of, has_aux=True)(params)
    return loss.detach(), grads, y, z[0] if z else None


class _WithGrads(torch.autograd.Function):
    """The loss as a node of autograd whose backward hands each parameter its precomputed gradient."""

    @staticmethod
    def forward(ctx, loss: Tensor, grads: tuple[Tensor, ...], *params: Tensor) -> Tensor:
        ctx.grads = grads
        return loss.clone()

    @staticmethod
    def backward(ctx, out: Tensor):
        return (None, None, *(out * g for g in ctx.grads))


class CompiledLoss:
    """IREM's training loss on ``energy``, computed with its gradients by one compiled function.

    ``loss(x, y0, z0, target)`` returns ``(loss, y_N, z_N)`` as the eager path does
    (``minimize.descend`` then the MSE): ``loss.backward()`` accumulates every parameter's
    gradient, and the answers are detached (the replay buffer stores them).
    """

    def __init__(self, energy: nn.Module, steps: int, step_size: float, truncate: bool) -> None:
        check_compiler(next(energy.parameters()).device)
        self.module = _Loss(energy)
        self.steps, self.step_size, self.truncate = steps, step_size, truncate
        self.compiled: Callable = torch.compile(_loss_and_grads, dynamic=True)

    def __call__(self, x: Any, y0: Tensor, z0: Tensor | None, target: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        names, params = zip(*self.module.named_parameters())
        detached = {n: p.detach() for n, p in zip(names, params)}
        loss, grads, y, z = self.compiled(self.module, detached, traceable(x), y0.detach(),
                                          None if z0 is None else z0.detach(), target, self.steps,
                                          self.step_size, self.truncate)  # fmt: skip
        return _WithGrads.apply(loss, tuple(grads[n] for n in names), *params), y, z


def _energy_and_grads(energy: nn.Module, x, y: Tensor, z: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...]]:
    fn = bound_energy(energy, x)

    def total(yy: Tensor, zz: Tensor | None) -> tuple[Tensor, Tensor]:
        e = fn(yy, zz)
        return e.sum(), e

    grads, e = grad(total, argnums=(0,) if z is None else (0, 1), has_aux=True)(y, z)
    return e, grads


class CompiledGradient:
    """Energies of candidates and their gradients in (y, z) from one compiled function (``EvalConfig.compiled_eval``).

    ``gradient(x, y, z)`` returns ``(E (P,), (dE/dy[, dE/dz]))`` for the problems ``x``, as
    ``minimize.predict`` takes them; it runs under ``no_grad`` (evaluation trains nothing), so only
    the gradient in the candidates is traced. Shapes are dynamic: graph batches of every size and
    the last, smaller batch of a split reuse the compiled code.
    """

    def __init__(self, energy: nn.Module) -> None:
        check_compiler(next(energy.parameters()).device)
        self.energy = energy
        self.compiled: Callable = torch.compile(_energy_and_grads, dynamic=True)

    def __call__(self, x: Any, y: Tensor, z: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...]]:
        with torch.no_grad():
            return self.compiled(self.energy, traceable(x), y, z)
