r"""The reasoning loop: energy minimisation by gradient descent (paper Eq. 3, Alg. 1-3).

One reasoning step moves the candidate answer down the energy landscape,

.. math::
    y^{t+1} = y^t - \lambda \nabla_y E_\theta(x, y^t),

and, with a scratchpad (App. B, Alg. 3), the scratchpad ``z`` takes the same step on the
same energy, :math:`z^{t+1} = z^t - \lambda \nabla_z E_\theta(x, y^t, z^t)`.

``descend`` is the training form: ``steps`` steps of which only the last keeps its graph
when ``truncate`` is on (the paper's truncated backpropagation), so memory does not grow
with the number of steps. ``predict`` is the test form (Alg. 2): it runs without a graph,
records every step, and marks for each problem the step at which its energy stopped
decreasing (halting).

The energy is passed as a function of the candidate only, ``energy(y, z) -> (P,)`` energies
of ``P`` problems, with the problem inputs ``x`` captured by the caller. The candidate ``y``
may have more rows than problems (graphs: one row per edge); the loop never needs to know.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from irem.validate import check_non_negative, check_positive

EnergyFn = Callable[[Tensor, Tensor | None], Tensor]
GradientFn = Callable[[Tensor, Tensor | None], tuple[Tensor, tuple[Tensor, ...]]]  # (y, z) -> (E, grads in y[, z])


def step_from(y: Tensor, z: Tensor | None, grads: Sequence[Tensor], step_size: float) -> tuple[Tensor, Tensor | None]:
    """(y, z) moved one gradient step: ``y - step_size * dE/dy``, and the same for the scratchpad ``z``."""
    return y - step_size * grads[0], None if z is None else z - step_size * grads[1]


def _energy_and_grads(
    energy: EnergyFn, y: Tensor, z: Tensor | None, create_graph: bool
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """The energies (P,) at (y, z) and their sum's gradient in y (and z), by autograd."""
    e = energy(y, z)
    return e, torch.autograd.grad(e.sum(), (y,) if z is None else (y, z), create_graph=create_graph)


def _step(
    energy: EnergyFn, y: Tensor, z: Tensor | None, step_size: float, create_graph: bool
) -> tuple[Tensor, Tensor | None, Tensor]:
    """One gradient step on (y, z); returns the new (y, z) and the energies at the old."""
    e, grads = _energy_and_grads(energy, y, z, create_graph)
    return *step_from(y, z, grads, step_size), e


def descend(
    energy: EnergyFn,
    y: Tensor,
    steps: int,
    step_size: float,
    *,
    z: Tensor | None = None,
    truncate: bool = True,
) -> tuple[Tensor, Tensor | None, Tensor]:
    """Training-time descent (Alg. 1): ``steps`` gradient steps from ``y`` (and ``z``).

    Args:
        energy: ``energy(y, z) -> (P,)``.
        y: the starting candidate; it is treated as a constant (no gradient flows into it).
        steps: number of gradient steps N.
        step_size: lambda.
        z: optional scratchpad, descended jointly with ``y``.
        truncate: keep the graph of the last step only (the paper's default); ``False``
            differentiates through all N steps.

    Returns:
        ``(y_N, z_N, energies)`` where ``y_N`` carries the graph for the loss and
        ``energies`` is a detached (steps, P) tensor of the energy before each step.
    """
    check_positive("steps", steps, integer=True)
    check_positive("step_size", step_size)
    y = y.detach().requires_grad_(True)
    z = None if z is None else z.detach().requires_grad_(True)
    energies = []
    for i in range(steps):
        keep_graph = not truncate or i == steps - 1
        y, z, e = _step(energy, y, z, step_size, create_graph=keep_graph)
        energies.append(e.detach())
        if not keep_graph:  # cut the graph: the next step starts from a constant
            y = y.detach().requires_grad_(True)
            z = None if z is None else z.detach().requires_grad_(True)
    return y, z, torch.stack(energies)


