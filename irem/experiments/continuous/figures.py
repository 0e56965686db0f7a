"""The continuous chapter's figures, drawn from its records: Fig. 4 (one problem's error by element) and Fig. 5."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from irem.book.figures import FULL_WIDTH, legend_below, method_colors, panels, shown_in_book
from irem.curves import ENERGY_LANDSCAPE
from irem.experiments.continuous.experiment import EXAMPLE_ERROR
from irem.store import Record
from irem.tasks import make_task, task_label


@shown_in_book
def per_element_error(record: Record, side: int = 20) -> Figure:
    """Fig. 4: squared error of every element of one problem's answer across steps."""
    ex = record.curves[EXAMPLE_ERROR]
    errors = np.asarray(ex["sq_error"]).reshape(len(ex["steps"]), side, side)
    # a log scale: the error falls by orders of magnitude over the steps, and a linear one shows black
    vmax = float(errors.max()) or 1.0
    norm = LogNorm(vmin=vmax * 1e-6, vmax=vmax, clip=True)
    cols = 5  # two rows of panels: drawn for the page's width, where one row of nine would shrink to slivers
    rows = -(-len(ex["steps"]) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(FULL_WIDTH, 1.55 * rows), squeeze=False)
    for ax in axes.flat[len(ex["steps"]) :]:
        ax.remove()  # the second row's empty places
    shown = axes.flat[: len(ex["steps"])]
    for ax, step, err in zip(shown, ex["steps"], errors):
        im = ax.imshow(np.maximum(err, vmax * 1e-6), cmap="magma", norm=norm)
        ax.set_title(f"step {step}")
        ax.axis("off")
    fig.colorbar(im, ax=list(shown), fraction=0.03, pad=0.02, label="squared error (log)")
    return fig


@shown_in_book
def energy_landscape(records: Sequence[Record], split: str = "same") -> Figure:
    """Fig. 5: energy (relative to the solution's) against MSE distance from the solution.

    The dashed line is the bowl from which one reasoning step lands exactly on the solution,
    E(y) - E(y*) = |y - y*|^2 / (2 lambda) = D * MSE / (2 lambda) for answers of D entries:
    a learned energy close to it reaches the answer in few steps from anywhere.
    """
    recs = [r for r in records if ENERGY_LANDSCAPE in r.curves]
    axes = panels(len(recs), height=3.0)
    fig = axes[0].figure
    for ax, r in zip(axes, recs):
        data = r.curves[ENERGY_LANDSCAPE][split]
        ax.scatter(data["mse"], data["energy"], s=6, alpha=0.5, color=method_colors()["irem"], label="learned energy")
        lam = r.eval["test_step_size"] or r.train["step_size"]
        dim = make_task(r.task, **r.config["task_options"]).y_dim
        mse = np.geomspace(min(data["mse"]), max(data["mse"]), 50)
        ax.plot(mse, dim * mse / (2 * lam), "k--", lw=1, label="the one-step bowl D·MSE / (2λ)")
        ax.set(xscale="log", xlabel="MSE distance from the solution", ylabel="E(x, y) - E(x, y*)",
               title=f"{task_label(r.task)}, λ = {lam:g}")  # fmt: skip
        ax.grid(alpha=0.3)
    legend_below(fig, axes[0], ncol=2)
    return fig
