"""The book's view of training cost: stored ``irem bench`` results read back, tabulated and drawn.

``irem bench --json data/bench/NAME.json`` writes one file per command: its rows (one per task,
method and varied value; see ``irem.measure.bench``), the settings and command that produced
them, and provenance (commit, device, torch, date). The performance chapter reads those files,
never measures live: timings on a shared machine are only comparable within one run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from irem.experiments.plan import makespan
from irem.methods import method_label
from irem.performance.bench import table
from irem.tasks import GRAPH_TASKS, task_label

PRECISION_STYLES = {"fp32": "-", "bf16": "--"}
VARY_LABELS = {"batch_size": "batch size (fresh problems; replay adds as many)", "steps": "reasoning steps N",
               "nodes": "training graph size (nodes)"}  # fmt: skip


def load(bench_dir: str | Path) -> dict[str, dict]:
    """Every stored benchmark under ``bench_dir``, by file stem (``table``, ``batch_size_fp32``, ...)."""
    files = sorted(Path(bench_dir).glob("*.json"))
    if not files:
        raise FileNotFoundError(f"{bench_dir}: no benchmark results (*.json); make them with `irem bench --json`")
    return {f.stem: json.loads(f.read_text()) for f in files}


def rows(docs: Mapping[str, dict], prefix: str) -> pd.DataFrame:
    """The rows of every stored benchmark whose name starts with ``prefix``, flattened into one frame."""
    out = [row for name, doc in docs.items() if name.startswith(prefix) for row in doc["rows"]]
    if not out:
        raise KeyError(f"no stored benchmark named {prefix}*; have: {sorted(docs)}")
    return pd.DataFrame(out)


def _readable(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the book's task and method labels in place of their registry names."""
    return df.assign(task=df["task"].map(task_label), method=df["method"].map(method_label))


def results_table(doc: dict) -> pd.DataFrame:
    """One stored benchmark as ``irem bench`` printed it, with readable task and method names."""
    return _readable(table(doc["rows"]))


def provenance_note(docs: Mapping[str, dict]) -> str:
    """A Markdown admonition: where, when, at which commit and how loaded the stored benchmarks were measured."""
    provs = [d["provenance"] for d in docs.values()]
    commits = sorted({p["git_commit"][:10] + (" (with uncommitted changes)" if p.get("dirty") else "") for p in provs})
    dates = sorted(p["date"][:16].replace("T", " ") for p in provs)
    loads = [r["load_average"][0] for d in docs.values() for r in d["rows"] if "load_average" in r]
    load = f"; the 1-minute load average was {min(loads):.1f} to {max(loads):.1f} while timing" if loads else ""
    return (
        ":::{note}\n"
        f"Measured on {', '.join(sorted({p['device'] for p in provs}))} with torch "
        f"{', '.join(sorted({p['torch'] for p in provs}))}, at commit(s) {', '.join(commits)}, between {dates[0]} "
        f"and {dates[-1]} UTC{load} (the machine has 2 cores; a load above 1 means this process shared them, which "
        "slows wall-clock times far more than CPU times). Compare figures within one file only.\n"
        ":::\n"
    )


def measured_on(*docs: dict) -> str:
    """An italic Markdown line naming the machine(s) and date(s) of the given stored benchmarks."""
    where = sorted({f"{d['provenance']['device']}, {d['provenance']['date'][:10]}" for d in docs})
    return f"*Measured on {'; '.join(where)}.*"


def commands(docs: Mapping[str, dict]) -> str:
    """The commands that produced the stored benchmarks (each with its note, if any), as a Markdown code block."""
    lines = []
    for name, d in docs.items():
        settings = d["settings"]
        if "note" in settings:
            lines.append(f"# {name}: {settings['note']}")
        lines.append(settings.get("command", f"# {name}: command not recorded"))
    return "```bash\n" + "\n".join(lines) + "\n```\n"


def time_shares_table(doc: dict) -> pd.DataFrame:
    """Where the time of each (task, method, precision) of a stored benchmark goes, in percent of the profiled time."""
    out = [
        {
            "task": r["task"],
            "method": r["method"],
            "precision": r["precision"],
            **{kind: 100 * v for kind, v in r["time_shares"].items()},
        }
        for r in doc["rows"]
        if "time_shares" in r
    ]
    return _readable(pd.DataFrame(out)) if out else pd.DataFrame()  # files from before time_shares: none


