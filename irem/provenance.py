"""Where a run record comes from: the commit of the code that made it, the machine, the versions, the times."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str, root: Path | None = None) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root or REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cpuinfo(field: str) -> str | None:
    """The value of ``field`` for the first CPU in ``/proc/cpuinfo`` (None where there is none: not Linux)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(field)), None)


def native_bf16() -> bool:
    """Whether this CPU does bf16 arithmetic natively (AVX512-BF16 or AMX-BF16, from ``/proc/cpuinfo``).

    Without it torch emulates bf16, many times slower than fp32 (an AVX2 EPYC: 18x on IREM addition).
    """
    flags = (_cpuinfo("flags") or "").split()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_name() -> str:
    """The CPU's model name and the matrix instruction sets it offers (what the benchmarks name as their device)."""
    flags = (_cpuinfo("flags") or "").split()
    wanted = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    return f"{cpu_model()} ({', '.join(wanted) or 'no AVX2'})"


def device_name(device: torch.device) -> str:
    """A readable name of the device a run used."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` knows)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def git_state(root: str | Path | None = None) -> dict:
    """The commit of the checkout at ``root`` and whether its code differs from it, now.

    Only code counts: the run records under ``data/`` change during every sweep into the
    default runs dir, and do not make the code that produced the next record dirty.

    Args:
        root: the repository to look at (default: the one this package lives in).
    """
    root = Path(root) if root is not None else None
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)data", root=root)
    commit = _git("rev-parse", "HEAD", root=root) or "unknown"
    return {"git_commit": commit, "dirty": bool(status) if status is not None else None}


_LOADED_CODE: dict | None = None


def loaded_code_state() -> dict:
    """:func:`git_state` as it was when this process first asked: the code it loaded, not the checkout now.

    ``irem.experiments`` asks on import, so a long-lived process (a background sweep, a Dask worker)
    whose checkout moves on to other commits still names the code it runs in its records.
    """
    global _LOADED_CODE
    if _LOADED_CODE is None:
        _LOADED_CODE = git_state()
    return _LOADED_CODE


def collect(
    device: torch.device, started_at: datetime, git: dict, wall_s: float, iters_per_s: float, train_wall_s: float
) -> dict:
    """Where and how a record was produced."""
    return {
        **git,
        "irem": _version("irem"),
        "torch": torch.__version__,
        "torch_geometric": _version("torch_geometric"),
        "numpy": _version("numpy"),
        "python": sys.version.split()[0],
        "device": device_name(device),
        "cpu": cpu_model(),  # timings depend on it: which CPU, and which vector instructions torch uses there
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "wall_s": round(wall_s, 2),
        "train_wall_s": round(train_wall_s, 2),
        "train_iters_per_s": round(iters_per_s, 2),
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def now() -> datetime:
    return datetime.now(timezone.utc)
