"""The notebooks' shared parameters, settled the same way wherever a notebook runs.

A notebook's parameters cell holds plain values (so papermill can read and replace them); its next
cell calls :func:`settle`, which

- resolves ``runs_dir`` and ``bench_dir`` against the repository, not the working directory, so
  ``papermill notebooks/graph.ipynb out.ipynb`` from the repository root (or anywhere else) reads
  the committed records;
- lets the environment override the profile, retraining and folders: ``make test`` runs every
  notebook at the smoke profile into a fresh folder by ``IREM_PROFILE=smoke IREM_RETRAIN=1
  IREM_RUNS_DIR=...``, as nbval executes the notebooks as they are; :func:`settle_seeds` does the
  same for the seed count (``IREM_SEEDS``).
"""

from __future__ import annotations

import os
from pathlib import Path

from irem.provenance import REPO_ROOT

ENVIRONMENT = {"profile": "IREM_PROFILE", "retrain": "IREM_RETRAIN", "runs_dir": "IREM_RUNS_DIR",
               "bench_dir": "IREM_BENCH_DIR", "seeds": "IREM_SEEDS"}  # fmt: skip


def repo_path(path: str | Path) -> Path:
    """``path`` itself when absolute, else relative to the repository root."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def settle(profile: str, retrain: bool, runs_dir: str | Path, bench_dir: str | Path = "data/bench",
           ) -> tuple[str, bool, Path, Path]:  # fmt: skip
    """The notebook's ``(profile, retrain, runs_dir, bench_dir)``: the environment's where set, folders resolved."""
    env = {name: os.environ[var] for name, var in ENVIRONMENT.items() if os.environ.get(var)}
    if "retrain" in env and env["retrain"] not in ("0", "1"):
        raise ValueError(f"IREM_RETRAIN must be 0 or 1, got {env['retrain']!r}")
    return (env.get("profile", profile), env.get("retrain", "1" if retrain else "0") == "1",
            repo_path(env.get("runs_dir", runs_dir)), repo_path(env.get("bench_dir", bench_dir)))  # fmt: skip


def settle_seeds(seeds: int) -> int:
    """The notebook's ``seeds``, or ``IREM_SEEDS`` where set (``make test`` caps the graph page's 10 at 3)."""
    raw = os.environ.get(ENVIRONMENT["seeds"])
    if not raw:
        return seeds
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"IREM_SEEDS must be a whole number >= 1, got {raw!r}")
    return int(raw)