def before_after(before: dict, after: dict) -> pd.DataFrame:
    """Two stored benchmarks of the same rows (e.g. two commits), side by side: ms and GFLOP per iteration.

    Rows measured more than once (a ``round`` field) are averaged; ``speed-up`` is the ratio of those means.
    """
    keys = ["task", "method", "precision"]
    means = [pd.DataFrame(d["rows"]).groupby(keys, sort=False)[["ms_per_iter", "gflop_per_iter"]].mean()
             for d in (before, after)]  # fmt: skip
    commits = [d["provenance"]["git_commit"][:7] for d in (before, after)]
    out = pd.DataFrame({
        f"ms/iter at {commits[0]}": means[0]["ms_per_iter"], f"ms/iter at {commits[1]}": means[1]["ms_per_iter"],
        "speed-up": means[0]["ms_per_iter"] / means[1]["ms_per_iter"],
        f"GFLOP/iter at {commits[0]}": means[0]["gflop_per_iter"],
        f"GFLOP/iter at {commits[1]}": means[1]["gflop_per_iter"],
    }).reset_index()  # fmt: skip
    return _readable(out)


def cost_curves(docs: Mapping[str, dict], vary: str, tasks: list[str] | None = None) -> Figure:
    """Training cost against one setting (``batch_size``, ``steps`` or ``nodes``): ms/iter and GFLOP/iter, per task.

    One line per precision (fp32 solid, bf16 dashed): the median wall-clock time per iteration and
    this process's median CPU time, which a busy machine disturbs less. The FLOPs are those of fp32
    (bf16 runs the same matrix multiplies).
    """
    df = rows(docs, vary + "_")
    df = df.assign(order=df["precision"].map({p: i for i, p in enumerate(PRECISION_STYLES)})).sort_values("order")
    tasks = tasks or list(dict.fromkeys(df["task"]))
    fig, axes = plt.subplots(2, len(tasks), figsize=(4.2 * len(tasks), 6), squeeze=False)
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for j, task in enumerate(tasks):
        sub = df[df["task"] == task]
        for precision, g in sub.groupby("precision", sort=False):
            g = g.sort_values(vary)
            style = PRECISION_STYLES.get(precision, "-")
            axes[0, j].plot(g[vary], g["ms_per_iter"], style, marker="o", color="C0", label=f"{precision}, wall clock")
            axes[0, j].plot(g[vary], g["cpu_ms_per_iter"], style, marker=".", color="C1", alpha=0.8,
                            label=f"{precision}, CPU time")  # fmt: skip
            if precision == "fp32" and "gflop_per_iter" in g:
                axes[1, j].plot(g[vary], g["gflop_per_iter"], "-", marker="o", color="C2")
        axes[0, j].set_title(task_label(task))
        axes[0, j].set_ylabel("ms per iteration (median)")
        axes[1, j].set_ylabel("GFLOP per iteration")
        for ax in axes[:, j]:
            ax.set_xlabel(VARY_LABELS.get(vary, vary))
            if vary == "batch_size":  # powers of two
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xticks(sorted(sub[vary].unique()))
            ax.xaxis.set_major_formatter(plain)
            ax.set_ylim(0, None)
            ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def speedup(doc: dict, task: str, method: str = "irem", base: str = "fp32", fast: str = "bf16") -> dict:
    """bf16 against fp32 for one (task, method) of a stored table: times, and their ratio (wall and CPU)."""
    df = pd.DataFrame(doc["rows"])
    sel = df[(df["task"] == task) & (df["method"] == method)].set_index("precision")
    a, b = sel.loc[base], sel.loc[fast]
    return {
        f"{base}_ms": a["ms_per_iter"], f"{fast}_ms": b["ms_per_iter"],
        f"{base}_cpu_ms": a["cpu_ms_per_iter"], f"{fast}_cpu_ms": b["cpu_ms_per_iter"],
        "speedup": a["ms_per_iter"] / b["ms_per_iter"], "cpu_speedup": a["cpu_ms_per_iter"] / b["cpu_ms_per_iter"],
        "gflop": a["gflop_per_iter"], "fp32_peak_fraction": a["fraction_of_fp32_peak"],
        "bf16_peak_fraction": b["gflops"] / b["peak_bf16"]["gflops"],
    }  # fmt: skip


