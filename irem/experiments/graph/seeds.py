"""IREM's added graph seeds: trained compiled, and checked to err as the eager seeds do.

At the paper profile IREM's seeds 0-2 train and evaluate eagerly and its seeds 3-9 compiled
(``GRAPH.added_seeds``: ``TrainConfig.compiled``, ``EvalConfig.compiled_eval``), each several times
faster on a CPU. Compiled code rounds differently, so a compiled seed is another draw of the same
training, not the eager seed's twin. The comparison's compiled side also holds compiled trainings of
seeds 0-2 where stored (evaluated eagerly). Table 1 and Fig. 2
may pool both for a task only where :func:`draws_table` can tell them apart and does not: a rank
test on every error those rank, over the stored seeds of each training (a test of the stored
records keeps it so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from irem import store
from irem.book.tables import median_interval, styled
from irem.experiments.experiment import get
from irem.experiments.graph.analysis import seed_errors
from irem.spread import over_seeds, rank_test
from irem.store import Record
from irem.tasks import task_label

MIN_SEEDS = 3  # of each training, before a rank test is run at all
LEVEL = 0.05  # a task's false-alarm rate: Bonferroni over its rows
ERRORS = (("same", "10 nodes"), ("harder", "15 nodes"), (None, "{nodes} nodes, last step"))  # Table 1, Fig. 2


def stored_draws(runs_dir: str | Path, tasks: Sequence[str], seeds: Sequence[int] = range(10)
                 ) -> tuple[list[Record], list[Record]]:  # fmt: skip
    """(eager, compiled): the stored paper-profile IREM graph records of each training, any seed (never trains)."""
    graph = get("graph")
    found = {}
    for compiled in (False, True):  # the added seeds' default is compiled training and evaluation: eager asks for both
        changes = {"compiled": True} if compiled else {"compiled": False, "compiled_eval": False}
        specs = graph.specs("paper", tasks, ["irem"], seeds, changes)
        found[compiled] = [r for s in specs if (r := store.find_record(runs_dir, s)) is not None]
    return found[False], found[True]


def _errors(records: Sequence[Record], split: str | None, nodes: int) -> list[float]:
    """Each seed's error on ``split`` (``None``: Fig. 2's ``nodes``-node graphs after the last step)."""
    if split is None:
        return seed_errors(records, nodes)[1]
    return [m for r in records if (m := r.metrics[split]["mse"]) is not None]


def draws_table(eager: Sequence[Record], compiled: Sequence[Record], nodes: int) -> pd.DataFrame:
    """Per task and error: each training's SeedSpread and the rank test's p (NaN with under ``MIN_SEEDS`` of either)."""
    rows = []
    for task in dict.fromkeys(r.task for r in [*eager, *compiled]):
        e, c = ([r for r in recs if r.task == task] for recs in (eager, compiled))
        if not (e and c):
            continue
        for split, label in ERRORS:
            a, b = _errors(e, split, nodes), _errors(c, split, nodes)
            p = rank_test(a, b) if min(len(a), len(b)) >= MIN_SEEDS else math.nan
            rows.append({"task": task_label(task), "error": label.format(nodes=nodes), "eager": over_seeds(a),
                         "compiled": over_seeds(b), "p": p})  # fmt: skip
    return pd.DataFrame(rows, columns=["task", "error", "eager", "compiled", "p"])


def _level(rows: pd.DataFrame) -> float:
    """The p below which one of a task's rows counts as a difference: ``LEVEL`` shared among its rows (Bonferroni)."""
    return LEVEL / len(rows)


def _floor(row) -> float:
    """The smallest p the rank test can give with the row's seed counts (the most extreme ordering, both sides)."""
    return 2 / math.comb(row.eager.seeds + row.compiled.seeds, row.eager.seeds)


def differing(table: pd.DataFrame) -> list[str]:
    """The rows whose two trainings differ: p below their task's level (``LEVEL`` shared among its rows)."""
    return [f"{r.task.lower()} ({r.error})" for _, g in table.groupby("task", sort=False)
            for r in g.itertuples() if r.p < _level(g)]  # fmt: skip


def untested(table: pd.DataFrame) -> list[str]:
    """Tasks with compiled seeds whose seed counts cannot show a difference: too few, or no p can reach the level."""
    return sorted(t for t, g in table.groupby("task") if any(math.isnan(r.p) or _floor(r) >= _level(g)
                                                             for r in g.itertuples()))  # fmt: skip


def styled_draws(table: pd.DataFrame) -> Styler:
    """:func:`draws_table` for the book: medians with their intervals, the seeds of each, p with two digits."""
    shown = table.copy()
    for col in ("eager", "compiled"):
        shown[col] = [median_interval(s.median, s.low, s.high, s.seeds) for s in table[col]]
    shown.insert(4, "seeds (eager / compiled)", [f"{e.seeds} / {c.seeds}" for e, c in zip(table.eager, table.compiled)])
    return styled(shown, {"p": "{:.2f}"})


def draws_verdict(table: pd.DataFrame) -> str:
    """What the rank tests say about pooling the two trainings' seeds, task by task (Markdown)."""
    few = untested(table)
    tested = table[~table.task.isin(few)]
    head = (f"Per task, a Mann–Whitney rank test compares the two trainings' seeds on each of its errors; a "
            f"difference counts at p below {LEVEL:g} shared among the task's rows, so that together they raise a "
            "false alarm at most 5 % of the time.")  # fmt: skip
    if tested.empty:
        found = "No task has enough seeds of both trainings yet for any row to reach that level."
    else:
        apart = differing(tested)
        floors = "; ".join(f"{t.lower()} {max(_floor(r) for r in g.itertuples()):.2g}"
                           for t, g in tested.groupby("task", sort=False))  # fmt: skip
        found = (f"{', '.join(dict.fromkeys(tested.task))}: "
                 + ("no row differs, so Table 1 and Fig. 2 count the compiled seeds as further draws of IREM's errors"
                    if not apart else f"{', '.join(apart)} differ, so there the compiled seeds are not the same "
                    "training's draws")
                 + f". With so few seeds the test sees only a large shift: the smallest p the seed counts allow is "
                 f"{floors}.")  # fmt: skip
    waiting = (f" Too few seeds to show a difference: {', '.join(few).lower()} (with n of one training and k of the "
               "other the smallest p is 2 / C(n + k, n)); until there are enough, none of their compiled seeds joins "
               "Table 1 (a test checks it)." if few else "")  # fmt: skip
    return f"{head} {found}{waiting}"


def training_minutes(eager: Sequence[Record], compiled: Sequence[Record]) -> str:
    """The median training time of each training on the tasks that have both, from the records (Markdown)."""
    eager = [r for r in eager if r.task in {c.task for c in compiled}]

    def median(recs: Sequence[Record]) -> str:
        return f"{float(pd.Series([r.provenance['train_wall_s'] for r in recs]).median()) / 60:.0f} minutes"

    return (f"The median training took {median(eager)} eager ({len(eager)} runs) and {median(compiled)} compiled "
            f"({len(compiled)} runs), as stored in the records (wall time on one CPU thread, often beside another "
            "job).")  # fmt: skip
