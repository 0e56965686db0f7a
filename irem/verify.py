"""Re-evaluate stored records from their committed weights and compare: does a fresh clone get the book's numbers?

``irem verify data/runs/graph`` runs this on every record whose model's weights are committed:
each is evaluated again, in a scratch folder, from exactly the weights it names, and every stored
metric is compared with the new one. Nothing is trained and nothing under ``data/runs`` changes.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from irem import store, weights
from irem.experiments.running import run_spec


@dataclass(frozen=True)
class Verified:
    """One record evaluated again: each metric that differs, as (stored, again); none where all agree."""

    path: Path
    differing: dict[str, tuple[float | None, float | None]]
    wall_s: float

    @property
    def same(self) -> bool:
        return not self.differing


def model_of(path: Path) -> tuple[store.RunSpec, Path]:
    """``path``'s run and the weights file it evaluated, checked before any work.

    Raises ``ValueError`` naming the record where its weights are not there (verifying would train),
    where it names none (made before records named them), or where it names other weights than
    the file holds (a record of another training of the same config).
    """
    record = store.Record.load(path)
    spec = store.RunSpec.of_record(record)
    file = store.weights_dir(path.parent.parent) / spec.weights_file()
    if not file.exists():
        raise ValueError(f"{path}: its model's weights {file} are not there; only records of committed models can "
                         "be verified (without them the run would train again)")  # fmt: skip
    named = record.provenance.get("weights_sha256")
    if named is None:
        raise ValueError(f"{path}: names no weights (it was made before records named the model they evaluated); "
                         "evaluate it again to stamp them")  # fmt: skip
    held = weights.load_weights(file, spec.train_hash())["sha256"]
    if named != held:
        raise ValueError(f"{path}: evaluated the weights {named[:12]}, but {file.name} holds {held[:12]}: the record "
                         "comes from another training of this config")  # fmt: skip
    return spec, file


def metric_values(metrics: Mapping[str, object], prefix: str = "") -> Iterator[tuple[str, float | None]]:
    """Every number in a record's metrics as ("split.name[.key]", value); diverged values are None."""
    for name, value in metrics.items():
        if isinstance(value, Mapping):
            yield from metric_values(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def _differ(a: float | None, b: float | None, rtol: float) -> bool:
    if a is None or b is None:
        return a is not b
    return not math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)


def verify(path: Path, device: torch.device, rtol: float = 0.0,
           model: tuple[store.RunSpec, Path] | None = None) -> Verified:  # fmt: skip
    """Evaluate ``path``'s run again from its committed weights, in a scratch folder; compare every metric.

    ``rtol`` 0 asks for the same numbers bit for bit, as on the machine kind that made the record;
    another CPU's vector units may round differently, which a small ``rtol`` allows. ``model``:
    :func:`model_of`'s answer for ``path`` where the caller has it already.
    """
    spec, file = model or model_of(path)
    stored = store.Record.load(path)
    with tempfile.TemporaryDirectory(prefix="irem-verify-") as scratch:
        store.weights_dir(scratch).mkdir()
        shutil.copy2(file, store.weights_dir(scratch) / file.name)
        again = run_spec(spec, device, scratch, progress=False, measure_cost=False)
    if again.provenance["weights"] != "reused":  # model_of checked the file; this guards the cache's lookup
        raise RuntimeError(f"{path}: the run trained instead of evaluating {file}")
    new = dict(metric_values(again.metrics))
    old = dict(metric_values(stored.metrics))
    differing = {k: (old.get(k), new.get(k)) for k in old.keys() | new.keys()
                 if _differ(old.get(k), new.get(k), rtol)}  # fmt: skip
    return Verified(path, dict(sorted(differing.items())), again.provenance["wall_s"])


def committed_records(paths: list[Path]) -> list[Path]:
    """The records under ``paths`` (files, or folders searched) whose model's weights are committed beside them."""
    found = []
    for path in paths:
        for p in sorted(path.rglob("*.json")) if path.is_dir() else [path]:
            if "weights" in p.parts or "checkpoints" in p.parts:
                continue
            spec = store.RunSpec.of_record(store.Record.load(p))
            if path.is_file() or (store.weights_dir(p.parent.parent) / spec.weights_file()).exists():
                found.append(p)
    return found


def split_by_weights(records: Iterable[store.Record], runs_dir: str | Path
                     ) -> tuple[list[store.Record], list[store.Record]]:  # fmt: skip
    """``records`` split into those whose model's weights are stored in ``runs_dir`` and the rest.

    ``irem verify`` can evaluate the first again, training nothing. A record of another training of
    its config than the stored one, or of one trained before weights were kept, is in the second.
    """
    weights_dir, sha_of, verifiable, not_verifiable = store.weights_dir(runs_dir), {}, [], []
    for r in records:
        spec = store.RunSpec.of_record(r)
        file = weights_dir / spec.weights_file()
        if file not in sha_of:
            sha_of[file] = weights.load_weights(file, spec.train_hash())["sha256"] if file.exists() else None
        held = sha_of[file]
        (verifiable if held is not None and held == r.provenance.get("weights_sha256") else not_verifiable).append(r)
    return verifiable, not_verifiable


def report(paths: list[Path], device: torch.device, rtol: float = 0.0) -> int:
    """``irem verify``: check every record under ``paths`` first, then evaluate each again and print what differs.

    Returns 1 where any metric differs, else 0.
    """
    if not (math.isfinite(rtol) and rtol >= 0):
        raise ValueError(f"--rtol must be a finite number >= 0, got {rtol}")
    found = committed_records(paths)
    if not found:
        raise ValueError(f"{' '.join(map(str, paths))}: no records of committed models to verify")
    models = [model_of(p) for p in found]  # every record checked before the first evaluation
    differ = 0
    for path, model in zip(found, models):
        v = verify(path, device, rtol, model)
        differ += not v.same
        said = "; ".join(f"{k}: {store.metric_text(a, 6)} stored, {store.metric_text(b, 6)} again"
                         for k, (a, b) in v.differing.items()) or "same metrics"  # fmt: skip
        print(f"{path}: {said} ({v.wall_s:.0f} s)", flush=True)
    print(f"{len(found) - differ} of {len(found)} records reproduced" + (f" (rtol {rtol:g})" if rtol else ""))
    return 1 if differ else 0
