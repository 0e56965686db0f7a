"""Test-time reasoning in the ablations chapter: the λ = 100 addition model with other step sizes, and halting.

The model's seeds each reason with every test-time step size of ``TEST_STEP_SIZES``
(:func:`~irem.experiments.ablations.experiment.step_size_sweep`); halting at the energy minimum is
set against fixed step budgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from irem.book.stats import sample_std
from irem.book.tables import mean_std
from irem.experiments.ablations.experiment import TEST_STEP_SIZE
from irem.store import Record


def sweep_records(records: Sequence[Record]) -> list[Record]:
    """The seeds of the λ = 100 addition model, each swept over the test-time step sizes."""
    return [r for r in records if TEST_STEP_SIZE in r.curves]


@dataclass
class StepSizeSummary:
    """The test-time step-size sweep of one model's seeds, means over them (its prose's glue keys).

    The training λ; the test-time λ with the lowest error at halting (same) and that error; the
    error with the training λ; the λs whose mean halting step is below 1, listed, or "none".
    """

    trained_lam: float
    best_lam: float
    best_lam_mse: float
    trained_lam_mse: float
    diverged: str


def step_size_summary(records: Sequence[Record]) -> StepSizeSummary:
    """The test-time step-size sweep of one model's seeds: the best lambda, the trained one, those that never descend.

    Errors and halting steps are means over the records (seeds of one configuration).
    """
    sweep = records[0].curves[TEST_STEP_SIZE]
    trained = records[0].train["step_size"]
    mse = {lam: np.mean([r.curves[TEST_STEP_SIZE][lam]["same"]["mse"] for r in records]) for lam in sweep}
    halt = {lam: np.mean([r.curves[TEST_STEP_SIZE][lam]["same"]["mean_halt_step"] for r in records]) for lam in sweep}
    best = min(mse, key=mse.get)
    diverged = [f"{float(lam):g}" for lam in sweep if halt[lam] < 1]
    return StepSizeSummary(trained_lam=trained, best_lam=float(best), best_lam_mse=float(mse[best]),
                           trained_lam_mse=float(mse[str(trained)]),
                           diverged=", ".join(diverged) if diverged else "none")  # fmt: skip


def halting_table(records: Sequence[Record]) -> pd.DataFrame:
    """Halting at the energy minimum against fixed step budgets, same and harder (mean ± std over seeds)."""

    def cell(split: str, *keys: str, digits: int = 4) -> str:
        values = []
        for r in records:
            value = r.metrics[split]
            for key in keys:
                value = value[key]
            values.append(value)
        return mean_std(float(np.mean(values)), sample_std(values), len(values), digits)

    rows = []
    for split, m in records[0].metrics.items():
        by = m["mse_by_steps"]
        last = max(by, key=int)
        rows.append({
            "difficulty": split, "mean steps used (halting)": cell(split, "mean_halt_step", digits=1),
            "MSE at halting": cell(split, "mse"),
            "MSE after 5 steps": cell(split, "mse_by_steps", "5") if "5" in by else "—",
            f"MSE after {last} steps": cell(split, "mse_by_steps", last), "seeds": len(records),
        })  # fmt: skip
    return pd.DataFrame(rows)
