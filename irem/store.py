"""Run records: one small JSON file per trained model and its evaluation.

A :class:`Record` holds the resolved config and its hash, the test metrics and the curves the
book draws from, the training cost where it was measured, and provenance (commit, device,
versions, wall time). This module is the one place that reads and writes them: ``Record.load``
checks a file against the schema (a bad one is an error naming it), ``Record.save`` writes
atomically (a temp file in the same folder, then a rename), so a crash never leaves half a
file. ``load_or_run`` returns the stored record for a config when one exists; otherwise it runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch

from irem.config import EvalConfig, TrainConfig, stored, with_defaults
from irem.methods import make_method
from irem.provenance import REPO_ROOT as REPO_ROOT  # re-exported: where the committed records live
from irem.tasks import make_task
from irem.validate import describe

SCHEMA = 2  # 2: the training cost has its own field (in schema 1 it sat among the metrics)


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run: what to train, how, and how to evaluate it."""

    experiment: str
    task: str
    method: str
    seed: int
    profile: str
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    task_options: dict = field(default_factory=dict)
    version: int = 1  # of the experiment's evaluation: bumped when what it measures changes
    task_version: int = 1  # of the task's problems: bumped when how they are drawn changes
    # iterations at which training also caches the weights as those of this run trained for that many
    # iterations (``running.check_snapshots``); not part of the config: it does not change this run
    snapshots: tuple[int, ...] = ()

    def config(self) -> dict:
        """The resolved config as stored in the record (and hashed).

        ``version`` and ``task_version`` are stored only past 1, so records made before versions
        existed keep their hash; a bumped version gives every run a new hash, and records (or, for
        the task's version, cached weights) of the old evaluation or problems are not reused.
        """
        config = {
            "experiment": self.experiment,
            "task": self.task,
            "method": self.method,
            "seed": self.seed,
            "profile": self.profile,
            "task_options": dict(sorted(self.task_options.items())),
            "train": stored(self.train),
            "eval": stored(self.eval),
        }
        versions = {k: v for k, v in (("version", self.version), ("task_version", self.task_version)) if v != 1}
        return {**config, **versions}

    def config_hash(self) -> str:
        """First 12 hex digits of the sha256 of the canonical config JSON."""
        canonical = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def train_hash(self) -> str:
        """Hash of what determines the trained weights (not the evaluation)."""
        weights = ("task", "method", "seed", "task_options", "task_version", "train")
        key = {k: v for k, v in self.config().items() if k in weights}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]

    def weights_file(self) -> str:
        """The file name of this run's trained weights (and of its checkpoint) under ``weights_dir``."""
        return f"{self.task}__{self.method}__{self.train_hash()}.pt"

    @classmethod
    def of_record(cls, record: Record) -> RunSpec:
        """The spec that made ``record`` (its ``config_hash`` is the record's)."""
        c = record.config
        return cls(record.experiment, record.task, record.method, record.seed, record.profile,
                   TrainConfig(**record.train), EvalConfig(**record.eval), dict(c["task_options"]),
                   c.get("version", 1), c.get("task_version", 1))  # fmt: skip

    def filename(self) -> str:
        return f"{self.task}__{self.method}__{self.profile}__seed{self.seed}__{self.config_hash()}.json"

    def build(self, device: torch.device):
        """The task and the untrained method of this spec on ``device`` (initialised from ``seed``)."""
        task = make_task(self.task, **self.task_options)
        torch.manual_seed(self.seed)  # model initialisation
        return task, make_method(self.method, task, self.train).to(device)


def check_runs_dir(runs_dir: str | Path, writable: bool = False, name: str = "runs_dir") -> Path:
    """``runs_dir`` as a Path; raises if it is empty, or exists and is not a directory.

    With ``writable``, also creates it and a probe file in it (removed again), and does the same for
    the folders of cached weights and checkpoints inside it, so a runs dir that cannot take what a
    run writes fails before any training, not after.
    """
    if not isinstance(runs_dir, (str, os.PathLike)) or isinstance(runs_dir, bytes):
        raise ValueError(f"{name} must be a path (str or pathlib.Path), got {runs_dir!r}")
    if not str(runs_dir).strip():
        raise ValueError(f"{name} is empty; give a folder (the default is data/runs)")
    path = Path(runs_dir)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name}={str(runs_dir)!r} is a file; it must be a directory (or not exist yet)")
    if writable:
        try:
            path.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=path, prefix=".write-probe.")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise ValueError(f"{name}={str(runs_dir)!r} cannot be written ({e.strerror}); pick another") from None
        if name == "runs_dir":  # what a run writes besides its record
            check_runs_dir(weights_dir(path), True, "the weights folder")
            check_runs_dir(checkpoints_dir(path), True, "the checkpoints folder")
    return path


def record_path(runs_dir: str | Path, spec: RunSpec) -> Path:
    return check_runs_dir(runs_dir) / spec.experiment / spec.filename()


