"""The Performance chapter's figures: how the cost of a training iteration grows with one setting."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from irem.book.figures import FULL_WIDTH, legend_below, shown_in_book
from irem.performance.analysis import rows
from irem.tasks import task_label

PRECISION_STYLES = {"fp32": "-", "bf16": "--"}
PRECISION_COLORS = {"fp32": "#0072b2", "bf16": "#d55e00"}  # colour-blind safe, unlike each other at a glance


VARY_LABELS = {"batch_size": "batch size (fresh problems)", "steps": "reasoning steps N",
               "nodes": "training graph size (nodes)"}  # fmt: skip


@shown_in_book
def cost_curves(docs: Mapping[str, dict], vary: str, tasks: list[str] | None = None) -> Figure:
    """Training cost against one setting (``batch_size``, ``steps`` or ``nodes``): ms/iter and GFLOP/iter, per task.

    One line per precision (fp32 solid, bf16 dashed): the median wall-clock time per iteration and
    this process's median CPU time, which a busy machine disturbs less. The FLOPs are those of fp32
    (bf16 runs the same matrix multiplies).
    """
    df = rows(docs, vary + "_")
    df = df.assign(order=df["precision"].map({p: i for i, p in enumerate(PRECISION_STYLES)})).sort_values("order")
    tasks = tasks or list(dict.fromkeys(df["task"]))
    fig, axes = plt.subplots(2, len(tasks), figsize=(FULL_WIDTH, 6.2), squeeze=False)
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for j, task in enumerate(tasks):
        sub = df[df["task"] == task]
        for precision, g in sub.groupby("precision", sort=False):
            g = g.sort_values(vary)
            style, color = PRECISION_STYLES.get(precision, "-"), PRECISION_COLORS.get(precision, "0.3")
            axes[0, j].plot(g[vary], g["ms_per_iter"], style, marker="o", color=color, lw=2,
                            label=f"{precision}, wall clock")  # fmt: skip
            axes[0, j].plot(g[vary], g["cpu_ms_per_iter"], ":", marker="x", color=color, lw=1, alpha=0.8,
                            label=f"{precision}, CPU time")  # fmt: skip
            if precision == "fp32" and "gflop_per_iter" in g:
                axes[1, j].plot(g[vary], g["gflop_per_iter"], "-", marker="o", color="C2")
        axes[0, j].set_title(task_label(task))
        axes[0, j].set_ylabel("ms per iteration (median)")
        axes[1, j].set_ylabel("GFLOP per iteration")
        for ax in axes[:, j]:
            ax.set_xlabel(VARY_LABELS.get(vary, vary))
            if vary == "batch_size":  # powers of two
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xticks(sorted(sub[vary].unique()))
            ax.xaxis.set_major_formatter(plain)
            ax.set_ylim(0, None)
            ax.grid(alpha=0.3)
    legend_below(fig, axes[0, 0], ncol=2)
    return fig
