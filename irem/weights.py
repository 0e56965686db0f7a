"""Trained weights on disk: stamped with the run they belong to and their content hash, and checked before use."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import torch

from irem.atomic import atomic_torch_save
from irem.validate import describe


def state_dict_sha256(state_dict: Mapping[str, torch.Tensor]) -> str:
    """The content hash of a model's weights: sha256 over each entry's name, dtype, shape and bytes, in name order.

    Two models have the same hash exactly when they hold the same numbers, wherever they were
    saved; a record names the hash of the weights it evaluated (``provenance.weights_sha256``).
    """
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_weights(path: Path, train_hash: str, state_dict: Mapping[str, torch.Tensor], log: dict, git: dict) -> str:
    """Cache a trained model at ``path`` (atomically), stamped with the run it belongs to and its content hash.

    Returns the content hash (``state_dict_sha256``). ``train_hash`` is ``RunSpec.train_hash()``: what
    determines the weights (task, method, seed, training config).
    """
    sha = state_dict_sha256(state_dict)
    atomic_torch_save({"state_dict": dict(state_dict), "log": log, "git": git, "train_hash": train_hash,
                       "sha256": sha}, path)  # fmt: skip
    return sha


def load_weights(path: Path, train_hash: str, device: torch.device | str = "cpu") -> dict:
    """The cached model at ``path``, checked to be the one asked for: its run's ``train_hash`` and its content hash.

    Raises ``ValueError`` naming the file when it cannot be read, belongs to another run (another
    seed's weights copied under this name), or its numbers are not the ones it was saved with.
    """
    try:
        saved = torch.load(path, map_location=device, weights_only=True)
        state_dict = saved["state_dict"]
    except Exception as e:  # truncated, corrupt, or from an older version
        raise ValueError(f"cached weights {path} cannot be loaded ({describe(e)}); rerun with --retrain "
                         "(retrain=True), or delete the file") from None  # fmt: skip
    if saved.get("train_hash") != train_hash:
        raise ValueError(f"cached weights {path} were trained for another run (training config "
                         f"{saved.get('train_hash')}), not this one ({train_hash}); delete or rename it")  # fmt: skip
    sha = state_dict_sha256(state_dict)
    if sha != saved.get("sha256"):
        raise ValueError(f"cached weights {path} are not the ones saved (content hash {sha[:12]}, saved as "
                         f"{str(saved.get('sha256'))[:12]}): corrupted; delete the file to retrain")  # fmt: skip
    return saved
