"""The difficulty experiment's figure, drawn from its records: IREM's error against steps and against difficulty."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from irem.book.figures import FULL_WIDTH, shown_in_book
from irem.book.stats import mean_curve
from irem.config import EvalConfig
from irem.experiments.difficulty.analysis import difficulty_levels
from irem.experiments.difficulty.experiment import DIFFICULTY_CURVE
from irem.store import Record


@shown_in_book
def difficulty(records: Sequence[Record]) -> Figure:
    """IREM on one task over a continuum of difficulties (the difficulty experiment), means over seeds.

    Left: error against reasoning steps at each level (operand range or graph size) with the
    training step size, from random starts (solid) and from the true answer (dashed). Right: the
    error after the last step against the level, for each test-time step size and from the
    answer, and the error at halting.
    """
    recs = [r for r in records if DIFFICULTY_CURVE in r.curves]
    axis, level_label, trained = difficulty_levels(recs[0].task)
    first = recs[0].curves[DIFFICULTY_CURVE]
    steps, scales = np.asarray(first["steps"]), list(first["scales"])
    train = str(recs[0].config["train"]["step_size"])
    fig, (left, right) = plt.subplots(2, 1, figsize=(FULL_WIDTH, 10.0))  # one above the other: legible at the column
    colors = sns.color_palette("mako_r", len(scales) + 1)[1:]
    for color, scale in zip(colors, scales):
        noise = mean_curve(recs, DIFFICULTY_CURVE, "scales", scale, "step_size", train, "mse_by_step")
        answer = mean_curve(recs, DIFFICULTY_CURVE, "scales", scale, "mse_from_answer")
        seen = " (training)" if axis == "operands" else " (largest in training)"
        label = level_label(scale) + (seen if float(scale) == trained else "")
        left.plot(steps, noise, color=color, label=label)
        left.plot(steps[1:], answer[1:], color=color, ls="--")  # step 0 is the answer itself (error 0)
    left.set(xscale="symlog", yscale="log", xlabel="reasoning steps", ylabel="test MSE",
             title=f"error against steps (λ = {float(train):g}); dashed: from the answer")  # fmt: skip
    left.set_xlim(0, steps[-1])
    # legends below their panels, never over the curves
    left.legend(title=axis, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    x = [float(s) for s in scales]
    for marker, lam in zip("o^s", first["scales"][scales[0]]["step_size"]):
        end = [mean_curve(recs, DIFFICULTY_CURVE, "scales", s, "step_size", lam, "mse_by_step")[-1] for s in scales]
        right.plot(x, end, marker=marker, ls="none", ms=7, mfc="none", label=f"from noise, λ = {float(lam):g}")
    answer = [mean_curve(recs, DIFFICULTY_CURVE, "scales", s, "mse_from_answer")[-1] for s in scales]
    right.plot(x, answer, "k--", label="from the true answer")
    tol = str(EvalConfig.halt_tol)
    halted = [np.mean([r.curves[DIFFICULTY_CURVE]["scales"][s]["step_size"][train]["halting"][tol]["mse"]
                       for r in recs]) for s in scales]  # fmt: skip
    right.plot(x, halted, "x", color="#d55e00", ms=8, label=f"at halting (tolerance {tol})")
    right.axvline(trained, color="0.6", lw=0.8)  # the largest difficulty seen in training
    xlabel = "operand range s: a, b ~ U(-s, s)" if axis == "operands" else "graph size (nodes)"
    right.set(yscale="log", xlabel=xlabel, ylabel="test MSE",
              title=f"after {steps[-1]} steps, against difficulty")  # fmt: skip
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
