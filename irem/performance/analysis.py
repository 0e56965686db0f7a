"""The book's view of training cost: stored ``irem bench`` results read back and tabulated.

``irem bench --json data/bench/NAME.json`` writes one file per command: its rows (one per task,
method and varied value; see ``irem.measure.bench``), the settings and command that produced
them, and provenance (commit, device, torch, date). The performance chapter reads those files,
never measures live: timings on a shared machine are only comparable within one run.

The chapter's other parts live beside this module: ``figures`` (how the cost grows),
``benchmarks`` (the scripts of ``benchmarks/``), ``accuracy`` (bf16 and compiled training's error)
and ``cost`` (the whole book's hours, which other chapters quote through this module).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.tables import styled
from irem.methods import method_label
from irem.performance.bench import table
from irem.performance.cost import book_cost, experiment_cost, paper_cost_note  # noqa: F401 (what chapters quote)
from irem.tasks import GRAPH_TASKS, task_label

COMPILED_FILES = ("compiled", "compiled_release")  # stored `--vary compiled false true` tables, one per graph energy


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


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the book's task and method labels in place of their registry names."""
    return df.assign(task=df["task"].map(task_label), method=df["method"].map(method_label))


def results_table(doc: dict) -> pd.DataFrame:
    """One stored benchmark as ``irem bench`` printed it, with readable task and method names."""
    return readable(table(doc["rows"]))


def named(docs: Mapping[str, dict], prefix: str) -> list[dict]:
    """The stored benchmarks whose name starts with ``prefix`` (``batch_size_`` ...), in ``docs``' order."""
    return [doc for name, doc in docs.items() if name.startswith(prefix)]


def styled_results_table(doc: dict) -> Styler:
    """:func:`results_table` for the book (:func:`for_page`)."""
    return for_page(results_table(doc), [doc])


def for_page(table: pd.DataFrame, docs: Sequence[dict]) -> Styler:
    """A bench table styled for the page: one decimal, three for GFLOP/iter, two for a speed-up.

    To fit the page's column it leaves out what the page says elsewhere or what follows from the
    columns it keeps: it/s (1000 / ms per iteration), GFLOP/s (GFLOP per iteration over its time;
    the share of the matmul peak stays), the load (the provenance note gives its range) and, where
    every measurement ran on a CPU, the CPU time (the wall time there); a text column with one value
    in every row (the method, the precision) moves into the caption.
    """
    out = table.drop(columns=["it/s", "GFLOP/s", "load (1 min)"], errors="ignore")
    if not any("cuda" in d["provenance"]["device"].lower() for d in docs):
        out = out.drop(columns=["cpu ms/iter"], errors="ignore")
    same = [c for c in out.select_dtypes(exclude="number").columns if c != "task" and out[c].nunique() == 1]
    if len(out) > 1 and same:
        caption = "Every row: " + ", ".join(f"{c} {out[c].iloc[0]}" for c in same)
        out = out.drop(columns=same)
    else:
        caption = None
    formats = {c: "{:.1f}" for c in out.select_dtypes("number").columns}
    formats |= {c: "{:.3f}" for c in out.columns if c.startswith("GFLOP/iter")}
    formats |= {c: "{:.2f}×" for c in out.columns if c == "speed-up"}
    style = styled(out, formats)
    return style.set_caption(caption) if caption else style


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
    return readable(pd.DataFrame(out)) if out else pd.DataFrame()  # files from before time_shares: none


def styled_time_shares(doc: dict) -> Styler:
    """:func:`time_shares_table` for the book, in whole percent."""
    shares = time_shares_table(doc)
    return shares.style.hide(axis="index").format("{:.0f} %", subset=shares.select_dtypes("number").columns)


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
    return readable(out)


def styled_before_after(before: dict, after: dict) -> Styler:
    """:func:`before_after` for the book."""
    return for_page(before_after(before, after), [before, after])


