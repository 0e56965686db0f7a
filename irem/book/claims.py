"""The verdict on a claim of the paper: the grades and how the summary shows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
from pandas.io.formats.style import Styler

REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN = "reproduced", "partly", "not reproduced", "not run"


def grade(hits: int, total: int) -> str:
    """All of a claim's cases hold: reproduced; some: partly; none: not reproduced."""
    return NOT_RUN if total == 0 else REPRODUCED if hits == total else PARTLY if hits else NOT_REPRODUCED


def task_part(result, task: str):
    """``result`` restricted to one task's records, at their own profile (a claim resting on one table)."""
    records = [r for r in result.records if r.task == task]
    return replace(result, records=records, profile=records[0].profile) if records else result


def styled_verdicts(table: pd.DataFrame) -> Styler:
    """The verdict table, coloured by verdict; cells wrap (they hold sentences)."""
    colors = {REPRODUCED: "#d9f2d9", PARTLY: "#fff2cc", NOT_REPRODUCED: "#f8d7da", NOT_RUN: "#eeeeee"}
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
    """

    order: int
    claim: str
    paper: str
    ours: str
    verdict: str
    rests_on: str
    rule: str


VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN)
COLUMNS = {"claim": "claim of the paper", "paper": "paper", "ours": "ours", "verdict": "verdict",
           "rests_on": "rests on", "rule": "rule"}  # fmt: skip


def claims_table(claims: Sequence[Claim]) -> pd.DataFrame:
    """The verdict table: one row per claim, in the paper's order."""
    rows = [{label: getattr(c, name) for name, label in COLUMNS.items()} for c in sorted(claims, key=lambda c: c.order)]
    return pd.DataFrame(rows, columns=list(COLUMNS.values()))
