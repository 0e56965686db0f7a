"""The paper's tasks: each draws batches of (x, y) problems on a device from a generator."""

from irem.tasks.continuous import CONTINUOUS_TASKS, DIFFICULTIES, Batch, ContinuousTask, make_task

__all__ = ["CONTINUOUS_TASKS", "DIFFICULTIES", "Batch", "ContinuousTask", "make_task"]
