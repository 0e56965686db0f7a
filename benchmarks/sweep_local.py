"""Dask's local cluster against the process pool it replaced, on the same sweep.

Before Dask, ``irem reproduce --jobs N`` ran a sweep in a ``ProcessPoolExecutor`` of N spawned
processes, each writing its own records. This script runs one sweep both ways in interleaved
rounds, every round training every run from scratch in a fresh runs directory:

* ``pool``: that executor, rebuilt here (``_pool_run`` is its worker);
* ``dask``: ``irem.experiments.sweep.run_sweep`` on a local cluster of N workers (cluster start
  and stop included, as ``irem reproduce`` pays them).

It checks that both write the same metrics, and it measures the per-run scheduling overhead of a
warm cluster from smoke runs: the wall time of a sweep of 2n runs minus that of n runs, less the
runs' own time, over n.

Run on an idle machine, one torch thread per worker::

    OMP_NUM_THREADS=1 python benchmarks/sweep_local.py --rounds 3 --json data/bench/sweep_local.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import torch

from irem import store
from irem.experiments import sweep
from irem.experiments.experiment import get
from irem.experiments.running import run_spec
from irem.performance import bench
from irem.store import RunSpec


def _pool_run(spec: RunSpec, runs_dir: str) -> None:
    """The old executor's worker: train and evaluate one spec, write its record."""
    torch.set_num_threads(1)
    store.load_or_run(spec, runs_dir, lambda s: run_spec(s, torch.device("cpu"), runs_dir, progress=False))


def pool_sweep(specs: list[RunSpec], runs_dir: str, jobs: int) -> None:
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        for f in as_completed([pool.submit(_pool_run, s, runs_dir) for s in specs]):
            f.result()


def dask_sweep(specs: list[RunSpec], runs_dir: str, jobs: int) -> None:
    sweep.run_sweep(specs, runs_dir, "cpu", jobs=jobs, progress=False)


def timed(fn, specs: list[RunSpec], jobs: int) -> tuple[float, dict, float]:
    """Wall time of one sweep in a fresh runs dir, its metrics by record name, and the runs' own wall time."""
    with tempfile.TemporaryDirectory() as d:
        started = time.perf_counter()
        fn(specs, d, jobs)
        wall = time.perf_counter() - started
        records = [store.Record.load(store.record_path(d, s)) for s in specs]
    metrics = {store.record_path("", s).name: r.metrics for s, r in zip(specs, records)}
    return wall, metrics, sum(r.provenance["wall_s"] for r in records)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iterations", type=int, default=300, help="training iterations of each quick-profile run")
    p.add_argument("--smoke-runs", type=int, default=10, help="n: the overhead compares sweeps of n and 2n")
    p.add_argument("--json", help="write the measurements here")
    args = p.parse_args()

    continuous = get("continuous")
    specs = continuous.specs("quick", ["addition", "matrix_completion"], continuous.methods, [0],
                             {"iterations": args.iterations})  # fmt: skip
    rows, same = [], True
    for r in range(args.rounds):
        order = ("pool", "dask") if r % 2 == 0 else ("dask", "pool")  # interleaved, alternating first
        metrics = {}
        for mode in order:
            wall, metrics[mode], _ = timed(pool_sweep if mode == "pool" else dask_sweep, specs, args.jobs)
            rows.append({"round": r, "sweep": mode, "wall_s": wall, "load_average": list(os.getloadavg())})
            print(f"round {r}: {mode} {wall:.1f} s (load {os.getloadavg()[0]:.1f})", file=sys.stderr)
        same &= metrics["pool"] == metrics["dask"]

    one = continuous.specs("smoke", ["addition"], ["feedforward"], [0])[0]
    smoke = [replace(one, seed=i) for i in range(2 * args.smoke_runs)]
    n = args.smoke_runs
    wall_n, _, own_n = timed(dask_sweep, smoke[:n], 1)
    wall_2n, _, own_2n = timed(dask_sweep, smoke, 1)
    summary = {"same_metrics": same, "overhead_per_run_s": ((wall_2n - wall_n) - (own_2n - own_n)) / n}
    print(json.dumps(summary), file=sys.stderr)
    if args.json:
        settings = {"command": "OMP_NUM_THREADS=1 python " + " ".join(sys.argv), "jobs": args.jobs,
                    "runs": len(specs), "specs": "continuous, quick profile, addition and matrix completion, "
                    "every method, seed 0", "iterations": args.iterations, "smoke_runs": [n, 2 * n]}  # fmt: skip
        doc = {"provenance": bench.provenance(torch.device("cpu")), "settings": settings, "rows": rows,
               "summary": summary}  # fmt: skip
        store.write_json_atomic(doc, Path(args.json))
        print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
