"""Figures of the paper, drawn from run records (never from live models).

Each function takes run records (:class:`irem.store.Record`) and returns a matplotlib Figure,
so the book, the notebooks and a user's own script draw the same picture. Method colours and
labels come from the method classes (``irem.methods``), task labels from the task classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from irem.config import EvalConfig
from irem.methods import METHODS, method_label
from irem.report import difficulty_levels, group, mean_curve
from irem.store import Record
from irem.tasks import make_task, task_label


def per_element_error(record: Record, side: int = 20) -> Figure:
    """Fig. 4: squared error of every element of one problem's answer across steps."""
    ex = record.curves["example_error"]
    errors = np.asarray(ex["sq_error"]).reshape(len(ex["steps"]), side, side)
    # a log scale: the error falls by orders of magnitude over the steps, and a linear one shows black
    vmax = float(errors.max()) or 1.0
    norm = LogNorm(vmin=vmax * 1e-6, vmax=vmax, clip=True)
    fig, axes = plt.subplots(1, len(ex["steps"]), figsize=(1.6 * len(ex["steps"]), 2.1))
    for ax, step, err in zip(axes, ex["steps"], errors):
        im = ax.imshow(np.maximum(err, vmax * 1e-6), cmap="magma", norm=norm)
        ax.set_title(f"step {step}", fontsize=8)
        ax.axis("off")
    fig.colorbar(im, ax=list(axes), fraction=0.02, pad=0.01, label="squared error (log)")
    return fig


def energy_landscape(records: Sequence[Record], split: str = "same") -> Figure:
    """Fig. 5: energy (relative to the solution's) against MSE distance from the solution.

    The dashed line is the bowl from which one reasoning step lands exactly on the solution,
    E(y) - E(y*) = |y - y*|^2 / (2 lambda) = D * MSE / (2 lambda) for answers of D entries:
    a learned energy close to it reaches the answer in few steps from anywhere.
    """
    recs = [r for r in records if "energy_landscape" in r.curves]
    fig, axes = plt.subplots(1, len(recs), figsize=(4.0 * len(recs), 3.2), squeeze=False)
    for ax, r in zip(axes[0], recs):
        data = r.curves["energy_landscape"][split]
        ax.scatter(data["mse"], data["energy"], s=6, alpha=0.5, color=method_colors()["irem"], label="learned energy")
        lam = r.eval["test_step_size"] or r.train["step_size"]
        dim = make_task(r.task, **r.config["task_options"]).y_dim
        mse = np.geomspace(min(data["mse"]), max(data["mse"]), 50)
        ax.plot(mse, dim * mse / (2 * lam), "k--", lw=1, label=f"one-step bowl D·MSE/(2λ), λ = {lam:g}")
        ax.set(xscale="log", xlabel="MSE distance from the solution", ylabel="E(x, y) - E(x, y*)",
               title=task_label(r.task))  # fmt: skip
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def composition_error(records: Sequence[Record]) -> Figure:
    """Fig. 7: MSE after k nested additions, per method (mean over seeds, shaded from the lowest to the highest)."""
    colors = method_colors()
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for (_, method), recs in group(records).items():
        band(ax, recs, ("composition_mse",), start=1, color=colors[method], marker=".", label=method_label(method))
    ax.set(yscale="log", xlabel="composed addition operations", ylabel="test MSE")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def composition_example(record: Record) -> Figure:
    """Fig. 6: four 3x3 corners summed by three nested additions; prediction and truth."""
    ex = record.curves["example"]
    panels = [*ex["inputs"], ex["prediction"], ex["truth"]]
    titles = ["$v_0$", "$+\\ v_1$", "$+\\ v_2$", "$+\\ v_3$", f"= {method_label(record.method)}", "truth"]
    fig, axes = plt.subplots(1, len(panels), figsize=(1.9 * len(panels), 2.1))
    for ax, values, title in zip(axes, panels, titles):
        grid = np.asarray(values).reshape(3, 3)
        ax.imshow(grid, cmap="coolwarm", vmin=-3, vmax=3)
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title(title, fontsize=9, color="C0" if title.startswith("=") else "black")
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig


def mse_vs_steps_by_size(records: Sequence[Record]) -> Figure:
    """Fig. 2: test MSE against reasoning steps on graphs of growing size (trained on 2-10 nodes).

    One panel per (task, iterative method): a row per task and a column per method, or, for a
    single method, the tasks side by side. One line per graph size. Methods without test-time
    steps (the feedforward network) have nothing to draw here.
    """
    recs = [r for r in records if "mse_by_step_by_nodes" in r.curves and len(r.curves["mse_by_step"]["same"]) > 2]
    groups = group(recs)
    tasks = list(dict.fromkeys(r.task for r in recs))
    methods = [m for m in METHODS if any(m == k[1] for k in groups)]
    rows, cols = (1, len(tasks)) if len(methods) == 1 else (len(tasks), len(methods))
    width = 3.6 if rows == 1 else 2.9  # a single row has the page's width to itself
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, 2.5 * rows + 0.4 * (rows == 1)), squeeze=False,
                             sharex=True)  # fmt: skip
    for k, (task, method) in enumerate((t, m) for t in tasks for m in methods):
        i, j = divmod(k, cols)
        ax = axes[i][j]
        recs_tm = groups.get((task, method), [])
        sizes = list(recs_tm[0].curves["mse_by_step_by_nodes"]) if recs_tm else []
        palette = sns.color_palette("viridis", len(sizes))
        for color, n in zip(palette, sizes):
            band(ax, recs_tm, ("mse_by_step_by_nodes", n), color=color, label=f"{n} nodes")
        # a baseline that diverges on large graphs would squash every other line
        ax.set(yscale="log", title=f"{task_label(task)}: {method_label(method)}")
        cap_errors(ax)
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
        if i == rows - 1:
            ax.set_xlabel("reasoning steps")
        if j == 0:
            ax.set_ylabel("test MSE")
    legend_below(fig, axes[0][0], ncol=6)
    return fig


def graph_example(record: Record) -> Figure:
    """One graph problem as matrices: input edge values, truth, the method's answer, its error."""
    ex = record.curves["example"]
    n = ex["nodes"]
    truth, pred = np.asarray(ex["truth"]).reshape(n, n), np.asarray(ex["prediction"]).reshape(n, n)
    panels = [
        ("input edge values", np.asarray(ex["input"]).reshape(n, n), "viridis"),
        ("truth", truth, "viridis"),
        (f"{method_label(record.method)}'s answer", pred, "viridis"),
        ("absolute error", np.abs(pred - truth), "magma"),
    ]
    vmin, vmax = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.1))
    for ax, (title, grid, cmap) in zip(axes, panels):
        scale = {} if title in ("input edge values", "absolute error") else {"vmin": vmin, "vmax": vmax}
        im = ax.imshow(grid, cmap=cmap, **scale)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
        ax.set_title(title, fontsize=9)
        ax.set(xlabel="node j", ylabel="node i", xticks=range(0, n, 2), yticks=range(0, n, 2))
    fig.suptitle(f"{task_label(record.task)}, one test graph of {n} nodes", fontsize=10)
    fig.tight_layout()
    return fig


def psnr_vs_steps(records: Sequence[Record]) -> Figure:
    """PSNR against reasoning steps, one panel per test noise level (mean over seeds, shaded from lowest to highest).

    IREM is a curve; the DnCNN baseline (one step) a dashed line; the noisy input a dotted one.
    """
    irem = [r for r in records if r.method == "irem"]
    dncnn = [r for r in records if r.method == "feedforward"]
    sigmas = list(records[0].metrics)
    colors = method_colors()
    fig, axes = plt.subplots(1, len(sigmas), figsize=(3.2 * len(sigmas), 3.0), squeeze=False, sharey=False)
    for ax, s in zip(axes[0], sigmas):
        if irem:
            band(ax, irem, ("psnr_by_step", s), color=colors["irem"], label="IREM")
        if dncnn:
            ax.axhline(np.mean([r.metrics[s]["psnr"] for r in dncnn]), color=colors["feedforward"], ls="--",
                       label="DnCNN")  # fmt: skip
        ax.axhline(records[0].metrics[s]["psnr_noisy"], color="grey", ls=":", label="noisy input")
        unseen = " (unseen)" if int(s) not in (45, 55) else ""
        ax.set_xscale("symlog", linthresh=1)
        ax.set(xlim=(0, None), xlabel="reasoning steps", title=f"σ = {s}{unseen}")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("PSNR (dB)")
    legend_below(fig, axes[0][0])
    return fig


