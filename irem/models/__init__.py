"""Networks: the energy models and the baselines' networks (paper App. D).

``build_network(role, task, config)`` is the one place that picks a network for a method: MLPs
for the continuous tasks (``irem.models.mlp``), graph networks for the graph tasks
(``irem.models.gnn``), convolutional networks for denoising (``irem.models.conv``).
"""

from __future__ import annotations

from torch import nn

from irem.config import TrainConfig
from irem.models.conv import DnCNN, EnergyConv
from irem.models.gnn import EnergyGNN, FeedforwardGNN, RecurrentGNN, StepGNN
from irem.models.mlp import EnergyMLP, FeedforwardMLP, PonderStep, RecurrentNet, StepMLP
from irem.tasks.graphs import GraphTask
from irem.tasks.images import Denoising

ROLES = ("energy", "feedforward", "recurrent", "ponder", "iterative")
CONV_LAYERS = 6  # depth of the denoising networks (our choice; width is config.hidden)


def build_network(role: str, task, config: TrainConfig) -> nn.Module:
    """The network a method in ``role`` uses on ``task`` (one of ``ROLES``)."""
    h = config.hidden
    if isinstance(task, Denoising):
        image = {"energy": lambda: EnergyConv(h, CONV_LAYERS), "feedforward": lambda: DnCNN(h, CONV_LAYERS)}
        if role not in image:
            raise ValueError("denoising: only the methods irem (energy) and feedforward (DnCNN) have image networks")
        return image[role]()
    if isinstance(task, GraphTask):
        graph = {
            "energy": lambda: EnergyGNN(config.scratchpad, h),
            "feedforward": lambda: FeedforwardGNN(h),
            "recurrent": lambda: RecurrentGNN(h),
            "ponder": lambda: StepGNN(h, halting=True),
            "iterative": lambda: StepGNN(h),
        }
        return graph[role]()
    x, y = task.x_dim, task.y_dim
    continuous = {
        "energy": lambda: EnergyMLP(x, y, config.scratchpad, h),
        "feedforward": lambda: FeedforwardMLP(x, y, h),
        "recurrent": lambda: RecurrentNet(x, y),  # App. D: LSTM 196, whatever the MLP width
        "ponder": lambda: PonderStep(x, y, h),
        "iterative": lambda: StepMLP(x, y, h),
    }
    return continuous[role]()


def parameter_count(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = [
    "DnCNN", "EnergyConv", "EnergyGNN", "EnergyMLP", "FeedforwardGNN", "FeedforwardMLP", "PonderStep",
    "RecurrentGNN", "RecurrentNet", "StepGNN", "StepMLP", "ROLES", "build_network", "parameter_count",
]  # fmt: skip
