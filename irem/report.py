"""How the book presents results: tables with the paper's numbers beside ours, and the numbers its prose quotes.

Everything here reads run records (:class:`irem.runs.Record`) or an experiment's result and
returns numbers, tables (numeric ``DataFrame``s; ``styled_*`` formats them for the page) or
short Markdown built from numbers. The notebooks only call these and glue what they return,
so every number in the book's prose is computed here, from records, and tested.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from irem.experiments import paper
from irem.experiments.ablations import TABLE2_VARIANTS
from irem.methods import method_label
from irem.runs import Record
from irem.tasks import task_label

PROFILE_NOTES = {
    "paper": "the **paper** profile (the paper's settings of App. C: 10,000 iterations, 5 steps, λ = 100)",
    "quick": "the **quick** profile (fewer training iterations than the paper, so a CPU can rerun it in minutes)",
    "smoke": "the **smoke** profile (a few iterations of tiny models: a test that every code path runs, not a result)",
}
NOWRAP = {"white-space": "nowrap"}  # "0.0004 ± 0.0002" on one line


# --- records -------------------------------------------------------------------------------------


def group(records: Sequence[Record]) -> dict[tuple[str, str], list[Record]]:
    """Records by (task, method), in order of first appearance."""
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        groups[(r.task, r.method)].append(r)
    return groups


def mean_curve(records: Sequence[Record], *path: str) -> np.ndarray:
    """The mean over records of the curve at ``curves[path[0]][path[1]]...`` (``null`` as NaN).

    Curves of different lengths are cut to the shortest.
    """
    curves = []
    for r in records:
        curve = r.curves
        for key in path:
            curve = curve[key]
        curves.append(np.asarray([np.nan if v is None else v for v in curve], dtype=float))
    n = min(len(c) for c in curves)
    return np.mean([c[:n] for c in curves], axis=0)


def _mean(records: Sequence[Record], get: Callable[[Record], float]) -> float:
    return float(np.mean([get(r) for r in records])) if records else float("nan")


# --- provenance ----------------------------------------------------------------------------------


def _provenance(result) -> dict[str, str]:
    """Who made a result's records: seeds, devices, torch versions, commits and wall time, as text."""
    recs = result.records
    return {
        "seeds": ", ".join(map(str, sorted({r.seed for r in recs}))),
        "devices": "; ".join(sorted({r.provenance["device"] for r in recs})),
        "torch": ", ".join(sorted({r.provenance["torch"] for r in recs})),
        "commits": ", ".join(sorted({r.provenance["git_commit"][:10] for r in recs})),
        "minutes": f"{sum(r.provenance['wall_s'] for r in recs) / 60:.1f}",
        # a model whose cached weights were reused (composition reuses addition) keeps its training log
        "train_minutes": f"{sum(r.provenance['train_wall_s'] for r in recs) / 60:.1f}",
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


def budget_note(result, paper_iterations: int = 10_000) -> str:
    """A sentence on how long a result's runs trained, against the paper's budget."""
    its = sorted({r.train["iterations"] for r in result.records})
    text = f"These runs trained for {' / '.join(f'{i:,}' for i in its)} iterations (the paper: {paper_iterations:,})."
    if max(its) < paper_iterations:
        text += (" A baseline far above its paper number here may not have converged; the `paper` profile"
                 " is the fair comparison.")  # fmt: skip
    return text


# --- Table 1 and its kin: ours beside the paper --------------------------------------------------


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
            "task": task_label(task), "split": labels.get(split, split),
            f"{method_label(method)}: ours": f"{r.ours:.4f}", "rank (ours)": our_rank,
            "best other method (ours)": method_label(best_other) if best_other else "—",
            "paper": "—" if pd.isna(r.paper) else f"{r.paper:.4f}", "rank (paper)": paper_rank,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _mean_std(mean: float, std: float, seeds: int) -> str:
    return f"{mean:.4f}" + (f" ± {std:.4f}" if seeds > 1 else "")


def _styled(wide: pd.DataFrame) -> Styler:
    """No index, the paper's columns in grey, cells on one line."""
    paper_cols = [c for c in wide.columns if str(c).endswith("paper")]
    return (wide.style.hide(axis="index").set_properties(**NOWRAP)
            .set_properties(subset=paper_cols, **{"color": "#666"}))  # fmt: skip


def wide_table(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (task, method); ours and the paper's side by side for each split.

    ``split_labels`` renames splits in the column names (graphs: ``{"same": "10 nodes"}``).
    """
    labels = split_labels or {}
    rows = []
    for (task, method), g in table.groupby(["task", "method"], sort=False):
        row = {"task": task_label(task), "method": method_label(method)}
        for _, r in g.iterrows():
            split = labels.get(r.split, r.split)
            row[f"{split}: ours"] = _mean_std(r.ours, r.ours_std, r.seeds)
            row[f"{split}: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
            row[f"{split}: label variance"] = f"{r.label_variance:.4f}"
        row["seeds"] = int(g.seeds.min())
        rows.append(row)
    return pd.DataFrame(rows)


def styled_table(table: pd.DataFrame, split_labels: dict[str, str] | None = None) -> Styler:
    """``wide_table`` styled for the book (no index, the paper's columns in grey)."""
    return _styled(wide_table(table, split_labels))


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
            row[f"{k} ops: ours"] = _mean_std(r.ours, r.ours_std, r.seeds)
            row[f"{k} ops: paper"] = "—" if pd.isna(r.paper) else f"{r.paper:.4f}"
        row["seeds"] = int(g.seeds.min())
        rows.append(row)
    return _styled(pd.DataFrame(rows))


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
        lines.append(f"- **{task_label(task)}**, {method_label(method)}: " + "; ".join(parts))
    return "\n".join(lines)


def tasks_where_worse(table: pd.DataFrame, method: str, than: str, split: str) -> list[str]:
    """The tasks (labels) on which ``method``'s error on ``split`` is above ``than``'s."""

    def ours(task: str, m: str) -> float:
        row = table[(table.task == task) & (table.method == m) & (table.split == split)]
        return float(row.ours.iloc[0]) if len(row) else float("nan")

    return [task_label(t) for t in dict.fromkeys(table.task) if ours(t, method) > ours(t, than)]


def parameter_table(records: Sequence[Record]) -> pd.DataFrame:
    """Trainable parameters of each method on each task (from the run records)."""
    counts = {(r.task, r.method): r.parameters for r in records}
    df = pd.Series(counts).unstack(0)
    df.index = [method_label(m) for m in df.index]
    df.columns = [task_label(t) for t in df.columns]
    return df.map(lambda n: f"{n:,}")


# --- recipes -------------------------------------------------------------------------------------


def recipes_table(runs_dir, experiment: str, task: str, method: str) -> pd.DataFrame:
    """Every stored run of one (task, method), seed 0, with the settings it was trained with.

    The book uses it to show each training recipe that was tried, not only the default one.
    """
    rows = []
    for path in sorted((Path(runs_dir) / experiment).glob(f"{task}__{method}__*__seed0__*.json")):
        r = Record.load(path)
        t = r.train
        rows.append({
            "profile": r.profile, "iterations": t["iterations"], "batch": t["batch_size"],
            "steps N": t["steps"], "λ": t["step_size"], "lr": t["lr"], "lr schedule": t["lr_schedule"],
            "same": r.metrics["same"]["mse"], "harder": r.metrics["harder"]["mse"],
            "device": r.provenance["device"], "train minutes": r.provenance["train_wall_s"] / 60,
        })  # fmt: skip
    return pd.DataFrame(rows)


def styled_recipes(recipes: pd.DataFrame) -> Styler:
    """``recipes_table`` for the book: no index, numbers at the precision they mean."""
    formats = {"λ": "{:g}", "lr": "{:g}", "same": "{:.4g}", "harder": "{:.4g}", "train minutes": "{:.1f}"}
    return recipes.style.hide(axis="index").format(formats).set_properties(**NOWRAP)


def best_recipe(recipes: pd.DataFrame, paper_same: float, paper_harder: float) -> str:
    """A sentence naming the recipe with the lowest error on the same difficulty ('' with none)."""
    if recipes.empty:
        return ""
    best = recipes.loc[recipes.same.idxmin()]
    return (
        f"The lowest error comes from the `{best.profile}` recipe ({best.iterations:,} iterations, batch {best.batch}, "
        f"N = {best['steps N']}, λ = {best['λ']:g}, {best['lr schedule']} learning rate {best.lr:g}): "
        f"{best.same:.4f} on the same and {best.harder:.4f} on the harder problems, "
        f"against the paper's {paper_same:.4f} / {paper_harder:.4f}."
    )


# --- graphs (Fig. 2) -----------------------------------------------------------------------------


def fig2_summary(records: Sequence[Record], tasks: Sequence[str], nodes: int, method: str = "irem") -> dict:
    """``method``'s error at step 5 and at the last step on graphs of ``nodes`` nodes, per task.

    Returns ``{"<task>_fig2_step5": .., "<task>_fig2_last": .., "fig2_steps": .., "fig2_nodes": ..,
    "fig2_verdict": "on edge copy it falls with more steps; ..."}`` (empty without ``method``).
    """
    out: dict = {}
    verdicts = []
    for t in tasks:
        recs = [r for r in records if r.method == method and r.task == t]
        if not recs:
            continue
        c = mean_curve(recs, "mse_by_step_by_nodes", str(nodes))
        step5, last = float(c[min(5, len(c) - 1)]), float(c[-1])
        out[f"{t}_fig2_step5"], out[f"{t}_fig2_last"] = step5, last
        out["fig2_steps"] = len(c) - 1
        verdicts.append(f"on {task_label(t).lower()} it {'falls' if last < step5 else 'does not fall'} with more steps")
    if verdicts:
        out["fig2_nodes"] = nodes
        out["fig2_verdict"] = "; ".join(verdicts)
    return out


# --- composition ---------------------------------------------------------------------------------


def composition_summary(result, ks: Sequence[int] = (2, 5, 10)) -> dict:
    """The best method after each of ``ks`` operations, and IREM at the deepest against the paper's."""
    table = result.table()
    methods = list(dict.fromkeys(table.method))
    out: dict = {}
    for k in ks:
        if str(k) in set(table.split):
            out[f"best_{k}"] = method_label(min(methods, key=lambda m: result.ours("addition", m, str(k))))
    k_last = max(int(s) for s in table.split)
    out["k_last"] = k_last
    out["best_last"] = method_label(min(methods, key=lambda m: result.ours("addition", m, str(k_last))))
    if "irem" in methods:
        irem_last = result.ours("addition", "irem", str(k_last))
        paper_last = paper.TABLE4["irem"].get(k_last, float("nan"))
        out.update(irem_last=irem_last, irem_paper_last=paper_last, irem_ratio_last=irem_last / paper_last)
    return out


# --- denoising -----------------------------------------------------------------------------------


def paper_denoising_table() -> pd.DataFrame:
    """The paper's Table 5 (BSD68): one row per method, PSNR per sigma (65 and 75 unseen)."""
    sigmas = sorted({s for row in paper.TABLE5.values() for s in row})
    rows = [{"method (paper, BSD68)": m, **{f"σ={s}": v.get(s) for s in sigmas}} for m, v in paper.TABLE5.items()]
    return pd.DataFrame(rows)


def denoising_table(records: Sequence[Record]) -> pd.DataFrame:
    """Our PSNR (mean over seeds) per sigma: the noisy input, DnCNN, IREM after 5/30/100 steps and at halting."""
    sigmas = sorted({int(s) for r in records for s in r.metrics})

    def mean(recs, get) -> dict[str, float]:
        return {f"σ={s}": _mean(recs, lambda r, s=s: get(r.metrics[str(s)])) for s in sigmas}

    rows = [{"method": "noisy input", **mean(records[:1], lambda m: m["psnr_noisy"])}]
    dncnn = [r for r in records if r.method == "feedforward"]
    if dncnn:
        rows.append({"method": "DnCNN (feedforward)", **mean(dncnn, lambda m: m["psnr"])})
    irem = [r for r in records if r.method == "irem"]
    if irem:
        for k in irem[0].metrics[str(sigmas[0])]["psnr_by_steps"]:
            rows.append({"method": f"IREM, {k} steps", **mean(irem, lambda m, k=k: m["psnr_by_steps"][k])})
        rows.append({"method": "IREM, at halting", **mean(irem, lambda m: m["psnr"])})
    return pd.DataFrame(rows)


def denoising_summary(records: Sequence[Record]) -> dict:
    """At the largest sigma: IREM after 5 and 100 steps, DnCNN, and how they compare."""
    psnr = denoising_table(records).set_index("method")
    sigma = max(int(c.split("=")[1]) for c in psnr.columns)
    col = f"σ={sigma}"

    def ours(row: str) -> float:
        return float(psnr.loc[row, col]) if row in psnr.index else float("nan")

    irem_5, irem_100, dncnn = ours("IREM, 5 steps"), ours("IREM, 100 steps"), ours("DnCNN (feedforward)")
    return {"sigma_max": sigma, "irem_5": irem_5, "irem_100": irem_100, "dncnn": dncnn,
            "steps_gain": irem_100 - irem_5, "vs_dncnn": "above" if irem_100 > dncnn else "below",
            "gap": abs(irem_100 - dncnn)}  # fmt: skip


# --- ablations -----------------------------------------------------------------------------------


def table2(records: Sequence[Record]) -> pd.DataFrame:
    """Table 2: each (replay, truncation) variant on shortest path, ours beside the paper's (numbers).

    Test MSE at 10 / 15 nodes, training speed and peak memory, speed and memory also relative
    to the full method (replay and truncation); means over seeds.
    """
    recs = [r for r in records if r.training_cost is not None and "replay" in r.train and r.task == "shortest_path"]

    def variant(r: Record) -> tuple[bool, bool]:
        return r.train["replay"], r.train["truncate"]

    full = [r for r in recs if variant(r) == (True, True)]
    full_speed = _mean(full, lambda r: r.training_cost["iters_per_s"])
    full_mem = _mean(full, lambda r: r.training_cost["peak_memory_mb"])
    rows = []
    for replay, truncate in TABLE2_VARIANTS:
        g = [r for r in recs if variant(r) == (replay, truncate)]
        if not g:
            continue
        speed = _mean(g, lambda r: r.training_cost["iters_per_s"])
        memory = _mean(g, lambda r: r.training_cost["peak_memory_mb"])
        p = paper.TABLE2[(replay, truncate)]
        rows.append({
            "replay buffer": "yes" if replay else "no", "truncated gradient": "yes" if truncate else "no",
            "MSE 10 nodes": _mean(g, lambda r: r.metrics["same"]["mse"]),
            "MSE 15 nodes": _mean(g, lambda r: r.metrics["harder"]["mse"]), "paper MSE": p[0],
            "it/s": speed, "speed": speed / full_speed, "paper speed": p[1],
            "peak MB": memory, "memory": memory / full_mem, "paper memory": p[2], "seeds": len(g),
        })  # fmt: skip
    return pd.DataFrame(rows)


def styled_table2(records: Sequence[Record]) -> Styler:
    formats = {"MSE 10 nodes": "{:.4f}", "MSE 15 nodes": "{:.4f}", "paper MSE": "{:.4f}", "it/s": "{:.1f}",
               "speed": "{:.0%}", "paper speed": "{:.0%}", "peak MB": "{:.0f}", "memory": "{:.0%}",
               "paper memory": "{:.0%}"}  # fmt: skip
    return _styled(table2(records)).format(formats)


def table2_summary(records: Sequence[Record]) -> dict:
    """What truncation saves (memory and speed ratios without it) and what replay does without truncation."""
    t2 = table2(records).set_index(["replay buffer", "truncated gradient"])
    out: dict = {}
    if ("yes", "no") in t2.index and ("yes", "yes") in t2.index:
        no_truncation = t2.loc[("yes", "no")]
        out.update(mem_ratio=float(no_truncation["memory"]), speed_ratio=float(no_truncation["speed"]))
    if ("no", "no") in t2.index and ("yes", "no") in t2.index:
        no, yes = float(t2.loc[("no", "no"), "MSE 10 nodes"]), float(t2.loc[("yes", "no"), "MSE 10 nodes"])
        out.update(replay_verdict="lowers" if yes < no else "does not lower", mse_no_replay=no, mse_replay=yes)
    return out


def table3(records: Sequence[Record]) -> pd.DataFrame:
    """Table 3: IREM on addition trained with each step size lambda, ours beside the paper's (numbers)."""
    recs = [r for r in records if r.task == "addition"]
    rows = []
    for lam in sorted({r.train["step_size"] for r in recs}):
        g = [r for r in recs if r.train["step_size"] == lam]
        p = paper.TABLE3.get(lam, (float("nan"), float("nan")))
        rows.append({
            "λ": lam, "same: ours": _mean(g, lambda r: r.metrics["same"]["mse"]), "same: paper": p[0],
            "harder: ours": _mean(g, lambda r: r.metrics["harder"]["mse"]), "harder: paper": p[1],
            "halting step (same)": _mean(g, lambda r: r.metrics["same"]["mean_halt_step"]), "seeds": len(g),
        })  # fmt: skip
    return pd.DataFrame(rows)


def styled_table3(records: Sequence[Record]) -> Styler:
    formats = {"λ": "{:g}", "same: ours": "{:.4f}", "same: paper": "{:.4f}", "harder: ours": "{:.4f}",
               "harder: paper": "{:.4f}", "halting step (same)": "{:.1f}"}  # fmt: skip
    return _styled(table3(records)).format(formats)


def step_size_summary(record: Record) -> dict:
    """The test-time step-size sweep of one model: the best lambda, the trained one, those that never descend."""
    by_lam = record.curves["test_step_size"]
    trained = record.train["step_size"]
    best = min(by_lam, key=lambda lam: by_lam[lam]["same"]["mse"])
    diverged = [f"{float(lam):g}" for lam, d in by_lam.items() if d["same"]["mean_halt_step"] < 1]
    return {"trained_lam": trained, "best_lam": float(best), "best_lam_mse": by_lam[best]["same"]["mse"],
            "trained_lam_mse": by_lam[str(trained)]["same"]["mse"],
            "diverged": ", ".join(diverged) if diverged else "none"}  # fmt: skip


def halting_table(record: Record) -> pd.DataFrame:
    """Halting at the energy minimum against fixed step budgets, same and harder (one record)."""
    rows = []
    for split, m in record.metrics.items():
        by = m["mse_by_steps"]
        last = max(by, key=int)
        rows.append({
            "difficulty": split, "mean steps used (halting)": f"{m['mean_halt_step']:.1f}",
            "MSE at halting": f"{m['mse']:.4f}", "MSE after 5 steps": f"{by['5']:.4f}" if "5" in by else "—",
            f"MSE after {last} steps": f"{by[last]:.4f}",
        })  # fmt: skip
    return pd.DataFrame(rows)


# --- scratchpad ----------------------------------------------------------------------------------


def scratchpad_table(records: Sequence[Record]) -> pd.DataFrame:
    """IREM with scratchpads of each size D, per task: MSE (same / harder) and training speed (numbers)."""
    rows = []
    for task in dict.fromkeys(r.task for r in records):
        recs = [r for r in records if r.task == task]
        base_speed = _mean([r for r in recs if r.train["scratchpad"] == 0], lambda r: r.training_cost["iters_per_s"])
        for d in sorted({r.train["scratchpad"] for r in recs}):
            g = [r for r in recs if r.train["scratchpad"] == d]
            speed = _mean(g, lambda r: r.training_cost["iters_per_s"])
            rows.append({
                "task": task_label(task), "scratchpad D": d,
                "same": _mean(g, lambda r: r.metrics["same"]["mse"]),
                "harder": _mean(g, lambda r: r.metrics["harder"]["mse"]),
                "label variance (same)": g[0].metrics["same"]["label_variance"],
                "label variance (harder)": g[0].metrics["harder"]["label_variance"],
                "it/s": speed, "speed vs no scratchpad": speed / base_speed, "seeds": len(g),
            })  # fmt: skip
    return pd.DataFrame(rows)


def styled_scratchpad_table(records: Sequence[Record]) -> Styler:
    formats = {"same": "{:.4f}", "harder": "{:.4f}", "label variance (same)": "{:.4f}",
               "label variance (harder)": "{:.4f}", "it/s": "{:.1f}", "speed vs no scratchpad": "{:.0%}"}  # fmt: skip
    return _styled(scratchpad_table(records)).format(formats)


def scratchpad_verdict(records: Sequence[Record]) -> str:
    """A Markdown list, per task: each scratchpad's error and speed relative to none."""
    table = scratchpad_table(records)
    lines = []
    for task, g in table.groupby("task", sort=False):
        base = g[g["scratchpad D"] == 0]
        if base.empty:
            continue
        b = base.iloc[0]
        parts = [f"D = {row['scratchpad D']}: same {row['same'] / b['same']:.2f}×, harder "
                 f"{row['harder'] / b['harder']:.2f}× the error without, at {row['speed vs no scratchpad']:.0%} of its "
                 "training speed" for _, row in g[g["scratchpad D"] > 0].iterrows()]  # fmt: skip
        lines.append(f"- **{task}**: " + "; ".join(parts))
    return "\n".join(lines)