def graph_energy_prose(doc: dict, task: str = "shortest_path") -> str:
    """What each graph energy costs per iteration, from a stored ``--vary graph_energy ours release`` table."""
    df = pd.DataFrame(doc["rows"])
    sel = df[(df["task"] == task) & (df["method"] == "irem")].set_index("graph_energy")
    ours, release = sel.loc["ours"], sel.loc["release"]
    shares = {name: row["time_shares"]["matrix multiply"] for name, row in (("ours", ours), ("release", release))}
    return (
        f"On {task_label(task).lower()}, the release's energy takes {release['ms_per_iter']:.1f} ms per training "
        f"iteration against our energy's {ours['ms_per_iter']:.1f} ms: "
        f"{ours['ms_per_iter'] / release['ms_per_iter']:.2f}× faster, for "
        f"{release['gflop_per_iter']:.2f} GFLOP against {ours['gflop_per_iter']:.2f} "
        f"({ours['gflop_per_iter'] / release['gflop_per_iter']:.1f}× fewer). The time falls less than the FLOPs "
        f"because matrix multiplies, which the count measures, are a small share of either's time "
        f"({shares['release']:.0%} and {shares['ours']:.0%}); the rest is element-wise work, gathers and scatters."
    )


# The speed targets we set: about a third of the authors' release's time per paper-settings
# iteration, measured on this kind of CPU, one thread, with the same work per iteration.
RELEASE_MS = {"addition": "74-81", "shortest_path": "98-101"}
TARGET_MS = {"addition": 23.0, "shortest_path": 33.0}


def targets_prose(doc: dict, targets: Mapping[str, float] = TARGET_MS, method: str = "irem") -> str:
    """A Markdown list: per task of ``targets``, whether a stored table's times meet its target, and what limits them.

    The limit is read off the fp32 row: the time its FLOPs would take at the fp32 matrix-multiply
    peak (no fp32 path can be faster), and the share of the time spent in matrix multiplies.
    """
    df = pd.DataFrame(doc["rows"])
    lines = []
    for task, target in targets.items():
        sel = df[(df["task"] == task) & (df["method"] == method)].set_index("precision")
        if sel.empty:
            continue
        times = ", ".join(f"{ms:.1f} ms in {p}" for p, ms in sel["ms_per_iter"].items())
        met = [p for p, ms in sel["ms_per_iter"].items() if ms <= target]
        release = f" (the release: {RELEASE_MS[task]} ms)" if task in RELEASE_MS else ""
        line = f"- **{task_label(task)}**, target ≤ {target:g} ms{release}: {times}: " + (
            f"met in {' and '.join(met)}." if met else f"missed by {sel['ms_per_iter'].min() / target:.1f}×."
        )
        fp32 = sel.loc["fp32"] if "fp32" in sel.index else None
        if fp32 is not None and isinstance(fp32.get("peak_fp32"), dict) and isinstance(fp32.get("time_shares"), dict):
            floor = 1000 * fp32["gflop_per_iter"] / fp32["peak_fp32"]["gflops"]
            mm = fp32["time_shares"]["matrix multiply"]
            line += (f" In fp32 its {fp32['gflop_per_iter']:.2f} GFLOP would take {floor:.1f} ms at the whole fp32 "
                     f"matrix-multiply peak, and matrix multiplies are {mm:.0%} of its time"
                     + (": fp32 cannot meet the target without less arithmetic." if floor > target else
                        ": the rest of the time, not the arithmetic, stands between it and the target."
                        if not met else "."))  # fmt: skip
        lines.append(line)
    return "\n".join(lines)


