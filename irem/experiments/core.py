"""What every experiment shares: its declaration, the registry, and one run set up and torn down once.

An :class:`Experiment` declares what it runs (tasks, methods, per-profile defaults, the
paper's numbers) and how it scores a trained model (``evaluate``). Everything else is written
once here: resolving a spec, training (or reusing cached weights), assembling and storing the
run record, running many specs, and choosing the profile the book shows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

import pandas as pd
import torch

from irem import benchmark, evaluate, resume, runs
from irem.config import EvalConfig, TrainConfig, split_overrides
from irem.graphed import check_graphable
from irem.methods import METHODS, Method
from irem.models import parameter_count
from irem.profiles import PROFILE_CHOICES, PROFILES
from irem.runs import Record, RunSpec
from irem.tasks import TASKS, Task
from irem.train import CHECKPOINT_EVERY_S, TrainingDiverged, TrainLog, checkpoint_interval, train
from irem.validate import check_bool, check_choice, check_names, check_positive, check_seed, describe

runs.loaded_code_state()  # the code this process loaded: its records name it, whatever the checkout does later
TEST_SEED = 12345  # test problems are the same for every method and training seed

Evaluate = Callable[[Method, Task, RunSpec, torch.device], tuple[dict, dict]]
Grid = Callable[..., list[tuple[str, str, dict]]]  # (tasks, methods, **options) -> [(task, method, changes)]


def product_grid(tasks: Sequence[str], methods: Sequence[str]) -> list[tuple[str, str, dict]]:
    """Every method on every task, with the experiment's own settings."""
    return [(t, m, {}) for t in tasks for m in methods]


@dataclass(frozen=True)
class Experiment:
    """One experiment of the paper: what it trains, with which defaults, and how it scores.

    Attributes:
        name: its name in the CLI, the records' folder and the notebooks.
        title: a line for ``--help`` and the CLI's table header.
        tasks, methods: what it runs by default (and all it accepts).
        evaluate: ``(method, task, spec, device) -> (metrics, curves)`` for one trained model;
            ``metrics`` maps each test split to a dict with at least ``mse``.
        profiles: profile -> TrainConfig / EvalConfig values over the paper's defaults.
        task_options: profile -> options for the task's constructor.
        paper: ``(task, method, split) -> the paper's number`` (see ``irem.experiments.paper``).
        grid: the runs of ``(tasks, methods, **options)``; default every method on every task.
            Variant experiments (ablations, scratchpad) list IREM with config changes.
        borrows_defaults: train each task as its own experiment does (variants), so a variant
            with no changes is that experiment's run and shares its cached weights.
        home: this experiment is its tasks' own (where ``irem train --task`` puts a run, and
            whose defaults variants borrow); composition, which reuses the continuous
            experiment's addition, is not. A task has exactly one home.
        measures_cost: also record the training speed and peak memory (fresh process).
        split_labels: how the book names the test splits (graphs: ``{"same": "10 nodes"}``).
        seeds: training seeds the notebooks and ``run`` use by default.
        version: of ``evaluate``; bump it when what it measures changes, so that stored records
            of the old evaluation get other names and are not reused.
    """

    name: str
    title: str
    tasks: tuple[str, ...]
    methods: tuple[str, ...]
    evaluate: Evaluate
    profiles: Mapping[str, Mapping] = field(default_factory=dict)
    task_options: Mapping[str, Mapping] = field(default_factory=dict)
    paper: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    grid: Grid = product_grid
    borrows_defaults: bool = False
    home: bool = True
    measures_cost: bool = False
    split_labels: Mapping[str, str] = field(default_factory=dict)
    seeds: int = 3
    version: int = 1

    def defaults(self, profile: str, task: str) -> tuple[dict, dict]:
        """Config values and task options of ``task`` under ``profile`` (before overrides)."""
        check_choice("profile", profile, PROFILES)
        owner = get(home_of(task)) if self.borrows_defaults else self
        return dict(owner.profiles.get(profile, {})), dict(owner.task_options.get(profile, {}))

    def spec(self, profile: str, task: str, method: str, seed: int, overrides: Mapping | None = None,
             task_options: Mapping | None = None) -> RunSpec:  # fmt: skip
        """The run spec of one (task, method, seed) under ``profile``, with ``overrides`` and ``task_options``."""
        check_choice("task", task, self.tasks)
        check_choice("method", method, self.methods)
        check_seed(seed)
        values, options = self.defaults(profile, task)
        train_cfg, eval_cfg = split_overrides({**values, **(overrides or {})})
        task_version = getattr(TASKS[task], "version", 1)  # optional: a user's task need not version its problems
        return RunSpec(self.name, task, method, seed, profile, TrainConfig(**train_cfg), EvalConfig(**eval_cfg),
                       {**options, **(task_options or {})}, self.version, task_version)  # fmt: skip

    def specs(self, profile: str, tasks, methods, seeds: Sequence[int], overrides=None, task_options=None,
              **options) -> list[RunSpec]:  # fmt: skip
        """Every run of the grid, for each seed."""
        return [self.spec(profile, t, m, s, {**(overrides or {}), **changes}, task_options)
                for t, m, changes in self.grid(tasks, methods, **options) for s in seeds]  # fmt: skip


REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry, checking that everything it names exists."""
    e = experiment
    for t in e.tasks:
        check_choice(f"{e.name}: task", t, TASKS)
    for m in e.methods:
        check_choice(f"{e.name}: method", m, METHODS)
    for profile, values in e.profiles.items():
        check_choice(f"{e.name}: profile", profile, PROFILES)
        split_overrides(dict(values))  # an unknown config field fails here, not at run time
    for t, m, _ in e.paper:
        check_choice(f"{e.name}: paper table task", t, e.tasks)
        check_choice(f"{e.name}: paper table method", m, e.methods)
    if e.name in REGISTRY and REGISTRY[e.name] is not e:
        raise ValueError(f"an experiment named {e.name!r} is registered already")
    if e.home and not e.borrows_defaults:
        for other in REGISTRY.values():
            shared = set(e.tasks) & set(other.tasks) if other.home and not other.borrows_defaults else set()
            if shared and other.name != e.name:
                raise ValueError(f"{e.name}: task(s) {sorted(shared)} have a home already ({other.name}); "
                                 "pass home=False")  # fmt: skip
    REGISTRY[e.name] = e
    return e


def get(name: str) -> Experiment:
    """The registered experiment called ``name``."""
    check_choice("experiment", name, REGISTRY)
    return REGISTRY[name]


def home_of(task: str) -> str:
    """The experiment a task belongs to (its ``home``)."""
    homes = {t: e.name for e in REGISTRY.values() if e.home and not e.borrows_defaults for t in e.tasks}
    check_choice("task", task, homes)
    return homes[task]


def parse_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch device, which must be a CPU or a CUDA device (not checked for presence)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device={device!r} is not a device; use 'auto', 'cpu' or 'cuda[:N]'") from e
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r}: only 'auto', 'cpu' and 'cuda[:N]' are supported")
    return dev


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA when available, else the CPU; anything else is checked."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = parse_device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: CUDA is not available here; use 'auto' or 'cpu'")
    return dev


def generator(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def evaluate_splits(method: Method, task: Task, spec: RunSpec, device: torch.device, landscape: bool = False
                    ) -> tuple[dict, dict]:  # fmt: skip
    """Metrics and curves on each of the task's test splits, with fixed test seeds.

    Curves are keyed by name, then split; with ``landscape`` also the energy-vs-distance samples.
    """
    metrics: dict = {}
    curves: dict = {}
    for i, split in enumerate(task.test_splits):
        gen = generator(device, TEST_SEED + i)
        run_split = partial(evaluate.evaluate_split, method, task, split, spec.eval, gen)
        metrics[split], split_curves = resume.stage(f"split {split}", run_split, gen)
        for name, curve in split_curves.items():
            curves.setdefault(name, {})[split] = curve
        energies = evaluate.energy_landscape(method, task, split, spec.eval, gen) if landscape else {}
        if energies:
            curves.setdefault("energy_landscape", {})[split] = energies
    return metrics, curves


def check_snapshots(spec: RunSpec) -> None:
    """Raise ``ValueError`` unless every snapshot of ``spec`` gives exactly the weights of a shorter run.

    A snapshot at iteration k stands for the same run trained for k iterations. That holds only
    when nothing in training depends on the total (a constant learning rate) and the loss log of
    the shorter run ends at k (k a multiple of ``log_every``), for 0 < k < ``iterations``.
    """
    t = spec.train
    for k in spec.snapshots:
        if not (isinstance(k, int) and 0 < k < t.iterations and k % t.log_every == 0):
            raise ValueError(f"snapshots must be iterations between 1 and {t.iterations - 1} (iterations) that are "
                             f"multiples of log_every = {t.log_every}, got {k!r}")  # fmt: skip
    if spec.snapshots and t.lr_schedule != "constant":
        raise ValueError(f"snapshots need lr_schedule='constant' (with {t.lr_schedule!r} the learning rate at "
                         "iteration k depends on the total, so a snapshot is not a shorter run)")  # fmt: skip


def _snapshot_saver(spec: RunSpec, method: Method, weights_dir: Path, git: dict) -> Callable[[int, TrainLog], None]:
    """Cache the weights at each snapshot as those of ``spec`` trained for that many iterations."""

    def save(iteration: int, log: TrainLog) -> None:
        shorter = replace(spec, train=replace(spec.train, iterations=iteration), snapshots=())
        path = weights_dir / shorter.weights_file()
        runs.atomic_torch_save({"state_dict": method.state_dict(), "log": asdict(log), "git": git}, path)

    return save


def _trained(spec: RunSpec, device: torch.device, progress: bool, weights_dir: Path | None, retrain: bool,
             checkpoint_dir: Path | None = None, checkpoint_every_s: float = CHECKPOINT_EVERY_S,
             git: dict | None = None):  # fmt: skip
    """The task and trained method of ``spec``, its training log, and the git state it was trained at.

    ``git`` is ``runs.loaded_code_state()`` when the caller has read it already.

    Weights are cached in ``weights_dir`` (``runs.weights_dir``) by a hash of what
    determines them (task, method, seed, training config), so experiments that reuse a
    trained model (composition reuses addition) train it once. ``retrain`` ignores the cache.

    Training saves a checkpoint in ``checkpoint_dir`` (same name as the cache) every
    ``checkpoint_every_s`` seconds and resumes from one left by a killed run; ``retrain`` removes
    it first. It is deleted once the weights are cached (or when training diverges: resuming
    would diverge again). At each of ``spec.snapshots`` the weights so far are cached too, as those
    of the same run trained for that many iterations (bitwise the same: see ``check_snapshots``).
    """
    task, method = spec.build(device)
    name = spec.weights_file()
    cache = None if weights_dir is None else weights_dir / name
    checkpoint = None if checkpoint_dir is None else checkpoint_dir / name
    if cache is not None and cache.exists() and not retrain:
        try:
            saved = torch.load(cache, map_location=device, weights_only=True)
            method.load_state_dict(saved["state_dict"])
            log = TrainLog(**saved["log"])
        except Exception as e:  # truncated, corrupt, or from an older version
            raise ValueError(f"cached weights {cache} cannot be loaded ({describe(e)}); "
                             "rerun with --retrain (retrain=True), or delete the file") from None  # fmt: skip
        method.eval()
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)  # left by a run killed after caching its weights
        return (
            task,
            method,
            log,
            {**saved["git"], "weights": "reused", "sha256": runs.state_dict_sha256(saved["state_dict"])},
        )
    if retrain and checkpoint is not None:
        checkpoint.unlink(missing_ok=True)  # retrain: from the start
    git = runs.loaded_code_state() if git is None else git
    check_snapshots(spec)
    snapshot = None if cache is None or not spec.snapshots else _snapshot_saver(spec, method, weights_dir, git)
    try:
        log = train(method, task, spec.train, generator(device, spec.seed), progress=progress,
                    checkpoint=checkpoint, checkpoint_every_s=checkpoint_every_s, snapshot_at=spec.snapshots,
                    on_snapshot=snapshot)  # fmt: skip
    except TrainingDiverged:
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)
        raise
    if cache is not None:
        runs.atomic_torch_save({"state_dict": method.state_dict(), "log": asdict(log), "git": git}, cache)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)  # the cached weights supersede it
    return task, method, log, {**git, "weights": "trained", "sha256": runs.state_dict_sha256(method.state_dict())}


def run_spec(spec: RunSpec, device: torch.device, runs_dir: str | Path, *, progress: bool = True,
             retrain: bool = False, checkpoint_every_s: float | None = None) -> Record:  # fmt: skip
    """Train (or reuse the cached weights of) ``spec``'s model, evaluate it, and return its record.

    Training checkpoints into ``<runs_dir>/checkpoints/`` every ``checkpoint_every_s`` seconds
    (default: ``$IREM_CHECKPOINT_EVERY_S``, else 300) and a rerun resumes from there. Evaluation
    keeps its finished stages there too (:mod:`irem.resume`), and a rerun on the same cached
    weights goes on from the last one.
    """
    experiment = get(spec.experiment)
    every = checkpoint_interval() if checkpoint_every_s is None else checkpoint_every_s
    started, git = runs.now(), runs.loaded_code_state()
    task, method, log, trained_at = _trained(spec, device, progress, runs.weights_dir(runs_dir), retrain,
                                             runs.checkpoints_dir(runs_dir), every, git=git)  # fmt: skip
    stages = runs.evaluation_stages_path(runs_dir, spec)
    if trained_at["weights"] != "reused":  # stages kept from other weights are not this model's
        resume.discard(stages)
    with resume.resumable(stages, progress):
        metrics, curves = experiment.evaluate(method, task, spec, device)
    cost = None
    if experiment.measures_cost:
        cost = benchmark.training_cost(spec, device, fresh_process=spec.profile != "smoke")
    resume.discard(stages)  # the record is written right after this returns
    wall = (runs.now() - started).total_seconds()
    return Record(
        experiment=spec.experiment, task=spec.task, method=spec.method, seed=spec.seed, profile=spec.profile,
        config=spec.config(), config_hash=spec.config_hash(), parameters=parameter_count(method),
        metrics=metrics, training_cost=cost,
        curves={"train_loss": [list(p) for p in log.train_loss], **curves},
        provenance={
            **runs.provenance(device, started, git, wall, log.iters_per_s, log.wall_s),
            # the model may come from the weight cache: who trained it, at which commit
            "weights": trained_at["weights"],
            "weights_sha256": trained_at["sha256"],  # the content of the weights evaluated (one model per run)
            "train_git_commit": trained_at["git_commit"],
            "train_dirty": trained_at["dirty"],
            "resumed_from_iteration": log.resumed_from,  # training went on from a checkpoint there
        },
    )  # fmt: skip


def run_all(specs: Sequence[RunSpec], runs_dir: str | Path, device: str | torch.device, *, retrain: bool = False,
            jobs: int = 1, progress: bool = True, scheduler: str | None = None,
            scheduler_file: str | os.PathLike | None = None) -> list[Record]:  # fmt: skip
    """``load_or_run`` every spec: one after another in this process, or as a Dask sweep.

    With ``jobs == 1`` and no scheduler the runs train here, in order, and Dask is never
    imported. Otherwise ``irem.experiments.sweep.run_sweep`` runs them: on a local cluster of
    ``jobs`` worker processes, or on the cluster of ``scheduler`` (an address such as
    ``tcp://HOST:8786``) or ``scheduler_file``, where ``jobs`` is ignored. There a run that
    raises fails alone, and ``sweep.SweepFailed`` lists the failures after every other
    record is written.
    """
    check_positive("jobs", jobs, integer=True)
    runs.check_runs_dir(runs_dir, writable=True)
    if jobs == 1 and scheduler is None and scheduler_file is None:
        device = resolve_device(device)
        return [runs.load_or_run(s, runs_dir, lambda s: run_spec(s, device, runs_dir, progress=progress,
                                                                   retrain=retrain), retrain=retrain)
                for s in specs]  # fmt: skip
    from irem.experiments import sweep

    return sweep.run_sweep(specs, runs_dir, device, retrain=retrain, jobs=jobs, scheduler=scheduler,
                           scheduler_file=scheduler_file, progress=progress)  # fmt: skip


def best_profile(experiment: Experiment, runs_dir: str | Path, tasks, methods, overrides=None, task_options=None,
                 **options) -> str:  # fmt: skip
    """The paper profile when its records cover every run of the grid (seed 0), else quick.

    Raises:
        FileNotFoundError: when neither profile has a record for every run.
    """
    for profile in ("paper", "quick"):
        specs = experiment.specs(profile, tasks, methods, [0], overrides, task_options, **options)
        if all(runs.find_record(runs_dir, s) is not None for s in specs):
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
        """One row per (task, method, split): our mean and std over seeds beside the paper.

        ``label_variance`` is the MSE of always predicting the mean answer, where recorded.
        """
        rows = [
            dict(task=r.task, method=r.method, split=split, seed=r.seed, mse=m["mse"],
                 label_variance=m.get("label_variance", float("nan")))
            for r in self.records for split, m in r.metrics.items()
        ]  # fmt: skip
        out = pd.DataFrame(rows).groupby(["task", "method", "split"], sort=False).agg(
            ours=("mse", "mean"), ours_std=("mse", "std"), seeds=("seed", "nunique"),
            label_variance=("label_variance", "mean"),
        ).reset_index()  # fmt: skip
        out["ours_std"] = out["ours_std"].fillna(0.0)
        paper = self.experiment.paper
        out["paper"] = [paper.get((t, m, s), float("nan")) for t, m, s in zip(out.task, out.method, out.split)]
        return out

    def ours(self, task: str, method: str, split: str) -> float:
        """Our mean MSE (over seeds) for one (task, method, split); NaN when not run."""
        t = self.table()
        row = t[(t.task == task) & (t.method == method) & (t.split == split)]
        return float(row.ours.iloc[0]) if len(row) else float("nan")


def checked_grid(experiment: Experiment, tasks: Sequence[str] | None, methods: Sequence[str] | None,
                 seeds: int | None, overrides: Mapping | None) -> tuple[Sequence[str], Sequence[str], int]:  # fmt: skip
    """``run``'s tasks, methods and seed count, defaults filled in; a clear error for each bad one."""
    tasks = check_names("tasks", experiment.tasks if tasks is None else tasks, experiment.tasks)
    methods = check_names("methods", experiment.methods if methods is None else methods, experiment.methods)
    seeds = experiment.seeds if seeds is None else seeds
    check_positive("seeds", seeds, integer=True)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValueError(f"overrides must be a mapping of config fields to values, got {overrides!r}")
    return tasks, methods, seeds


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
            profile, never training (only the seeds already stored are shown).
        tasks: a subset of the experiment's tasks (default: all of them).
        methods: a subset of its methods (default: all of them).
        seeds: number of training seeds, 0 .. seeds-1 (default: the experiment's).
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
    runs.check_runs_dir(runs_dir)
    remote = scheduler is not None or scheduler_file is not None
    dev = device if remote else resolve_device(device)  # a cluster's workers resolve it (their GPUs)
    best = profile == "best"  # shows the stored seeds of the most complete profile, never trains
    if best:
        profile = best_profile(experiment, runs_dir, tasks, methods, overrides, task_options, **options)
    specs = experiment.specs(profile, tasks, methods, range(seeds), overrides, task_options, **options)
    if snapshots:
        specs = [replace(s, snapshots=tuple(sorted(set(snapshots)))) for s in specs]
        for s in specs:
            check_snapshots(s)
    if best or not train:
        records = [runs.find_record(runs_dir, s) for s in specs]
        missing = [runs.record_path(runs_dir, s).name for s, r in zip(specs, records) if r is None]
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
    """Other runs of ``result``'s experiment to show beside it: at its profile, with as many seeds.

    ``page_profile`` is the profile the page was asked for. With another than ``"best"``, missing
    runs are trained, as ``run`` does. With ``"best"`` (the book) only stored records are read:
    the seeds stored, where ``result``'s profile is the other runs' most complete one; else all the
    seeds at ``result``'s profile, or ``None`` where any is missing. ``kwargs`` go to ``run``
    (``methods``, ``overrides``, ...).
    """
    seeds = len({r.seed for r in result.records})
    if page_profile != "best":
        return run(result.name, profile=result.profile, seeds=seeds, **kwargs)
    most_complete = stored(result.name, profile="best", seeds=seeds, **kwargs)
    if most_complete is not None and most_complete.profile == result.profile:
        return most_complete
    return stored(result.name, profile=result.profile, seeds=seeds, train=False, **kwargs)
