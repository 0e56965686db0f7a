"""What ``run`` would do for each run of an experiment, and about how long it would take.

``irem reproduce ... --plan`` prints it before a long sweep: which runs are stored already,
which only need evaluating (their trained weights are cached), which resume from a checkpoint
and which train, with an estimate of each one's minutes read off the stored records of the same
run at other seeds, made on the same kind of device. Nothing is trained or written.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from irem import store
from irem.config import EvalConfig, TrainConfig
from irem.experiments.experiment import REGISTRY, checked_grid, get
from irem.experiments.running import resolve_device
from irem.profiles import PROFILES
from irem.store import Record, RunSpec
from irem.validate import check_bool, check_choice, check_positive

STATUSES = ("stored", "evaluate", "resume", "train")  # from nothing to do to the most to do
ESTIMATE_SEEDS = range(10)  # the seeds whose stored records an estimate reads


def status(spec: RunSpec, runs_dir: str | Path, retrain: bool = False) -> str:
    """What ``run`` would do for ``spec``: one of ``STATUSES`` (``retrain``: always ``"train"``)."""
    if retrain:
        return "train"
    if store.record_path(runs_dir, spec).exists():
        return "stored"
    name = spec.weights_file()
    if (store.weights_dir(runs_dir) / name).exists():
        return "evaluate"
    return "resume" if (store.checkpoints_dir(runs_dir) / name).exists() else "train"


def _minutes(records: Sequence[Record]) -> tuple[float, float]:
    """Median minutes to train and evaluate, and to evaluate alone, over ``records``.

    A record whose weights were reused took ``wall_s`` to evaluate and names the training's own
    time (``train_wall_s``); one that trained took ``wall_s`` for both.
    """
    whole, evaluation = [], []
    for r in records:
        p = r.provenance
        # records from before "weights" was recorded: one that trained took at least its training time
        trained = p.get("weights", "trained" if p["wall_s"] >= p["train_wall_s"] else "reused") == "trained"
        whole.append(p["wall_s"] if trained else p["wall_s"] + p["train_wall_s"])
        evaluation.append(p["wall_s"] - p["train_wall_s"] if trained else p["wall_s"])
    if not records:
        return float("nan"), float("nan")
    return statistics.median(whole) / 60, max(statistics.median(evaluation), 0.0) / 60


def _same_device(record: Record, kind: str) -> bool:
    return record.provenance["device"].startswith("cpu") == (kind == "cpu")


def estimate(spec: RunSpec, runs_dir: str | Path, kind: str, what: str | None = None) -> float:
    """Minutes that doing ``what`` (a ``status``; by default the spec's own) would take ``spec``.

    Read off the stored records of the same run at the other seeds of ``ESTIMATE_SEEDS`` made on
    this ``kind`` of device ("cpu" or "cuda"): 0 for a stored run, NaN when there is no such record.
    """
    what = status(spec, runs_dir) if what is None else what
    if what == "stored":
        return 0.0
    others = [store.find_record(runs_dir, replace(spec, seed=s)) for s in ESTIMATE_SEEDS if s != spec.seed]
    whole, evaluation = _minutes([r for r in others if r is not None and _same_device(r, kind)])
    return evaluation if what == "evaluate" else whole


def longest_first(specs: Sequence[RunSpec], runs_dir: str | Path, kind: str, retrain: bool = False) -> list[RunSpec]:
    """``specs`` by estimated minutes, longest first, those without an estimate before all others.

    A sweep that starts its longest runs first ends sooner: a long run started last keeps one
    worker busy after the others have run out of work. A run with no estimate may be the longest.
    ``retrain``: estimate every run as one that trains.
    """
    minutes = [estimate(s, runs_dir, kind, "train" if retrain else None) for s in specs]

    def key(i: int) -> tuple[int, float]:  # sorted() is stable: ties keep the order of ``specs``
        return (0, 0.0) if math.isnan(minutes[i]) else (1, -minutes[i])

    return [specs[i] for i in sorted(range(len(specs)), key=key)]


def plan(
    name: str,
    profile: str = "quick",
    tasks: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    seeds: int | None = None,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: Mapping | None = None,
    task_options: Mapping | None = None,
    **options,
) -> pd.DataFrame:
    """One row per run of ``run(name, ...)`` with the same arguments: what it would do, and minutes.

    Columns: ``experiment``, ``task``, ``method``, ``seed``, ``status`` (one of ``STATUSES``),
    ``minutes`` (0 for a stored run; NaN where no record of the same run at another seed was
    made on this kind of device, CPU or GPU) and ``record`` (the file the run writes). A run
    that resumes is estimated as one that trains from the start: an upper bound.
    """
    experiment = get(name)
    check_choice("profile", profile, PROFILES)  # "best" never trains: nothing to plan
    tasks, methods, seeds = checked_grid(experiment, tasks, methods, seeds, overrides)
    retrain = check_bool("retrain", retrain)
    store.check_runs_dir(runs_dir)
    kind = resolve_device(device).type
    rows = []
    for spec in experiment.specs(profile, tasks, methods, range(seeds), overrides, task_options, **options):
        what = status(spec, runs_dir, retrain)
        minutes = estimate(spec, runs_dir, kind, what)
        rows.append(dict(experiment=name, task=spec.task, method=spec.method, seed=spec.seed, status=what,
                         minutes=minutes, record=store.record_path(runs_dir, spec).name))  # fmt: skip
    return pd.DataFrame(rows, columns=["experiment", "task", "method", "seed", "status", "minutes", "record"])


def makespan(minutes: Sequence[float], jobs: int) -> float:
    """Minutes until the last of runs lasting ``minutes`` ends, on ``jobs`` workers that take them longest first.

    Each worker takes the next run as soon as it is free (as a sweep's do), and each run is taken to last its
    estimate whatever else runs beside it; one long run can outlast the total shared evenly.
    """
    check_positive("jobs", jobs, integer=True)
    free_at = [0.0] * jobs  # a heap of the times at which each worker is next free
    for m in sorted(minutes, reverse=True):
        heapq.heapreplace(free_at, free_at[0] + m)
    return max(free_at)


def summary(table: pd.DataFrame, jobs: int = 1) -> str:
    """One line: how many runs of each status, and the estimated minutes in all and with ``jobs`` at once."""
    counts = ", ".join(f"{(table.status == s).sum()} {s}" for s in STATUSES if (table.status == s).any())
    todo = table[table.status != "stored"]
    known, unknown = todo.minutes.sum(skipna=True), int(todo.minutes.isna().sum())
    text = f"{len(table)} runs: {counts or 'none'}"
    if unknown < len(todo):
        text += f"; about {known:.0f} minutes of runs to do"
        if jobs > 1:
            wall = makespan(todo.minutes.dropna().tolist(), jobs)
            text += f" (about {wall:.0f} minutes of wall time with {jobs} at once, longest first)"
    if unknown:
        text += (f"; {'plus ' * (unknown < len(todo))}{unknown} without an estimate (no stored record of the same run "
                 "at another seed, made on this kind of device)")  # fmt: skip
    return text


def by_experiment(table: pd.DataFrame) -> pd.DataFrame:
    """``plan`` rows (of one or several experiments) counted per experiment, with the hours left.

    Columns: ``experiment``, ``runs``, ``stored``, ``to run``, ``hours to run`` (one process,
    from the estimates; NaN where no run to do has one) and ``without an estimate`` (runs to do
    whose hours are not counted).
    """
    rows = []
    for name, g in table.groupby("experiment", sort=False):
        todo = g[g.status != "stored"]
        unknown = int(todo.minutes.isna().sum())
        hours = float("nan") if unknown and unknown == len(todo) else todo.minutes.sum(skipna=True) / 60
        rows.append({"experiment": name, "runs": len(g), "stored": len(g) - len(todo), "to run": len(todo),
                     "hours to run": hours, "without an estimate": unknown})  # fmt: skip
    return pd.DataFrame(rows)


def profile_table() -> pd.DataFrame:
    """What each profile changes from the paper's settings, per experiment (read from the experiments)."""
    paper_values = {**asdict(TrainConfig()), **asdict(EvalConfig())}
    rows = []
    for name, e in REGISTRY.items():
        if e.borrows_defaults:
            continue
        for profile in ("quick", "paper"):
            values, options = e.defaults(profile, e.tasks[0])
            changes = [f"{k} = {v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{k} = {v}"
                       for k, v in values.items() if paper_values.get(k) != v]  # fmt: skip
            changes += [f"{k} = {v}" for k, v in options.items()]
            rows.append({"experiment": name, "profile": profile, "settings other than App. C's defaults":
                         ", ".join(changes) or "none"})  # fmt: skip
    return pd.DataFrame(rows)