def stacked_seeds(doc: dict) -> tuple[pd.DataFrame, str]:
    """``benchmarks/stacked_seeds.py``'s rows as a table, and a sentence on whether stacking pays here."""
    df = pd.DataFrame(doc["rows"])
    table = pd.DataFrame({
        "seeds S": df["seeds"], "separate (ms/iter)": df["separate_ms"], "stacked (ms/iter)": df["stacked_ms"],
        "stacked / separate": df["stacked_over_separate"], "gradients' relative difference": df["gradient_rel_diff"],
    })  # fmt: skip
    best = df.loc[df["stacked_over_separate"].idxmin()]
    saving = 1 - best["stacked_over_separate"]
    verdict = (f"at best {saving:.0%} less time (S = {int(best['seeds'])})" if saving > 0 else
               "no time saved at any S")  # fmt: skip
    sentence = (f"On this machine, one thread, stacking the seeds gives {verdict} against running them one after "
                f"another in the same process; the gradients agree to {df['gradient_rel_diff'].max():.0e} (float32). "
                "Separate processes on separate cores, as the sweeps already run, lose nothing to each other, "
                + ("so on a CPU a saving this small is not worth a second training path: `irem` trains one seed per "
                   "process." if saving < 0.15 else "so a stacked training path would pay here."))  # fmt: skip
    return table, sentence


def sweep_local(doc: dict) -> tuple[pd.DataFrame, str]:
    """``benchmarks/sweep_local.py``'s rounds as a table (process pool against Dask), and a sentence on the verdict."""
    walls = pd.DataFrame(doc["rows"]).pivot(index="round", columns="sweep", values="wall_s")
    ratio = walls["dask"] / walls["pool"]
    table = pd.DataFrame({
        "round": walls.index + 1, "process pool (s)": walls["pool"].to_numpy(),
        "Dask local cluster (s)": walls["dask"].to_numpy(), "Dask / pool": ratio.to_numpy(),
    })  # fmt: skip
    s, summary = doc["settings"], doc["summary"]
    mid = float(ratio.median())
    if mid <= 1:
        verdict = "so the local cluster is no slower"
    elif ratio.min() <= 1:
        verdict = f"so the local cluster is {mid - 1:.0%} slower in the median round, within the rounds' spread"
    else:
        verdict = f"so the local cluster is slower in every round, by {ratio.min() - 1:.0%} at least"
    overhead = summary["overhead_per_run_s"]
    sentence = (
        f"The same sweep of {s['runs']} quick-profile runs ({s['iterations']} iterations each) with {s['jobs']} "
        f"workers took {walls['dask'].median():.1f} s on the Dask local cluster (median of {len(walls)} interleaved "
        f"rounds, cluster start and stop included) and {walls['pool'].median():.1f} s in the process pool it "
        f"replaced; Dask / pool ranged from {ratio.min():.2f} to {ratio.max():.2f} round by round, {verdict} (all "
        f"rounds together: {walls['dask'].sum():.0f} s against {walls['pool'].sum():.0f} s). Both "
        + ("wrote the same metrics in every round. " if summary["same_metrics"] else "did NOT write the same metrics. ")
        + f"A warm cluster's scheduling overhead, from sweeps of {s['smoke_runs'][0]} and {s['smoke_runs'][1]} "
        f"smoke runs, is {overhead:+.2f} s per run"
        + (" (zero within the timing noise)." if abs(overhead) < 0.1 else ".")
    )  # fmt: skip
    return table, sentence


GPU_TARGET_MS = 1.2  # ms per paper-settings IREM addition iteration on one H100 (the performance issue's target)


def cuda_graph(doc: dict) -> tuple[pd.DataFrame, str]:
    """``irem bench --vary cuda_graph false true`` on a GPU as a table (eager against captured), and a sentence."""
    df = pd.DataFrame(doc["rows"])
    ms = df.pivot_table(index=["task", "method"], columns="cuda_graph", values="ms_per_iter", sort=False)
    out = pd.DataFrame({"eager (ms/iter)": ms[False], "one CUDA graph (ms/iter)": ms[True],
                        "speed-up": ms[False] / ms[True]}).reset_index()  # fmt: skip
    out = _readable(out)
    device = doc["provenance"]["device"]
    parts = [f"{r['task']}: {r['eager (ms/iter)']:.2f} ms per iteration eagerly and "
             f"{r['one CUDA graph (ms/iter)']:.2f} ms replayed from one CUDA graph ({r['speed-up']:.1f}× faster)"
             for _, r in out.iterrows()]  # fmt: skip
    sentence = f"On {device}, IREM at the paper's settings: " + "; ".join(parts) + "."
    if ("addition", "irem") in ms.index:
        addition = float(ms.loc[("addition", "irem"), True])
        met = "meets" if addition <= GPU_TARGET_MS else "misses"
        sentence += (f" The captured addition step {met} the target of {GPU_TARGET_MS} ms per iteration "
                     f"({addition:.2f} ms).")  # fmt: skip
    return out, sentence


