"""Networks: the energy models and the baselines' networks (paper App. D).

MLPs for vectors (``irem.models.mlp``), graph networks (``irem.models.gnn``) and
convolutional networks for images (``irem.models.conv``). Which network a method uses on a
task is the task's choice (``Task.network``), so this package knows nothing of tasks.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from irem.models.conv import DnCNN, EnergyConv
from irem.models.gnn import EnergyGNN, FeedforwardGNN, RecurrentGNN, StepGNN
from irem.models.mlp import EnergyMLP, FeedforwardMLP, PonderStep, RecurrentNet, StepMLP


def bound_energy(energy: nn.Module, x) -> Callable[[Tensor, Tensor | None], Tensor]:
    """``E(x, .)``: the energy network's energy of candidates ``(y, z)`` on the fixed problems ``x``.

    It is the network's ``bind(x)`` when it has one: work that depends on ``x`` only is then done
    once per descent, not once per step.
    """
    bind = getattr(energy, "bind", None)
    return bind(x) if bind is not None else (lambda y, z: energy(x, y, z))


def parameter_count(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = [
    "DnCNN", "EnergyConv", "EnergyGNN", "EnergyMLP", "FeedforwardGNN", "FeedforwardMLP", "PonderStep",
    "RecurrentGNN", "RecurrentNet", "StepGNN", "StepMLP", "bound_energy", "parameter_count",
]  # fmt: skip
