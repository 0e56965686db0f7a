"""What is stored, and what the book shows: an experiment's records, run or loaded, as one result.

``run`` runs (or loads) every run of an experiment; ``stored`` and its kin only read records, for
pages that never train.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from irem import store
from irem.experiments.experiment import Experiment, checked_grid, get
from irem.experiments.running import check_snapshots, resolve_device
from irem.experiments.sweep import run_all
from irem.graphed import check_graphable
from irem.profiles import PROFILE_CHOICES
from irem.spread import SeedSpread, over_finite
from irem.store import Record
from irem.validate import check_bool, check_choice, check_positive

STORED_SEEDS = 10  # profile "best" reads seeds 0..9 (the graph chapter's IREM and recurrent store 10; the rest 3)


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)  # records store a diverged run's error as null


def best_profile(experiment: Experiment, runs_dir: str | Path, tasks, methods, overrides=None, task_options=None,
                 **options) -> str:  # fmt: skip
    """The paper profile when its records cover every run of the grid (seed 0), else quick.

    Raises:
        FileNotFoundError: when neither profile has a record for every run.
    """
    for profile in ("paper", "quick"):
        specs = experiment.specs(profile, tasks, methods, [0], overrides, task_options, **options)
        if all(store.find_record(runs_dir, s) is not None for s in specs):
            return profile
    raise FileNotFoundError(
        f"no stored {experiment.name} records (paper or quick profile, seed 0) for every run in {runs_dir}; "
        f"run `irem reproduce {experiment.name} --profile quick` first, or pass profile='quick'"
    )


@dataclass
class ExperimentResult:
    """The records of an experiment and the profile they were made with."""

    experiment: Experiment
    profile: str
    records: list[Record]
    seeds: int = 1  # training seeds asked for (with profile "best", the records hold those stored)

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def split_labels(self) -> dict[str, str]:
        return dict(self.experiment.split_labels)

    def table(self) -> pd.DataFrame:
        """One row per (task, method, split): our error over seeds beside the paper.

        ``ours`` is the median over seeds, ``low`` and ``high`` a 95 % bootstrap interval of it
        (``irem.spread``; with one seed, the value itself) and ``values`` every seed's error, in seed
        order: trainings of one configuration can disagree by more than methods do, and a mean hides
        that. Diverged runs (no error) are left out of those. ``label_variance`` is the MSE of always
        predicting the mean answer, where recorded.
        """
        rows = [
            dict(task=r.task, method=r.method, split=split, seed=r.seed, mse=_number(m["mse"]),
                 label_variance=_number(m.get("label_variance")))
            for r in self.records for split, m in r.metrics.items()
        ]  # fmt: skip
        out = []
        for (task, method, split), g in pd.DataFrame(rows).groupby(["task", "method", "split"], sort=False):
            g = g.sort_values("seed")
            s = over_finite(g.mse) or SeedSpread((), math.nan, math.nan, math.nan)
            out.append(dict(task=task, method=method, split=split, ours=s.median, low=s.low, high=s.high,
                            values=s.values, seeds=g.seed.nunique(),
                            label_variance=g.label_variance.mean()))  # fmt: skip
        out = pd.DataFrame(out)
        paper = self.experiment.paper
        out["paper"] = [paper.get((t, m, s), float("nan")) for t, m, s in zip(out.task, out.method, out.split)]
        return out

    def ours(self, task: str, method: str, split: str) -> float:
        """Our median MSE (over seeds) for one (task, method, split); NaN when not run."""
        s = self.spread(task, method, split)
        return s.median if s else float("nan")

    def spread(self, task: str, method: str, split: str) -> SeedSpread | None:
        """Every seed's error on one (task, method, split), their median and its interval: ``table()``'s row.

        None when it was not run or every seed diverged.
        """
        runs = sorted((r for r in self.records if r.task == task and r.method == method and split in r.metrics),
                      key=lambda r: r.seed)  # fmt: skip
        return over_finite([r.metrics[split]["mse"] for r in runs])


def with_irem(result: ExperimentResult, irem: ExperimentResult) -> ExperimentResult:
    """``result`` with its IREM records replaced by ``irem``'s (the other methods' as they are)."""
    return replace(result, records=[r for r in result.records if r.method != "irem"] + list(irem.records))


def run(
    name: str,
    profile: str = "best",
    tasks: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    seeds: int | None = None,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: Mapping | None = None,
    jobs: int = 1,
    progress: bool = True,
    task_options: Mapping | None = None,
    scheduler: str | None = None,
    scheduler_file: str | os.PathLike | None = None,
    train: bool = True,
    snapshots: Sequence[int] = (),
    **options,
) -> ExperimentResult:
    """Run (or load) every run of experiment ``name`` and return its records.

    Args:
        name: a registered experiment (``irem.experiments.REGISTRY``).
        profile: ``"smoke"``, ``"quick"``, ``"paper"``, or ``"best"``: the most complete stored
            profile, never training; it reads every stored seed below ``max(seeds, STORED_SEEDS)``,
            so a run shows the same number on every page that reads it.
        tasks: a subset of the experiment's tasks (default: all of them).
        methods: a subset of its methods (default: all of them).
        seeds: number of training seeds, 0 .. seeds-1 (default: the experiment's; see ``profile``).
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``.
        retrain: train even when a record or cached weights with the same config exist.
        runs_dir: where run records live.
        overrides: TrainConfig / EvalConfig fields to change, e.g. ``{"iterations": 500}``.
        jobs: runs trained at once: above 1, on a local Dask cluster of ``jobs`` worker processes.
        progress: show progress bars.
        task_options: options for the task's constructor (e.g. denoising's ``image_dir``).
        scheduler: address of a running Dask scheduler (``tcp://HOST:PORT``) to run on; ``jobs``
            is then ignored and ``device`` is resolved on each worker.
        scheduler_file: the file ``dask scheduler --scheduler-file FILE`` wrote, instead of the address.
        train: ``False``: load stored records only, never train (a page that compares with records at
            another's profile); a missing one raises ``FileNotFoundError`` naming it.
        snapshots: iterations at which each run that trains also caches its weights as those of the
            same run trained for that many iterations, so that a later run with ``iterations`` set to
            one of them only evaluates (multiples of ``log_every``, below ``iterations``; constant
            learning rate). Runs whose record or weights are stored do not train, and make none.
        **options: the experiment's own grid options (scratchpad: ``sizes``).
    """
    experiment = get(name)
    check_choice("profile", profile, PROFILE_CHOICES)
    tasks, methods, seeds = checked_grid(experiment, tasks, methods, seeds, overrides)
    retrain, train = check_bool("retrain", retrain), check_bool("train", train)
    check_positive("jobs", jobs, integer=True)
    store.check_runs_dir(runs_dir)
    remote = scheduler is not None or scheduler_file is not None
    dev = device if remote else resolve_device(device)  # a cluster's workers resolve it (their GPUs)
    best = profile == "best"  # shows the stored seeds of the most complete profile, never trains
    if best:
        profile = best_profile(experiment, runs_dir, tasks, methods, overrides, task_options, **options)
    read = range(max(seeds, STORED_SEEDS) if best else seeds)
    specs = experiment.specs(profile, tasks, methods, read, overrides, task_options, **options)
    if snapshots:
        specs = [replace(s, snapshots=tuple(sorted(set(snapshots)))) for s in specs]
        for s in specs:
            check_snapshots(s)
    if best or not train:
        records = [store.find_record(runs_dir, s) for s in specs]
        missing = [store.record_path(runs_dir, s).name for s, r in zip(specs, records) if r is None]
        if missing and not best:
            raise FileNotFoundError(f"not stored in {runs_dir} (train=False): {', '.join(missing)}")
        records = [r for r in records if r is not None]
    else:
        for s in specs if not remote else ():  # before any run starts (a cluster's workers check their own device)
            if s.train.cuda_graph:
                check_graphable(s.method, s.task, dev, s.train.lr_schedule)
        records = run_all(specs, runs_dir, dev, retrain=retrain, jobs=jobs, progress=progress, scheduler=scheduler,
                          scheduler_file=scheduler_file)  # fmt: skip
    return ExperimentResult(experiment, profile, records, seeds)


def stored_by_task(name: str, **kwargs) -> ExperimentResult | None:
    """As :func:`stored`, with each task at its own most complete profile (``profile="best"``).

    For experiments whose tasks make separate tables (the ablations: Table 2 on shortest path,
    Table 3 on addition), so that one table at the paper profile is shown before the other's
    runs are done. Where the profiles differ, the result's ``profile`` names each task's.
    """
    tasks = kwargs.pop("tasks", None) or get(name).tasks
    parts = {t: stored(name, tasks=[t], **kwargs) for t in tasks}
    parts = {t: r for t, r in parts.items() if r is not None}
    if not parts:
        return None
    by_profile: dict[str, list[str]] = {}
    for t, r in parts.items():
        by_profile.setdefault(r.profile, []).append(t)
    profile = next(iter(by_profile)) if len(by_profile) == 1 else ", ".join(
        f"{p} ({', '.join(ts)})" for p, ts in by_profile.items())  # fmt: skip
    first = next(iter(parts.values()))
    return ExperimentResult(first.experiment, profile, [rec for r in parts.values() for rec in r.records], first.seeds)


def stored(name: str, **kwargs) -> ExperimentResult | None:
    """``run(name, **kwargs)``, or ``None`` where nothing is stored to show (``profile="best"`` or ``train=False``).

    For pages that only read records (the book never trains): an experiment not run yet is a
    note on the page, not an error. Any other error is raised as ``run`` raises it.
    """
    try:
        return run(name, **kwargs)
    except FileNotFoundError:
        if kwargs.get("profile", "best") != "best" and kwargs.get("train", True):
            raise
        return None


def stored_records_at(name: str, table_profile: str | None, **kwargs) -> list[Record]:
    """The records of experiment ``name`` (``stored(name, **kwargs)``) when they are at ``table_profile``, else none.

    For a table at ``table_profile`` that reads the same runs from another chapter (Table 2's full method is
    the graph chapter's IREM; Table 3's λ = 100 row is the continuous chapter's): with the page's
    ``profile="best"`` in ``kwargs``, ``name``'s most complete profile may be another than the table's,
    and then its runs are not the same ones.
    """
    result = stored(name, **kwargs)
    return result.records if result is not None and result.profile == table_profile else []


def stored_beside(result: ExperimentResult, page_profile: str, **kwargs) -> ExperimentResult | None:
    """Other runs of ``result``'s experiment to show beside it: at its profile, with its seeds.

    ``page_profile`` is the profile the page was asked for. With another than ``"best"``, missing
    runs are trained, as ``run`` does. With ``"best"`` (the book) only stored records are read:
    those of ``result``'s seeds, where ``result``'s profile is the other runs' most complete one;
    else all the seeds at ``result``'s profile, or ``None`` where any is missing. ``kwargs`` go to
    ``run`` (``methods``, ``overrides``, ...).
    """
    seeds = {r.seed for r in result.records}
    if page_profile != "best":
        return run(result.name, profile=result.profile, seeds=len(seeds), **kwargs)
    found = stored(result.name, profile="best", seeds=len(seeds), **kwargs)
    if found is None or found.profile != result.profile:
        found = stored(result.name, profile=result.profile, seeds=len(seeds), train=False, **kwargs)
    # a comparison of the same seeds: "best" reads every stored one
    return None if found is None else replace(found, records=[r for r in found.records if r.seed in seeds])
