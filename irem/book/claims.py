"""The verdict on a claim of the paper: the grades and how the summary shows them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.tables import lowest_apart, rank_of
from irem.experiments.experiment import Variant
from irem.experiments.results import ExperimentResult, with_irem

REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN = "reproduced", "partly", "not reproduced", "not run"
NOT_JUDGED = "not judged"  # run, but on too few seeds for the claim's rule (one seed: no interval)


def grade(hits: int, total: int) -> str:
    """All of a claim's cases hold: reproduced; some: partly; none: not reproduced."""
    return NOT_RUN if total == 0 else REPRODUCED if hits == total else PARTLY if hits else NOT_REPRODUCED


def task_part(result, task: str):
    """``result`` restricted to one task's records, at their own profile (a claim resting on one table)."""
    records = [r for r in result.records if r.task == task]
    return replace(result, records=records, profile=records[0].profile) if records else result


def styled_verdicts(table: pd.DataFrame) -> Styler:
    """The verdict table, coloured by verdict; cells wrap (they hold sentences)."""
    colors = {REPRODUCED: "#d9f2d9", PARTLY: "#fff2cc", NOT_REPRODUCED: "#f8d7da", NOT_RUN: "#eeeeee",
              NOT_JUDGED: "#eeeeee"}  # fmt: skip
    style = table.style.hide(axis="index").set_table_styles(
        [{"selector": "", "props": [("font-size", "0.85em")]},
         {"selector": "th, td", "props": [("padding", "0.3em 0.5em"), ("text-align", "left"),
                                          ("vertical-align", "top")]}]
    )  # fmt: skip
    return style.map(lambda v: f"background-color: {colors[v]}" if v in colors else "", subset=["verdict"])


@dataclass(frozen=True)
class Claim:
    """One claim of the paper judged on our records: a row of the summary's verdict table.

    Attributes:
        order: where the claim stands in the paper (Table 1 before Fig. 2 ...); the summary sorts by it.
        claim: the paper's claim, in a sentence.
        paper: what the paper reports for it.
        ours: what our records give.
        verdict: one of ``VERDICTS``.
        rests_on: the profile and seeds the verdict rests on (``irem.book.notes.basis``).
        rule: the rule that turns ours into the verdict.
        note: what explains the numbers (another chapter's diagnosis, a check beyond the paper):
            shown below the verdict table, so that its cells hold the verdict and the numbers.
    """

    order: int
    claim: str
    paper: str
    ours: str
    verdict: str
    rests_on: str
    rule: str
    note: str = ""


VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN, NOT_JUDGED)
COLUMNS = {"claim": "claim of the paper", "paper": "paper", "ours": "ours", "verdict": "verdict",
           "rests_on": "rests on", "rule": "rule"}  # fmt: skip


def claims_table(claims: Sequence[Claim]) -> pd.DataFrame:
    """The verdict table: one row per claim, in the paper's order."""
    rows = [{label: getattr(c, name) for name, label in COLUMNS.items()} for c in sorted(claims, key=lambda c: c.order)]
    return pd.DataFrame(rows, columns=list(COLUMNS.values()))


def claim_notes(claims: Sequence[Claim]) -> str:
    """The claims' notes as a Markdown list below the verdict table, each led by its claim's figure or table."""
    return "\n".join(
        f"- **{c.claim.split(':')[0]}**: {c.note}" for c in sorted(claims, key=lambda c: c.order) if c.note
    )


# --- Table 1's rule (both halves; Table 4 too): the lowest of the methods, at the paper's numbers -----------------

LOWEST_AT_PAPER_RULE = ("IREM lowest of the five methods (its 95 % interval over seeds wholly below every other's) "
                        "and its median within 10 % of the paper's error (or below) on every row; partly when either "
                        "holds on some row")  # fmt: skip


@dataclass(frozen=True)
class RankCounts:
    """Where one method stands on the rows (task, split) of a Table 1-like table, by our errors and the paper's."""

    rows: int  # rows that have the method
    lowest: int  # rows where our error is the lowest of all methods, its interval apart from every other's
    close: int  # rows where our error is within 10 % of the paper's (or below)
    paper_lowest: int  # rows where the paper's error is the lowest
    above_mean: int = 0  # rows where the method's error is above the label variance (worse than answering the mean)
    uninformative: int = 0  # rows where no method is below 90 % of the label variance: they tell no method apart


def rank_counts(table: pd.DataFrame, method: str = "irem") -> RankCounts:
    """``method``'s :class:`RankCounts` in ``ExperimentResult.table()``: ranks as numbers (1 is the lowest error)."""
    lowest = paper_lowest = close = rows = above_mean = uninformative = 0
    for _, g in table.groupby(["task", "split"], sort=False):
        mine, others = g[g.method == method], g[g.method != method]
        if mine.empty:
            continue
        r = mine.iloc[0]
        rows += 1
        lowest += lowest_apart(r, others)
        paper_lowest += not pd.isna(r.paper) and rank_of(r.paper, others.paper) == 1
        close += bool(r.ours <= 1.1 * r.paper)
        if "label_variance" in g:
            above_mean += bool(r.ours > r.label_variance)
            uninformative += bool((g.ours >= 0.9 * g.label_variance).all())
    return RankCounts(rows, lowest, close, paper_lowest, above_mean, uninformative)


def lowest_at_paper(table: pd.DataFrame, method: str = "irem") -> tuple[str, str, str]:
    """(paper, ours, verdict) for "``method`` has the lowest error on every row, at the paper's numbers".

    Reproduced when both hold on every row; partly when either holds on some row (``LOWEST_AT_PAPER_RULE``).
    """
    s = rank_counts(table, method)
    ours = (f"lowest error on {s.lowest} of {s.rows} rows; within 10 % of the paper's number (or below) on {s.close} "
            f"of {s.rows}")  # fmt: skip
    if s.above_mean:
        ours += f"; worse than always answering the mean (the label variance) on {s.above_mean}"
    if s.uninformative:
        ours += (f"; on {s.uninformative} row(s) no method is below 90 % of the label variance, so they tell no "
                 "method apart")  # fmt: skip
    return f"lowest error on {s.paper_lowest} of {s.rows} rows", ours, grade(s.lowest + s.close, 2 * s.rows)


def variant_claims(base: ExperimentResult, results: Mapping[str, ExperimentResult], variants: Sequence[Variant],
                   judges: Sequence[Callable[[ExperimentResult], Claim]]) -> list[Claim]:  # fmt: skip
    """Each claim of ``judges`` again for each of ``variants`` found in ``results``, by the same rules.

    The variant's IREM records take the place of ``base``'s (the other methods' as they are); a
    variant at another profile than ``base`` is left out. One with a single seed on some task is
    "not judged": one seed gives no interval, so the rules' "apart" would compare single
    trainings, whose errors can swing by more than the methods differ.
    """
    out = []
    for v in variants:
        found = results.get(v.key)
        if found is None or found.profile != base.profile:
            continue
        judged = with_irem(base, found)
        tasks = {r.task for r in found.records}
        fewest = min((len({r.seed for r in found.records if r.task == t}) for t in tasks), default=0)
        for judge in judges:
            claim = judge(judged)
            out.append(replace(claim, order=claim.order + v.order, claim=f"{claim.claim} — {v.label}",
                               verdict=claim.verdict if fewest > 1 else NOT_JUDGED))  # fmt: skip
    return out
