"""How the book presents results: the provenance note and the paper-beside-ours table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from irem.plots import METHOD_LABELS, TASK_LABELS

PROFILE_NOTES = {
    "paper": "the **paper** profile (the paper's settings of App. C: 10,000 iterations, 5 steps, λ = 100)",
    "quick": "the **quick** profile (fewer training iterations than the paper, so a CPU can rerun it in minutes)",
    "smoke": "the **smoke** profile (a few iterations of tiny models: a test that every code path runs, not a result)",
}


def _provenance(result) -> dict[str, str]:
    """Who made a result's records: seeds, devices, torch versions, commits and wall time, as text."""
    recs = result.records
    return {
        "seeds": ", ".join(map(str, sorted({r["seed"] for r in recs}))),
        "devices": "; ".join(sorted({r["provenance"]["device"] for r in recs})),
        "torch": ", ".join(sorted({r["provenance"]["torch"] for r in recs})),
        "commits": ", ".join(sorted({r["provenance"]["git_commit"][:10] for r in recs})),
        "minutes": f"{sum(r['provenance']['wall_s'] for r in recs) / 60:.1f}",
        # a model whose cached weights were reused (composition reuses addition) keeps its training log
        "train_minutes": f"{sum(r['provenance']['train_wall_s'] for r in recs) / 60:.1f}",
    }


def provenance_note(result) -> str:
    """A Markdown admonition saying which profile, seeds, devices and commits made a result."""
    p = _provenance(result)
    return (
        ":::{note}\n"
        f"This page shows {PROFILE_NOTES.get(result.profile, result.profile)}: {len(result.records)} run record(s), "
        f"seed(s) {p['seeds']}, made on {p['devices']} with torch {p['torch']} at commit(s) {p['commits']}; "
        f"the models trained for {p['train_minutes']} minutes in all, and writing the records took {p['minutes']} "
        "minutes (less where trained weights were reused).\n"
        ":::\n"
    )


def provenance_table(results: dict[str, object]) -> pd.DataFrame:
    """One row per experiment (``{name: ExperimentResult}``): the profile shown and who made its records."""
    rows = []
    for name, result in results.items():
        p = _provenance(result)
        rows.append({"experiment": name, "profile": result.profile, "records": len(result.records), "seeds": p["seeds"],
                     "devices": p["devices"], "torch": p["torch"], "commits": p["commits"],
                     "training minutes": p["train_minutes"], "record minutes": p["minutes"]})  # fmt: skip
    return pd.DataFrame(rows)


def _rank(value: float, others: pd.Series) -> int:
    """1 + the number of ``others`` with a lower error (1 is the best)."""
    return 1 + int((others < value).sum())


