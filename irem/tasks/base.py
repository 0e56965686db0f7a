"""What every task and every batch of problems provides.

The methods, the trainer, the evaluator and the experiments talk to tasks only through these
two protocols, so no module outside ``irem.tasks`` needs to know which kind of task it holds.
A task also picks the network each method uses on it (an MLP for vectors, a GNN for graphs, a
conv net for images): a new task brings its own networks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from irem.config import TrainConfig
from irem.validate import check_choice


@runtime_checkable
class Batch(Protocol):
    """A batch of problems: inputs ``x`` and answers ``y``, whose rows the methods reason over.

    ``y`` has one row per problem for vectors and images, one row per edge for graphs;
    ``row_problem`` maps rows to problems (``None`` when they are the same).
    """

    x: Any
    y: Tensor
    starts_from_input: ClassVar[bool]  # reasoning starts from x (denoising), not from U(-1, 1) noise

    @property
    def row_problem(self) -> Tensor | None: ...

    def __len__(self) -> int: ...

    def split(self, size: int) -> list[Batch]: ...

    def to_rows(self, per_problem: Tensor) -> Tensor: ...

    def problem_mean(self, per_row: Tensor) -> Tensor: ...

    def replay_fields(self, y_hat: Tensor) -> dict[str, Tensor]: ...

    @staticmethod
    def from_replay_fields(fields: dict[str, Tensor]) -> tuple[Batch, Tensor]: ...


@runtime_checkable
class Task(Protocol):
    """A source of problems, and the networks each method uses on them.

    Attributes:
        name: the task's name in configs, records and the CLI.
        label: its name in the book's tables and figures.
        train_split: the split training problems are drawn from.
        test_splits: the splits every experiment evaluates on (Table 1: ``same``, ``harder``).
    """

    name: str
    label: str
    train_split: str
    test_splits: tuple[str, ...]

    def sample(self, batch_size: int, split: str, generator: torch.Generator) -> Batch:
        """``batch_size`` problems of ``split`` on ``generator.device``."""
        ...

    def network(self, method: str, config: TrainConfig) -> nn.Module:
        """The network ``method`` uses on this task (raises for a method the task has none for)."""
        ...


def pick_network(task: str, method: str, builders: Mapping[str, Callable[[], nn.Module]]) -> nn.Module:
    """Build ``builders[method]``; a method without a network on ``task`` is an error naming both."""
    check_choice(f"method (on task {task!r})", method, builders)
    return builders[method]()