@dataclass(frozen=True)
class Speedup:
    """bf16 against fp32 for one (task, method) of a stored table: the numbers the chapter's prose quotes.

    Attributes:
        fp32_ms: fp32's median wall-clock ms per iteration.
        bf16_ms: bf16's.
        fp32_cpu_ms: fp32's median CPU ms per iteration (this process's).
        bf16_cpu_ms: bf16's.
        speedup: fp32's wall-clock time over bf16's.
        cpu_speedup: the same in CPU time.
        gflop: GFLOP per iteration.
        fp32_peak_fraction: fp32's rate over the fp32 matrix-multiply peak.
        bf16_peak_fraction: bf16's rate over the bf16 matrix-multiply peak.
    """

    fp32_ms: float
    bf16_ms: float
    fp32_cpu_ms: float
    bf16_cpu_ms: float
    speedup: float
    cpu_speedup: float
    gflop: float
    fp32_peak_fraction: float
    bf16_peak_fraction: float


def speedup(doc: dict, task: str, method: str = "irem") -> Speedup:
    """bf16 against fp32 for one (task, method) of a stored table: times, and their ratio (wall and CPU)."""
    df = pd.DataFrame(doc["rows"])
    sel = df[(df["task"] == task) & (df["method"] == method)].set_index("precision")
    a, b = sel.loc["fp32"], sel.loc["bf16"]
    return Speedup(
        fp32_ms=float(a["ms_per_iter"]), bf16_ms=float(b["ms_per_iter"]),
        fp32_cpu_ms=float(a["cpu_ms_per_iter"]), bf16_cpu_ms=float(b["cpu_ms_per_iter"]),
        speedup=float(a["ms_per_iter"] / b["ms_per_iter"]),
        cpu_speedup=float(a["cpu_ms_per_iter"] / b["cpu_ms_per_iter"]),
        gflop=float(a["gflop_per_iter"]), fp32_peak_fraction=float(a["fraction_of_fp32_peak"]),
        bf16_peak_fraction=float(b["gflops"] / b["peak_bf16"]["gflops"]),
    )  # fmt: skip


def bf16_verdict(s: Speedup) -> str:
    """Whether bf16 is faster or slower than fp32, and by how much."""
    return f"{'faster' if s.speedup > 1 else 'slower'} ({s.speedup:.2f}× the fp32 speed)"


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


def styled_graph_energy(doc: dict) -> Styler:
    """A stored ``--vary graph_energy ours release`` table for the book."""
    return for_page(results_table(doc), [doc])


def graph_energy_text(docs: Mapping[str, dict]) -> str:
    """:func:`graph_energy_prose`, where it was measured, and our energy's time there against the main table's."""
    energies = results_table(docs["graph_energy"])
    here = energies.loc[energies.graph_energy == "ours", "ms/iter"].iloc[0]
    in_table = speedup(docs["table"], "shortest_path").fp32_ms
    return (
        graph_energy_prose(docs["graph_energy"]) + " " + measured_on(docs["graph_energy"])
        + f" Our energy took {in_table:.1f} ms in the table at the top of this page and {here:.1f} ms here, "
        "on the same kind of machine at another time: the speed of this shared machine varies by that much, "
        "so compare rows within one table."
    )  # fmt: skip


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


def targets_text(docs: Mapping[str, dict]) -> str:
    """Markdown: the main table's times (:func:`targets_prose`) and the compiled ones against our targets."""
    return (
        "**Against our targets**, about a third of the time per iteration of the authors' release on this kind of CPU "
        "(one thread, the same work per iteration):\n\n" + targets_prose(docs["table"])
        + "\n\n" + compiled_targets(compiled_docs(docs))
    )  # fmt: skip


def compiled_docs(docs: Mapping[str, dict]) -> list[dict]:
    """The stored ``--vary compiled false true`` tables (``COMPILED_FILES``) there are."""
    return [docs[name] for name in COMPILED_FILES if name in docs]


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
            "time %: mm / gather / ops / rest", "peak memory (MB)"]  # fmt: skip
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


def styled_compiled_table(docs: Sequence[dict]) -> Styler:
    """:func:`compiled_table` for the book."""
    return for_page(compiled_table(docs), docs)
