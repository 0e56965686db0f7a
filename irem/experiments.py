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

from irem import benchmark, evaluate, runs
from irem.config import TrainConfig
from irem.methods import METHODS, make_method
from irem.models import parameter_count
from irem.profiles import PROFILES, default_task_options, resolve
from irem.tasks import CONTINUOUS_TASKS, DIFFICULTIES, GRAPH_TASKS, make_task
from irem.train import TrainLog, train
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

# Table 1 (left) of the paper: MSE on graphs of 10 / 15 nodes (our "same" / "harder").
PAPER_GRAPH: dict[tuple[str, str], tuple[float, float]] = {
    ("edge_copy", "feedforward"): (0.3016, 0.3124),
    ("edge_copy", "recurrent"): (0.3015, 0.3113),
    ("edge_copy", "programmatic"): (0.3053, 0.4409),
    ("edge_copy", "iterative_feedforward"): (0.6163, 0.6498),
    ("edge_copy", "irem"): (0.0019, 0.0019),
    ("connected_components", "feedforward"): (0.1796, 0.3460),
    ("connected_components", "recurrent"): (0.1794, 0.2766),
    ("connected_components", "programmatic"): (0.2338, 3.1381),
    ("connected_components", "iterative_feedforward"): (0.4908, 1.2064),
    ("connected_components", "irem"): (0.1424, 0.2171),
    ("shortest_path", "feedforward"): (0.1233, 1.4089),
    ("shortest_path", "recurrent"): (0.1259, 0.1083),
    ("shortest_path", "programmatic"): (0.1375, 0.1290),
    ("shortest_path", "iterative_feedforward"): (0.4588, 0.7688),
    ("shortest_path", "irem"): (0.0274, 0.0464),
}

# Table 4 of the paper: MSE after 2 / 5 / 10 nested additions.
PAPER_COMPOSITION: dict[str, dict[int, float]] = {
    "feedforward": {2: 0.0445, 5: 0.2717, 10: 0.8898},
    "recurrent": {2: 2.1377, 5: 3.1861, 10: 4.8706},
    "programmatic": {2: 0.0203, 5: 0.1068, 10: 0.4587},
    "iterative_feedforward": {2: 0.0826, 5: 0.5930, 10: 3.6004},
    "irem": {2: 0.0014, 5: 0.0078, 10: 0.0422},
}

TEST_SEED = 12345  # test problems are the same for every method and training seed
FIG4_STEPS = [0, 1, 2, 3, 5, 10, 20, 40, 80]
FIG2_NODES = (5, 10, 15, 20, 25, 30)  # graph sizes of the error-vs-steps curves (Fig. 2)

# the tasks each experiment runs on
EXPERIMENT_TASKS: dict[str, tuple[str, ...]] = {
    "continuous": tuple(CONTINUOUS_TASKS),
    "composition": ("addition",),
    "graph": tuple(GRAPH_TASKS),
    "denoising": ("denoising",),
    "ablations": ("shortest_path", "addition"),
    "scratchpad": ("addition", "matrix_completion", "matrix_inverse", "shortest_path"),
}
DENOISING_METHODS = ("irem", "feedforward")  # the baselines without an image network are left out


def experiment_of(task: str) -> str:
    """The experiment a task belongs to (the first that lists it: ``shortest_path`` is ``graph``)."""
    check_choice("task", task, [t for ts in EXPERIMENT_TASKS.values() for t in ts])
    return next(e for e, ts in EXPERIMENT_TASKS.items() if task in ts)


# Table 2 (shortest path): (replay buffer, truncated backpropagation) variants of IREM
TABLE2_VARIANTS = ((False, False), (True, False), (True, True))
PAPER_TABLE2 = {  # test MSE, training speed and memory relative to the full method
    (False, False): (0.0491, 0.87, 2.95),
    (True, False): (0.0287, 0.83, 2.95),
    (True, True): (0.0274, 1.00, 1.00),
}
# Table 3 (addition): training step size lambda -> same / harder MSE
PAPER_TABLE3 = {10.0: (0.0003, 0.0021), 30.0: (0.0003, 0.0020), 100.0: (0.0003, 0.0021), 300.0: (0.0004, 0.0023),
                1000.0: (0.0004, 0.0025)}  # fmt: skip
