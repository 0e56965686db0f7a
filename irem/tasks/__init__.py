"""The paper's tasks: each draws batches of problems on a device from a generator.

Every task follows the :class:`~irem.tasks.base.Task` protocol (its batches the
:class:`~irem.tasks.base.Batch` protocol) and is registered here by name; ``make_task(name)``
builds any of them. The continuous tasks live in ``irem.tasks.continuous``, the graph tasks
in ``irem.tasks.graphs``, image denoising in ``irem.tasks.images``. A new task is a class with
``name``, ``label``, ``train_split``, ``test_splits``, ``sample`` and ``network``, passed to
:func:`register_task`.
"""

from __future__ import annotations

from irem.tasks.base import Batch, Task
from irem.tasks.continuous import CONTINUOUS_TASKS, DIFFICULTIES, ContinuousTask
from irem.tasks.graphs import GRAPH_TASKS, GraphBatch, GraphTask
from irem.tasks.images import Denoising, ImageBatch
from irem.validate import check_choice, register

TASKS: dict[str, type] = {}


def register_task(cls: type) -> type:
    """Add a task class to ``TASKS``; one without a name, a label or the protocol's members is an error."""
    return register(TASKS, cls, ("label", "train_split", "test_splits", "sample", "network"), "task")


for _cls in (*CONTINUOUS_TASKS.values(), *GRAPH_TASKS.values(), Denoising):
    register_task(_cls)


def make_task(name: str, **options) -> Task:
    """Build a task by name, with its options (e.g. ``variant`` or ``edge_prob``)."""
    check_choice("task", name, TASKS)
    return TASKS[name](**options)


def task_label(name: str) -> str:
    """A task's name in the book (``"matrix_inverse"`` -> ``"Matrix inverse"``)."""
    check_choice("task", name, TASKS)
    return TASKS[name].label


__all__ = [
    "CONTINUOUS_TASKS", "DIFFICULTIES", "GRAPH_TASKS", "TASKS", "Batch", "ContinuousTask", "Denoising",
    "GraphBatch", "GraphTask", "ImageBatch", "Task", "make_task", "register_task", "task_label",
]  # fmt: skip