def compiled_table(docs: Sequence[dict]) -> pd.DataFrame:
    """Stored ``--vary compiled false true`` tables as one, with the graph energy each measured (``--set``)."""
    parts = []
    for doc in docs:
        t = results_table(doc)
        energy = doc["settings"].get("overrides", {}).get("graph_energy", "ours")
        graph = t["task"].isin([task_label(n) for n in GRAPH_TASKS])
        parts.append(t.assign(**{"graph energy": [energy if g else "—" for g in graph]}))
    out = pd.concat(parts, ignore_index=True)
    # every row is fp32 IREM: the columns that tell the rows apart, their cost, and what limits it
    keep = ["task", "graph energy", "compiled", "ms/iter", "cpu ms/iter", "GFLOP/iter", "% of fp32 peak",
            "time: mm/gather/ops/rest %", "peak memory (MB)"]  # fmt: skip
    return out[[c for c in keep if c in out.columns]]


def _compiled_pairs(docs: Sequence[dict], method: str = "irem"):
    """(name, eager row, compiled row) per task of stored ``--vary compiled false true`` tables."""
    for doc in docs:
        df = pd.DataFrame(doc["rows"])
        energy = doc["settings"].get("overrides", {}).get("graph_energy")
        for task, sel in df[df["method"] == method].groupby("task", sort=False):
            by = sel.set_index("compiled")
            graph = task in GRAPH_TASKS
            owner = "the release's" if energy == "release" else "our"
            yield task, task_label(task) + (f" ({owner} graph energy)" if graph else ""), by.loc[False], by.loc[True]


def _against(target: float | None, ms: float) -> str:
    if target is None:
        return ""
    return f"target ≤ {target:g} ms: " + ("met" if ms <= target else f"missed by {ms / target:.1f}×")


def compiled_prose(docs: Sequence[dict], targets: Mapping[str, float] = TARGET_MS) -> str:
    """A Markdown list from stored ``--vary compiled false true`` tables: per row, eager against compiled.

    Each line gives both times, the speed-up, the peak memory of each, and the target of its task.
    """
    lines = []
    for task, name, eager, compiled in _compiled_pairs(docs):
        target = _against(targets.get(task), compiled["ms_per_iter"])
        lines.append(
            f"- **{name}**: {eager['ms_per_iter']:.1f} ms eager, {compiled['ms_per_iter']:.1f} ms compiled "
            f"({eager['ms_per_iter'] / compiled['ms_per_iter']:.2f}× faster){'; ' + target if target else ''}. "
            f"Peak memory {eager['peak_memory_mb']:.0f} MB eager, {compiled['peak_memory_mb']:.0f} MB compiled."
        )
    return "\n".join(lines)


def compiled_targets(docs: Sequence[dict], targets: Mapping[str, float] = TARGET_MS) -> str:
    """One sentence: the compiled times of stored ``--vary compiled`` tables against the targets."""
    parts = [f"{name.lower()} {c['ms_per_iter']:.1f} ms ({_against(targets[task], c['ms_per_iter'])})"
             for task, name, _, c in _compiled_pairs(docs) if task in targets]  # fmt: skip
    return 'With `compiled=True` (section "Compiled" below): ' + "; ".join(parts) + "." if parts else ""


