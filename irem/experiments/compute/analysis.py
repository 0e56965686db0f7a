"""The compute chapter's numbers and prose: restarts chosen by energy, against one descent.

Reads the compute experiment's run records; its section is shown in the graph chapter's notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.notes import seeds_by_task
from irem.book.stats import mean_curve
from irem.book.tables import styled
from irem.experiments.compute.experiment import BY_RESTARTS
from irem.experiments.results import ExperimentResult
from irem.store import Record
from irem.tasks import task_label


@dataclass(frozen=True)
class RestartsCase:
    """One task and graph size: the error after the last step with the fewest and with the most restarts.

    Errors are means over the seeds.
    """

    task: str
    nodes: int
    fewest: int  # restarts k of the first curve (one descent)
    most: int  # restarts k of the last curve
    error_fewest: float
    error_most: float

    @property
    def ratio(self) -> float:
        """The error with the most restarts over that with the fewest."""
        return self.error_most / self.error_fewest


def restarts_cases(records: Sequence[Record]) -> list[RestartsCase]:
    """Per task and graph size: the error after the last step with the fewest restarts and with the most."""
    cases = []
    for task in dict.fromkeys(r.task for r in records):
        g = [r for r in records if r.task == task and BY_RESTARTS in r.curves]
        for n, by_k in g[0].curves[BY_RESTARTS].items() if g else ():
            ks = list(by_k)
            first, last = (float(mean_curve(g, BY_RESTARTS, n, k)[-1]) for k in (ks[0], ks[-1]))
            cases.append(RestartsCase(task, int(n), int(ks[0]), int(ks[-1]), first, last))
    return cases


def restarts_summary(records: Sequence[Record]) -> pd.DataFrame:
    """Per task and graph size: the error after the last step with 1 restart and with the most."""
    rows = [{"task": task_label(c.task), "nodes": c.nodes, f"k = {c.fewest}": c.error_fewest,
             f"k = {c.most}": c.error_most, "ratio": c.ratio} for c in restarts_cases(records)]  # fmt: skip
    return pd.DataFrame(rows)


def styled_restarts_summary(records: Sequence[Record]) -> Styler:
    """:func:`restarts_summary` for the book."""
    return styled(restarts_summary(records), {"ratio": "{:.2f}"})


def restarts_prose(records: Sequence[Record], label_variance: Mapping[tuple[str, str], float] | None = None) -> str:
    """Whether choosing among restarts by energy lowers the error after the last step, per task and size, with numbers.

    A case counts as helped when the most restarts leave below 90 % of one descent's error,
    and as hurt above 110 %. ``label_variance`` (``{(task, str(nodes)): value}``, e.g. the difficulty
    experiment's) puts each case's reference beside it: the error of always answering the mean.
    """
    lv = label_variance or {}

    def reference(c: RestartsCase) -> str:
        value = lv.get((c.task, str(c.nodes)))
        return "" if value is None else f" (label variance {value:.3g})"

    cases = restarts_cases(records)
    if not cases:
        return ""
    one, most = cases[0].fewest, cases[0].most
    each = "; ".join(f"{task_label(c.task)} at {c.nodes} nodes {c.error_fewest:.3g} → {c.error_most:.3g}{reference(c)}"
                     for c in cases)  # fmt: skip
    helped, hurt = sum(c.ratio < 0.9 for c in cases), sum(c.ratio > 1.1 for c in cases)
    return (f"Keeping the lowest-energy answer of {most} descents instead of one leaves less than "
            f"90 % of the error after the last step in {helped} of {len(cases)} cases, and more than 110 % in {hurt} "
            f"(k = {one} → k = {most}): {each}.")  # fmt: skip


def restarts_caption(compute: ExperimentResult) -> str:
    """The caption of :func:`irem.experiments.compute.figures.restarts` (Markdown)."""
    return (
        "*Test MSE against reasoning steps on graphs of 15 and 30 nodes (trained on 2-10), when each problem keeps, "
        "after every step, the lowest-energy answer of $k$ descents from independent random starts (IREM; the mean "
        f"over seeds, shaded from the lowest seed to the highest; profile: {compute.profile}; "
        f"{seeds_by_task(compute.records)}).*"
    )
