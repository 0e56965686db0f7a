"""The scratchpad chapter's figure: how one problem's answer and scratchpad move over the reasoning steps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from irem.book.figures import panels, shown_in_book
from irem.experiments.scratchpad.experiment import TRAJECTORY
from irem.store import Record
from irem.tasks import task_label


@shown_in_book
def scratchpad_trajectories(records: Sequence[Record], task: str) -> Figure:
    """How one problem's answer error (left) and scratchpad entries (right) evolve over steps."""
    recs = sorted((r for r in records if r.task == task and r.seed == 0),
                  key=lambda r: r.train["scratchpad"])  # fmt: skip
    with_z = [r for r in recs if "z" in r.curves[TRAJECTORY]]
    axes = panels(1 + len(with_z), height=3.0)
    fig, answer = axes[0].figure, axes[0]
    palette = sns.color_palette("colorblind", len(recs))
    for color, r in zip(palette, recs):
        d = r.train["scratchpad"]
        answer.plot(r.curves[TRAJECTORY]["y_mse"], color=color, label=f"D = {d}")
    answer.set(yscale="log", xlabel="reasoning steps", ylabel="MSE of y", title=f"{task_label(task)}: answer")
    answer.legend()
    answer.grid(alpha=0.3)
    for ax, r in zip(axes[1:], with_z):
        z = np.asarray(r.curves[TRAJECTORY]["z"], dtype=float)
        ax.plot(z, lw=1)
        ax.set(xlabel="reasoning steps", ylabel="z entries (first 8)",
               title=f"scratchpad, D = {r.train['scratchpad']}")  # fmt: skip
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
