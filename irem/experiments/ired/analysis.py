"""What the IRED chapter concludes, from records: IRED beside IREM on Table 1 (right) and on Fig. 3's question.

Every comparison is of distributions over training seeds (``irem.spread``): "lower" or "higher" only
where the 95 % intervals of the medians separate, "tied" otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from irem.book.claims import Claim, grade
from irem.book.notes import basis
from irem.experiments.ired.experiment import BY_LANDSCAPE_STEPS, FROM_ANSWER, STEPS_PER_LANDSCAPE
from irem.experiments.results import ExperimentResult
from irem.spread import HIGHER, LOWER, compare, over_seeds
from irem.store import Record
from irem.tasks import task_label


def with_ired(continuous: ExperimentResult, ired: ExperimentResult) -> pd.DataFrame:
    """Table 1 (right) with IRED as a sixth row: the continuous experiment's table and IRED's, task by task."""
    table = pd.concat([continuous.table(), ired.table()], ignore_index=True)
    order = {t: i for i, t in enumerate(dict.fromkeys(table.task))}
    return table.sort_values("task", key=lambda t: t.map(order), kind="stable").reset_index(drop=True)


def harder_verdicts(continuous: ExperimentResult, ired: ExperimentResult) -> pd.DataFrame:
    """Per task and split: IRED's error against IREM's, over seeds (lower / higher / tied)."""
    rows = []
    for task in dict.fromkeys(r.task for r in ired.records):
        for split in ("same", "harder"):
            a, b = ired.spread(task, "ired", split), continuous.spread(task, "irem", split)
            if a is None or b is None:
                continue
            rows.append(dict(task=task_label(task), split=split, ired=a.median, irem=b.median,
                             seeds=f"{a.seeds} / {b.seeds}", ired_vs_irem=compare(a, b)))  # fmt: skip
    return pd.DataFrame(rows)


def steps_spread(records: list[Record], split: str) -> dict[int, object]:
    """Steps per landscape -> the SeedSpread of the error after the descent (the records' sweep)."""
    sweeps = [r.curves[BY_LANDSCAPE_STEPS][split] for r in records if BY_LANDSCAPE_STEPS in r.curves]
    if not sweeps:
        return {}
    return {int(s): over_seeds([sw[s]["mse"] for sw in sweeps]) for s in sweeps[0]}


def more_steps_verdict(records: list[Record], split: str = "harder") -> str:
    """Whether IRED's error falls with more steps per landscape: the fewest steps against the most, over seeds."""
    spread = steps_spread(records, split)
    if len(spread) < 2:
        return "not measured"
    fewest, most = spread[min(spread)], spread[max(spread)]
    outcome = compare(most, fewest)
    said = {LOWER: "falls", HIGHER: "rises"}.get(outcome, "does not move beyond the spread between seeds")
    return (f"from {min(spread)} to {max(spread)} steps per landscape the error {said} "
            f"({fewest.median:.4g} to {most.median:.4g}, medians over {most.seeds} seeds)")  # fmt: skip


def from_answer_ends(records: list[Record], split: str = "harder") -> tuple[float, float] | None:
    """Where a descent on the sharpest landscape from the true answer ends, and the error from noise.

    Both are medians over seeds; None without records.
    """
    recs = [r for r in records if FROM_ANSWER in r.curves]
    if not recs:
        return None
    ends = over_seeds([r.curves[FROM_ANSWER][split][-1] for r in recs])
    errors = over_seeds([r.metrics[split]["mse"] for r in recs])
    return ends.median, errors.median


def claims(results: Mapping[str, ExperimentResult], explain: Callable | None = None) -> list[Claim]:
    """The verdict table's IRED rows: its harder-split error against IREM's, and whether more steps lower it.

    Judged by the rules of the paper's rows: intervals over seeds that separate (none without records
    of both IRED and the continuous experiment's IREM).
    """
    ired, cont = results.get("ired"), results.get("continuous")
    if ired is None or cont is None:
        return []
    harder = harder_verdicts(cont, ired).query("split == 'harder'")
    rests_on = basis(ired)
    lower = Claim(
        90, "IRED (the follow-up): on harder problems its error is below IREM's", "below IREM's (its Table 1)",
        "; ".join(f"{r.task}: {r.ired:.4g} vs IREM's {r.irem:.4g} ({r.ired_vs_irem})" for r in harder.itertuples()),
        grade(int((harder.ired_vs_irem == LOWER).sum()), len(harder)), rests_on,
        "per task: IRED's median harder error with its 95 % interval wholly below IREM's",
    )  # fmt: skip
    by_task = {task_label(t): more_steps_verdict([r for r in ired.records if r.task == t])
               for t in dict.fromkeys(r.task for r in ired.records)}  # fmt: skip
    steps = Claim(
        91, "IRED (the follow-up): more steps per landscape lower its error on harder problems",
        "error falls with more inference steps", "; ".join(f"{t}: {v}" for t, v in by_task.items()),
        grade(sum(" falls " in v for v in by_task.values()), len(by_task)), rests_on,
        f"per task: the harder error after {max(STEPS_PER_LANDSCAPE)} steps per landscape with its interval wholly "
        f"below that after {min(STEPS_PER_LANDSCAPE)}",
    )  # fmt: skip
    return [lower, steps]
