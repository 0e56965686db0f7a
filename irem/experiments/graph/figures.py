"""The graph chapter's figures, drawn from run records: Fig. 2, one worked example, errors against training length."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from irem.book.figures import FULL_WIDTH, band, cap_errors, legend_below, panels, shown_in_book
from irem.book.stats import group
from irem.curves import MSE_BY_STEP
from irem.experiments.graph.experiment import EXAMPLE, MSE_BY_NODES
from irem.experiments.graph.lengths import TrainingLengths
from irem.methods import METHODS, method_label
from irem.store import Record
from irem.tasks import task_label

SIZE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # one per graph size of Fig. 2, beside its colour


@shown_in_book
def mse_vs_steps_by_size(records: Sequence[Record]) -> Figure:
    """Fig. 2: test MSE against reasoning steps on graphs of growing size (trained on 2-10 nodes).

    One panel per (task, iterative method), two a row, a task's methods one after another. One
    line per graph size, each with its own marker as well as its shade; a task's panels share their
    error axis, so methods compare at a glance.
    Methods without test-time steps (the feedforward network) have nothing to draw here.
    """
    recs = [r for r in records if MSE_BY_NODES in r.curves and len(r.curves[MSE_BY_STEP]["same"]) > 2]
    groups = group(recs)
    tasks = list(dict.fromkeys(r.task for r in recs))
    methods = [m for m in METHODS if any(m == k[1] for k in groups)]
    pairs = [(t, m) for t in tasks for m in methods]
    axes = panels(len(pairs), height=2.5)
    fig = axes[0].figure
    for k, ((task, method), ax) in enumerate(zip(pairs, axes)):
        first = axes[pairs.index((task, methods[0]))]
        if ax is not first:
            ax.sharey(first)
        recs_tm = groups.get((task, method), [])
        sizes = list(recs_tm[0].curves[MSE_BY_NODES]) if recs_tm else []
        palette = sns.color_palette("viridis", len(sizes))
        for color, marker, n in zip(palette, SIZE_MARKERS, sizes):
            length = len(recs_tm[0].curves[MSE_BY_NODES][n])
            band(ax, recs_tm, (MSE_BY_NODES, n), shade=0.07, color=color, label=f"{n} nodes", marker=marker,
                 markersize=4, markevery=max(1, length // 6))  # fmt: skip
        # a baseline that diverges on large graphs would squash every other line
        ax.set(yscale="log", title=f"{task_label(task)}: {method_label(method)}")
        cap_errors(ax)
        ax.grid(alpha=0.3)
        if k >= len(pairs) - 2:
            ax.set_xlabel("reasoning steps")
        if k % 2 == 0:
            ax.set_ylabel("test MSE")
    legend_below(fig, axes[0], ncol=4)
    return fig


@shown_in_book
def graph_example(record: Record) -> Figure:
    """One graph problem as matrices: input edge values, truth, the method's answer, its error."""
    ex = record.curves[EXAMPLE]
    n = ex["nodes"]
    truth, pred = np.asarray(ex["truth"]).reshape(n, n), np.asarray(ex["prediction"]).reshape(n, n)
    images = [
        ("input edge values", np.asarray(ex["input"]).reshape(n, n), "viridis"),
        ("truth", truth, "viridis"),
        (f"{method_label(record.method)}'s answer", pred, "viridis"),
        ("absolute error", np.abs(pred - truth), "magma"),
    ]
    vmin, vmax = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
    fig, axes = plt.subplots(2, 2, figsize=(FULL_WIDTH, 6.2))
    for ax, (title, grid, cmap) in zip(axes.flat, images):
        scale = {} if title in ("input edge values", "absolute error") else {"vmin": vmin, "vmax": vmax}
        im = ax.imshow(grid, cmap=cmap, **scale)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
        ax.set_title(title)
        ax.set(xlabel="node j", ylabel="node i", xticks=range(0, n, 2), yticks=range(0, n, 2))
    fig.suptitle(f"{task_label(record.task)}, one test graph of {n} nodes")
    fig.tight_layout()
    return fig


@shown_in_book
def training_length(lengths: TrainingLengths) -> Figure:
    """IREM's test errors against training iterations, from :func:`irem.experiments.graph.lengths.training_lengths`.

    One panel per task; one color per error (10-, 15-node graphs; the largest graphs after the last
    step with the training and the scaled step size), one marker per seed; a line joins the points of
    one training run (the ``training`` column).
    """
    table, errors = lengths.table, list(lengths.final)
    tasks = list(dict.fromkeys(table["task"]))
    seeds = sorted(set(table["seed"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(FULL_WIDTH, 3.4), squeeze=False)
    colors = dict(zip(errors, sns.color_palette("colorblind", len(errors))))
    markers = dict(zip(seeds, "osD^v"))
    for ax, task in zip(axes[0], tasks):
        for (seed, _), g in table[table["task"] == task].groupby(["seed", "training"], sort=False):
            for col in errors:  # a line joins one training's snapshots, not two trainings
                ax.plot(g["iterations"], g[col], marker=markers[seed], color=colors[col])
        ax.set(xlabel="training iterations", yscale="log", title=task)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test MSE")
    handles = [Line2D([], [], color=c, label=col) for col, c in colors.items()]
    handles += [Line2D([], [], color="gray", marker=m, linestyle="none", label=f"seed {s}") for s, m in markers.items()]
    legend_below(fig, axes[0][0], ncol=3, handles=handles)
    return fig