def compiled_eval(doc: dict) -> tuple[pd.DataFrame, str]:
    """``benchmarks/compiled_eval.py``'s rows as a table (eager beside compiled per graph size), and a sentence."""
    df = pd.DataFrame(doc["rows"])
    steps = [c for c in df.columns if c.startswith("mse_step_")]
    last = max(steps, key=lambda c: int(c.removeprefix("mse_step_")))
    rows, ratios, changes = [], [], []
    for nodes, g in df.groupby("nodes", sort=True):
        eager, compiled = g.set_index("form").loc["eager"], g.set_index("form").loc["compiled"]
        ratios.append(eager["cpu_s"] / compiled["cpu_s"])
        for col in (last, "mse_at_halt"):
            changes.append(abs(compiled[col] / eager[col] - 1))
        rows.append({"nodes": nodes, "eager (CPU s)": eager["cpu_s"], "compiled (CPU s)": compiled["cpu_s"],
                     "speed-up": ratios[-1], f"MSE after {last.removeprefix('mse_step_')} steps: eager": eager[last],
                     f"MSE after {last.removeprefix('mse_step_')} steps: compiled": compiled[last],
                     "MSE at halting: eager": eager["mse_at_halt"], "MSE at halting: compiled": compiled["mse_at_halt"],
                     "mean halting step: eager": eager["mean_halt_step"],
                     "mean halting step: compiled": compiled["mean_halt_step"]})  # fmt: skip
    graphs = int(df["graphs"].iloc[0])
    sentence = (
        f"On {graphs} {task_label(df['task'].iloc[0]).lower()} graphs per size, compiled evaluation takes "
        f"{min(ratios):.1f}× to {max(ratios):.1f}× less CPU time than eager for the same steps, and its errors "
        f"differ from the eager ones by up to {max(changes):.0%} (after the last step and at halting). They are not "
        "bitwise the same: the compiled code rounds differently, and where a candidate sits on a kink of the energy's "
        "gradient (a ReLU at zero) the two can take different sides; on graphs larger than in training, where the "
        "descent does not settle, such differences grow from step to step, as any change of rounding would make them."
    )
    return pd.DataFrame(rows), sentence


BOOK_TARGET_HOURS = 8.0  # the whole book at the paper profile, 3 seeds, on 2 CPU cores (the performance issue)


def _book_runs(doc: dict) -> pd.DataFrame:
    """``benchmarks/book_cost.py``'s rows, with each run's hours: training timed alone, evaluation alone where known."""
    df = pd.DataFrame(doc["rows"]).astype({"eval_s": float, "eval_s_alone": float})
    # evaluation alone: scaled by the run's own training slowdown where it trained, else as recorded (an upper bound)
    return df.assign(train_h=df["train_s"] / 3600, eval_h=df["eval_s_alone"].fillna(df["eval_s"]) / 3600,
                     eval_recorded_h=df["eval_s"] / 3600)  # fmt: skip


