"""The paper's tasks: each draws batches of problems on a device from a generator.

``make_task(name)`` builds any of them: the continuous tasks (``irem.tasks.continuous``) and
the graph tasks (``irem.tasks.graphs``).
"""

from __future__ import annotations

from irem.tasks import continuous, graphs
from irem.tasks.continuous import CONTINUOUS_TASKS, DIFFICULTIES, ContinuousTask
from irem.tasks.graphs import GRAPH_TASKS, GraphBatch, GraphTask
from irem.validate import check_choice

Task = ContinuousTask | GraphTask
Batch = continuous.Batch | GraphBatch
TASKS: dict[str, type] = {**CONTINUOUS_TASKS, **GRAPH_TASKS}


def make_task(name: str, **options) -> Task:
    """Build a task by name, with its options (e.g. ``variant`` or ``edge_prob``)."""
    check_choice("task", name, TASKS)
    module = graphs if name in GRAPH_TASKS else continuous
    return module.make_task(name, **options)


__all__ = [
    "CONTINUOUS_TASKS", "DIFFICULTIES", "GRAPH_TASKS", "TASKS", "Batch", "ContinuousTask", "GraphBatch",
    "GraphTask", "Task", "make_task",
]  # fmt: skip
