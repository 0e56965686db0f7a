"""The compute chapter's numbers and prose: restarts chosen by energy, against one descent.

Reads the compute experiment's run records; its section is shown in the graph chapter's notebook.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.notes import seeds_by_task
from irem.book.tables import spread_cell, styled
from irem.experiments.compute.experiment import BY_RESTARTS
from irem.experiments.results import ExperimentResult
from irem.spread import SeedSpread, over_seeds
from irem.store import Record
from irem.tasks import task_label


@dataclass(frozen=True)
class RestartsCase:
    """One task and graph size: the error after the last step with the fewest and with the most restarts.

    Each over the seeds' models as a :class:`SeedSpread` (every seed's, the median and its 95 %
    interval), and the ratio of the two per model: restarts change one model's answer, so each
    seed is read against itself, whatever its own level (on larger graphs seeds differ tenfold).
    """

    task: str
    nodes: int
    fewest: int  # restarts k of the first curve (one descent)
    most: int  # restarts k of the last curve
    error_fewest: SeedSpread
    error_most: SeedSpread
    ratio: SeedSpread  # per model: the error with the most restarts over that with the fewest

    @property
    def helped(self) -> bool:
        """The most restarts leave below 90 % of one descent's error: the ratio's interval wholly below 0.9."""
        return self.ratio.high < 0.9

    @property
    def hurt(self) -> bool:
        """The most restarts raise the error above 110 %: the ratio's interval wholly above 1.1."""
        return self.ratio.low > 1.1


def restarts_cases(records: Sequence[Record]) -> list[RestartsCase]:
    """Per task and graph size: the error after the last step with the fewest restarts and with the most.

    Models whose error is not finite at either count (a diverged descent) are left out of that case.
    """
    cases = []
    for task in dict.fromkeys(r.task for r in records):
        g = [r for r in records if r.task == task and BY_RESTARTS in r.curves]
        for n, by_k in g[0].curves[BY_RESTARTS].items() if g else ():
            ks = list(by_k)
            pairs = [(_last(r, n, ks[0]), _last(r, n, ks[-1])) for r in g]
            pairs = [(f, m) for f, m in pairs if math.isfinite(f) and math.isfinite(m) and f > 0]
            if pairs:
                fewest, most = zip(*pairs)
                cases.append(RestartsCase(task, int(n), int(ks[0]), int(ks[-1]), over_seeds(fewest), over_seeds(most),
                                          over_seeds([m / f for f, m in pairs])))  # fmt: skip
    return cases


def _last(r: Record, nodes: str, k: str) -> float:
    """The error after the last step of ``r``'s descents with ``k`` restarts at ``nodes`` nodes (NaN for null)."""
    value = r.curves[BY_RESTARTS][nodes][k][-1]
    return math.nan if value is None else float(value)


def restarts_summary(records: Sequence[Record]) -> pd.DataFrame:
    """Per task and graph size: the error after the last step with 1 restart and with the most, and their ratio."""
    rows = [{"task": task_label(c.task), "nodes": c.nodes, f"k = {c.fewest}": c.error_fewest,
             f"k = {c.most}": c.error_most, "ratio": c.ratio} for c in restarts_cases(records)]  # fmt: skip
    return pd.DataFrame(rows)


def styled_restarts_summary(records: Sequence[Record]) -> Styler:
    """:func:`restarts_summary` for the book: medians over the seeds' models with their 95 % intervals."""
    table = restarts_summary(records)
    for col in table.columns[2:]:
        table[col] = [spread_cell(s, digits=2 if col == "ratio" else 4) for s in table[col]]
    return styled(table)


def restarts_prose(records: Sequence[Record], label_variance: Mapping[tuple[str, str], float] | None = None) -> str:
    """Whether choosing among restarts by energy lowers the error after the last step, per task and size, with numbers.

    A case counts as helped when the most restarts leave below 90 % of one descent's error, and as
    hurt above 110 %, each read per model (:class:`RestartsCase`: the ratio's interval wholly past the
    bound). ``label_variance`` (``{(task, str(nodes)): value}``, e.g. the difficulty experiment's)
    puts each case's reference beside it: the error of always answering the mean.
    """
    lv = label_variance or {}

    def reference(c: RestartsCase) -> str:
        value = lv.get((c.task, str(c.nodes)))
        return "" if value is None else f", label variance {value:.3g}"

    cases = restarts_cases(records)
    if not cases:
        return ""
    one, most = cases[0].fewest, cases[0].most
    each = "; ".join(f"{task_label(c.task)} at {c.nodes} nodes {c.error_fewest.brief()} → {c.error_most.brief()} "
                     f"(ratio {c.ratio.brief()}{reference(c)})" for c in cases)  # fmt: skip
    helped, hurt = sum(c.helped for c in cases), sum(c.hurt for c in cases)
    return (f"Keeping the lowest-energy answer of {most} descents instead of one leaves less than "
            f"90 % of the error after the last step in {helped} of {len(cases)} cases, and more than 110 % in {hurt}, "
            "each model read against itself (the ratio's 95 % interval over seeds wholly past the bound); "
            f"k = {one} → k = {most}, medians over seeds: {each}.")  # fmt: skip


def restarts_caption(compute: ExperimentResult) -> str:
    """The caption of :func:`irem.experiments.compute.figures.restarts` (Markdown)."""
    return (
        "*Test MSE against reasoning steps on graphs of 15 and 30 nodes (trained on 2-10), when each problem keeps, "
        "after every step, the lowest-energy answer of $k$ descents from independent random starts (IREM; the mean "
        f"over seeds, shaded from the lowest seed to the highest; profile: {compute.profile}; "
        f"{seeds_by_task(compute.records)}).*"
    )
