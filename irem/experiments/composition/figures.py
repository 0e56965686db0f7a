"""The composition chapter's figures, drawn from its records: Fig. 6 (one worked example) and Fig. 7."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from irem.book.figures import FULL_WIDTH, band, legend_below, method_colors, shown_in_book
from irem.book.stats import group
from irem.experiments.composition.experiment import COMPOSITION_MSE, EXAMPLE
from irem.methods import method_label
from irem.store import Record


@shown_in_book
def composition_error(records: Sequence[Record]) -> Figure:
    """Fig. 7: MSE after k nested additions, per method (median over seeds, shaded from the lowest to the highest)."""
    colors = method_colors()
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for (_, method), recs in group(records).items():
        band(ax, recs, (COMPOSITION_MSE,), start=1, color=colors[method], marker=".", label=method_label(method))
    ax.set(yscale="log", xlabel="composed addition operations", ylabel="test MSE")
    ax.grid(alpha=0.3)
    legend_below(fig, ax, ncol=3)
    return fig


@shown_in_book
def composition_example(record: Record) -> Figure:
    """Fig. 6: four 3x3 corners summed by three nested additions; prediction and truth."""
    ex = record.curves[EXAMPLE]
    panels = [*ex["inputs"], ex["prediction"], ex["truth"]]
    titles = ["$v_0$", "$+\\ v_1$", "$+\\ v_2$", "$+\\ v_3$", f"= {method_label(record.method)}", "truth"]
    # two rows of three: each 3x3 grid large enough for its values to read at the page's width
    fig, axes = plt.subplots(2, 3, figsize=(FULL_WIDTH, 5.0))
    for ax, values, title in zip(axes.flat, panels, titles):
        grid = np.asarray(values).reshape(3, 3)
        ax.imshow(grid, cmap="coolwarm", vmin=-3, vmax=3)
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=10)
        ax.set_title(title, color="C0" if title.startswith("=") else "black")
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig
