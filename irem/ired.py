r"""IRED's annealed energy landscapes (Du, Mao and Tenenbaum, ICML 2024): the schedule and the descent.

IRED learns one energy per noise level k = 0 (sharpest) ... K-1 (smoothest), :math:`E_\theta(x, y, k)`,
whose gradient in y predicts the noise in a noised answer

.. math::
    y_k = \sqrt{\bar\alpha_k}\, y + \sqrt{1 - \bar\alpha_k}\, \epsilon, \qquad
    \nabla_y E_\theta(x, y_k, k) \approx \epsilon,

and answers by descending the landscapes in turn, smoothest first, each for a few gradient steps of
which only those that lower the energy are kept. The answer is carried between landscapes at the
scale :math:`\sqrt{\bar\alpha_k}` of each (``y_k / sqrt(abar_k)`` is the answer estimate).

This module holds what does not depend on the network: the noise schedule (``Schedule``), the
training loss (``training_loss``) and the test-time descent through the landscapes
(``descend_landscapes``). The method behind ``loss`` / ``predict`` is ``irem.methods.IRED``; its
networks are the tasks' (``LandscapeEnergyMLP``, ``LandscapeEnergyGNN``). One landscape instead of
the sequence is an explicit schedule of one level (``noise_schedule="0.2"``, ``landscapes=1``): the
cosine schedule's only level at K = 1 is almost pure noise. Where the paper is silent we follow the
authors' release (``yilundu/ired_code_release``); the choices it makes that the paper does not state
are options, named where they are read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from irem.config import REJECT_RULES, check_noise_schedule
from irem.validate import check_choice, check_positive

NEGATIVE_NOISE = 3.0  # the release: a negative starts from the answer noised 3x as much as the positive ...
NEGATIVE_STEPS = 2  # ... and is sharpened by 2 of the model's own steps

# (y, k) -> (P,) energies of the problems at candidates y on landscape k, an int (one for all) or one per
# problem (P,) (the problems' x captured)
LandscapeEnergy = Callable[[Tensor, Tensor | int], Tensor]


def noise_levels(schedule: str, landscapes: int) -> tuple[float, ...]:
    r"""The noise level :math:`\sqrt{1 - \bar\alpha_k}` of each landscape k = 0 .. K-1, increasing.

    ``schedule`` is ``"cosine"`` (the release's default, Nichol and Dhariwal 2021), ``"linear"`` (betas
    linear in k, as in DDPM, rescaled to K steps) or ``landscapes`` comma-separated levels, each in
    (0, 1) and increasing.

    Raises:
        ValueError: ``landscapes`` is not a positive integer, the schedule is not one of those, or
            explicit levels are not ``landscapes`` increasing numbers in (0, 1).
    """
    check_positive("landscapes", landscapes, integer=True)
    if schedule == "cosine":
        steps = torch.arange(landscapes + 1, dtype=torch.float64) / landscapes
        abar = torch.cos((steps + 0.008) / 1.008 * math.pi / 2) ** 2
        abar = abar / abar[0]
        betas = (1 - abar[1:] / abar[:-1]).clamp(0, 0.999)
    elif schedule == "linear":
        scale = 1000 / landscapes
        betas = torch.linspace(scale * 1e-4, min(scale * 0.02, 0.999), landscapes, dtype=torch.float64)
    else:
        return check_noise_schedule(schedule, landscapes)
    abar = torch.cumprod(1 - betas, 0)
    return tuple(float(v) for v in (1 - abar).sqrt())


@dataclass(frozen=True)
class Schedule:
    r"""The landscapes' noise: :math:`\bar\alpha_k` and the release's step size on each.

    Attributes:
        sigma: (K,) the noise level :math:`\sqrt{1 - \bar\alpha_k}` of landscape k.
        scale: (K,) the scale :math:`\sqrt{\bar\alpha_k}` of the answer on landscape k.
        step_size: (K,) the gradient step on landscape k, :math:`\beta_k / \sqrt{1 - \bar\alpha_k}`
            (the release's, the DDPM posterior's step on the noise prediction).
    """

    sigma: tuple[float, ...]
    scale: tuple[float, ...]
    step_size: tuple[float, ...]

    @classmethod
    def of(cls, schedule: str, landscapes: int) -> Schedule:
        sigma = noise_levels(schedule, landscapes)
        abar = [1 - s * s for s in sigma]
        betas = [1 - abar[0]] + [1 - a / b for a, b in zip(abar[1:], abar[:-1])]
        return cls(sigma, tuple(math.sqrt(a) for a in abar), tuple(b / s for b, s in zip(betas, sigma)))

    @property
    def landscapes(self) -> int:
        return len(self.sigma)

    def noised(self, y: Tensor, k: Tensor, noise: Tensor, rows: Tensor | None = None) -> Tensor:
        """``y`` noised to landscape ``k`` (per problem) with ``noise``: sqrt(abar_k) y + sqrt(1 - abar_k) noise.

        ``rows`` maps each row of ``y`` to its problem (graphs: one row per edge); None when row i is problem i.
        """
        return self.per_row(self.scale, k, y, rows) * y + self.per_row(self.sigma, k, y, rows) * noise

    @staticmethod
    def per_row(values: tuple[float, ...], k: Tensor, like: Tensor, rows: Tensor | None = None) -> Tensor:
        """``values[k]`` of each row's problem, (rows, 1), in ``like``'s dtype and on its device."""
        return _table(values, like.dtype, like.device)[k if rows is None else k[rows]].unsqueeze(-1)


@functools.cache
def _table(values: tuple[float, ...], dtype: torch.dtype, device: torch.device) -> Tensor:
    """A schedule's column as a tensor: built once per device, not at every training step."""
    return torch.tensor(values, dtype=dtype, device=device)


