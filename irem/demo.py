"""A toy IREM small enough to train while the book builds: adding 2-D vectors.

With a 2-D answer the whole energy landscape E(x, .) can be drawn, with the path that
reasoning takes across it (the picture of the paper's Fig. 1). This is a demonstration of
the library's pieces, not an experiment: nothing here feeds a table.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from irem.config import EvalConfig, TrainConfig
from irem.methods import IREM
from irem.minimize import Trajectory
from irem.tasks.continuous import Addition
from irem.train import train


def train_toy(iterations: int = 1500, seed: int = 0, step_size: float = 10.0) -> tuple[IREM, Addition]:
    """IREM on the addition of two 2-D vectors (a few seconds on a CPU)."""
    task = Addition(size=2)
    config = TrainConfig(iterations=iterations, batch_size=64, hidden=64, lr=1e-3, step_size=step_size,
                         replay_capacity=2000, log_every=100)  # fmt: skip
    torch.manual_seed(seed)
    method = IREM(task, config)
    train(method, task, config, torch.Generator().manual_seed(seed), progress=False)
    return method, task


def reason(method: IREM, x: torch.Tensor, y: torch.Tensor, steps: int = 20, seed: int = 1) -> Trajectory:
    """Run test-time reasoning on one problem from a fixed random start."""
    from irem.tasks.continuous import Batch

    return method.predict(Batch(x, y), steps, torch.Generator().manual_seed(seed), EvalConfig())


@torch.no_grad()
def landscape_figure(method: IREM, x: torch.Tensor, y: torch.Tensor, traj: Trajectory, span: float = 2.5) -> Figure:
    """The energy E(x, y) over a grid of 2-D answers, the reasoning path, and the solution."""
    centre = y[0].numpy()
    g0 = np.linspace(centre[0] - span, centre[0] + span, 121)
    g1 = np.linspace(centre[1] - span, centre[1] + span, 121)
    grid = torch.tensor(np.stack(np.meshgrid(g0, g1), -1).reshape(-1, 2), dtype=torch.float32)
    energy = method.energy(x.expand(len(grid), -1), grid).reshape(len(g1), len(g0)).numpy()
    path = traj.ys[:, 0].numpy()
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    cs = ax.contourf(g0, g1, energy, levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="energy $E_\\theta(x, y)$")
    ax.plot(path[:, 0], path[:, 1], "w.-", lw=1.2, ms=5, label="reasoning steps")
    ax.plot(*path[0], "wo", ms=8, mfc="none", label="start $y^0$")
    ax.plot(*centre, "r*", ms=14, label="solution $a + b$")
    ax.set(xlabel="$y_1$", ylabel="$y_2$", title="Reasoning as energy minimisation")
    ax.legend(fontsize=10, loc="lower left")
    fig.tight_layout()
    return fig
