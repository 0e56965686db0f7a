"""One run, set up and torn down once: train (or reuse the cached weights), evaluate, assemble the record.

``run_spec`` runs one :class:`~irem.store.RunSpec` (``irem.experiments.sweep.run_all`` runs many).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import torch

from irem import eval_stages, evaluate, measure, provenance, store, weights
from irem.curves import ENERGY_LANDSCAPE, TRAIN_LOSS
from irem.experiments.experiment import TEST_SEED, VALIDATION_SEED, get
from irem.methods import Method
from irem.models import parameter_count
from irem.store import Record, RunSpec
from irem.tasks import Task
from irem.train import CHECKPOINT_EVERY_S, TrainingDiverged, TrainLog, checkpoint_interval, train

provenance.loaded_code_state()  # the code this process loaded: its records name it, whatever the checkout does later


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
        run_split = partial(evaluate.evaluate_split, method, task, split, spec.eval, gen,
                            generator(device, VALIDATION_SEED + i))  # fmt: skip
        metrics[split], split_curves = eval_stages.stage(f"split {split}", run_split, gen)
        for name, curve in split_curves.items():
            curves.setdefault(name, {})[split] = curve
        energies = evaluate.energy_landscape(method, task, split, spec.eval, gen) if landscape else {}
        if energies:
            curves.setdefault(ENERGY_LANDSCAPE, {})[split] = energies
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
        weights.save_weights(path, shorter.train_hash(), method.state_dict(), asdict(log), git)

    return save


def _trained(spec: RunSpec, device: torch.device, progress: bool, weights_dir: Path | None, retrain: bool,
             checkpoint_dir: Path | None = None, checkpoint_every_s: float = CHECKPOINT_EVERY_S,
             git: dict | None = None):  # fmt: skip
    """The task and trained method of ``spec``, its training log, and the git state it was trained at.

    ``git`` is ``provenance.loaded_code_state()`` when the caller has read it already.

    Weights are cached in ``weights_dir`` (``store.weights_dir``) by a hash of what
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
        saved = weights.load_weights(cache, spec.train_hash(), device)
        method.load_state_dict(saved["state_dict"])
        method.eval()
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)  # left by a run killed after caching its weights
        return task, method, TrainLog(**saved["log"]), {**saved["git"], "weights": "reused", "sha256": saved["sha256"]}
    if retrain and checkpoint is not None:
        checkpoint.unlink(missing_ok=True)  # retrain: from the start
    git = provenance.loaded_code_state() if git is None else git
    check_snapshots(spec)
    snapshot = None if cache is None or not spec.snapshots else _snapshot_saver(spec, method, weights_dir, git)
    try:
        log = train(method, task, spec.train, generator(device, spec.seed), progress=progress,
                    checkpoint=checkpoint, checkpoint_every_s=checkpoint_every_s, snapshot_at=spec.snapshots,
                    on_snapshot=snapshot, identity=spec.train_hash())  # fmt: skip
    except TrainingDiverged:
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)
        raise
    if cache is not None:  # the checkpoint goes only once the weights are safely written
        sha = weights.save_weights(cache, spec.train_hash(), method.state_dict(), asdict(log), git)
    else:
        sha = weights.state_dict_sha256(method.state_dict())
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)  # the cached weights supersede it
    return task, method, log, {**git, "weights": "trained", "sha256": sha}


def run_spec(spec: RunSpec, device: torch.device, runs_dir: str | Path, *, progress: bool = True, retrain: bool = False,
             checkpoint_every_s: float | None = None, measure_cost: bool = True) -> Record:  # fmt: skip
    """Train (or reuse the cached weights of) ``spec``'s model, evaluate it, and return its record.

    ``measure_cost=False`` skips the training speed and memory measurement of experiments that record it
    (``irem verify`` compares results, not timings).

    Training checkpoints into ``<runs_dir>/checkpoints/`` every ``checkpoint_every_s`` seconds
    (default: ``$IREM_CHECKPOINT_EVERY_S``, else 300) and a rerun resumes from there. Evaluation
    keeps its finished stages there too (:mod:`irem.eval_stages`), and a rerun on the same cached
    weights goes on from the last one.
    """
    experiment = get(spec.experiment)
    every = checkpoint_interval() if checkpoint_every_s is None else checkpoint_every_s
    started, git = provenance.now(), provenance.loaded_code_state()
    task, method, log, trained_at = _trained(spec, device, progress, store.weights_dir(runs_dir), retrain,
                                             store.checkpoints_dir(runs_dir), every, git=git)  # fmt: skip
    stages = store.evaluation_stages_path(runs_dir, spec)
    if trained_at["weights"] != "reused":  # stages kept from other weights are not this model's
        eval_stages.discard(stages)
    with eval_stages.resumable(stages, progress):
        metrics, curves = experiment.evaluate(method, task, spec, device)
    cost = None
    if experiment.measures_cost and measure_cost:
        cost = measure.training_cost(spec, device, fresh_process=spec.profile != "smoke")
    eval_stages.discard(stages)  # the record is written right after this returns
    wall = (provenance.now() - started).total_seconds()
    return Record(
        experiment=spec.experiment, task=spec.task, method=spec.method, seed=spec.seed, profile=spec.profile,
        config=spec.config(), config_hash=spec.config_hash(), parameters=parameter_count(method),
        metrics=metrics, training_cost=cost,
        curves={TRAIN_LOSS: [list(p) for p in log.train_loss], **curves},
        provenance={
            **provenance.collect(device, started, git, wall, log.iters_per_s, log.wall_s),
            # the model may come from the weight cache: who trained it, at which commit
            "weights": trained_at["weights"],
            "weights_sha256": trained_at["sha256"],  # the content of the weights evaluated (one model per run)
            "train_git_commit": trained_at["git_commit"],
            "train_dirty": trained_at["dirty"],
            "resumed_from_iteration": log.resumed_from,  # training went on from a checkpoint there
        },
    )  # fmt: skip