@dataclass
class LandscapePath:
    """A descent through the landscapes: the answer estimate after every step, and the steps kept.

    Attributes:
        answers: (S+1, *y.shape) the answer estimate y_k / sqrt(abar_k) before the first step and
            after each step (denoising projections and gradient steps), smoothest landscape first.
        landscape: (S,) the landscape each step was taken on.
        kept: (S,) the fraction of problems whose gradient step was kept (1 for projections).
    """

    answers: Tensor
    landscape: list[int]
    kept: list[float]


def gradient_of(energy: Callable[..., Tensor], y: Tensor, *args) -> tuple[Tensor, Tensor]:
    """The energies (P,) at ``y`` (``energy(y, *args)``) and their sum's gradient in ``y`` (no graph kept)."""
    with torch.enable_grad():
        leaf = y.detach().requires_grad_(True)
        e = energy(leaf, *args)
        (grad,) = torch.autograd.grad(e.sum(), (leaf,))
    return e.detach(), grad


def descend_landscapes(
    energy: LandscapeEnergy,
    y: Tensor,
    schedule: Schedule,
    steps_per_landscape: int,
    *,
    start: int | None = None,
    denoise_first: bool = True,
    reject: str = "energy",
    clip: float = 2.0,
    rows: Tensor | None = None,
) -> LandscapePath:
    r"""Test-time inference: descend landscapes ``start`` (default the smoothest, K-1) down to 0.

    On each landscape k, with :math:`a_k = \sqrt{\bar\alpha_k}`:

    1. with ``denoise_first`` (the release, not in the paper), one projection onto the answer the
       noise prediction implies: :math:`y \leftarrow a_k\, \mathrm{clip}((y - \sigma_k \nabla_y E) / a_k)`,
       never rejected;
    2. ``steps_per_landscape`` gradient steps :math:`y \leftarrow y - \eta_k \nabla_y E(x, y, k)`, each
       clipped to :math:`\pm a_k\,` ``clip``; with ``reject="energy"`` a problem keeps a step only where
       its energy did not rise;
    3. the answer carried to the next landscape's scale, :math:`y \leftarrow a_{k-1} y / a_k`
       (deterministically, as the release does: no fresh noise).

    Args:
        energy: ``energy(y, k) -> (P,)``.
        y: the start, at landscape ``start``'s scale (from N(0, I), or a noised answer).
        schedule: the landscapes' noise.
        steps_per_landscape: gradient steps on each landscape, >= 1.
        start: the landscape to start on (default the smoothest).
        denoise_first: take the projection step 1 on each landscape.
        reject: ``"energy"`` or ``"none"`` (``REJECT_RULES``).
        clip: bound on the answer's entries (0: none); the release's 2 for continuous answers.
        rows: the problem of each row of ``y`` (graphs: one row per edge); None when row i is problem i.

    Returns:
        The path; ``answers[-1]`` is the answer.
    """
    check_positive("steps_per_landscape", steps_per_landscape, integer=True)
    check_choice("reject", reject, REJECT_RULES)
    start = schedule.landscapes - 1 if start is None else start
    if not 0 <= start < schedule.landscapes:
        raise ValueError(f"start: a landscape in 0 .. {schedule.landscapes - 1}, got {start}")

    def bound(v: Tensor, limit: float) -> Tensor:
        return v.clamp(-limit, limit) if clip > 0 else v

    y = y.detach()
    answers, landscape, kept = [bound(y / schedule.scale[start], clip)], [], []
    for k in range(start, -1, -1):
        a, sigma, eta = schedule.scale[k], schedule.sigma[k], schedule.step_size[k]
        if denoise_first:
            _, grad = gradient_of(energy, y, k)
            y = a * bound((y - sigma * grad) / a, clip)
            answers.append(y / a)
            landscape.append(k)
            kept.append(torch.ones((), device=y.device))
        for _ in range(steps_per_landscape):
            y, rose = rejected_step(energy, y, eta, a * clip if clip > 0 else None, reject, rows, k)
            answers.append(y / a)
            landscape.append(k)
            kept.append(torch.ones((), device=y.device) if rose is None else 1 - rose.float().mean())
        if k > 0:
            y = y * (schedule.scale[k - 1] / a)
    return LandscapePath(torch.stack(answers), landscape, torch.stack(kept).tolist())  # one sync, at the end


