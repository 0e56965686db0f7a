"""The composition chapter's numbers: Table 4, the numbers its prose quotes, and its verdict row.

Everything here reads the composition experiment's result (and, for the first operation, the
continuous experiment's, passed in) and returns numbers or tables; ``claims`` gives the summary's
verdict row for the chapter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.claims import Claim, lowest_at_paper
from irem.book.notes import basis
from irem.book.tables import _nearest_gap, median_interval, styled
from irem.experiments import paper
from irem.experiments.results import ExperimentResult
from irem.methods import method_label

TABLE4_DEPTHS = tuple(paper.TABLE4["irem"])  # the paper's Table 4: errors after 2, 5 and 10 nested additions
TABLE4_RULE = (
    "IREM lowest of the five methods and within 10 % of the paper's error (or below) on every depth; partly "
    "when either holds on some row"
)


def styled_composition_table(table: pd.DataFrame, ks: tuple[int, ...] = (2, 5, 10)) -> Styler:
    """Table 4: one row per method, ours and the paper's after each of ``ks`` operations."""
    rows = []
    for method, g in table.groupby("method", sort=False):
        row = {"method": method_label(method)}
        for k in ks:
            r = g[g.split == str(k)]
            if r.empty:
                continue
            r = r.iloc[0]
            row[f"{k} ops: ours"] = median_interval(r.ours, r.low, r.high, r.seeds)
            row[f"{k} ops: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
        row["seeds"] = int(g.seeds.min())
        rows.append(row)
    return styled(pd.DataFrame(rows))


@dataclass(frozen=True)
class CompositionSummary:
    """The numbers the chapter's prose quotes, glued under these names.

    Attributes:
        best_2: the method (its label) with the lowest error after 2 nested additions; None where not run.
        best_5: the same after 5.
        best_10: the same after 10.
        k_last: the most nested additions run.
        best_last: the method (its label) with the lowest error after ``k_last``.
        best_last_gap: whether the nearest other method there is beyond the seeds' spread (a clause for the prose).
        irem_last: IREM's error after ``k_last`` (NaN without IREM runs).
        irem_paper_last: the paper's IREM error after ``k_last`` (Table 4; NaN at a depth it does not report).
        irem_ratio_last: ``irem_last / irem_paper_last``.
    """

    best_2: str | None
    best_5: str | None
    best_10: str | None
    k_last: int
    best_last: str
    best_last_gap: str
    irem_last: float
    irem_paper_last: float
    irem_ratio_last: float


def composition_summary(result: ExperimentResult) -> CompositionSummary:
    """The best method after each of Table 4's depths and after the deepest, and IREM there against the paper's."""
    table = result.table()
    methods = list(dict.fromkeys(table.method))

    def best(k: int) -> str:  # the method with the lowest error after k operations
        return min(methods, key=lambda m: result.ours("addition", m, str(k)))

    depths = {int(s) for s in table.split}
    k_last = max(depths)
    deepest = table[table.split == str(k_last)]
    leader = deepest[deepest.method == best(k_last)].iloc[0]
    gap = _nearest_gap(leader, deepest[deepest.method != leader.method])
    irem_last = result.ours("addition", "irem", str(k_last)) if "irem" in methods else math.nan
    paper_last = paper.TABLE4["irem"].get(k_last, math.nan)
    best_at = [method_label(best(k)) if k in depths else None for k in TABLE4_DEPTHS]
    return CompositionSummary(
        *best_at, k_last=k_last, best_last=method_label(best(k_last)),
        best_last_gap=gap or " (from one seed, so the spread between seeds is not known)",
        irem_last=irem_last, irem_paper_last=paper_last, irem_ratio_last=irem_last / paper_last,
    )  # fmt: skip


def first_operation(composition, single) -> pd.DataFrame:
    """Each method's error after one composed addition beside its single-addition error (same difficulty).

    Both add two operands drawn like the training inputs with the same trained models (the seeds of
    the composition records), so they should agree up to the test sample.
    """
    rows = []
    for method in dict.fromkeys(r.method for r in composition.records):
        seeds = {r.seed for r in composition.records if r.method == method}  # the same models on both sides
        same = [r.metrics["same"]["mse"] for r in single.records
                if r.method == method and r.task == "addition" and r.seed in seeds]  # fmt: skip
        one, alone = composition.ours("addition", method, "1"), float(np.mean(same)) if same else float("nan")
        rows.append({"method": method_label(method), "1 operation (this chapter)": one,
                     "single addition (continuous chapter)": alone, "ratio": one / alone,
                     "profiles": f"{composition.profile} / {single.profile}"})  # fmt: skip
    return pd.DataFrame(rows)


def claims(results: Mapping[str, ExperimentResult]) -> list[Claim]:
    """The summary's verdict row for this chapter: Table 4 at its depths of 2, 5 and 10 (none without records)."""
    comp = results.get("composition")
    if comp is None:
        return []
    table = comp.table()
    table = table[table.split.isin([str(k) for k in TABLE4_DEPTHS])]
    if not len(table):
        return []
    claim = "Table 4 / Fig. 7: composed additions, IREM lowest at 2, 5 and 10 operations, at the paper's errors"
    return [Claim(90, claim, *lowest_at_paper(table), basis(comp), TABLE4_RULE)]