def denoising_example(records: Sequence[Record]) -> Figure:
    """Fig. 8: a test crop at the largest sigma: noisy, IREM after 5/30/100 steps, DnCNN, clean."""
    irem = next((r for r in records if r.method == "irem"), None)
    dncnn = next((r for r in records if r.method == "feedforward"), None)
    ex = (irem or dncnn).curves["example"]
    panels = [(f"noisy (σ = {ex['sigma']})", ex["noisy"])]
    if irem:
        panels += [(f"IREM, {k} steps", v) for k, v in irem.curves["example"]["answers"].items() if k != "0"]
    if dncnn:
        panels.append(("DnCNN", dncnn.curves["example"]["answers"]["answer"]))
    panels.append(("clean", ex["clean"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.2 * len(panels), 2.5))
    for ax, (title, image) in zip(np.atleast_1d(axes), panels):
        ax.imshow(np.asarray(image, dtype=np.uint8), cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def test_step_sizes(records: Sequence[Record]) -> Figure:
    """Test MSE against reasoning steps for each test-time step size (one trained configuration).

    With several seeds, the line is their mean and the shade spans the lowest to the highest seed.
    """
    sweep = records[0].curves["test_step_size"]
    palette = sns.color_palette("rocket", len(sweep))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3), sharey=True)
    for ax, split in zip(axes, ("same", "harder")):
        for color, lam in zip(palette, sweep):
            band(ax, records, ("test_step_size", lam, split, "mse_by_step"), color=color,
                  label=f"test λ = {float(lam):g}")  # fmt: skip
            halt = np.mean([r.curves["test_step_size"][lam][split]["mean_halt_step"] for r in records])
            ax.plot([halt], [np.mean([r.curves["test_step_size"][lam][split]["mse"] for r in records])], "o",
                    color=color, ms=4)  # fmt: skip
        ax.set(yscale="log", xlabel="reasoning steps", title=f"{task_label(records[0].task)} ({split})")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test MSE")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def scratchpad_trajectories(records: Sequence[Record], task: str) -> Figure:
    """How one problem's answer error (left) and scratchpad entries (right) evolve over steps."""
    recs = sorted((r for r in records if r.task == task and r.seed == 0),
                  key=lambda r: r.train["scratchpad"])  # fmt: skip
    with_z = [r for r in recs if "z" in r.curves["trajectory"]]
    fig, axes = plt.subplots(1, 1 + len(with_z), figsize=(4.0 * (1 + len(with_z)), 3.2), squeeze=False)
    palette = sns.color_palette("colorblind", len(recs))
    for color, r in zip(palette, recs):
        d = r.train["scratchpad"]
        axes[0][0].plot(r.curves["trajectory"]["y_mse"], color=color, label=f"D = {d}")
    axes[0][0].set(yscale="log", xlabel="reasoning steps", ylabel="MSE of y", title=f"{task_label(task)}: answer")
    axes[0][0].legend(fontsize=7)
    axes[0][0].grid(alpha=0.3)
    for ax, r in zip(axes[0][1:], with_z):
        z = np.asarray(r.curves["trajectory"]["z"], dtype=float)
        ax.plot(z, lw=1)
        ax.set(xlabel="reasoning steps", ylabel="z entries (first 8)",
               title=f"scratchpad, D = {r.train['scratchpad']}")  # fmt: skip
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def restarts(records: Sequence[Record]) -> Figure:
    """Test MSE against reasoning steps when each problem keeps the lowest-energy of k descents.

    One panel per (task, graph size), one line per number of restarts k: the mean over seeds,
    shaded from the lowest seed to the highest.
    """
    recs = [r for r in records if "restarts" in r.curves]
    tasks = list(dict.fromkeys(r.task for r in recs))
    sizes = list(recs[0].curves["restarts"]) if recs else []
    fig, axes = plt.subplots(len(tasks), len(sizes), figsize=(3.8 * len(sizes), 2.8 * len(tasks)), squeeze=False,
                             sharex=True)  # fmt: skip
    for i, task in enumerate(tasks):
        group_ = [r for r in recs if r.task == task]
        for j, n in enumerate(sizes):
            ax = axes[i][j]
            counts = list(group_[0].curves["restarts"][n])
            for color, k in zip(sns.color_palette("mako_r", len(counts) + 1)[1:], counts):
                band(ax, group_, ("restarts", n, k), color=color, label=f"k = {k} restart{'s' if k != '1' else ''}")
            ax.set(yscale="log", title=f"{task_label(task)}, {n} nodes")
            ax.title.set_fontsize(9)
            cap_errors(ax)
            ax.grid(alpha=0.3)
            if i == len(tasks) - 1:
                ax.set_xlabel("reasoning steps")
            if j == 0:
                ax.set_ylabel("test MSE")
    legend_below(fig, axes[0][0])
    return fig