TEST_STEP_SIZES = (10.0, 30.0, 100.0, 300.0, 1000.0)  # test-time lambda, for the model trained with 100
SCRATCHPAD_SIZES = (0, 8, 32)  # D; 0 is IREM without a scratchpad


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


def _trained(spec: runs.RunSpec, device: torch.device, progress: bool, weights_dir: Path | None):
    """The task and the trained method of ``spec``, its training log and the git state it was trained at.

    Weights are cached in ``weights_dir`` (not under version control) by a hash of what
    determines them (task, method, seed, training config), so experiments that reuse a
    trained model (composition reuses addition) train it once.
    """
    task = make_task(spec.task, **spec.task_options)
    torch.manual_seed(spec.seed)  # model initialisation
    method = make_method(spec.method, task, spec.train).to(device)
    cache = None if weights_dir is None else weights_dir / f"{spec.task}__{spec.method}__{spec.train_hash()}.pt"
    if cache is not None and cache.exists():
        saved = torch.load(cache, map_location=device, weights_only=False)
        method.load_state_dict(saved["state_dict"])
        method.eval()
        return task, method, saved["log"], saved.get("git", {"git_commit": "unknown", "dirty": None})
    git = runs.git_state()
    log = train(method, task, spec.train, _generator(device, spec.seed), progress=progress)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        torch.save({"state_dict": method.state_dict(), "log": log, "git": git}, tmp)
        tmp.replace(cache)
    return task, method, log, git


def _record(
    spec: runs.RunSpec, method, log: TrainLog, metrics: dict, curves: dict, device, started, git: dict, train_git: dict
) -> dict:
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
        "curves": {"train_loss": [list(p) for p in log.train_loss], **curves},
        "provenance": {
            **runs.provenance(device, started, git, wall, log.iters_per_s, log.wall_s),
            "train_git_commit": train_git["git_commit"],  # differs when cached weights were reused
        },
    }


def _evaluate_difficulties(method, task, spec: runs.RunSpec, device, landscape: bool) -> tuple[dict, dict]:
    """Metrics and curves on each difficulty (``same``, ``harder``), with fixed test seeds."""
    metrics, curves = {}, {}
    for i, difficulty in enumerate(DIFFICULTIES):
        gen = _generator(device, TEST_SEED + i)
        metrics[difficulty], split_curves = evaluate.evaluate_split(method, task, difficulty, spec.eval, gen)
        for name, curve in split_curves.items():
            curves.setdefault(name, {})[difficulty] = curve
        energies = evaluate.energy_landscape(method, task, difficulty, spec.eval, gen) if landscape else {}
        if energies:
            curves.setdefault("energy_landscape", {})[difficulty] = energies
    return metrics, curves


def run_continuous(
    spec: runs.RunSpec, device: torch.device, progress: bool = True, weights_dir: Path | None = None
) -> dict:
    """Train one method on one continuous task and evaluate it: a complete run record."""
    started, git = runs.now(), runs.git_state()
    task, method, log, train_git = _trained(spec, device, progress, weights_dir)
    metrics, curves = _evaluate_difficulties(method, task, spec, device, landscape=True)
    if method.iterative:
        problem = task.sample(1, "same", _generator(device, TEST_SEED))
        steps = [s for s in FIG4_STEPS if s <= spec.eval.test_steps]
        curves["example_error"] = evaluate.error_by_element(
            method, problem, spec.eval, _generator(device, TEST_SEED), steps
        )
    return _record(spec, method, log, metrics, curves, device, started, git, train_git)


def run_composition(
    spec: runs.RunSpec, device: torch.device, progress: bool = True, weights_dir: Path | None = None
) -> dict:
    """Nest a trained addition model up to ``compose_max`` times (Section 4.4)."""
    started, git = runs.now(), runs.git_state()
    task, method, log, train_git = _trained(spec, device, progress, weights_dir)
    mse, example = evaluate.composition(method, task, spec.eval, _generator(device, TEST_SEED))
    metrics = {str(k): {"mse": m} for k, m in enumerate(mse, start=1)}
    curves = {"composition_mse": mse, "example": example}
    return _record(spec, method, log, metrics, curves, device, started, git, train_git)


