"""The paper's tasks: each draws batches of problems on a device from a generator.

``make_task(name)`` builds any of them: the continuous tasks (``irem.tasks.continuous``), the
graph tasks (``irem.tasks.graphs``) and image denoising (``irem.tasks.images``).
"""

from __future__ import annotations

from irem.tasks import continuous, graphs
from irem.tasks.continuous import CONTINUOUS_TASKS, DIFFICULTIES, ContinuousTask
from irem.tasks.graphs import GRAPH_TASKS, GraphBatch, GraphTask
from irem.tasks.images import Denoising, ImageBatch
from irem.validate import check_choice

Task = ContinuousTask | GraphTask | Denoising
Batch = continuous.Batch | GraphBatch | ImageBatch
TASKS: dict[str, type] = {**CONTINUOUS_TASKS, **GRAPH_TASKS, Denoising.name: Denoising}


def make_task(name: str, **options) -> Task:
    """Build a task by name, with its options (e.g. ``variant`` or ``edge_prob``)."""
    check_choice("task", name, TASKS)
    if name == Denoising.name:
        return Denoising(**options)
    module = graphs if name in GRAPH_TASKS else continuous
    return module.make_task(name, **options)


__all__ = [
    "CONTINUOUS_TASKS", "DIFFICULTIES", "GRAPH_TASKS", "TASKS", "Batch", "ContinuousTask", "Denoising",
    "GraphBatch", "GraphTask", "ImageBatch", "Task", "make_task",
]  # fmt: skip
