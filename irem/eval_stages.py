"""Resumable evaluation: a long evaluation keeps each finished stage on disk, and a rerun skips it.

Training resumes from checkpoints (:mod:`irem.train`); evaluation can also take an hour on a CPU
(16 restarts of 80 steps on 30-node graphs, in the compute experiment), so :func:`run_spec
<irem.experiments.running.run_spec>` evaluates inside :func:`resumable`, and the evaluation
functions wrap their costly parts in :func:`stage`. A stage is known by its position and its
label: evaluation is deterministic, so a rerun reaches the same stages in the same order. Each
finished stage's result is saved with the state of the random generator after it; a rerun gets
the saved result back and the generator restored, so the stages after it draw the same numbers
as a run that was never interrupted. Outside :func:`resumable`, :func:`stage` just computes.
With ``progress``, a progress bar counts the stages and names the one running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

import torch
from tqdm.auto import tqdm

from irem.atomic import atomic_torch_save

T = TypeVar("T")


class _Stages:
    """The finished stages of one evaluation, as ``(label, result, generator state)``, and the file they live in."""

    def __init__(self, path: Path, bar: tqdm) -> None:
        self.path, self.bar = path, bar
        self.done: list[tuple[str, object, torch.Tensor]] = []
        self.position = 0
        self.inside = False  # a stage is computing: stages within it are part of it
        if path.exists():
            try:
                self.done = torch.load(path, weights_only=True)["stages"]
            except Exception:  # truncated or from another version: evaluate from the start
                self.done = []


_ACTIVE: ContextVar[_Stages | None] = ContextVar("irem_evaluation_stages", default=None)


@contextmanager
def resumable(path: str | Path, progress: bool = False) -> Iterator[None]:
    """Keep the stages finished inside this block in ``path``, and reuse those a killed run left there.

    The file stays when the block raises (a rerun resumes from it); the caller deletes it once
    the results are safe elsewhere (:func:`discard`). ``progress`` shows a bar of the stages.
    """
    bar = tqdm(desc="evaluate", unit=" stages", disable=not progress, dynamic_ncols=True)
    token = _ACTIVE.set(_Stages(Path(path), bar))
    try:
        yield
    finally:
        _ACTIVE.reset(token)
        bar.close()


def stage(label: str, compute: Callable[[], T], generator: torch.Generator) -> T:
    """``compute()``, or its result saved by an earlier attempt of the same evaluation.

    ``generator`` is the random generator that ``compute`` draws from: its state after the stage
    is saved with the result and restored when the result is reused. The result must be made
    of what ``torch.load(weights_only=True)`` reads: tensors, numbers, strings, lists, tuples and
    dicts. A stage within another stage is part of it: it just computes.
    """
    stages = _ACTIVE.get()
    if stages is None or stages.inside:
        return compute()
    i, stages.position = stages.position, stages.position + 1
    if i < len(stages.done) and stages.done[i][0] == label:
        _, result, state = stages.done[i]
        generator.set_state(state)
        stages.bar.set_postfix_str(f"{label} (kept)", refresh=False)
        stages.bar.update()
        return result  # type: ignore[return-value]
    del stages.done[i:]  # another stage here: what follows was made by other code
    stages.bar.set_postfix_str(label)
    stages.inside = True
    try:
        result = compute()
    finally:
        stages.inside = False
    stages.done.append((label, result, generator.get_state()))
    atomic_torch_save({"stages": stages.done}, stages.path)
    stages.bar.update()
    return result


def discard(path: str | Path) -> None:
    """Delete the stages kept in ``path`` (the evaluation's results are stored, or it must start over)."""
    Path(path).unlink(missing_ok=True)
