"""Tables of the book: ours beside the paper's, styled for the page.

Tables stay numeric ``DataFrame``s until ``styled`` formats them; ranks are numbers. Shared by
the chapters that show Table 1-like results (graph, continuous, composition) and the summary.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from irem.methods import method_label
from irem.spread import SeedSpread, compare, interval_ends
from irem.store import Record
from irem.tasks import task_label

# every table of the book: compact, cells apart, and within the page's column: cells wrap at spaces (a number
# and its interval may take two lines; the interval itself is held together by no-break spaces)
TABLE_STYLES = [
    {"selector": "", "props": [("font-size", "0.8em"), ("border-collapse", "collapse")]},
    {"selector": "th", "props": [("padding", "0.3em 0.5em"), ("border-bottom", "1px solid #aaa")]},
    {"selector": "td", "props": [("padding", "0.2em 0.5em"), ("text-align", "right")]},
]


def rank_of(value: float, others: pd.Series) -> int:
    """1 + the number of ``others`` with a lower error (1 is the best): for single numbers (the paper's)."""
    return 1 + int((others < value).sum())


def rank_apart(row, others: pd.DataFrame) -> int:
    """1 + the number of ``others`` whose interval over seeds lies wholly below ``row``'s (1: none is surely lower).

    ``row`` and ``others`` carry ``ExperimentResult.table()``'s ``low`` and ``high``: a rank moves only
    where the intervals separate, so two methods whose seeds overlap share it.
    """
    return 1 + int((others.high < row.low).sum())


def lowest_apart(row, others: pd.DataFrame) -> bool:
    """Whether ``row``'s interval lies wholly below every other's: lowest beyond the spread between seeds."""
    return bool((row.high < others.low).all())


def ranks(table: pd.DataFrame, method: str = "irem", split_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Where ``method`` ranks among the methods of each (task, split), by our error and by the paper's (numbers).

    Rank 1 is the lowest error. Ours counts only the methods whose interval over seeds lies wholly
    below ``method``'s (:func:`rank_apart`), so overlapping methods share a rank. ``methods`` is how
    many were ranked; a missing paper number leaves its rank NaN. :func:`styled_ranks` shows "1 of 5".
    Reading the two ranks side by side tells whether the paper's ordering is reproduced.
    """
    labels = split_labels or {}
    rows = []
    for (task, split), g in table.groupby(["task", "split"], sort=False):
        mine = g[g.method == method]
        if mine.empty:
            continue
        r = mine.iloc[0]
        others = g[g.method != method]
        best_other = others.loc[others.ours.idxmin(), "method"] if len(others) else None
        rows.append({
            "task": task_label(task), "split": labels.get(split, split), "method": method, "ours": r.ours,
            "rank_ours": rank_apart(r, others), "best_other": best_other, "paper": r.paper,
            "rank_paper": float("nan") if pd.isna(r.paper) else rank_of(r.paper, others.paper), "methods": len(g),
        })  # fmt: skip
    return pd.DataFrame(rows)


def styled_ranks(ranked: pd.DataFrame, split_column: str = "split", task: bool = True) -> Styler:
    """:func:`ranks` for the page: errors to 4 decimals, ranks as "1 of 5", the paper's in grey."""

    def of(rank: float, n: int) -> str:
        return "—" if pd.isna(rank) else f"{int(rank)} of {n}"

    rows = [{
        **({"task": r.task} if task else {}), split_column: r.split,
        f"{method_label(r.method)}: ours": f"{r.ours:.4f}", "rank (ours)": of(r.rank_ours, r.methods),
        "best other method (ours)": method_label(r.best_other) if r.best_other else "—",
        "paper": "—" if pd.isna(r.paper) else f"{r.paper:.4f}", "rank (paper)": of(r.rank_paper, r.methods),
    } for r in ranked.itertuples()]  # fmt: skip
    return styled(pd.DataFrame(rows))


def median_interval(median: float, low: float, high: float, seeds: int, digits: int = 4) -> str:
    """``"median [low, high]"`` (the interval as ``interval_ends`` prints it), or the value alone from one seed."""
    if pd.isna(median):
        return "diverged"
    return f"{median:.{digits}f}" + (" [{},\u00a0{}]".format(*interval_ends(low, high)) if seeds > 1 else "")


def spread_cell(spread: SeedSpread | None, against: SeedSpread | None = None, digits: int = 4) -> str:
    """:func:`median_interval` of ``spread`` ("—" for none); with ``against``, whether it is lower, higher or tied.

    One training has no interval, so it is ranked against nothing ("one seed").
    """
    if spread is None:
        return "—"
    text = median_interval(spread.median, spread.low, spread.high, spread.seeds, digits)
    if against is None:
        return text
    return f"{text} ({compare(spread, against) if spread.seeds > 1 else 'one seed'})"


def mean_std(mean: float, std: float, seeds: int, digits: int = 4) -> str:
    """``"mean ± std"``, or ``"mean"`` alone from one seed."""
    return f"{mean:.{digits}f}" + (f" ±\u00a0{std:.{digits}f}" if seeds > 1 else "")  # may wrap before the ±


def merge_std(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Each column ``c`` with a twin ``"c (std)"`` as text ``"mean ± std"`` (``"mean"`` on rows of one seed).

    The row's seed count is its ``seeds`` column; the ``(std)`` columns are dropped.
    """
    out = table.copy()
    for col in [c for c in table.columns if f"{c} (std)" in table.columns]:
        out[col] = [mean_std(m, s, n, digits) for m, s, n in zip(table[col], table[f"{col} (std)"], table["seeds"])]
    return out.drop(columns=[c for c in table.columns if c.endswith(" (std)")])


def styled(table: pd.DataFrame, formats: dict | None = None, precision: int = 4) -> Styler:
    """A table for the book: no index, cells apart and on one line, the paper's columns in grey.

    ``formats`` maps columns to format strings; other numbers get ``precision`` decimals.
    """
    table = table.reset_index(drop=True)  # a concatenation repeats index labels, which Styler refuses
    paper_cols = [c for c in table.columns if "paper" in str(c)]
    text_cols = [c for c in table.columns if table[c].dtype == object]
    style = table.style.hide(axis="index").set_table_styles(TABLE_STYLES)
    style = style.set_properties(subset=paper_cols, **{"color": "#666"})
    style = style.set_properties(subset=text_cols, **{"text-align": "left"})
    style = style.format(precision=precision, na_rep="—")
    # a dict formatter without a subset would reset every other column to pandas' default precision
    return style.format(formats, na_rep="—", subset=list(formats)) if formats else style


def wide_table(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (task, method); ours, the paper's and the label variance side by side for each split.

    ``split_labels`` renames splits in the column names (graphs: ``{"same": "10 nodes"}``).
    """
    labels = split_labels or {}
    rows = []
    for (task, method), g in table.groupby(["task", "method"], sort=False):
        row = {"task": task_label(task), "method": method_label(method)}
        for _, r in g.iterrows():
            split = labels.get(r.split, r.split)
            row[f"{split}: ours"] = median_interval(r.ours, r.low, r.high, r.seeds)
            row[f"{split}: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
            row[f"{split}: label variance"] = f"{r.label_variance:.4f}"
        rows.append(row)  # the seeds: in the page's provenance note and the distribution figure
    return pd.DataFrame(rows)


def styled_table(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> Styler:
    """``wide_table`` styled for the book (no index, the paper's columns in grey)."""
    return styled(wide_table(table, split_labels))


def standing(table: pd.DataFrame, method: str = "irem") -> str:
    """A Markdown list, per task: ``method`` against the paper and against the other methods."""
    lines = []
    for task, g in table.groupby("task", sort=False):
        mine = g[g.method == method]
        if mine.empty:
            continue
        parts = []
        for _, r in mine.iterrows():
            ratio = r.ours / r.paper if r.paper and not pd.isna(r.paper) else float("nan")
            others = g[(g.split == r.split) & (g.method != method)]
            rank = rank_apart(r, others)
            verdict = ("at or below the paper's" if ratio <= 1.0 else "within 10 % of the paper's" if ratio <= 1.1
                       else f"{ratio:.1f}× the paper's")  # fmt: skip
            parts.append(
                f"{r.split}: {median_interval(r.ours, r.low, r.high, r.seeds)} vs the paper's {r.paper:.4f} "
                f"({verdict}; "
                f"{r.ours / r.label_variance:.2g} of the label variance; rank {rank} of {len(others) + 1} methods"
                f"{_nearest_gap(r, others)})"
            )
        lines.append(f"- **{task_label(task)}**, {method_label(method)}: " + "; ".join(parts))
    return "\n".join(lines)


def _nearest_gap(row: pd.Series, others: pd.DataFrame) -> str:
    """Whether ``row``'s error is apart from the nearest other method's: their intervals over seeds separate.

    Empty text where either has a single seed (no spread known).
    """
    if others.empty or row.seeds < 2:
        return ""
    near = others.iloc[int((others.ours - row.ours).abs().argmin())]
    if near.seeds < 2:
        return ""
    apart = near.high < row.low or near.low > row.high
    return (f"; the nearest, {method_label(near.method)} at {near.ours:.4f}, is "
            f"{'apart from it' if apart else 'within the spread between seeds'} (95 % intervals of the medians "
            f"{'separate' if apart else 'overlap'})")  # fmt: skip


def tasks_where_worse(table: pd.DataFrame, method: str, than: str, split: str) -> list[str]:
    """The tasks (labels) on which ``method``'s error on ``split`` is above ``than``'s."""

    def ours(task: str, m: str) -> float:
        row = table[(table.task == task) & (table.method == m) & (table.split == split)]
        return float(row.ours.iloc[0]) if len(row) else float("nan")

    return [task_label(t) for t in dict.fromkeys(table.task) if ours(t, method) > ours(t, than)]


def parameter_spread(records: Sequence[Record], task: str) -> dict:
    """The fewest and most trainable parameters among the methods on ``task``, and their ratio."""
    counts = {r.method: r.parameters for r in records if r.task == task}
    low, high = min(counts, key=counts.get), max(counts, key=counts.get)
    return {"params_task": task_label(task), "params_low": f"{counts[low]:,}", "params_low_method": method_label(low),
            "params_high": f"{counts[high]:,}", "params_high_method": method_label(high),
            "params_ratio": counts[high] / counts[low]}  # fmt: skip


def parameter_table(records: Sequence[Record]) -> pd.DataFrame:
    """Trainable parameters of each method on each task (from the run records)."""
    counts = {(r.task, r.method): r.parameters for r in records}
    df = pd.Series(counts).unstack(0)
    df.index = [method_label(m) for m in df.index]
    df.columns = [task_label(t) for t in df.columns]
    return df.map(lambda n: f"{n:,}")
