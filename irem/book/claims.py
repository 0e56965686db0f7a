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


VERDICT_COLORS = {REPRODUCED: "#d9f2d9", PARTLY: "#fff2cc", NOT_REPRODUCED: "#f8d7da", NOT_RUN: "#eeeeee",
                  NOT_JUDGED: "#eeeeee"}  # fmt: skip


def styled_verdicts(table: pd.DataFrame) -> Styler:
    """The verdict table, coloured by verdict; cells wrap (they hold sentences)."""
    return _wrapped(table).map(_color, subset=["verdict"])


def _color(verdict: object) -> str:
    return f"background-color: {VERDICT_COLORS[verdict]}" if verdict in VERDICT_COLORS else ""


def _wrapped(table: pd.DataFrame) -> Styler:
    """A table of sentences: small type, cells wrapped and aligned to the top left."""
    return table.style.hide(axis="index").set_table_styles(
        [{"selector": "", "props": [("font-size", "0.85em")]},
         {"selector": "th, td", "props": [("padding", "0.3em 0.5em"), ("text-align", "left"),
                                          ("vertical-align", "top")]}]
    )  # fmt: skip


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
        variant: the IREM variant judged in the chapter's IREM's place (``variant_claims``); None for
            the chapter's IREM. The summary shows a claim's variants as columns beside it.
    """

    order: int
    claim: str
    paper: str
    ours: str
    verdict: str
    rests_on: str
    rule: str
    note: str = ""
    variant: Variant | None = None

    @property
    def title(self) -> str:
        """The claim, and the variant judged where there is one: unique among a chapter's claims."""
        return f"{self.claim} — {self.variant.label}" if self.variant else self.claim

    @property
    def lead(self) -> str:
        """The figure or table the claim is about ("Table 1 (left)"), with the variant's column name."""
        lead = self.claim.split(":")[0]
        return f"{lead} ({self.variant.column})" if self.variant else lead


def paper_order(c: Claim) -> tuple[int, int]:
    """Claims in the paper's order, each claim's variants after it."""
    return c.order, c.variant.order if c.variant else 0


VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_RUN, NOT_JUDGED)
COLUMNS = {"claim": "claim of the paper", "paper": "paper", "ours": "ours", "verdict": "verdict",
           "rests_on": "rests on", "rule": "rule"}  # fmt: skip


def claims_table(claims: Sequence[Claim]) -> pd.DataFrame:
    """The verdicts as data: one row per claim and variant judged, in the paper's order."""
    rows = [{label: c.title if name == "claim" else getattr(c, name) for name, label in COLUMNS.items()}
            for c in sorted(claims, key=paper_order)]  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS.values()))


def claim_notes(claims: Sequence[Claim]) -> str:
    """The claims' notes as a Markdown list below the verdict table, each led by its claim's figure or table."""
    return "\n".join(f"- **{c.lead}**: {c.note}" for c in sorted(claims, key=paper_order) if c.note)


def claim_rules(claims: Sequence[Claim]) -> str:
    """Each claim's rule once, as a Markdown list (a claim's variants are judged by its rule)."""
    rules = {c.claim: c.rule for c in sorted(claims, key=paper_order)}
    leads = [claim.split(":")[0] for claim in rules]
    return "\n".join(f"- **{lead if leads.count(lead) == 1 else claim}**: {rule}"  # a shared lead: the whole claim
                     for lead, (claim, rule) in zip(leads, rules.items()))  # fmt: skip


OURS = "ours"  # the grid's column of the chapters' own IREM (and of every claim that has no variant)


def verdict_grid(claims: Sequence[Claim]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The verdict table for reading: one row per claim, its verdict under each setting side by side.

    Columns: the claim, the paper's number, ``OURS`` (the chapters' IREM), then one per variant judged
    (``Variant.column``: the tuned λ, the release's recipe), each cell "verdict: our numbers — rests on
    the profile and seeds" and "—" where the claim has no such variant. Also returns the verdict of
    each cell (NaN for the first two columns and the empty cells), which colours it.
    """
    ordered = sorted(claims, key=paper_order)
    variants = sorted((c.variant for c in ordered if c.variant), key=lambda v: v.order)
    columns = ["claim of the paper", "paper", OURS, *dict.fromkeys(v.column for v in variants)]
    text: dict[tuple, dict] = {}
    verdict: dict[tuple, dict] = {}
    for c in ordered:
        key = (c.order, c.claim)
        row = text.setdefault(key, {"claim of the paper": c.claim, "paper": c.paper})
        column = c.variant.column if c.variant else OURS
        row[column] = f"{c.verdict}: {c.ours} — rests on {c.rests_on}"
        verdict.setdefault(key, {})[column] = c.verdict
    table = pd.DataFrame(list(text.values()), columns=columns).fillna("—")
    return table, pd.DataFrame(list(verdict.values()), columns=columns)


def with_and_without_variants(claims: Sequence[Claim]) -> tuple[list[Claim], list[Claim]]:
    """``claims`` split into the claims judged for some variant too (with those variants' verdicts) and the rest.

    The summary shows the two as separate tables: the second has no variant columns to leave empty.
    """
    judged_again = {(c.order, c.claim) for c in claims if c.variant}
    return ([c for c in claims if (c.order, c.claim) in judged_again],
            [c for c in claims if (c.order, c.claim) not in judged_again])  # fmt: skip


def styled_verdict_grid(claims: Sequence[Claim]) -> Styler:
    """:func:`verdict_grid` styled: each verdict cell coloured by its verdict; cells wrap (they hold sentences)."""
    table, verdicts = verdict_grid(claims)
    return _wrapped(table).apply(lambda _: verdicts.map(_color), axis=None)


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
            out.append(replace(claim, variant=v, verdict=claim.verdict if fewest > 1 else NOT_JUDGED))
    return out
