"""The denoising chapter's figures: PSNR against reasoning steps, and Fig. 8's test crop."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from irem.book.figures import FULL_WIDTH, band, legend_below, method_colors, panels, shown_in_book
from irem.experiments.denoising.experiment import EXAMPLE, PSNR_BY_STEP
from irem.store import Record
from irem.tasks.images import TRAIN_SIGMAS


@shown_in_book
def psnr_vs_steps(records: Sequence[Record]) -> Figure:
    """PSNR against reasoning steps, one panel per test noise level (median over seeds, shaded from lowest to highest).

    IREM is a curve; the DnCNN baseline (one step) a dashed line; the noisy input a dotted one.
    """
    irem = [r for r in records if r.method == "irem"]
    dncnn = [r for r in records if r.method == "feedforward"]
    sigmas = list(records[0].metrics)
    colors = method_colors()
    axes = panels(len(sigmas), height=2.8)
    fig = axes[0].figure
    for k, (ax, s) in enumerate(zip(axes, sigmas)):
        if irem:
            band(ax, irem, (PSNR_BY_STEP, s), color=colors["irem"], label="IREM")
        if dncnn:
            ax.axhline(np.mean([r.metrics[s]["psnr"] for r in dncnn]), color=colors["feedforward"], ls="--",
                       label="DnCNN")  # fmt: skip
        ax.axhline(records[0].metrics[s]["psnr_noisy"], color="grey", ls=":", label="noisy input")
        unseen = " (unseen)" if int(s) not in TRAIN_SIGMAS else ""
        ax.set_xscale("symlog", linthresh=1)
        ax.set(xlim=(0, None), xlabel="reasoning steps", title=f"σ = {s}{unseen}")
        ax.grid(alpha=0.3)
        if k % 2 == 0:
            ax.set_ylabel("PSNR (dB)")
    legend_below(fig, axes[0], ncol=3)
    return fig


@shown_in_book
def prior_psnr_vs_steps(prior: Sequence[Record], records: Sequence[Record]) -> Figure:
    """:func:`psnr_vs_steps` of IREM with the energy of the candidate alone, beside the chapter's DnCNN baseline."""
    return psnr_vs_steps([*prior, *(r for r in records if r.method == "feedforward")])


@shown_in_book
def denoising_example(records: Sequence[Record]) -> Figure:
    """Fig. 8: a test crop at the largest sigma: noisy, IREM after 5/30/100 steps, DnCNN, clean."""
    irem = next((r for r in records if r.method == "irem"), None)
    dncnn = next((r for r in records if r.method == "feedforward"), None)
    ex = (irem or dncnn).curves[EXAMPLE]
    panels = [(f"noisy (σ = {ex['sigma']})", ex["noisy"])]
    if irem:
        panels += [(f"IREM, {k} steps", v) for k, v in irem.curves[EXAMPLE]["answers"].items() if k != "0"]
    if dncnn:
        panels.append(("DnCNN", dncnn.curves[EXAMPLE]["answers"]["answer"]))
    panels.append(("clean", ex["clean"]))
    cols = min(3, len(panels))  # rows of three: titles and image detail read at the page's width
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(FULL_WIDTH, 2.7 * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.remove()  # the last row's empty places
    for ax, (title, image) in zip(axes.flat, panels):
        ax.imshow(np.asarray(image, dtype=np.uint8), cmap="gray", vmin=0, vmax=255)
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    return fig
