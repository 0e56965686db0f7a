"""The whole training step replayed from one CUDA graph (``TrainConfig.cuda_graph``).

On a GPU an IREM training step at the paper's settings is a few hundred small kernels (five
reasoning steps, each a forward and a double backward, then the loss's backward, Adam and the
replay update), and launching them from Python costs more than running them. Captured once
in a CUDA graph, the step is launched as one unit: sampling the problems, the reasoning steps,
the loss, the backward pass, gradient clipping, Adam (``capturable=True``) and the replay
update, with no Python and no host synchronisation in between.

What capture needs, and where it is provided:

- static shapes: the continuous tasks draw batches of a fixed size, and the step is captured
  once the replay buffer holds a batch, so every captured step is half fresh, half replayed;
- no host synchronisation: the replay buffer keeps its counters on the device
  (``ReplayBuffer.keep_counters_on_device``), matrix inverses skip their error check
  (``linalg.inv_ex``), the loss is read back only every ``log_every`` steps (``irem.train``);
- random numbers: the training generator is registered with the graph, so every replay draws
  new problems, new starting points and new replay indices;
- warm-up: the first ``WARMUP`` steps run eagerly on a side stream (they are real training
  steps), which creates Adam's state and the replay buffer before capture.

A captured run is a different random draw of the same training, not a bitwise copy of the
eager run: replay indices are drawn as ``floor(U(0, 1) * size)`` once the counters are on the
device. A run resumed from a checkpoint warms up and captures again.

``torch.compile`` cannot capture this step: it does not differentiate through
``autograd.grad(create_graph=True)``. Graph tasks would need their batches padded to fixed
node and edge counts; they are not supported yet, and neither are the baselines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import Tensor

WARMUP = 3  # eager steps before capture: Adam's state, the replay buffer, the allocator's pools
GRAPHABLE_TASKS = ("addition", "matrix_completion", "matrix_inverse")  # fixed shapes, no host syncs
GRAPHABLE_METHODS = ("irem",)


def check_graphable(method: str, task: str, device: torch.device | str, lr_schedule: str) -> None:
    """Raise a ``ValueError`` naming the parameter when ``cuda_graph=True`` cannot apply to this run."""
    device = torch.device(device)
    if device.type != "cuda":
        raise ValueError(f"cuda_graph=True needs a CUDA device; got device {str(device)!r} "
                         "(set cuda_graph=false, or train with --device cuda)")  # fmt: skip
    if method not in GRAPHABLE_METHODS:
        raise ValueError(f"cuda_graph=True applies to method {', '.join(map(repr, GRAPHABLE_METHODS))}; "
                         f"got method {method!r}")  # fmt: skip
    if task not in GRAPHABLE_TASKS:
        raise ValueError(f"cuda_graph=True applies to the tasks with fixed shapes "
                         f"({', '.join(map(repr, GRAPHABLE_TASKS))}); got task {task!r}")  # fmt: skip
    if lr_schedule != "constant":  # a scheduler changes the learning rate from Python, which a replay skips
        raise ValueError(f"cuda_graph=True needs lr_schedule='constant'; got {lr_schedule!r}")


class GraphedStep:
    """``step()`` run eagerly ``warmup`` times on a side stream, then captured once and replayed.

    Calling it runs one training step and returns that step's loss (after capture, the same
    static tensor every time, overwritten by each replay: read or accumulate it before the next call).

    Args:
        step: one whole training step (sample, loss, backward, optimiser, replay update), returning the loss;
            it must only launch device work with static shapes once ``warmup`` calls have run.
        generator: the CUDA generator ``step`` draws from; registered with the graph.
        before_capture: called once just before capture (e.g. to move replay counters to the device).
        warmup: eager calls before capture, >= 1.
    """

    def __init__(self, step: Callable[[], Tensor], generator: torch.Generator,
                 before_capture: Callable[[], None] = lambda: None, warmup: int = WARMUP) -> None:  # fmt: skip
        if warmup < 1:
            raise ValueError(f"warmup must be >= 1 (capture needs Adam's state and a full batch); got {warmup}")
        self.step, self.generator, self.before_capture, self.warmup = step, generator, before_capture, warmup
        self.calls = 0
        self.graph = None
        self.loss: Tensor | None = None
        self._side = torch.cuda.Stream()

    @property
    def captured(self) -> bool:
        return self.graph is not None

    def _on_side_stream(self) -> contextlib.AbstractContextManager:
        # warm-up and capture run off the default stream, as torch.cuda.graphs asks
        self._side.wait_stream(torch.cuda.current_stream())
        return torch.cuda.stream(self._side)

    def __call__(self) -> Tensor:
        self.calls += 1
        if self.graph is None and self.calls <= self.warmup:
            with self._on_side_stream():
                loss = self.step()
            torch.cuda.current_stream().wait_stream(self._side)
            return loss
        if self.graph is None:
            self.before_capture()
            torch.cuda.synchronize()
            self.graph = torch.cuda.CUDAGraph()
            self.graph.register_generator_state(self.generator)
            with torch.cuda.graph(self.graph):  # records the kernels, runs none of them
                self.loss = self.step()
        self.graph.replay()
        return self.loss
