"""The chapter's IREM beside its variants (``graph.experiment.VARIANTS``): one table of errors with intervals.

The variants' verdicts (Table 1 and Fig. 2 by the same rules) are ``graph.analysis.variant_claims``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.tables import spread_cell, styled
from irem.experiments.graph.analysis import seed_ends
from irem.experiments.graph.experiment import VARIANTS
from irem.experiments.results import ExperimentResult
from irem.spread import SeedSpread
from irem.tasks import task_label


def variant_table(graph: ExperimentResult, variants: Mapping[str, ExperimentResult], nodes: int) -> pd.DataFrame:
    """Per task and test size: the chapter's IREM, each variant (``{Variant.key: result}``), the recurrent baseline."""
    columns = {"IREM (ours)": graph, **{v.column: variants[v.key] for v in VARIANTS if v.key in variants}}
    rows = []
    for task in dict.fromkeys(r.task for r in graph.records):
        for split, label in (("same", "10 nodes"), ("harder", "15 nodes"), (None, f"{nodes} nodes, last step")):
            row = {"task": task_label(task), "graphs": label}
            for name, result in columns.items():
                row[name] = _at(result, task, "irem", split, nodes)
            row["recurrent"] = _at(graph, task, "recurrent", split, nodes)
            row["paper (IREM)"] = graph.experiment.paper.get((task, "irem", split), math.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def _at(result: ExperimentResult, task: str, method: str, split: str | None, nodes: int) -> SeedSpread | None:
    """The error's SeedSpread on ``split`` (``None``: Fig. 2's largest graphs after the last step)."""
    if split is not None:
        return result.spread(task, method, split)
    records = [r for r in result.records if r.task == task and r.method == method]
    return seed_ends(records, nodes)[1] if records else None


def styled_variant_table(table: pd.DataFrame) -> Styler:
    """:func:`variant_table` for the book: medians with intervals; a variant's cell says where it is apart from ours."""
    shown = table.copy()
    spreads = [c for c in table.columns if c not in ("task", "graphs", "paper (IREM)")]
    for col in spreads:
        shown[col] = [spread_cell(s, ours if col not in ("IREM (ours)", "recurrent") else None)
                      for s, ours in zip(table[col], table["IREM (ours)"])]  # fmt: skip
    return styled(shown)
