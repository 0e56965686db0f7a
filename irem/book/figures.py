"""Figure helpers every chapter uses: one colour per method, seed bands, legends below the panels.

Figures are drawn from run records (never from live models); each chapter's own figures live in
its folder and build on these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from irem.book.stats import curve_spread, group
from irem.curves import MSE_BY_STEP, TRAIN_LOSS
from irem.methods import METHODS, method_label
from irem.store import Record
from irem.tasks import task_label

# text that stays readable when a figure is scaled down to the page's width
plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "legend.fontsize": 10,
                     "xtick.labelsize": 10, "ytick.labelsize": 10})  # fmt: skip


SPLIT_STYLES = {"same": "-", "harder": "--"}

# the narrowest content column a figure is shown in (the page at 800 px), and the book's smallest print
# (its tables, 0.8 of the 16 px body text): no text in a figure may show smaller than that
COLUMN_PX = 720
SMALL_PRINT_PX = 12.8
PAD_INCHES = 0.1  # the notebook's inline figures are saved with bbox_inches="tight" and this padding
# the widest figure (inches) shown at its own size there: its 10 pt text reads at 13.9 px
FULL_WIDTH = COLUMN_PX / plt.rcParams["figure.dpi"]


def smallest_text(fig: Figure, column_px: int = COLUMN_PX) -> tuple[float, str]:
    """The height in screen pixels of the figure's smallest text once shown in the book, and that text.

    The notebook saves the figure cropped to its contents at ``fig.dpi``; the page shrinks an image
    wider than the column to the column's width, so a wide figure's text shrinks with it.
    """
    renderer = fig.canvas.get_renderer()
    width_in = fig.get_tightbbox(renderer).width + 2 * PAD_INCHES
    px_per_point = min(fig.dpi, column_px / width_in) / 72
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and _drawn(t, renderer)]
    if not texts:
        return float("inf"), ""
    text = min(texts, key=Text.get_fontsize)
    return text.get_fontsize() * px_per_point, text.get_text()


def _drawn(text: Text, renderer) -> bool:
    """Whether ``text`` lies inside the figure (tick labels beyond an axis' limits are kept but not drawn)."""
    box, fig_box = text.get_window_extent(renderer), text.get_figure(root=True).bbox
    return box.x1 > fig_box.x0 and box.x0 < fig_box.x1 and box.y1 > fig_box.y0 and box.y0 < fig_box.y1


def shown_in_book(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Mark a function whose figure the book shows: the figure must stay legible at the column's width.

    The marked function raises when its figure's text would read smaller than the book's small print
    there (draw the figure narrower, or its text larger).
    """

    @functools.wraps(draw)
    def checked(*args, **kwargs) -> Figure:
        fig = draw(*args, **kwargs)
        px, text = smallest_text(fig)
        if px < SMALL_PRINT_PX - 0.05:
            width = fig.get_size_inches()[0]
            plt.close(fig)
            raise ValueError(
                f"{draw.__qualname__}: the text {text[:30]!r} would show {px:.1f} px tall in the book's "
                f"{COLUMN_PX} px column, below its small print ({SMALL_PRINT_PX} px); the figure is {width:.1f} in "
                f"wide: draw it narrower or its text larger"
            )
        return fig

    return checked


MSE_CEILING = 10.0  # error axes stop here: a curve above it has diverged, and would squash every other one


def legend_below(fig: Figure, ax, ncol: int = 4, handles: Sequence | None = None) -> None:
    """One legend for the figure, below its panels (never over the data): ``ax``'s labelled artists, or ``handles``."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(ncol, len(handles)), frameon=False,
                   bbox_to_anchor=(0.5, 0.0))  # fmt: skip
        rows = -(-len(handles) // min(ncol, len(handles)))
        # room for the legend in inches (a fraction of the height would leave tall figures a gap above it)
        fig.tight_layout(rect=(0, min(0.3, (0.08 + 0.27 * rows) / fig.get_size_inches()[1]), 1, 1))


def panels(n: int, height: float, per_row: int = 2, width: float = FULL_WIDTH) -> list:
    """``n`` axes, at most ``per_row`` a row (unused places removed), the figure ``width`` inches wide.

    A row of three or more panels at the column's width leaves each too narrow for its ticks, and a
    wider figure shrinks its text below the book's small print once scaled to the column.
    """
    cols = min(per_row, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.remove()
    return list(axes.flat[:n])


def cap_errors(ax) -> None:
    """Keep an error axis below ``MSE_CEILING``; diverging curves leave through the top edge, which says so."""
    low, high = ax.get_ylim()
    if high > MSE_CEILING:
        ax.set_ylim(low, MSE_CEILING)
        ax.text(0.98, 0.97, f"↑ above {MSE_CEILING:g}: off the axis", transform=ax.transAxes, ha="right", va="top",
                fontsize=10, color="0.35", bbox=dict(fc="white", ec="none", alpha=0.8, pad=1))  # fmt: skip


def band(ax, records: Sequence[Record], path: Sequence[str], start: int = 0, shade: float = 0.18,
         **line) -> np.ndarray:  # fmt: skip
    """Plot the median curve over ``records`` at ``curves[path...]``, shaded from the lowest to the highest seed.

    The median, as the book's tables and verdicts use: one seed ten times another's (graphs larger than
    in training) would pull a mean far from every other seed. The curve's first point is drawn at
    x = ``start``; ``shade`` is the shade's opacity (lighter where many curves share a panel). Returns
    the median curve. With one record there is no shade.
    """
    median, low, high = curve_spread(records, *path, center=np.median)
    steps = np.arange(start, start + len(median))
    ax.plot(steps, median, **line)
    if len(records) > 1:
        ax.fill_between(steps, low, high, color=line.get("color"), alpha=shade, lw=0)
    return median


def method_colors() -> dict[str, str]:
    """A fixed colour per method, the same in every figure (colour-blind safe, no two alike)."""
    return {name: cls.color for name, cls in METHODS.items()}


@shown_in_book
def mse_vs_steps(records: Sequence[Record], split_labels: dict[str, str] | None = None) -> Figure:
    """Fig. 3: test MSE against reasoning steps, per task, same (solid) and harder (dashed).

    Methods without test-time steps are drawn as flat lines; a dot marks where halting at
    the energy minimum stops (median over seeds of the mean halting step and of the MSE at halting).
    ``split_labels`` names the splits in the legend (graphs: ``ExperimentResult.split_labels``).
    """
    split_labels = split_labels or {}
    groups = group(records)
    tasks = list(dict.fromkeys(r.task for r in records))
    colors = method_colors()
    axes = panels(len(tasks), height=3.0)
    fig = axes[0].figure
    for ax, task in zip(axes, tasks):
        for (t, method), recs in groups.items():
            if t != task:
                continue
            for split, style in SPLIT_STYLES.items():
                curve = curve_spread(recs, MSE_BY_STEP, split, center=np.median)[0]
                label = f"{method_label(method)} ({split_labels.get(split, split)})"
                if len(curve) == 2:  # one-shot method: flat line over the step axis
                    ax.axhline(curve[-1], color=colors[method], ls=style, label=label)
                    continue
                band(ax, recs, (MSE_BY_STEP, split), color=colors[method], ls=style, label=label)
                halt = np.median([r.metrics[split]["mean_halt_step"] for r in recs])
                mse = np.median([r.metrics[split]["mse"] for r in recs])
                ax.plot([halt], [mse], "o", color=colors[method], ms=5)
        ax.set(yscale="log", xlabel="reasoning steps", ylabel="test MSE", title=task_label(task))
        cap_errors(ax)
        ax.grid(alpha=0.3)
    legend_below(fig, axes[0], ncol=3)
    return fig


@shown_in_book
def train_loss(records: Sequence[Record]) -> Figure:
    """Training loss against iterations: one panel per task, one line per method (mean over seeds).

    Each method's own training loss: the MSE of the answer for most, but the expected loss plus a
    KL term for PonderNet and a one-step denoising error for the iterative feedforward baseline, so
    compare the shapes of the curves, not their heights across methods.
    """
    groups = group(records)
    tasks = list(dict.fromkeys(r.task for r in records))
    colors = method_colors()
    axes = panels(len(tasks), height=2.8)
    fig = axes[0].figure
    for ax, task in zip(axes, tasks):
        for (t, method), recs in groups.items():
            if t != task:
                continue
            its = [p[0] for p in recs[0].curves[TRAIN_LOSS]]
            loss = np.mean([[p[1] for p in r.curves[TRAIN_LOSS]][: len(its)] for r in recs], axis=0)
            ax.plot(its, loss, color=colors[method], label=method_label(method))
        ax.set(yscale="log", xlabel="iteration", ylabel="training loss", title=task_label(task))
        ax.grid(alpha=0.3)
    legend_below(fig, axes[0], ncol=5)
    return fig


@shown_in_book
def seed_distributions(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> Figure:
    """Every training seed's error, the median and its 95 % interval: one panel per (task, split), a row per method.

    ``table`` is ``ExperimentResult.table()``. The paper's number is a black cross. On a log axis, so
    that trainings of one configuration 10-30x apart stay visible beside methods 100x apart; one x-axis for all
    panels, so positions compare across tasks and sizes.
    """
    labels = split_labels or {}
    tasks, splits = list(dict.fromkeys(table.task)), list(dict.fromkeys(table.split))
    methods = [m for m in METHODS if m in set(table.method)]
    colors = method_colors()
    size = (FULL_WIDTH, 0.45 * len(methods) * len(tasks) + 1.4)
    fig, axes = plt.subplots(len(tasks), len(splits), figsize=size, squeeze=False, sharex=True, sharey=True)
    for i, task in enumerate(tasks):
        for j, split in enumerate(splits):
            ax = axes[i][j]
            for y, method in enumerate(methods):
                row = table[(table.task == task) & (table.split == split) & (table.method == method)]
                if row.empty:
                    continue
                r = row.iloc[0]
                ax.scatter(r["values"], [y] * len(r["values"]), s=14, color=colors[method], alpha=0.6, zorder=3)
                if r.seeds > 1:
                    ax.plot([r.low, r.high], [y, y], color=colors[method], lw=4, alpha=0.35, solid_capstyle="butt")
                ax.plot([r.ours], [y], marker="|", markersize=14, mew=2.5, color=colors[method], zorder=4)
                if not pd.isna(r.paper):
                    ax.plot([r.paper], [y], marker="x", markersize=7, mew=1.5, color="black", zorder=5)
            ax.set_xscale("log")
            ax.set_yticks(range(len(methods)), [method_label(m) for m in methods])
            ax.set_ylim(len(methods) - 0.5, -0.5)
            ax.set_title(f"{task_label(task)}, {labels.get(split, split)}")
            ax.grid(axis="x", alpha=0.3)
            if i == len(tasks) - 1:
                ax.set_xlabel("test MSE (log)")
    handles = [
        plt.Line2D([], [], ls="", marker="o", color="grey", alpha=0.6, label="one training seed"),
        plt.Line2D([], [], ls="", marker="|", markersize=12, mew=2.5, color="grey", label="median"),
        plt.Line2D([], [], lw=4, alpha=0.35, color="grey", label="95 % interval of the median"),
        plt.Line2D([], [], ls="", marker="x", color="black", label="the paper's"),
    ]
    legend_below(fig, axes[0][0], ncol=2, handles=handles)
    return fig