@dataclass
class Trajectory:
    """What a method did at test time, step by step.

    Attributes:
        ys: (S+1, *y.shape) candidate after each step; ``ys[0]`` is the initial guess.
        energies: (S+1, P) energy of each problem at each candidate, or ``None`` for
            methods without an energy.
        halt_step: (P,) the step each problem halted at (for methods without halting,
            the last step).
        zs: (S+1, *z.shape) scratchpad after each step, when there is one.
    """

    ys: Tensor
    energies: Tensor | None
    halt_step: Tensor
    zs: Tensor | None = None

    @property
    def steps(self) -> int:
        return self.ys.shape[0] - 1

    def at_halt(self, row_problem: Tensor | None = None) -> Tensor:
        """The prediction each problem halted with (rows of ``y`` gathered per problem).

        Args:
            row_problem: (rows,) problem index of each row of ``y``; ``None`` when row i is
                problem i.
        """
        step = self.halt_step if row_problem is None else self.halt_step[row_problem]
        index = step.view(1, -1, *([1] * (self.ys.dim() - 2))).expand(1, *self.ys.shape[1:])
        return self.ys.gather(0, index)[0]


def halting_steps(energies: Tensor, tol: float, patience: int) -> Tensor:
    """The step at which each problem reached its energy minimum (Alg. 2's stopping rule).

    A problem halts once its energy has failed to decrease by more than ``tol`` times the
    descent made so far (E_0 - E_t), for ``patience`` consecutive steps; its answer is then
    the lowest-energy candidate seen up to that point. The rule is relative, so it does
    not depend on the arbitrary scale of a learned energy. Problems that never halt use
    their lowest-energy step overall.

    Args:
        energies: (S+1, P) energy of each problem at each step.
        tol: relative tolerance, >= 0.
        patience: consecutive non-decreasing steps required, > 0.

    Returns:
        (P,) long tensor of the chosen step per problem.
    """
    check_non_negative("halt_tol", tol)
    check_positive("halt_patience", patience, integer=True)
    s1, p = energies.shape
    drop = energies[:-1] - energies[1:]  # (S, P) decrease made by step t+1
    descent = (energies[:1] - energies[1:]).clamp_min(0)  # (S, P) total descent so far
    stalled = drop <= tol * descent
    # run[t] = number of consecutive stalled steps ending at step t+1
    run = torch.zeros_like(stalled, dtype=torch.long)
    count = torch.zeros(p, dtype=torch.long, device=energies.device)
    for t in range(s1 - 1):
        count = (count + 1) * stalled[t]
        run[t] = count
    halted = run >= patience
    any_halt = halted.any(0)
    stop = torch.where(any_halt, halted.float().argmax(0) + 1, torch.full_like(count, s1 - 1))
    # the lowest-energy candidate among steps 0..stop
    steps = torch.arange(s1, device=energies.device).unsqueeze(1)
    masked = energies.masked_fill(steps > stop, float("inf"))
    return masked.argmin(0)


def predict(
    energy: EnergyFn,
    y: Tensor,
    steps: int,
    step_size: float,
    *,
    z: Tensor | None = None,
    halt_tol: float = 1e-3,
    halt_patience: int = 3,
    gradient: GradientFn | None = None,
) -> Trajectory:
    """Test-time descent (Alg. 2): ``steps`` steps, all recorded, with per-problem halting.

    Every step is run for every problem so that error-vs-steps curves come from one pass;
    since a halted problem's answer is read at its own halting step, the result equals
    stopping each problem there. ``gradient(y, z) -> (energies, (dE/dy[, dE/dz]))``, when given,
    replaces autograd for the steps (``irem.compiled.CompiledGradient``); ``energy`` still gives
    the final candidate's energy.
    """
    check_non_negative("steps", steps, integer=True)
    check_positive("step_size", step_size)
    if gradient is None:  # autograd, on leaves cut from the previous step

        def gradient(yy: Tensor, zz: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...]]:
            leaves = yy.detach().requires_grad_(True), None if zz is None else zz.detach().requires_grad_(True)
            return _energy_and_grads(energy, *leaves, create_graph=False)

    ys, zs, energies = [y.detach()], [] if z is None else [z.detach()], []
    with torch.enable_grad():
        for _ in range(steps):
            e, grads = gradient(y, z)
            y, z = step_from(y, z, grads, step_size)
            y, z = y.detach(), None if z is None else z.detach()
            ys.append(y)
            energies.append(e.detach())
            if z is not None:
                zs.append(z)
    with torch.no_grad():
        energies.append(energy(y, z).detach())  # energy of the final candidate
    energies_t = torch.stack(energies)
    return Trajectory(
        ys=torch.stack(ys),
        energies=energies_t,
        halt_step=halting_steps(energies_t, halt_tol, halt_patience),
        zs=torch.stack(zs) if zs else None,
    )
