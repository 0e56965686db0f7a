"""Networks: the energy models and the baselines' networks (paper App. D)."""

from torch import nn

from irem.models.mlp import EnergyMLP, FeedforwardMLP, PonderStep, RecurrentNet


def parameter_count(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = ["EnergyMLP", "FeedforwardMLP", "PonderStep", "RecurrentNet", "parameter_count"]
