"""Atomic file writes: a unique temp file beside the target, then a rename.

A crash (or a kill) mid-write leaves the old file or none, never half a file, and two
processes writing the same path at once never share a temp file. This module imports only
torch, so the training loop (checkpoints) and the run records (weights cache) can both use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def atomic_torch_save(obj: object, path: str | Path) -> None:
    """``torch.save`` to a unique temp file beside ``path``, then rename: concurrent writers never collide."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
