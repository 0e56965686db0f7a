"""The compute chapter's figure: error against reasoning steps with k restarts chosen by energy."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.figure import Figure

from irem.book.figures import FULL_WIDTH, band, cap_errors, legend_below, shown_in_book
from irem.experiments.compute.experiment import BY_RESTARTS
from irem.store import Record
from irem.tasks import task_label


@shown_in_book
def restarts(records: Sequence[Record]) -> Figure:
    """Test MSE against reasoning steps when each problem keeps the lowest-energy of k descents.

    One panel per (task, graph size), one line per number of restarts k: the median over seeds,
    shaded from the lowest seed to the highest.
    """
    recs = [r for r in records if BY_RESTARTS in r.curves]
    tasks = list(dict.fromkeys(r.task for r in recs))
    sizes = list(recs[0].curves[BY_RESTARTS]) if recs else []
    fig, axes = plt.subplots(len(tasks), len(sizes), figsize=(FULL_WIDTH, 2.6 * len(tasks)), squeeze=False,
                             sharex=True)  # fmt: skip
    for i, task in enumerate(tasks):
        group_ = [r for r in recs if r.task == task]
        for j, n in enumerate(sizes):
            ax = axes[i][j]
            counts = list(group_[0].curves[BY_RESTARTS][n])
            for color, k in zip(sns.color_palette("mako_r", len(counts) + 1)[1:], counts):
                band(ax, group_, (BY_RESTARTS, n, k), color=color, label=f"k = {k} restart{'s' if k != '1' else ''}")
            ax.set(yscale="log", title=f"{task_label(task)}, {n} nodes")
            cap_errors(ax)
            ax.grid(alpha=0.3)
            if i == len(tasks) - 1:
                ax.set_xlabel("reasoning steps")
            if j == 0:
                ax.set_ylabel("test MSE")
    legend_below(fig, axes[0][0], ncol=3)
    return fig