def run_graph(spec: runs.RunSpec, device: torch.device, progress: bool = True, weights_dir: Path | None = None) -> dict:
    """Train one method on one graph task; evaluate at 10 and 15 nodes, and across sizes (Fig. 2)."""
    started, git = runs.now(), runs.git_state()
    task, method, log, train_git = _trained(spec, device, progress, weights_dir)
    metrics, curves = _evaluate_difficulties(method, task, spec, device, landscape=False)
    by_nodes = {}
    for n in FIG2_NODES:  # fewer problems per size: the curves are means over many edges
        test = task.sample_nodes(max(1, spec.eval.test_problems // 4), n, _generator(device, TEST_SEED + n))
        _, size_curves = evaluate.evaluate_batch(method, test, spec.eval, _generator(device, TEST_SEED))
        by_nodes[str(n)] = size_curves["mse_by_step"]
    curves["mse_by_step_by_nodes"] = by_nodes
    curves["example"] = evaluate.graph_example(method, task, spec.eval, _generator(device, TEST_SEED))
    return _record(spec, method, log, metrics, curves, device, started, git, train_git)


def run_denoising(
    spec: runs.RunSpec, device: torch.device, progress: bool = True, weights_dir: Path | None = None
) -> dict:
    """Train a denoiser on noisy patches; PSNR on the test images at every noise level (App. A)."""
    started, git = runs.now(), runs.git_state()
    task, method, log, train_git = _trained(spec, device, progress, weights_dir)
    metrics, curves = evaluate.denoising(method, task, spec.eval, device, TEST_SEED)
    return _record(spec, method, log, metrics, curves, device, started, git, train_git)


def _evaluate_task(method, task, spec: runs.RunSpec, device) -> tuple[dict, dict]:
    """Same and harder metrics; plus the training cost measured in a fresh process."""
    metrics, curves = _evaluate_difficulties(method, task, spec, device, landscape=False)
    metrics["training_cost"] = benchmark.training_cost(spec, device, fresh_process=spec.profile != "smoke")
    return metrics, curves


def run_ablation(spec: runs.RunSpec, device: torch.device, progress: bool = True, weights_dir: Path | None = None
                 ) -> dict:  # fmt: skip
    """One IREM variant of Table 2 (replay, truncation) or Table 3 (step size), evaluated.

    The model trained with the paper's step size also runs at test time with every lambda of
    ``TEST_STEP_SIZES``.
    """
    started, git = runs.now(), runs.git_state()
    task, method, log, train_git = _trained(spec, device, progress, weights_dir)
    metrics, curves = _evaluate_task(method, task, spec, device)
    if spec.task == "addition" and spec.train.step_size == TrainConfig.step_size:
        curves["test_step_size"] = evaluate.step_size_sweep(method, task, spec.eval, TEST_STEP_SIZES, TEST_SEED)
    return _record(spec, method, log, metrics, curves, device, started, git, train_git)


def run_scratchpad(spec: runs.RunSpec, device: torch.device, progress: bool = True, weights_dir: Path | None = None
                   ) -> dict:  # fmt: skip
    """IREM with a scratchpad of ``spec.train.scratchpad`` entries (0: none), evaluated.

    One problem's answer and scratchpad are traced over the reasoning steps.
    """
    started, git = runs.now(), runs.git_state()
    task, method, log, train_git = _trained(spec, device, progress, weights_dir)
    metrics, curves = _evaluate_task(method, task, spec, device)
    gen = _generator(device, TEST_SEED)
    problem = task.sample(1, "same", gen)
    curves["trajectory"] = evaluate.scratchpad_trajectory(method, problem, spec.eval, gen)
    return _record(spec, method, log, metrics, curves, device, started, git, train_git)


RUNNERS = {
    "continuous": run_continuous, "composition": run_composition, "graph": run_graph, "denoising": run_denoising,
    "ablations": run_ablation, "scratchpad": run_scratchpad,
}  # fmt: skip


def _run(spec: runs.RunSpec, device: torch.device, progress: bool, runs_dir: str | Path) -> dict:
    return RUNNERS[spec.experiment](spec, device, progress, runs.weights_dir(runs_dir))


def _run_worker(spec: runs.RunSpec, device: str, threads: int, runs_dir: str, retrain: bool) -> dict:
    torch.set_num_threads(threads)
    return runs.load_or_run(spec, runs_dir, lambda s: _run(s, torch.device(device), False, runs_dir), retrain=retrain)


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
            runs.load_or_run(s, runs_dir, lambda s: _run(s, device, progress, runs_dir), retrain=retrain) for s in specs
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
        """One row per (task, method, split) with our mean and std over seeds beside the paper.

        For the continuous tasks it also gives the label variance (the MSE of predicting
        the mean answer).
        """
        rows = [
            dict(task=r["task"], method=r["method"], split=split, seed=r["seed"], mse=m["mse"],
                 label_variance=m.get("label_variance", float("nan")))
            for r in self.records
            for split, m in r["metrics"].items()
            if "mse" in m  # not e.g. training_cost
        ]  # fmt: skip
        out = pd.DataFrame(rows).groupby(["task", "method", "split"], sort=False).agg(
            ours=("mse", "mean"), ours_std=("mse", "std"), seeds=("seed", "nunique"),
            label_variance=("label_variance", "mean"),
        ).reset_index()  # fmt: skip
        out["ours_std"] = out["ours_std"].fillna(0.0)
        out["paper"] = [self._paper(t, m, s) for t, m, s in zip(out.task, out.method, out.split)]
        return out

    def _paper(self, task: str, method: str, split: str) -> float:
        if self.experiment == "composition":
            return PAPER_COMPOSITION.get(method, {}).get(int(split), float("nan"))
        pair = (PAPER_GRAPH if self.experiment == "graph" else PAPER_CONTINUOUS).get((task, method))
        return pair[DIFFICULTIES.index(split)] if pair and split in DIFFICULTIES else float("nan")


def make_spec(
    experiment: str, profile: str, task: str, method: str, seed: int, overrides: dict | None = None,
    task_options: dict | None = None,
) -> runs.RunSpec:  # fmt: skip
    """The run spec of one (task, method, seed) under ``profile`` with ``overrides`` and ``task_options``."""
    check_choice("experiment", experiment, EXPERIMENT_TASKS)
    check_choice("task", task, EXPERIMENT_TASKS[experiment])
    check_choice("method", method, METHODS)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    train_cfg, eval_cfg = resolve(profile, experiment, overrides, task)
    options = {**default_task_options(profile, experiment), **(task_options or {})}
    return runs.RunSpec(experiment, task, method, seed, profile, train_cfg, eval_cfg, options)


def _specs(
    experiment: str, profile: str, tasks, methods, seeds: Sequence[int], overrides, task_options=None
) -> list[runs.RunSpec]:
    return [make_spec(experiment, profile, t, m, s, overrides, task_options)
            for t in tasks for m in methods for s in seeds]  # fmt: skip


def best_profile(experiment: str, runs_dir: str | Path, tasks, methods, overrides=None, task_options=None) -> str:
    """The paper profile when its records cover every (task, method), else quick.

    Raises:
        FileNotFoundError: when neither profile has a record for every (task, method).
    """
    for profile in ("paper", "quick"):
        specs = _specs(experiment, profile, tasks, methods, [0], overrides, task_options)
        if all(runs.find_record(runs_dir, s) is not None for s in specs):
            return profile
    raise FileNotFoundError(
        f"no stored {experiment} records (paper or quick profile, seed 0) for every task and method "
        f"in {runs_dir}; run `irem reproduce {experiment} --profile quick` first, or pass profile='quick'"
    )


def _experiment(
    experiment: str, profile: str, tasks: Sequence[str], methods: Sequence[str], seeds: int, device: str,
    retrain: bool, runs_dir: str | Path, overrides: dict | None, jobs: int, progress: bool,
    task_options: dict | None = None,
) -> ExperimentResult:  # fmt: skip
    check_choice("profile", profile, PROFILE_CHOICES)
    for t in tasks:
        check_choice("tasks", t, EXPERIMENT_TASKS[experiment])
    for m in methods:
        check_choice("methods", m, METHODS)
    check_positive("seeds", seeds, integer=True)
    runs.check_runs_dir(runs_dir)
    dev = resolve_device(device)
    if profile == "best":
        profile = best_profile(experiment, runs_dir, tasks, methods, overrides, task_options)
        specs = _specs(experiment, profile, tasks, methods, range(seeds), overrides, task_options)
        records = [r for r in (runs.find_record(runs_dir, s) for s in specs) if r is not None]
    else:
        specs = _specs(experiment, profile, tasks, methods, range(seeds), overrides, task_options)
        records = run_all(specs, runs_dir, dev, retrain=retrain, jobs=jobs, progress=progress)
    return ExperimentResult(experiment, profile, records)


def continuous(
    profile: str = "best",
    tasks: Sequence[str] = tuple(CONTINUOUS_TASKS),
    methods: Sequence[str] = tuple(METHODS),
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
        methods: subset of ``irem``, ``feedforward``, ``recurrent``, ``programmatic``,
            ``iterative_feedforward``.
        seeds: number of training seeds (0 .. seeds-1).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        retrain: train even when a record with the same config is stored.
        runs_dir: where run records live.
        overrides: TrainConfig / EvalConfig fields to change, e.g. ``{"iterations": 500}``.
        jobs: runs trained at once, in separate processes.
        progress: show progress bars.
    """
    return _experiment("continuous", profile, tasks, methods, seeds, device, retrain, runs_dir, overrides, jobs,
                       progress)  # fmt: skip


def composition(
    profile: str = "best",
    methods: Sequence[str] = tuple(METHODS),
    seeds: int = 3,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> ExperimentResult:
    """Recursive addition (Section 4.4, Table 4, Fig. 6-7).

    Each method's addition model, trained as in the continuous experiment, is nested up to
    ``compose_max`` times.

    Arguments as for :func:`continuous`.
    """
    return _experiment("composition", profile, ["addition"], methods, seeds, device, retrain, runs_dir, overrides,
                       jobs, progress)  # fmt: skip


def graph(
    profile: str = "best",
    tasks: Sequence[str] = tuple(GRAPH_TASKS),
    methods: Sequence[str] = tuple(METHODS),
    seeds: int = 3,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> ExperimentResult:
    """Graph algorithmic reasoning (Section 4.2, Table 1 left, Fig. 2).

    Trained on fully connected graphs of 2-10 nodes; tested on 10 nodes (split ``same``) and
    15 nodes (``harder``), and for Fig. 2 on sizes ``FIG2_NODES``.

    Arguments as for :func:`continuous`, with ``tasks`` a subset of ``edge_copy``,
    ``connected_components``, ``shortest_path``.
    """
    return _experiment("graph", profile, tasks, methods, seeds, device, retrain, runs_dir, overrides, jobs,
                       progress)  # fmt: skip


def denoising(
    profile: str = "best",
    methods: Sequence[str] = DENOISING_METHODS,
    seeds: int = 1,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
    task_options: dict | None = None,
) -> ExperimentResult:
    """Image denoising (App. A, Table 5, Fig. 8): IREM against a DnCNN-style feedforward network.

    Arguments as for :func:`continuous`, with ``methods`` a subset of ``irem`` and
    ``feedforward``, and ``task_options`` for :class:`irem.tasks.images.Denoising`
    (``image_dir``, ``patch``, ``test_crop``, ``test_every``).
    """
    for m in methods:
        check_choice("methods", m, DENOISING_METHODS)
    return _experiment("denoising", profile, ["denoising"], methods, seeds, device, retrain, runs_dir, overrides,
                       jobs, progress, task_options)  # fmt: skip


def _variants(
    experiment: str, profile: str, variants: Sequence[tuple[str, dict]], seeds: int, device: str, retrain: bool,
    runs_dir: str | Path, overrides: dict | None, jobs: int, progress: bool,
) -> ExperimentResult:  # fmt: skip
    """IREM trained as each ``(task, changes)`` of ``variants`` (changes applied over ``overrides``)."""
    check_choice("profile", profile, PROFILES)  # variants are trained: "best" is resolved by the caller
    check_positive("seeds", seeds, integer=True)
    runs.check_runs_dir(runs_dir)
    dev = resolve_device(device)
    specs = [make_spec(experiment, profile, task, "irem", s, {**(overrides or {}), **changes})
             for task, changes in variants for s in range(seeds)]  # fmt: skip
    if all(runs.find_record(runs_dir, s) is not None for s in specs) and not retrain:
        records = [runs.find_record(runs_dir, s) for s in specs]
    else:
        records = run_all(specs, runs_dir, dev, retrain=retrain, jobs=jobs, progress=progress)
    return ExperimentResult(experiment, profile, records)


def _stored_profile(experiment: str, variants, runs_dir, overrides) -> str:
    """``best`` for variant experiments: paper when every variant has a paper record, else quick."""
    for profile in ("paper", "quick"):
        specs = [make_spec(experiment, profile, t, "irem", 0, {**(overrides or {}), **c}) for t, c in variants]
        if all(runs.find_record(runs_dir, s) is not None for s in specs):
            return profile
    raise FileNotFoundError(
        f"no stored {experiment} records (paper or quick profile, seed 0) in {runs_dir}; "
        f"run `irem reproduce {experiment} --profile quick` first, or pass profile='quick'"
    )


def ablations(
    profile: str = "best",
    seeds: int = 1,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> ExperimentResult:
    """Ablations of IREM (Section 4.5): Table 2, Table 3 and test-time step sizes.

    Table 2: replay buffer and truncated backpropagation on shortest path, with training speed
    and memory; Table 3: training step size on addition; plus test-time step sizes for the
    addition model trained with the paper's lambda.

    Arguments as for :func:`continuous`; with ``profile="best"`` nothing is trained.
    """
    variants = [("shortest_path", {"replay": r, "truncate": t}) for r, t in TABLE2_VARIANTS]
    variants += [("addition", {"step_size": lam}) for lam in PAPER_TABLE3]
    if profile == "best":
        profile = _stored_profile("ablations", variants, runs_dir, overrides)
        return _variants("ablations", profile, variants, 1, device, False, runs_dir, overrides, jobs, progress)
    return _variants("ablations", profile, variants, seeds, device, retrain, runs_dir, overrides, jobs, progress)


def scratchpad(
    profile: str = "best",
    tasks: Sequence[str] = EXPERIMENT_TASKS["scratchpad"],
    sizes: Sequence[int] = SCRATCHPAD_SIZES,
    seeds: int = 1,
    device: str = "auto",
    retrain: bool = False,
    runs_dir: str | Path = "data/runs",
    overrides: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> ExperimentResult:
    """IREM with a scratchpad z of each size in ``sizes`` (App. B, Alg. 3) on each task.

    Arguments as for :func:`continuous`; ``sizes`` are scratchpad sizes D (0: none).
    """
    for t in tasks:
        check_choice("tasks", t, EXPERIMENT_TASKS["scratchpad"])
    variants = [(t, {"scratchpad": d}) for t in tasks for d in sizes]
    if profile == "best":
        profile = _stored_profile("scratchpad", variants, runs_dir, overrides)
        return _variants("scratchpad", profile, variants, 1, device, False, runs_dir, overrides, jobs, progress)
    return _variants("scratchpad", profile, variants, seeds, device, retrain, runs_dir, overrides, jobs, progress)


EXPERIMENT_FUNCTIONS = {
    "continuous": continuous, "composition": composition, "graph": graph, "denoising": denoising,
    "ablations": ablations, "scratchpad": scratchpad,
}  # fmt: skip