def _per_seed(runs: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(method label, seconds per training iteration, hours of training for one seed) per method, costliest first."""
    by = runs.groupby("method").agg(ms=("ms_per_iter", "first"), hours=("train_h", "max"))
    return [(method_label(m), r.ms / 1000, r.hours) for m, r in by.sort_values("hours", ascending=False).iterrows()]


def book_cost(doc: dict, cores: int = 2, target_hours: float = BOOK_TARGET_HOURS) -> tuple[pd.DataFrame, str]:
    """The whole book's paper-profile runs, per experiment, in hours on this CPU; and a sentence against the target.

    Hours are core-hours: one run on one core. ``cores`` runs at a time, longest first, take the
    wall time of ``plan.makespan``. An evaluation with no record to read (NaN) counts 0 and is named.
    """
    df = _book_runs(doc)
    columns = {"runs": ("seed", "size"), "runs that train": ("trains", "sum"), "training (h)": ("train_h", "sum"),
               "evaluation (h)": ("eval_h", "sum"),
               "evaluation as recorded (h)": ("eval_recorded_h", "sum")}  # fmt: skip
    table = df.groupby("experiment", sort=False).agg(**columns).reset_index()
    counted = df.groupby("experiment", sort=False)["eval_h"].count().to_numpy()
    table.loc[counted == 0, ["evaluation (h)", "evaluation as recorded (h)"]] = float("nan")  # nothing to read
    wall = makespan((df["train_h"] + df["eval_h"].fillna(0)).tolist(), cores)
    verdict = (f"the target of {target_hours:g} hours is met" if wall <= target_hours
               else f"{wall / target_hours:.1f}× the target of {target_hours:g} hours")  # fmt: skip
    sentence = (
        f"All {len(df)} runs of the book at the paper profile with 3 seeds: {df['train_h'].sum():.1f} hours of "
        f"training ({doc['settings']['training_configs']} training configurations, each timed alone on one thread) "
        f"and {df['eval_h'].sum():.1f} hours of evaluation ({df['eval_recorded_h'].sum():.1f} as recorded on the "
        f"shared machine). With one run on each of {cores} cores, longest first, that is {wall:.1f} hours: {verdict}."
    )
    unknown = df[df["eval_source"] == "none"]  # runs with neither a record nor one at another seed
    whole = [e for e, g in unknown.groupby("experiment", sort=False) if len(g) == (df["experiment"] == e).sum()]
    for experiment, g in unknown.groupby("experiment", sort=False):
        costs = " and ".join(f"{h:.1f} hours for {m} ({s:.1f} s per iteration)" for m, s, h in _per_seed(g))
        one = experiment in whole or len(g) == 1
        which = experiment.capitalize() if experiment in whole else f"{len(g)} run{'' if one else 's'} of {experiment}"
        sentence += (f" {which} {'has' if one else 'have'} no paper-profile record, so {'its' if one else 'their'} "
                     f"evaluation is not counted; training one seed alone takes {costs}.")  # fmt: skip
    if len(unknown):
        rest = df[df["eval_source"] != "none"]
        wall_rest = makespan((rest["train_h"] + rest["eval_h"]).tolist(), cores)
        hours = (rest["train_h"] + rest["eval_h"]).groupby(rest["experiment"]).sum().sort_values(ascending=False)
        verdict = f"{wall_rest / target_hours:.1f}× the target" if wall_rest > target_hours else "within the target"
        without = ", ".join(whole) if len(whole) == unknown["experiment"].nunique() else "those runs"
        sentence += (f" Without {without}, the other {len(rest)} runs take {wall_rest:.1f} hours on {cores} cores "
                     f"({verdict}); the largest parts, in core-hours: "
                     + ", ".join(f"{name} {h:.1f}" for name, h in hours.head(3).items()) + ". "
                     f"{rest['eval_h'].sum() / hours.sum():.0%} of their core-hours are evaluation.")  # fmt: skip
    return table, sentence


def paper_cost_note(doc: dict, experiment: str) -> str:
    """A Markdown note for a chapter shown below the paper profile: what one paper-profile seed costs on this CPU."""
    df = _book_runs(doc)
    g = df[df["experiment"] == experiment]
    if g.empty:
        return ""
    iterations = int(g["iterations"].max())
    costs = "; ".join(f"{m}: {s:.2f} s per iteration, {h:.1f} hours" for m, s, h in _per_seed(g))
    return (
        f":::{{note}}\nThis chapter is not at the paper profile: no paper-profile `{experiment}` record is stored. "
        f"Training one seed at the paper's settings ({iterations:,} iterations) takes, on this CPU with one thread "
        f"(`benchmarks/book_cost.py`, `data/bench/book_cost.json`): {costs}. "
        f"`irem reproduce {experiment} --profile paper --device cuda` makes those runs on a GPU.\n:::\n"
    )


def experiment_cost(doc: dict, experiment: str, cores: int = 2) -> str:
    """A sentence: what ``experiment``'s paper-profile runs cost on this CPU, from ``benchmarks/book_cost.py``."""
    g = _book_runs(doc).query("experiment == @experiment")
    if g.empty:
        return ""
    wall = makespan((g["train_h"] + g["eval_h"].fillna(0)).tolist(), cores)
    return (f"At the paper's settings this chapter's {len(g)} runs take {g['train_h'].sum():.1f} hours of training on "
            f"this CPU (each configuration timed alone on one thread) and {g['eval_h'].sum():.1f} hours of evaluation "
            f"(from the records): {wall:.1f} hours with one run on each of {cores} cores, longest first "
            "(`benchmarks/book_cost.py`; the whole book's cost is in the Performance chapter).")  # fmt: skip
