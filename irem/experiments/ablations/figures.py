"""The ablations chapter's figure: reasoning at test time with other step sizes than the training one."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from irem.book.figures import FULL_WIDTH, band, legend_below, shown_in_book
from irem.experiments.ablations.experiment import TEST_STEP_SIZE
from irem.store import Record
from irem.tasks import task_label


@shown_in_book
def test_step_sizes(records: Sequence[Record]) -> Figure:
    """Test MSE against reasoning steps for each test-time step size (one trained configuration).

    With several seeds, the line and the halting dot are their median; the shade spans the lowest to the highest seed.
    """
    sweep = records[0].curves[TEST_STEP_SIZE]
    palette = sns.color_palette("rocket", len(sweep))
    fig, axes = plt.subplots(1, 2, figsize=(FULL_WIDTH, 3.3), sharey=True)
    for ax, split in zip(axes, ("same", "harder")):
        for color, lam in zip(palette, sweep):
            band(ax, records, (TEST_STEP_SIZE, lam, split, "mse_by_step"), color=color,
                  label=f"test λ = {float(lam):g}")  # fmt: skip
            halt = np.median([r.curves[TEST_STEP_SIZE][lam][split]["mean_halt_step"] for r in records])
            ax.plot([halt], [np.median([r.curves[TEST_STEP_SIZE][lam][split]["mse"] for r in records])], "o",
                    color=color, ms=4)  # fmt: skip
        ax.set(yscale="log", xlabel="reasoning steps", title=f"{task_label(records[0].task)} ({split})")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test MSE")
    legend_below(fig, axes[0], ncol=3)
    return fig
