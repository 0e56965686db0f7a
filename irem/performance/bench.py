"""What ``irem bench`` runs and prints: ``measure.bench`` for every (task, method), as rows and a table.

Each task is timed in its own experiment's settings for the profile, so this module sits above
``irem.experiments``.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch

from irem import experiments, store
from irem.measure import bench
from irem.provenance import cpu_name, device_name, git_state


def provenance(device: torch.device, threads: int = 1) -> dict:
    """Where a benchmark ran: commit, device (with the CPU threads it timed on), versions, date."""
    cpu = f"{cpu_name()}, {threads} thread" + "s" * (threads > 1)
    return {
        **git_state(),
        "device": device_name(device) if device.type == "cuda" else cpu,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def bench_rows(
    tasks: list[str],
    methods: list[str],
    profile: str,
    device: torch.device,
    overrides: dict | None = None,
    vary: tuple[str, list] | None = None,
    **options,
) -> list[dict]:
    """``bench`` for every (task, method), each in a fresh process; one row per measurement.

    Args:
        tasks: tasks to time, each in its own experiment's settings for ``profile``.
        methods: methods to time on each.
        profile: ``smoke``, ``quick`` or ``paper``.
        device: where to train.
        overrides: TrainConfig values over the profile's.
        vary: ``(name, values)``: one row per value of a TrainConfig field (``("batch_size", [16, 64])``),
            or of ``"nodes"``, the training graphs' size (graph tasks only).
        options: passed to ``bench`` (``iterations``, ``warmup``, ``flop_iterations``, ``peak``, ``fresh_process``).
    """
    name, values = vary if vary is not None else (None, [None])
    rows = []
    for task in tasks:
        for method in methods:
            for value in values:
                changes = {} if name in (None, "nodes") else {name: value}
                spec = experiments.get(experiments.home_of(task)).spec(
                    profile, task, method, 0, {**(overrides or {}), **changes}
                )
                nodes = value if name == "nodes" else None
                result = bench(spec, device, nodes=nodes, **options)
                rows.append({"task": task, "method": method, **({name: value} if name else {}),
                             "precision": spec.train.precision, **result})  # fmt: skip
    return rows


def table(rows: list[dict]) -> pd.DataFrame:
    """The columns ``irem bench`` prints, from ``bench_rows``."""
    out = []
    for r in rows:
        keys = list(r)
        row = {k: r[k] for k in keys[: keys.index("precision") + 1]}  # task, method, the varied value, precision
        row["ms/iter"] = round(r["ms_per_iter"], 1)
        row["cpu ms/iter"] = round(r["cpu_ms_per_iter"], 1)
        row["it/s"] = round(r["iters_per_s"], 2)
        if "gflop_per_iter" in r:
            row["GFLOP/iter"] = round(r["gflop_per_iter"], 3)
            row["GFLOP/s"] = round(r["gflops"], 1)
        if "peak_fp32" in r:
            row["fp32 mm peak"] = round(r["peak_fp32"]["gflops"], 1)
            row["% of fp32 peak"] = round(100 * r["fraction_of_fp32_peak"], 1)
            row["bf16 mm peak"] = round(r["peak_bf16"]["gflops"], 1)
        if "time_shares" in r:  # percent of the profiled time: mm / gather-scatter / other ops / outside ops
            row["time %: mm / gather / ops / rest"] = " / ".join(f"{100 * v:.0f}" for v in r["time_shares"].values())
        row["peak memory (MB)"] = round(r["peak_memory_mb"], 1)
        row["load (1 min)"] = r["load_average"][0]  # runnable processes on the machine when timing began
        out.append(row)
    return pd.DataFrame(out)


def write_json(path: str | Path, rows: list[dict], device: torch.device, settings: dict, threads: int = 1) -> Path:
    """``rows`` with the settings that produced them and their provenance, written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    store.write_json_atomic({"provenance": provenance(device, threads), "settings": settings, "rows": rows}, path)
    return path
