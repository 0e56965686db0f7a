r"""What the whole book costs at the paper profile with 3 seeds on this CPU: every run, measured piece by piece.

Running all 192 paper-profile runs to time them would take days, so each part is measured where it can be:

* training: every distinct training config of the plan (``irem reproduce all --profile paper --seeds 3``; runs that
  reuse another run's trained weights share its config) is timed alone, one thread, for a few iterations after a
  warm-up; its training time is ``iterations x`` that median ms per iteration. Every seed costs the same.
* evaluation: read off the stored record of the run (its minutes after training), or the median of the same run's
  records at other seeds. Those minutes were taken with 2-7 runs sharing the 2 cores, so they are an upper bound;
  where the record also trained, its training speed against the timing here says how much the machine slowed it
  down, and ``eval_s_alone`` divides its evaluation by that slowdown. Where no record exists: NaN.

Usage (one thread; pause other work on the machine while it times)::

    OMP_NUM_THREADS=1 python benchmarks/book_cost.py --json data/bench/book_cost.json

``--profile`` and ``--threads`` time another profile or thread count, e.g. the IRED chapter's quick profile::

    OMP_NUM_THREADS=2 python benchmarks/book_cost.py --experiments ired --profile quick --threads 2 \
        --json data/bench/ired_cost_2threads.json
"""

import argparse
import sys
from dataclasses import replace

import torch

from irem import store
from irem.experiments import REGISTRY, get, plan
from irem.experiments.experiment import checked_grid
from irem.measure import bench
from irem.performance.bench import write_json

SEEDS = 3


def plan_specs(names, profile: str = "paper"):
    """Every run of the book at ``profile``: the default grid of each experiment, seeds 0..SEEDS-1."""
    out = []
    for name in names:
        experiment = get(name)
        tasks, methods, _ = checked_grid(experiment, None, None, SEEDS, None)
        out += experiment.specs(profile, tasks, methods, range(SEEDS))
    return out


def evaluation_seconds(spec, runs_dir: str, ms_alone: float) -> tuple[float, float, str]:
    """(seconds as recorded, seconds alone or NaN, where from) of ``spec``'s evaluation on this kind of CPU."""
    record = store.find_record(runs_dir, spec)
    if record is None or not record.provenance["device"].startswith("cpu"):
        minutes = plan.estimate(spec, runs_dir, "cpu", "evaluate")  # the median over the other seeds' CPU records
        return minutes * 60, float("nan"), "other seeds" if minutes == minutes else "none"
    p = record.provenance
    if p.get("weights") == "reused":  # that process did not train, so nothing tells how loaded the machine was
        return p["wall_s"], float("nan"), "record"
    seconds = p["wall_s"] - p["train_wall_s"]
    slowdown = max(1.0, 1000 / p["train_iters_per_s"] / ms_alone)  # its training's ms per iteration against alone
    return seconds, seconds / slowdown, "record"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiments", nargs="+", default=list(REGISTRY), choices=list(REGISTRY))
    parser.add_argument("--profile", default="paper", choices=["quick", "paper"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads while timing (set OMP_NUM_THREADS too)")
    parser.add_argument("--iterations", type=int, default=5, help="timed iterations per training config")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs-dir", default="data/runs")
    parser.add_argument("--json", required=True)
    parser.add_argument("--note", help="stored with the settings, e.g. what else ran on the machine")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")

    specs = plan_specs(args.experiments, args.profile)
    timed: dict[str, dict] = {}  # training config (its seed-0 weights file) -> bench result
    trained: set[str] = set()  # weights files already counted as trained
    rows = []
    for spec in specs:
        config = replace(spec, seed=0).weights_file()
        if config not in timed:
            print(f"timing {spec.experiment} {spec.task} {spec.method} ({config})", file=sys.stderr, flush=True)
            timed[config] = bench(spec, device, iterations=args.iterations, warmup=args.warmup, flop_iterations=0,
                                  peak=False, fresh_process=False, threads=args.threads)  # fmt: skip
        ms = timed[config]["ms_per_iter"]
        trains = spec.weights_file() not in trained  # the first run of a weights file trains it, the others reuse
        trained.add(spec.weights_file())
        eval_s, eval_alone, source = evaluation_seconds(spec, args.runs_dir, ms)
        rows.append({"experiment": spec.experiment, "task": spec.task, "method": spec.method, "seed": spec.seed,
                     "config": config, "trains": trains, "iterations": spec.train.iterations, "ms_per_iter": ms,
                     "train_s": spec.train.iterations * ms / 1000 if trains else 0.0, "eval_s": eval_s,
                     "eval_s_alone": eval_alone, "eval_source": source,
                     "stored": plan.status(spec, args.runs_dir) == "stored",
                     "load_average": timed[config]["load_average"]})  # fmt: skip
    command = " ".join(a for a in (argv or sys.argv[1:]) if a != args.note and a != "--note")
    settings = {"command": f"OMP_NUM_THREADS={args.threads} python benchmarks/book_cost.py " + command,
                "profile": args.profile, "threads": args.threads, "seeds": SEEDS, "iterations": args.iterations,
                "warmup": args.warmup,
                "training_configs": len(timed), **({"note": args.note} if args.note else {})}  # fmt: skip
    write_json(args.json, rows, device, settings, args.threads)
    print(f"{len(rows)} runs, {len(timed)} training configs timed; wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