def difficulty(records: Sequence[Record]) -> Figure:
    """IREM on one task over a continuum of difficulties (the difficulty experiment), means over seeds.

    Left: error against reasoning steps at each level (operand range or graph size) with the
    training step size, from random starts (solid) and from the true answer (dashed). Right: the
    error after the last step against the level, for each test-time step size and from the
    answer, and the error at halting.
    """
    recs = [r for r in records if "difficulty" in r.curves]
    axis, level_label, trained = difficulty_levels(recs[0].task)
    first = recs[0].curves["difficulty"]
    steps, scales = np.asarray(first["steps"]), list(first["scales"])
    train = str(recs[0].config["train"]["step_size"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = sns.color_palette("mako_r", len(scales) + 1)[1:]
    for color, scale in zip(colors, scales):
        noise = mean_curve(recs, "difficulty", "scales", scale, "step_size", train, "mse_by_step")
        answer = mean_curve(recs, "difficulty", "scales", scale, "mse_from_answer")
        seen = " (training)" if axis == "operands" else " (largest in training)"
        label = level_label(scale) + (seen if float(scale) == trained else "")
        left.plot(steps, noise, color=color, label=label)
        left.plot(steps[1:], answer[1:], color=color, ls="--")  # step 0 is the answer itself (error 0)
    left.set(xscale="symlog", yscale="log", xlabel="reasoning steps", ylabel="test MSE",
             title=f"error against steps (λ = {float(train):g}); dashed: from the answer")  # fmt: skip
    left.set_xlim(0, steps[-1])
    left.legend(title=axis, fontsize=8, title_fontsize=8, loc="best")
    x = [float(s) for s in scales]
    for marker, lam in zip("o^s", first["scales"][scales[0]]["step_size"]):
        end = [mean_curve(recs, "difficulty", "scales", s, "step_size", lam, "mse_by_step")[-1] for s in scales]
        right.plot(x, end, marker=marker, ls="none", ms=7, mfc="none", label=f"from noise, λ = {float(lam):g}")
    answer = [mean_curve(recs, "difficulty", "scales", s, "mse_from_answer")[-1] for s in scales]
    right.plot(x, answer, "k--", label="from the true answer")
    tol = str(EvalConfig.halt_tol)
    halted = [np.mean([r.curves["difficulty"]["scales"][s]["step_size"][train]["halting"][tol]["mse"]
                       for r in recs]) for s in scales]  # fmt: skip
    right.plot(x, halted, "x", color="#d55e00", ms=8, label=f"at halting (tolerance {tol})")
    right.axvline(trained, color="0.6", lw=0.8)  # the largest difficulty seen in training
    xlabel = "operand range s: a, b ~ U(-s, s)" if axis == "operands" else "graph size (nodes)"
    right.set(yscale="log", xlabel=xlabel, ylabel="test MSE",
              title=f"after {steps[-1]} steps, against difficulty")  # fmt: skip
    right.legend(fontsize=8, loc="upper left")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def training_length(table) -> Figure:
    """IREM's test errors against training iterations, from ``report.training_length_table``.

    One panel per task; one color per error (10-, 15-node graphs; the largest graphs after the last
    step with the training and the scaled step size), one marker per seed.
    """
    from matplotlib.lines import Line2D

    tasks = list(dict.fromkeys(table["task"]))
    errors = [c for c in table.columns if "nodes" in c and not c.endswith("step 5")]
    seeds = sorted(set(table["seed"]))
    fig, axes = plt.subplots(1, len(tasks), figsize=(max(7.0, 4.6 * len(tasks)), 3.6), squeeze=False)
    colors = dict(zip(errors, sns.color_palette("colorblind", len(errors))))
    markers = dict(zip(seeds, "osD^v"))
    for ax, task in zip(axes[0], tasks):
        for seed, g in table[table["task"] == task].groupby("seed"):
            for col in errors:
                ax.plot(g["iterations"], g[col], marker=markers[seed], color=colors[col])
        ax.set(xlabel="training iterations", yscale="log", title=task)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test MSE")
    handles = [Line2D([], [], color=c, label=col) for col, c in colors.items()]
    handles += [Line2D([], [], color="gray", marker=m, linestyle="none", label=f"seed {s}") for s, m in markers.items()]
    legend_below(fig, axes[0][0], ncol=3, handles=handles)
    return fig


from irem.book.figures import (  # noqa: E402, F401 (moved)
    MSE_CEILING,
    SPLIT_STYLES,
    band,
    cap_errors,
    legend_below,
    method_colors,
    mse_vs_steps,
    train_loss,
)
