"""What the scripts of ``benchmarks/`` measured, read back: stacked seeds, Dask sweeps, compiled evaluation, a GPU.

Each function takes one stored file (``data/bench/NAME.json``) and returns its table and a
sentence; ``styled_*`` formats the table for the book.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from irem.performance.analysis import readable
from irem.tasks import task_label


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
        f"workers ran in {len(walls)} interleaved rounds on the Dask local cluster (cluster start and stop included) "
        f"and in the process pool it replaced. Round by round, Dask took {ratio.min():.2f} to {ratio.max():.2f} times "
        f"the pool's wall time (median {mid:.2f}), {verdict}; all rounds together took {walls['dask'].sum():.0f} s "
        f"on Dask and {walls['pool'].sum():.0f} s in the pool. Both "
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
    out = readable(out)
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


def styled_stacked_seeds(table: pd.DataFrame) -> Styler:
    """:func:`stacked_seeds`'s table for the book."""
    return (table.style.hide(axis="index").format("{:.1f}", subset=["separate (ms/iter)", "stacked (ms/iter)"])
            .format("{:.3f}", subset=["stacked / separate"])
            .format("{:.0e}", subset=["gradients' relative difference"]))  # fmt: skip


def styled_sweep_local(table: pd.DataFrame) -> Styler:
    """:func:`sweep_local`'s table for the book."""
    return (table.style.hide(axis="index").format("{:.1f}", subset=["process pool (s)", "Dask local cluster (s)"])
            .format("{:.2f}", subset=["Dask / pool"]))  # fmt: skip


def styled_cuda_graph(table: pd.DataFrame) -> Styler:
    """:func:`cuda_graph`'s table for the book."""
    numbers = ["eager (ms/iter)", "one CUDA graph (ms/iter)", "speed-up"]
    return table.style.hide(axis="index").format("{:.2f}", subset=numbers)


def styled_compiled_eval(table: pd.DataFrame) -> Styler:
    """:func:`compiled_eval`'s table for the book."""
    return (table.style.hide(axis="index").format("{:.4g}")
            .format("{:.1f}", subset=["eager (CPU s)", "compiled (CPU s)"])
            .format("{:.2f}×", subset=["speed-up"]).format("{:.0f}", subset=["nodes"]))  # fmt: skip