def sharpen(energy: Callable[[Tensor], Tensor], y: Tensor, k: Tensor, schedule: Schedule, steps: int, clip: float,
            rows: Tensor | None = None) -> Tensor:  # fmt: skip
    """``steps`` rejected gradient steps on each problem's own landscape ``k`` (P,), without a graph.

    The release's mining of a negative: a hard negative is where the model's own descent takes an
    over-noised answer. ``energy(y) -> (P,)`` has each problem's landscape bound; steps as in
    :func:`descend_landscapes` (each clipped to its landscape's scale, kept where the energy did not rise).
    """
    eta = schedule.per_row(schedule.step_size, k, y, rows)
    limit = schedule.per_row(schedule.scale, k, y, rows) * clip if clip > 0 else None
    y = y.detach()
    for _ in range(steps):
        y, _ = rejected_step(energy, y, eta, limit, "energy", rows)
    return y


def rejected_step(energy: Callable[..., Tensor], y: Tensor, eta: float | Tensor, limit: float | Tensor | None,
                  reject: str, rows: Tensor | None = None, *args) -> tuple[Tensor, Tensor | None]:  # fmt: skip
    """One gradient step ``y - eta * dE/dy`` (``energy(y, *args) -> (P,)``), bounded by ``±limit`` (None: no bound).

    With ``reject="energy"`` a problem keeps its step only where its energy did not rise. ``eta`` and
    ``limit`` are numbers or per-row (rows, 1) tensors. Returns the new ``y`` (no graph) and which
    problems' steps were rejected (P,), None without rejection.
    """
    e, grad = gradient_of(energy, y, *args)
    moved = y - eta * grad
    if limit is not None:
        moved = moved.clamp(-limit, limit)
    if reject == "none":
        return moved.detach(), None
    with torch.no_grad():
        rose = energy(moved, *args) > e
    per_row = rose if rows is None else rose[rows]
    return torch.where(per_row.view(-1, *([1] * (y.dim() - 1))), y, moved).detach(), rose


def hard_negative(energy: Callable[[Tensor], Tensor], answer: Tensor, k: Tensor, noise: Tensor, schedule: Schedule,
                  clip: float, rows: Tensor | None = None) -> Tensor:  # fmt: skip
    """The release's negative for the contrastive term, on each problem's landscape ``k`` (P,).

    The answer noised ``NEGATIVE_NOISE`` times as much as the positive, sharpened by ``NEGATIVE_STEPS``
    of the model's own steps (:func:`sharpen`), read back as an answer (bounded by ``clip``), and noised
    with the positive's ``noise``: only the answer underneath differs from the positive.
    """
    start = schedule.noised(answer, k, NEGATIVE_NOISE * noise, rows)
    sharp = sharpen(energy, start, k, schedule, NEGATIVE_STEPS, clip, rows)
    estimate = sharp / schedule.per_row(schedule.scale, k, sharp, rows)
    if clip > 0:
        estimate = estimate.clamp(-clip, clip)
    return schedule.noised(estimate, k, noise, rows)


def training_loss(energy: LandscapeEnergy, answer: Tensor, problems: int, schedule: Schedule, energy_weight: float,
                  clip: float, generator: torch.Generator, rows: Tensor | None = None) -> Tensor:  # fmt: skip
    """IRED's loss on one batch: denoising supervision on a random landscape per problem, and the contrastive term.

    Each problem's ``answer`` is noised to a landscape k drawn uniformly, and the energy's gradient there
    regresses the noise; with ``energy_weight`` > 0, the energy of a (freshly) noised answer is also pushed
    below that of a :func:`hard_negative`: the softmax cross-entropy over (-E_pos, -E_neg) with the
    positive as the class, i.e. softplus(E_pos - E_neg), as in the release.
    """
    device = answer.device
    k = torch.randint(schedule.landscapes, (problems,), generator=generator, device=device)
    noise = torch.randn(answer.shape, generator=generator, device=device)
    noised = schedule.noised(answer, k, noise, rows).requires_grad_(True)
    (predicted,) = torch.autograd.grad(energy(noised, k).sum(), (noised,), create_graph=True)
    loss = torch.nn.functional.mse_loss(predicted, noise)
    if energy_weight > 0:
        noise = torch.randn(answer.shape, generator=generator, device=device)
        positive = schedule.noised(answer, k, noise, rows)
        negative = hard_negative(lambda y: energy(y, k), answer, k, noise, schedule, clip, rows)
        loss = loss + energy_weight * torch.nn.functional.softplus(energy(positive, k) - energy(negative, k)).mean()
    return loss
