"""How the book presents results: the provenance note and the paper-beside-ours table."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from irem.plots import METHOD_LABELS, TASK_LABELS

PROFILE_NOTES = {
    "paper": "the **paper** profile (the paper's settings: 10,000 iterations, batch 128, 5 steps, λ = 100)",
    "quick": "the **quick** profile (fewer training iterations than the paper, so a CPU can rerun it in minutes)",
    "smoke": "the **smoke** profile (a few iterations of tiny models: a test that every code path runs, not a result)",
}


def provenance_note(result) -> str:
    """A Markdown admonition saying which profile, seeds, devices and commits made a result."""
    recs = result.records
    devices = sorted({r["provenance"]["device"] for r in recs})
    commits = sorted({r["provenance"]["git_commit"][:10] for r in recs})
    torch_versions = sorted({r["provenance"]["torch"] for r in recs})
    seeds = sorted({r["seed"] for r in recs})
    wall = sum(r["provenance"]["wall_s"] for r in recs)
    return (
        ":::{note}\n"
        f"This page shows {PROFILE_NOTES.get(result.profile, result.profile)}: {len(recs)} run record(s), "
        f"seed(s) {', '.join(map(str, seeds))}, made on {'; '.join(devices)} with torch {', '.join(torch_versions)} "
        f"at commit(s) {', '.join(commits)}, {wall / 60:.1f} minutes of training and evaluation in all.\n"
        ":::\n"
    )


def wide_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, method); ours and the paper's side by side for each split."""
    rows = []
    for (task, method), g in table.groupby(["task", "method"], sort=False):
        row = {"task": TASK_LABELS.get(task, task), "method": METHOD_LABELS.get(method, method)}
        for _, r in g.iterrows():
            ours = f"{r.ours:.4f}" + (f" ± {r.ours_std:.4f}" if r.seeds > 1 else "")
            row[f"{r.split}: ours"] = ours
            row[f"{r.split}: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
            row[f"{r.split}: label variance"] = f"{r.label_variance:.4f}"
        row["seeds"] = int(g.seeds.min())
        rows.append(row)
    return pd.DataFrame(rows)


def styled_table(table: pd.DataFrame) -> Styler:
    """``wide_table`` styled for the book (no index, the paper's columns in grey)."""
    wide = wide_table(table)
    paper_cols = [c for c in wide.columns if c.endswith("paper")]
    return wide.style.hide(axis="index").set_properties(subset=paper_cols, **{"color": "#666"})
