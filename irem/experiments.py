"""One function per experiment of the paper: run (or load) its runs and build its tables.

The notebooks and the CLI call these; no experiment logic lives anywhere else. Each takes a
profile (``smoke``, ``quick``, ``paper``, or ``best`` for the most complete stored set) and
overrides, trains what has no stored run record (or everything, with ``retrain``), and
returns the records with the table the book shows, the paper's numbers beside ours.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
import torch

from irem import evaluate, runs
from irem.methods import METHODS, make_method
from irem.models import parameter_count
from irem.profiles import PROFILES, resolve
from irem.tasks.continuous import CONTINUOUS_TASKS, DIFFICULTIES, make_task
from irem.train import train
from irem.validate import check_choice, check_positive

PROFILE_CHOICES = ("best", *PROFILES)

# Table 1 (right) of the paper: MSE on the same / harder difficulty.
PAPER_CONTINUOUS: dict[tuple[str, str], tuple[float, float]] = {
    ("addition", "feedforward"): (0.0448, 0.7029),
    ("addition", "recurrent"): (0.3610, 2.6133),
    ("addition", "programmatic"): (0.0111, 0.3446),
    ("addition", "iterative_feedforward"): (0.0144, 0.1577),
    ("addition", "irem"): (0.0003, 0.0021),
    ("matrix_completion", "feedforward"): (0.0203, 0.2720),
    ("matrix_completion", "recurrent"): (0.0266, 0.3285),
    ("matrix_completion", "programmatic"): (0.0203, 0.2637),
    ("matrix_completion", "iterative_feedforward"): (0.0253, 0.2102),
    ("matrix_completion", "irem"): (0.0183, 0.2074),
    ("matrix_inverse", "feedforward"): (0.0112, 0.2150),
    ("matrix_inverse", "recurrent"): (0.0109, 0.2123),
    ("matrix_inverse", "programmatic"): (0.0124, 0.2209),
    ("matrix_inverse", "iterative_feedforward"): (0.0270, 0.5250),
    ("matrix_inverse", "irem"): (0.0108, 0.2083),
}

TEST_SEED = 12345  # test problems are the same for every method and training seed
FIG4_STEPS = [0, 1, 2, 3, 5, 10, 20, 40, 80]


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA when available, else the CPU; anything else is checked."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"device={device!r} is not a device; use 'auto', 'cpu' or 'cuda[:N]'") from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: CUDA is not available here; use 'auto' or 'cpu'")
    return dev


def _generator(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def run_continuous(spec: runs.RunSpec, device: torch.device, progress: bool = True) -> dict:
    """Train one method on one continuous task and evaluate it: a complete run record."""
    started = runs.now()
    task = make_task(spec.task, **spec.task_options)
    torch.manual_seed(spec.seed)  # model initialisation
    method = make_method(spec.method, task, spec.train).to(device)
    log = train(method, task, spec.train, _generator(device, spec.seed), progress=progress)

    metrics, curves = {}, {"train_loss": [list(p) for p in log.train_loss]}
    for i, difficulty in enumerate(DIFFICULTIES):
        gen = _generator(device, TEST_SEED + i)
        metrics[difficulty], split_curves = evaluate.evaluate_split(method, task, difficulty, spec.eval, gen)
        for name, curve in split_curves.items():
            curves.setdefault(name, {})[difficulty] = curve
        landscape = evaluate.energy_landscape(method, task, difficulty, spec.eval, gen)
        if landscape:
            curves.setdefault("energy_landscape", {})[difficulty] = landscape
    if method.iterative:
        problem = task.sample(1, "same", _generator(device, TEST_SEED))
        steps = [s for s in FIG4_STEPS if s <= spec.eval.test_steps]
        curves["example_error"] = evaluate.error_by_element(
            method, problem, spec.eval, _generator(device, TEST_SEED), steps
        )
    wall = (runs.now() - started).total_seconds()
    return {
        "schema": runs.SCHEMA,
        "experiment": spec.experiment,
        "task": spec.task,
        "method": spec.method,
        "seed": spec.seed,
        "profile": spec.profile,
        "config": spec.config(),
        "config_hash": spec.config_hash(),
        "parameters": parameter_count(method),
        "metrics": metrics,
        "curves": curves,
        "provenance": runs.provenance(device, started, wall, log.iters_per_s),
    }


def _run_worker(spec: runs.RunSpec, device: str, threads: int, runs_dir: str, retrain: bool) -> dict:
    torch.set_num_threads(threads)
    return runs.load_or_run(spec, runs_dir, lambda s: run_continuous(s, torch.device(device), False), retrain=retrain)


def run_all(
    specs: Sequence[runs.RunSpec],
    runs_dir: str | Path,
    device: torch.device,
    *,
    retrain: bool = False,
    jobs: int = 1,
    progress: bool = True,
) -> list[dict]:
    """``load_or_run`` every spec, ``jobs`` at a time (separate processes when > 1)."""
    check_positive("jobs", jobs, integer=True)
    if jobs == 1:
        return [
            runs.load_or_run(s, runs_dir, lambda s: run_continuous(s, device, progress), retrain=retrain)
            for s in specs
        ]
    threads = max(1, (os.cpu_count() or 1) // jobs) if device.type == "cpu" else 1
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_run_worker, s, str(device), threads, str(runs_dir), retrain) for s in specs]
        return [f.result() for f in futures]


@dataclass
class ExperimentResult:
    """The records of an experiment and the profile they were made with."""

    experiment: str
    profile: str
    records: list[dict]

    def table(self) -> pd.DataFrame:
        """One row per (task, method, split): our mean and std over seeds, the paper's value,
        and the label variance (the MSE of predicting the mean answer)."""
        rows = []
        for r in self.records:
            for split, m in r["metrics"].items():
                rows.append(dict(task=r["task"], method=r["method"], split=split, seed=r["seed"],
                                 mse=m["mse"], label_variance=m["label_variance"]))  # fmt: skip
        df = pd.DataFrame(rows)
        out = df.groupby(["task", "method", "split"], sort=False).agg(
            ours=("mse", "mean"), ours_std=("mse", "std"), seeds=("seed", "nunique"),
            label_variance=("label_variance", "mean"),
        ).reset_index()  # fmt: skip
        out["ours_std"] = out["ours_std"].fillna(0.0)
        out["paper"] = [
            PAPER_CONTINUOUS.get((t, m), (None, None))[DIFFICULTIES.index(s)] if s in DIFFICULTIES else None
            for t, m, s in zip(out.task, out.method, out.split)
        ]
        return out


def make_spec(
    experiment: str, profile: str, task: str, method: str, seed: int, overrides: dict | None = None
) -> runs.RunSpec:
    """The run spec of one (task, method, seed) under ``profile`` with ``overrides``."""
    check_choice("task", task, CONTINUOUS_TASKS)
    check_choice("method", method, METHODS)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    train_cfg, eval_cfg = resolve(profile, experiment, overrides)
    return runs.RunSpec(experiment, task, method, seed, profile, train_cfg, eval_cfg)


def _specs(experiment: str, profile: str, tasks, methods, seeds: Sequence[int], overrides) -> list[runs.RunSpec]:
    return [make_spec(experiment, profile, t, m, s, overrides) for t in tasks for m in methods for s in seeds]


def best_profile(experiment: str, runs_dir: str | Path, tasks, methods, overrides=None) -> str:
    """The paper profile when its records cover every (task, method), else quick.

    Raises:
        FileNotFoundError: when neither profile has a record for every (task, method).
    """
    for profile in ("paper", "quick"):
        specs = _specs(experiment, profile, tasks, methods, [0], overrides)
        if all(runs.find_record(runs_dir, s) is not None for s in specs):
            return profile
    raise FileNotFoundError(
        f"no stored {experiment} records (paper or quick profile, seed 0) for every task and method "
        f"in {runs_dir}; run `irem reproduce {experiment} --profile quick` first, or pass profile='quick'"
    )


def continuous(
    profile: str = "best",
    tasks: Sequence[str] = tuple(CONTINUOUS_TASKS),
    methods: Sequence[str] = ("irem",),
    seeds: int = 3,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> ExperimentResult:
    """The continuous algorithmic reasoning experiment (Section 4.3, Table 1 right, Fig. 3-5).

    Args:
        profile: ``"smoke"``, ``"quick"``, ``"paper"``, or ``"best"``: the most complete
            stored profile, never training (only the seeds already stored are shown).
        tasks: subset of ``addition``, ``matrix_completion``, ``matrix_inverse``.
        methods: subset of the method names.
        seeds: number of training seeds (0 .. seeds-1).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        retrain: train even when a record with the same config is stored.
        runs_dir: where run records live.
        overrides: TrainConfig / EvalConfig fields to change, e.g. ``{"iterations": 500}``.
        jobs: runs trained at once, in separate processes.
        progress: show progress bars.
    """
    check_choice("profile", profile, PROFILE_CHOICES)
    for t in tasks:
        check_choice("tasks", t, CONTINUOUS_TASKS)
    for m in methods:
        check_choice("methods", m, METHODS)
    check_positive("seeds", seeds, integer=True)
    runs.check_runs_dir(runs_dir)
    dev = resolve_device(device)
    if profile == "best":
        profile = best_profile("continuous", runs_dir, tasks, methods, overrides)
        specs = _specs("continuous", profile, tasks, methods, range(seeds), overrides)
        records = [r for r in (runs.find_record(runs_dir, s) for s in specs) if r is not None]
    else:
        specs = _specs("continuous", profile, tasks, methods, range(seeds), overrides)
        records = run_all(specs, runs_dir, dev, retrain=retrain, jobs=jobs, progress=progress)
    return ExperimentResult("continuous", profile, records)
