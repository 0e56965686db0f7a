"""Networks: the energy models and the baselines' networks (paper App. D).

MLPs for vectors (``irem.models.mlp``), graph networks (``irem.models.gnn``) and
convolutional networks for images (``irem.models.conv``). Which network a method uses on a
task is the task's choice (``Task.network``), so this package knows nothing of tasks.
"""

from __future__ import annotations

from torch import nn

from irem.models.conv import DnCNN, EnergyConv
from irem.models.gnn import EnergyGNN, FeedforwardGNN, RecurrentGNN, StepGNN
from irem.models.mlp import EnergyMLP, FeedforwardMLP, PonderStep, RecurrentNet, StepMLP


def parameter_count(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = [
    "DnCNN", "EnergyConv", "EnergyGNN", "EnergyMLP", "FeedforwardGNN", "FeedforwardMLP", "PonderStep",
    "RecurrentGNN", "RecurrentNet", "StepGNN", "StepMLP", "parameter_count",
]  # fmt: skip