def ranks(table: pd.DataFrame, method: str = "irem", split_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Where ``method`` ranks among the methods of each (task, split), by our error and by the paper's.

    Rank 1 is the lowest error. Reading the two rank columns side by side tells whether the
    paper's ordering is reproduced.
    """
    labels = split_labels or {}
    rows = []
    for (task, split), g in table.groupby(["task", "split"], sort=False):
        mine = g[g.method == method]
        if mine.empty:
            continue
        r = mine.iloc[0]
        others = g[g.method != method]
        our_rank = f"{_rank(r.ours, others.ours)} of {len(g)}"
        paper_rank = "—" if pd.isna(r.paper) else f"{_rank(r.paper, others.paper)} of {len(g)}"
        best_other = others.loc[others.ours.idxmin(), "method"] if len(others) else None
        rows.append({
            "task": TASK_LABELS.get(task, task), "split": labels.get(split, split),
            f"{METHOD_LABELS.get(method, method)}: ours": f"{r.ours:.4f}", "rank (ours)": our_rank,
            "best other method (ours)": METHOD_LABELS.get(best_other, "—"),
            "paper": "—" if pd.isna(r.paper) else f"{r.paper:.4f}", "rank (paper)": paper_rank,
        })  # fmt: skip
    return pd.DataFrame(rows)


def budget_note(result, paper_iterations: int = 10_000) -> str:
    """A sentence on how long a result's runs trained, against the paper's budget."""
    its = sorted({r["config"]["train"]["iterations"] for r in result.records})
    text = f"These runs trained for {' / '.join(f'{i:,}' for i in its)} iterations (the paper: {paper_iterations:,})."
    if max(its) < paper_iterations:
        text += (" A baseline far above its paper number here may not have converged; the `paper` profile"
                 " is the fair comparison.")  # fmt: skip
    return text


def wide_table(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (task, method); ours and the paper's side by side for each split.

    ``split_labels`` renames splits in the column names (graphs: ``{"same": "10 nodes"}``).
    """
    labels = split_labels or {}
    rows = []
    for (task, method), g in table.groupby(["task", "method"], sort=False):
        row = {"task": TASK_LABELS.get(task, task), "method": METHOD_LABELS.get(method, method)}
        for _, r in g.iterrows():
            split = labels.get(r.split, r.split)
            row[f"{split}: ours"] = f"{r.ours:.4f}" + (f" ± {r.ours_std:.4f}" if r.seeds > 1 else "")
            row[f"{split}: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
            row[f"{split}: label variance"] = f"{r.label_variance:.4f}"
        row["seeds"] = int(g.seeds.min())
        rows.append(row)
    return pd.DataFrame(rows)


def styled_table(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> Styler:
    """``wide_table`` styled for the book (no index, the paper's columns in grey)."""
    wide = wide_table(table, split_labels)
    paper_cols = [c for c in wide.columns if c.endswith("paper")]
    return wide.style.hide(axis="index").set_properties(subset=paper_cols, **{"color": "#666"})


def styled_composition_table(table: pd.DataFrame, ks: tuple[int, ...] = (2, 5, 10)) -> Styler:
    """Table 4: one row per method, ours and the paper's after each of ``ks`` operations."""
    rows = []
    for method, g in table.groupby("method", sort=False):
        row = {"method": METHOD_LABELS.get(method, method)}
        for k in ks:
            r = g[g.split == str(k)]
            if r.empty:
                continue
            r = r.iloc[0]
            row[f"{k} ops: ours"] = f"{r.ours:.4f}" + (f" ± {r.ours_std:.4f}" if r.seeds > 1 else "")
            row[f"{k} ops: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
        row["seeds"] = int(g.seeds.min())
        rows.append(row)
    wide = pd.DataFrame(rows)
    paper_cols = [c for c in wide.columns if c.endswith("paper")]
    return wide.style.hide(axis="index").set_properties(subset=paper_cols, **{"color": "#666"})


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
            rank = _rank(r.ours, others.ours)
            verdict = ("at or below the paper's" if ratio <= 1.0 else "within 10 % of the paper's" if ratio <= 1.1
                       else f"{ratio:.1f}× the paper's")  # fmt: skip
            parts.append(
                f"{r.split}: {r.ours:.4f} vs the paper's {r.paper:.4f} ({verdict}; "
                f"{r.ours / r.label_variance:.2g} of the label variance; rank {rank} of {len(others) + 1} methods)"
            )
        lines.append(f"- **{TASK_LABELS.get(task, task)}**, {METHOD_LABELS.get(method, method)}: " + "; ".join(parts))
    return "\n".join(lines)


def parameter_table(records: list[dict]) -> pd.DataFrame:
    """Trainable parameters of each method on each task (from the run records)."""
    counts = {(r["task"], r["method"]): r["parameters"] for r in records}
    df = pd.Series(counts).unstack(0)
    df.index = [METHOD_LABELS.get(m, m) for m in df.index]
    df.columns = [TASK_LABELS.get(t, t) for t in df.columns]
    return df.map(lambda n: f"{n:,}")


def recipes_table(runs_dir, experiment: str, task: str, method: str) -> pd.DataFrame:
    """Every stored run of one (task, method), seed 0, with the settings it was trained with.

    The book uses it to show each training recipe that was tried, not only the default one.
    """
    from irem.runs import read_record  # local: report is imported by the notebooks only

    rows = []
    for path in sorted((Path(runs_dir) / experiment).glob(f"{task}__{method}__*__seed0__*.json")):
        r = read_record(path)
        t = r["config"]["train"]
        rows.append({
            "profile": r["profile"], "iterations": t["iterations"], "batch": t["batch_size"],
            "steps N": t["steps"], "λ": t["step_size"], "lr": t["lr"], "lr schedule": t["lr_schedule"],
            "same": r["metrics"]["same"]["mse"], "harder": r["metrics"]["harder"]["mse"],
            "device": r["provenance"]["device"], "train minutes": r["provenance"]["train_wall_s"] / 60,
        })  # fmt: skip
    return pd.DataFrame(rows)


def styled_recipes(recipes: pd.DataFrame) -> Styler:
    """``recipes_table`` for the book: no index, numbers at the precision they mean."""
    formats = {"λ": "{:g}", "lr": "{:g}", "same": "{:.4g}", "harder": "{:.4g}", "train minutes": "{:.1f}"}
    return recipes.style.hide(axis="index").format(formats)


# Table 5 of the paper (BSD68, PSNR in dB): a different dataset from ours, shown for reference.
PAPER_DENOISING: dict[str, dict[int, float]] = {
    "UNLNet": {45: 26.48, 55: 25.64},
    "DnCNN": {45: 26.56, 55: 25.71, 65: 22.19, 75: 17.90},
    "DnCNN-stop": {45: 26.48, 55: 25.79, 65: 23.56, 75: 18.62},
    "IREM": {45: 26.52, 55: 25.85, 65: 23.87, 75: 23.43},
}


def paper_denoising_table() -> pd.DataFrame:
    """The paper's Table 5 (BSD68): one row per method, PSNR per sigma (65 and 75 unseen)."""
    sigmas = sorted({s for row in PAPER_DENOISING.values() for s in row})
    rows = [{"method (paper, BSD68)": m, **{f"σ={s}": v.get(s) for s in sigmas}} for m, v in PAPER_DENOISING.items()]
    return pd.DataFrame(rows)


def denoising_table(records: list[dict]) -> pd.DataFrame:
    """Our PSNR (mean over seeds) per sigma: the noisy input, DnCNN, IREM after 5/30/100 steps and at halting."""
    sigmas = sorted({int(s) for r in records for s in r["metrics"]}, key=int)

    def mean(recs, get) -> dict[str, float]:
        return {f"σ={s}": sum(get(r["metrics"][str(s)]) for r in recs) / len(recs) for s in sigmas}

    rows = [{"method": "noisy input", **mean(records[:1], lambda m: m["psnr_noisy"])}]
    dncnn = [r for r in records if r["method"] == "feedforward"]
    if dncnn:
        rows.append({"method": "DnCNN (feedforward)", **mean(dncnn, lambda m: m["psnr"])})
    irem = [r for r in records if r["method"] == "irem"]
    if irem:
        for k in irem[0]["metrics"][str(sigmas[0])]["psnr_by_steps"]:
            rows.append({"method": f"IREM, {k} steps", **mean(irem, lambda m, k=k: m["psnr_by_steps"][k])})
        rows.append({"method": "IREM, at halting", **mean(irem, lambda m: m["psnr"])})
    return pd.DataFrame(rows)


def _train(record: dict) -> dict:
    return record["config"]["train"]


def _mean(records: list[dict], get) -> float:
    return sum(get(r) for r in records) / len(records)


def table2(records: list[dict]) -> pd.DataFrame:
    """Table 2: each (replay, truncation) variant on shortest path, ours beside the paper's.

    Test MSE at 10 / 15 nodes, training speed and peak memory, speed and memory also relative
    to the full method (replay and truncation); means over seeds.
    """
    from irem.experiments import PAPER_TABLE2, TABLE2_VARIANTS

    recs = [r for r in records if r["task"] == "shortest_path"]
    full = [r for r in recs if _train(r)["replay"] and _train(r)["truncate"]]
    full_speed = _mean(full, lambda r: r["metrics"]["training_cost"]["iters_per_s"]) if full else float("nan")
    full_mem = _mean(full, lambda r: r["metrics"]["training_cost"]["peak_memory_mb"]) if full else float("nan")
    rows = []
    for replay, truncate in TABLE2_VARIANTS:
        group = [r for r in recs if (_train(r)["replay"], _train(r)["truncate"]) == (replay, truncate)]
        if not group:
            continue
        speed = _mean(group, lambda r: r["metrics"]["training_cost"]["iters_per_s"])
        memory = _mean(group, lambda r: r["metrics"]["training_cost"]["peak_memory_mb"])
        paper = PAPER_TABLE2[(replay, truncate)]
        rows.append({
            "replay buffer": "yes" if replay else "no", "truncated gradient": "yes" if truncate else "no",
            "MSE 10 nodes": f"{_mean(group, lambda r: r['metrics']['same']['mse']):.4f}",
            "MSE 15 nodes": f"{_mean(group, lambda r: r['metrics']['harder']['mse']):.4f}",
            "paper MSE": f"{paper[0]:.4f}",
            "it/s": f"{speed:.1f}", "speed": f"{speed / full_speed:.0%}", "paper speed": f"{paper[1]:.0%}",
            "peak MB": f"{memory:.0f}", "memory": f"{memory / full_mem:.0%}", "paper memory": f"{paper[2]:.0%}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def table3(records: list[dict]) -> pd.DataFrame:
    """Table 3: IREM on addition trained with each step size lambda, ours beside the paper's."""
    from irem.experiments import PAPER_TABLE3

    recs = [r for r in records if r["task"] == "addition"]
    rows = []
    for lam in sorted({_train(r)["step_size"] for r in recs}):
        group = [r for r in recs if _train(r)["step_size"] == lam]
        paper = PAPER_TABLE3.get(lam, (float("nan"), float("nan")))
        rows.append({
            "λ": f"{lam:g}",
            "same: ours": f"{_mean(group, lambda r: r['metrics']['same']['mse']):.4f}",
            "same: paper": f"{paper[0]:.4f}",
            "harder: ours": f"{_mean(group, lambda r: r['metrics']['harder']['mse']):.4f}",
            "harder: paper": f"{paper[1]:.4f}",
            "halting step (same)": f"{_mean(group, lambda r: r['metrics']['same']['mean_halt_step']):.1f}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def halting_table(record: dict) -> pd.DataFrame:
    """Halting at the energy minimum against fixed step budgets, same and harder (one record)."""
    rows = []
    for split, m in record["metrics"].items():
        if "mse" not in m:
            continue
        by = m["mse_by_steps"]
        last = max(by, key=int)
        rows.append({
            "difficulty": split, "mean steps used (halting)": f"{m['mean_halt_step']:.1f}",
            "MSE at halting": f"{m['mse']:.4f}", "MSE after 5 steps": f"{by['5']:.4f}" if "5" in by else "—",
            f"MSE after {last} steps": f"{by[last]:.4f}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def scratchpad_table(records: list[dict]) -> pd.DataFrame:
    """IREM with scratchpads of each size D, per task: MSE (same / harder) and training speed."""
    rows = []
    tasks = list(dict.fromkeys(r["task"] for r in records))
    for task in tasks:
        recs = [r for r in records if r["task"] == task]
        base = [r for r in recs if _train(r)["scratchpad"] == 0]
        base_speed = _mean(base, lambda r: r["metrics"]["training_cost"]["iters_per_s"]) if base else float("nan")
        for d in sorted({_train(r)["scratchpad"] for r in recs}):
            group = [r for r in recs if _train(r)["scratchpad"] == d]
            speed = _mean(group, lambda r: r["metrics"]["training_cost"]["iters_per_s"])
            rows.append({
                "task": TASK_LABELS.get(task, task), "scratchpad D": d,
                "same": f"{_mean(group, lambda r: r['metrics']['same']['mse']):.4f}",
                "harder": f"{_mean(group, lambda r: r['metrics']['harder']['mse']):.4f}",
                "label variance (same / harder)": f"{group[0]['metrics']['same']['label_variance']:.4f} / "
                f"{group[0]['metrics']['harder']['label_variance']:.4f}",
                "it/s": f"{speed:.1f}", "speed vs no scratchpad": f"{speed / base_speed:.0%}",
            })  # fmt: skip
    return pd.DataFrame(rows)
