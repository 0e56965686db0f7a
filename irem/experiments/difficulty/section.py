"""The book's section on the difficulty experiment, written once for the chapters that show it.

The continuous chapter shows it for addition, the graph chapter for each graph task: a notebook
calls ``display(DifficultySection(records, level))`` with one task's records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from irem.experiments.difficulty.analysis import (
    difficulty_caption,
    difficulty_prose,
    fig2_step_size_note,
    styled_difficulty_table,
)
from irem.experiments.difficulty.figures import difficulty
from irem.store import Record
from irem.tasks import task_label


@dataclass(frozen=True)
class DifficultySection:
    """One task's difficulty records as the book shows them.

    In a notebook, displaying it shows in turn: the task's name (with ``heading``), the figure,
    its caption, the table, the paragraph on ``level`` with its verdict and, where ``recurrent``
    records are given (the graph chapter's recurrent baseline on the task, same profile), Fig. 2's
    claim at ``level`` nodes with the best test-time step size. The parts are methods too.
    """

    records: Sequence[Record]  # one task's difficulty records, one per seed
    level: str  # the level the paragraph is about: an operand scale ("2.5") or a graph size ("30")
    heading: bool = False
    recurrent: Sequence[Record] = ()

    def title(self) -> str:
        return f"**{task_label(self.records[0].task)}**"

    def figure(self) -> Figure:
        return difficulty(self.records)

    def caption(self) -> str:
        return difficulty_caption(self.records)

    def table(self) -> Styler:
        return styled_difficulty_table(self.records)

    def prose(self) -> str:
        return difficulty_prose(self.records, self.level)

    def fig2_note(self) -> str:
        """Fig. 2's claim with the best test-time step size ("" without ``recurrent`` records)."""
        return fig2_step_size_note(self.records, self.recurrent, int(self.level)) if self.recurrent else ""

    def _ipython_display_(self) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display

        if self.heading:
            display(Markdown(self.title()))
        fig = self.figure()
        display(fig)
        plt.close(fig)  # shown once: not again when the cell ends
        display(Markdown(self.caption()))
        display(self.table())
        display(Markdown(self.prose()))
        if self.recurrent:
            display(Markdown(self.fig2_note()))