def finite_json(value):
    """``value`` with every NaN or infinite float replaced by ``None``, so the file is strict JSON.

    A method that diverges at test time (for example a baseline run on graphs much larger than
    it was trained on) records ``null`` at the steps where its error overflowed.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def metric_text(value: float | None, digits: int = 4, missing: str = "diverged") -> str:
    """A stored number as text with ``digits`` significant digits; ``missing`` where :func:`finite_json` wrote null."""
    return missing if value is None else f"{value:.{digits}g}"


def write_json_atomic(data: dict, path: Path) -> None:
    """Write ``data`` as strict JSON at ``path`` atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(finite_json(data), f, indent=1, sort_keys=False, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; records are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Record:
    """One run: what was trained and how, how it scored on each test split, and who made it.

    Attributes:
        metrics: one entry per test split (``same``/``harder``, graph sizes, composition depths,
            noise levels), each with at least the headline ``mse``.
        curves: per-step and per-problem data the figures draw.
        training_cost: training speed and peak memory measured in a fresh process (only the
            experiments that report them: ablations, scratchpad), else ``None``.
        provenance: commit, dirty flag, versions, device and wall times.
    """

    experiment: str
    task: str
    method: str
    seed: int
    profile: str
    config: dict
    config_hash: str
    parameters: int
    metrics: dict[str, dict]
    curves: dict
    provenance: dict
    training_cost: dict | None = None
    schema: int = SCHEMA

    @property
    def train(self) -> dict:
        """The training config: every ``TrainConfig`` field."""
        return with_defaults(TrainConfig, self.config["train"])

    @property
    def eval(self) -> dict:
        """The evaluation config: every ``EvalConfig`` field."""
        return with_defaults(EvalConfig, self.config["eval"])

    def to_dict(self) -> dict:
        """The record as stored: plain JSON types, in the order of the run-record contract."""
        out = {"schema": self.schema, "experiment": self.experiment, "task": self.task, "method": self.method,
               "seed": self.seed, "profile": self.profile, "config": self.config, "config_hash": self.config_hash,
               "parameters": self.parameters, "metrics": self.metrics}  # fmt: skip
        if self.training_cost is not None:
            out["training_cost"] = self.training_cost
        return {**out, "curves": self.curves, "provenance": self.provenance}

    def save(self, path: str | Path) -> None:
        """Write the record at ``path`` as strict JSON, atomically (non-finite floats as ``null``)."""
        write_json_atomic(self.to_dict(), Path(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "record") -> Record:
        """A record from its stored form, checked against the schema (schema 1 is upgraded)."""
        if not isinstance(data, dict):
            raise ValueError(f"{source} is not a run record (a JSON object expected)")
        data = dict(data)
        if data.get("schema") == 1:  # schema 1 kept the training cost among the metrics
            data["metrics"] = dict(data.get("metrics") or {})
            if "training_cost" in data["metrics"]:
                data["training_cost"] = data["metrics"].pop("training_cost")
            data["schema"] = SCHEMA
        known = {f.name for f in fields(cls)}
        required = known - {"training_cost", "schema"}
        missing, unknown = sorted(required - set(data)), sorted(set(data) - known)
        if data.get("schema") != SCHEMA or missing or unknown:
            raise ValueError(f"{source} is not a schema-{SCHEMA} run record (schema {data.get('schema')!r}; "
                             f"missing {missing}; unknown {unknown})")  # fmt: skip
        metrics = data["metrics"]
        if not isinstance(metrics, dict) or not metrics:
            raise ValueError(f"{source}: 'metrics' must map each test split to its metrics; got {metrics!r}")
        bad = [split for split, m in metrics.items() if not isinstance(m, dict) or "mse" not in m]
        if bad:
            raise ValueError(f"{source}: the metrics of split(s) {bad} lack the headline 'mse'")
        for key in ("config", "curves", "provenance"):
            if not isinstance(data[key], dict):
                raise ValueError(f"{source}: {key!r} must be a JSON object")
        _check_values(data, source)
        record = cls(**data)
        _check_identity(record, source)
        return record

    @classmethod
    def load(cls, path: str | Path) -> Record:
        """Read and check the record at ``path``; any defect is a ``ValueError`` naming the file."""
        path = Path(path)
        if path.exists() and not path.is_file() and not path.is_dir():  # a FIFO or device would block or never end
            raise ValueError(f"{path} is not a regular file, so not a run record")
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not a run record, invalid JSON ({e})") from None
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not a run record, not UTF-8 text ({e.reason} at byte {e.start})") from None
        except ValueError as e:  # from the hooks: a repeated key, NaN or Infinity
            raise ValueError(f"{path}: not a run record, {e}") from None
        except IsADirectoryError:
            raise ValueError(f"{path} is a directory, not a run record") from None
        return cls.from_dict(data, str(path))


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object's pairs as a dict; a key given twice is an error (json would keep the last silently)."""
    seen = [k for k, _ in pairs]
    twice = sorted({k for k in seen if seen.count(k) > 1})
    if twice:
        raise ValueError(f"key(s) {twice} appear more than once in one JSON object")
    return dict(pairs)


def _no_constants(name: str) -> None:
    """NaN and Infinity are not JSON; records store a non-finite value as ``null`` (``finite_json``)."""
    raise ValueError(f"{name} is not a JSON number (a record stores a non-finite value as null)")


PROVENANCE_TYPES = {"git_commit": str, "torch": str, "device": str, "wall_s": (int, float)}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_numbers(value: object, where: str, source: str) -> None:
    """Every number under ``value`` finite (``null`` stands where a diverged run's value overflowed)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_numbers(v, f"{where}.{k}", source)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_numbers(v, f"{where}[{i}]", source)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{source}: {where} must be a finite number or null, got {value!r}")


def _check_values(data: dict, source: str) -> None:
    """Types and ranges of a record's fields: names are text, the seed an integer, errors finite and >= 0."""
    for key in ("experiment", "task", "method", "profile", "config_hash"):
        if not isinstance(data[key], str) or not data[key]:
            raise ValueError(f"{source}: {key!r} must be a non-empty string, got {data[key]!r}")
    if not _is_int(data["seed"]) or data["seed"] < 0:
        raise ValueError(f"{source}: 'seed' must be an integer >= 0, got {data['seed']!r}")
    if not _is_int(data["parameters"]) or data["parameters"] <= 0:
        raise ValueError(f"{source}: 'parameters' must be an integer > 0, got {data['parameters']!r}")
    for split, m in data["metrics"].items():
        mse = m["mse"]
        if isinstance(mse, bool) or not isinstance(mse, (int, float)) or not math.isfinite(mse) or mse < 0:
            raise ValueError(f"{source}: metrics.{split}.mse must be a finite number >= 0, got {mse!r}")
    _check_numbers(data["metrics"], "metrics", source)
    _check_numbers(data["provenance"], "provenance", source)
    for key, kind in PROVENANCE_TYPES.items():
        if not isinstance(data["provenance"].get(key), kind) or isinstance(data["provenance"].get(key), bool):
            raise ValueError(f"{source}: provenance.{key} is missing or not a {getattr(kind, '__name__', 'number')}")
    for key in ("train", "eval"):
        if not isinstance(data["config"].get(key), dict):
            raise ValueError(f"{source}: config.{key} must be a JSON object (the resolved {key} config)")


def _check_identity(record: Record, source: str) -> None:
    """The record is what it claims: its config hashes to ``config_hash``, and names the same run as its fields."""
    for key in ("experiment", "task", "method", "seed", "profile"):
        if record.config.get(key) != getattr(record, key):
            raise ValueError(f"{source}: {key} is {getattr(record, key)!r} but its config says "
                             f"{record.config.get(key)!r}")  # fmt: skip
    try:
        spec = RunSpec.of_record(record)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{source}: its config is not a valid one ({describe(e)})") from None
    if spec.config() != record.config or spec.config_hash() != record.config_hash:
        raise ValueError(f"{source}: its config hashes to {spec.config_hash()}, not to the {record.config_hash} it "
                         "claims (edited by hand?)")  # fmt: skip


def weights_dir(runs_dir: str | Path) -> Path:
    """Where trained weights are cached: beside the records.

    Ignored by git, except the weights of paper-profile models that other experiments borrow
    (the graph experiment's IREM, reused by the ablations, difficulty, compute and scratchpad
    experiments), which are committed with ``git add -f`` so that those runs only evaluate.
    """
    return Path(runs_dir) / "weights"


def checkpoints_dir(runs_dir: str | Path) -> Path:
    """Where training checkpoints live while a run trains (deleted once its weights are cached)."""
    return Path(runs_dir) / "checkpoints"


def evaluation_stages_path(runs_dir: str | Path, spec: RunSpec) -> Path:
    """Where the finished stages of ``spec``'s evaluation are kept while it evaluates (:mod:`irem.eval_stages`)."""
    return checkpoints_dir(runs_dir) / f"{spec.experiment}__{Path(spec.filename()).stem}.eval.pt"


def load_or_run(
    spec: RunSpec,
    runs_dir: str | Path,
    run: Callable[[RunSpec], Record],
    *,
    retrain: bool = False,
) -> Record:
    """The stored record of ``spec`` if there is one (and not ``retrain``), else ``run(spec)``.

    A fresh record is written atomically before it is returned; a run that raises writes
    nothing.
    """
    path = record_path(runs_dir, spec)
    if path.exists() and not retrain:
        return find_record(runs_dir, spec)
    record = run(spec)
    record.save(path)
    return record


def find_record(runs_dir: str | Path, spec: RunSpec) -> Record | None:
    """The stored record of ``spec``, or None; a file under its name that holds another run is an error."""
    path = record_path(runs_dir, spec)
    if not path.exists():
        return None
    record = Record.load(path)
    if record.config_hash != spec.config_hash() or record.experiment != spec.experiment:
        held = f"{record.experiment} {record.task} {record.method} seed {record.seed}, config {record.config_hash}"
        asked = f"{spec.experiment} {spec.task} {spec.method} seed {spec.seed}, config {spec.config_hash()}"
        raise ValueError(f"{path} holds the record of another run ({held}), not of {asked}; remove or rename it")
    return record
