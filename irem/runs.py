"""Run records: one small JSON file per trained model and its evaluation.

A record holds the resolved config and its hash, the metrics and curves the book draws
from, and provenance (commit, device, versions, wall time). Records are written atomically
(a temp file in the same folder, then a rename), so a crash never leaves half a file.
``load_or_run`` returns the stored record for a config when one exists; otherwise it runs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch

from irem.config import EvalConfig, TrainConfig

SCHEMA = 1
REPO_ROOT = Path(__file__).resolve().parent.parent


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

    def config(self) -> dict:
        """The resolved config as stored in the record (and hashed)."""
        return {
            "experiment": self.experiment,
            "task": self.task,
            "method": self.method,
            "seed": self.seed,
            "profile": self.profile,
            "task_options": dict(sorted(self.task_options.items())),
            "train": asdict(self.train),
            "eval": asdict(self.eval),
        }

    def config_hash(self) -> str:
        """First 12 hex digits of the sha256 of the canonical config JSON."""
        canonical = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def train_hash(self) -> str:
        """Hash of what determines the trained weights (not the evaluation)."""
        key = {k: v for k, v in self.config().items() if k in ("task", "method", "seed", "task_options", "train")}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]

    def filename(self) -> str:
        return f"{self.task}__{self.method}__{self.profile}__seed{self.seed}__{self.config_hash()}.json"


def check_runs_dir(runs_dir: str | Path) -> Path:
    """``runs_dir`` as a Path; raises if it exists and is not a directory."""
    path = Path(runs_dir)
    if path.exists() and not path.is_dir():
        raise ValueError(f"runs_dir={str(runs_dir)!r} is a file; it must be a directory (or not exist yet)")
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


def write_record(record: dict, path: Path) -> None:
    """Write ``record`` as strict JSON at ``path`` atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(finite_json(record), f, indent=1, sort_keys=False, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; records are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_record(path: str | Path) -> dict:
    """Load a record, checking it is one (schema and required keys)."""
    with open(path) as f:
        record = json.load(f)
    missing = {"schema", "experiment", "task", "method", "seed", "config", "metrics", "provenance"} - set(record)
    if missing or record.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a schema-{SCHEMA} run record (missing {sorted(missing)})")
    return record


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def device_name(device: torch.device) -> str:
    """A readable name of the device a run used."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def weights_dir(runs_dir: str | Path) -> Path:
    """Where trained weights are cached: beside the records, ignored by git."""
    return Path(runs_dir) / "weights"


def git_state() -> dict:
    """The commit and whether tracked files differ from it; taken when a run starts."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": _git("rev-parse", "HEAD") or "unknown", "dirty": bool(status) if status is not None else None}


def provenance(
    device: torch.device, started_at: datetime, git: dict, wall_s: float, iters_per_s: float, train_wall_s: float
) -> dict:
    """Where and how a record was produced."""
    try:
        pyg = importlib.metadata.version("torch_geometric")
    except importlib.metadata.PackageNotFoundError:
        pyg = None
    return {
        **git,
        "torch": torch.__version__,
        "torch_geometric": pyg,
        "python": sys.version.split()[0],
        "device": device_name(device),
        "started_at": started_at.isoformat(timespec="seconds"),
        "wall_s": round(wall_s, 2),
        "train_wall_s": round(train_wall_s, 2),
        "train_iters_per_s": round(iters_per_s, 2),
    }


def now() -> datetime:
    return datetime.now(timezone.utc)


def load_or_run(
    spec: RunSpec,
    runs_dir: str | Path,
    run: Callable[[RunSpec], dict],
    *,
    retrain: bool = False,
) -> dict:
    """The stored record of ``spec`` if there is one (and not ``retrain``), else ``run(spec)``.

    A fresh record is written atomically before it is returned; a run that raises writes
    nothing.
    """
    path = record_path(runs_dir, spec)
    if path.exists() and not retrain:
        return read_record(path)
    record = run(spec)
    write_record(record, path)
    return record


def find_record(runs_dir: str | Path, spec: RunSpec) -> dict | None:
    """The stored record of ``spec``, or None."""
    path = record_path(runs_dir, spec)
    return read_record(path) if path.exists() else None
