"""The IRED chapter's figures: error against inference compute beside IREM's, and descents from the answer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from irem.book.figures import band, legend_below, method_colors, panels, shown_in_book
from irem.book.stats import group
from irem.curves import MSE_BY_STEP
from irem.experiments.compute.experiment import BY_RESTARTS
from irem.experiments.graph.experiment import GRAPH
from irem.experiments.ired.analysis import steps_spread
from irem.experiments.ired.experiment import BY_LANDSCAPE_STEPS, FROM_ANSWER
from irem.store import Record
from irem.tasks import GRAPH_TASKS, task_label


def _title(task: str, split: str) -> str:
    labels = GRAPH.split_labels if task in GRAPH_TASKS else {}
    return f"{task_label(task)} ({labels.get(split, split)})"


@shown_in_book
def error_against_compute(irem: Sequence[Record], ired: Sequence[Record], split: str = "harder",
                          restarts: Sequence[Record] = ()) -> Figure:  # fmt: skip
    """Fig. 3 redrawn with IRED, on one axis of compute: test MSE against energy evaluations per problem.

    IREM: its error after each reasoning step (one energy gradient each; the median over seeds, shaded
    from the lowest to the highest seed); on graphs, with ``restarts`` (the compute experiment's
    records), also the best of k descents by energy, k gradients a step. IRED: the error after its
    whole descent for each number of steps per landscape (the median over seeds, bars from the lowest
    to the highest seed).
    """
    colors = method_colors()
    tasks = list(dict.fromkeys(r.task for r in ired))
    axes = panels(len(tasks), height=3.0)
    fig = axes[0].figure
    irem_groups = group(irem)
    for ax, task in zip(axes, tasks):
        recs = irem_groups.get((task, "irem"), [])
        if recs:
            band(ax, recs, (MSE_BY_STEP, split), color=colors["irem"], label="IREM: one step each")
        _restarts(ax, [r for r in restarts if r.task == task and r.method == "irem"], split, colors["irem"])
        ired_recs = [r for r in ired if r.task == task]
        spread = steps_spread(ired_recs, split)
        if spread:
            evaluations = [ired_recs[0].curves[BY_LANDSCAPE_STEPS][split][str(s)]["evaluations"] for s in spread]
            medians = np.array([s.median for s in spread.values()])
            lows = medians - [min(s.values) for s in spread.values()]
            highs = [max(s.values) for s in spread.values()] - medians
            ax.errorbar(evaluations, medians, yerr=[lows, highs], color=colors["ired"], marker="o", capsize=3,
                        label="IRED: 1 to 20 steps per landscape")  # fmt: skip
        ax.set(xscale="symlog", yscale="log", xlabel="energy evaluations per problem", ylabel="test MSE",
               title=_title(task, split))  # fmt: skip
        ax.grid(alpha=0.3)
    handles: dict = {}  # every panel's entries, once (restarts are drawn on graph panels only)
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    legend_below(fig, axes[0], ncol=2, handles=list(handles.values()))
    return fig


def _restarts(ax, records: Sequence[Record], split: str, color: str) -> None:
    """IREM's best of k descents (k > 1) at the split's graph size, placed at k gradients a step (median over seeds)."""
    nodes = GRAPH.split_labels.get(split, "").split(" ")[0]
    curves = [r.curves[BY_RESTARTS][nodes] for r in records if nodes in r.curves.get(BY_RESTARTS, {})]
    for k, style in zip([k for k in (curves[0] if curves else {}) if int(k) > 1], ("--", ":")):
        median = np.median([c[k] for c in curves], axis=0)
        steps = np.arange(1, len(median))
        ax.plot(int(k) * steps, median[1:], color=color, ls=style, label=f"IREM: best of {k} descents")


@shown_in_book
def descent_from_answer(ired: Sequence[Record], split: str = "harder") -> Figure:
    """Where IRED's sharpest landscape leads an answer that starts at the truth: MSE against steps, per task.

    One line per training seed; the dotted line is that seed's error from noise (the full descent).
    """
    colors = method_colors()
    tasks = list(dict.fromkeys(r.task for r in ired))
    axes = panels(len(tasks), height=2.8)
    fig = axes[0].figure
    for ax, task in zip(axes, tasks):
        for r in (r for r in ired if r.task == task and FROM_ANSWER in r.curves):
            curve = r.curves[FROM_ANSWER][split]
            ax.plot(range(1, len(curve)), curve[1:], color=colors["ired"], alpha=0.8,
                    label="from the true answer (a seed)")  # fmt: skip
            ax.axhline(r.metrics[split]["mse"], color=colors["ired"], ls=":", label="from noise, all landscapes")
        low, high = ax.get_ylim()
        # a log axis only where the errors span a decade: a narrower one would be all minor-tick labels
        ax.set(xscale="log", yscale="log" if high > 10 * max(low, 1e-12) else "linear",
               xlabel="steps on the sharpest landscape", ylabel="test MSE",
               title=_title(task, split))  # fmt: skip
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    legend_below(fig, axes[0], ncol=2, handles=list(dict(zip(labels, handles)).values()))  # one entry per label
    return fig
