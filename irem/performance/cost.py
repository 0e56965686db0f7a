"""What the whole book costs at the paper profile on this CPU, from ``benchmarks/book_cost.py``'s stored file.

Each distinct training configuration is timed alone on one thread; each run's evaluation is read
off its stored record. The Performance chapter shows the whole book's hours; a chapter shown below
the paper profile says what its paper-profile runs would cost (:func:`paper_cost_note`,
:func:`experiment_cost`).
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.tables import styled
from irem.experiments.plan import makespan
from irem.methods import method_label

BOOK_TARGET_HOURS = 8.0  # the whole book at the paper profile, 3 seeds, on 2 CPU cores (the performance issue)


def _book_runs(doc: dict) -> pd.DataFrame:
    """``benchmarks/book_cost.py``'s rows, with each run's hours: training timed alone, evaluation alone where known."""
    df = pd.DataFrame(doc["rows"]).astype({"eval_s": float, "eval_s_alone": float})
    # evaluation alone: scaled by the run's own training slowdown where it trained, else as recorded (an upper bound)
    return df.assign(train_h=df["train_s"] / 3600, eval_h=df["eval_s_alone"].fillna(df["eval_s"]) / 3600,
                     eval_recorded_h=df["eval_s"] / 3600)  # fmt: skip


def _per_seed(runs: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(method label, seconds per training iteration, hours of training for one seed) per method, costliest first."""
    by = runs.groupby("method").agg(ms=("ms_per_iter", "first"), hours=("train_h", "max"))
    return [(method_label(m), r.ms / 1000, r.hours) for m, r in by.sort_values("hours", ascending=False).iterrows()]


def book_cost(doc: dict, cores: int = 2, target_hours: float = BOOK_TARGET_HOURS) -> tuple[pd.DataFrame, str]:
    """The whole book's paper-profile runs, per experiment, in hours on this CPU; and a sentence against the target.

    Hours are core-hours: one run on one core. ``cores`` runs at a time, longest first, take the
    wall time of ``plan.makespan``. An evaluation with no record to read (NaN) counts 0 and is named.
    """
    df = _book_runs(doc)
    columns = {"runs": ("seed", "size"), "runs that train": ("trains", "sum"), "training (h)": ("train_h", "sum"),
               "evaluation (h)": ("eval_h", "sum"),
               "evaluation as recorded (h)": ("eval_recorded_h", "sum")}  # fmt: skip
    table = df.groupby("experiment", sort=False).agg(**columns).reset_index()
    counted = df.groupby("experiment", sort=False)["eval_h"].count().to_numpy()
    table.loc[counted == 0, ["evaluation (h)", "evaluation as recorded (h)"]] = float("nan")  # nothing to read
    wall = makespan((df["train_h"] + df["eval_h"].fillna(0)).tolist(), cores)
    verdict = (f"the target of {target_hours:g} hours is met" if wall <= target_hours
               else f"{wall / target_hours:.1f}× the target of {target_hours:g} hours")  # fmt: skip
    sentence = (
        f"All {len(df)} runs of the book at the paper profile with 3 seeds: {df['train_h'].sum():.1f} hours of "
        f"training ({doc['settings']['training_configs']} training configurations, each timed alone on one thread) "
        f"and {df['eval_h'].sum():.1f} hours of evaluation ({df['eval_recorded_h'].sum():.1f} as recorded on the "
        f"shared machine). With one run on each of {cores} cores, longest first, that is {wall:.1f} hours: {verdict}."
    )
    unknown = df[df["eval_source"] == "none"]  # runs with neither a record nor one at another seed
    whole = [e for e, g in unknown.groupby("experiment", sort=False) if len(g) == (df["experiment"] == e).sum()]
    for experiment, g in unknown.groupby("experiment", sort=False):
        costs = " and ".join(f"{h:.1f} hours for {m} ({s:.1f} s per iteration)" for m, s, h in _per_seed(g))
        one = experiment in whole or len(g) == 1
        which = experiment.capitalize() if experiment in whole else f"{len(g)} run{'' if one else 's'} of {experiment}"
        sentence += (f" {which} {'has' if one else 'have'} no paper-profile record, so {'its' if one else 'their'} "
                     f"evaluation is not counted; training one seed alone takes {costs}.")  # fmt: skip
    if len(unknown):
        rest = df[df["eval_source"] != "none"]
        wall_rest = makespan((rest["train_h"] + rest["eval_h"]).tolist(), cores)
        hours = (rest["train_h"] + rest["eval_h"]).groupby(rest["experiment"]).sum().sort_values(ascending=False)
        verdict = f"{wall_rest / target_hours:.1f}× the target" if wall_rest > target_hours else "within the target"
        without = ", ".join(whole) if len(whole) == unknown["experiment"].nunique() else "those runs"
        sentence += (f" Without {without}, the other {len(rest)} runs take {wall_rest:.1f} hours on {cores} cores "
                     f"({verdict}); the largest parts, in core-hours: "
                     + ", ".join(f"{name} {h:.1f}" for name, h in hours.head(3).items()) + ". "
                     f"{rest['eval_h'].sum() / hours.sum():.0%} of their core-hours are evaluation.")  # fmt: skip
    return table, sentence


def paper_cost_note(doc: dict, experiment: str) -> str:
    """A Markdown note for a chapter shown below the paper profile: what one paper-profile seed costs on this CPU."""
    df = _book_runs(doc)
    g = df[df["experiment"] == experiment]
    if g.empty:
        return ""
    iterations = int(g["iterations"].max())
    costs = "; ".join(f"{m}: {s:.2f} s per iteration, {h:.1f} hours" for m, s, h in _per_seed(g))
    return (
        f":::{{note}}\nThis chapter is not at the paper profile: no paper-profile `{experiment}` record is stored. "
        f"Training one seed at the paper's settings ({iterations:,} iterations) takes, on this CPU with one thread "
        f"(`benchmarks/book_cost.py`, `data/bench/book_cost.json`): {costs}. "
        f"`irem reproduce {experiment} --profile paper --device cuda` makes those runs on a GPU.\n:::\n"
    )


def experiment_cost(doc: dict, experiment: str, cores: int = 2) -> str:
    """A sentence: what ``experiment``'s paper-profile runs cost on this CPU, from ``benchmarks/book_cost.py``."""
    g = _book_runs(doc).query("experiment == @experiment")
    if g.empty:
        return ""
    wall = makespan((g["train_h"] + g["eval_h"].fillna(0)).tolist(), cores)
    return (f"At the paper's settings this chapter's {len(g)} runs take {g['train_h'].sum():.1f} hours of training on "
            f"this CPU (each configuration timed alone on one thread) and {g['eval_h'].sum():.1f} hours of evaluation "
            f"(from the records): {wall:.1f} hours with one run on each of {cores} cores, longest first "
            "(`benchmarks/book_cost.py`; the whole book's cost is in the Performance chapter).")  # fmt: skip


def styled_book_cost(table: pd.DataFrame) -> Styler:
    """:func:`book_cost`'s table for the book: hours to one decimal."""
    return styled(table, {c: "{:.1f}" for c in ("training (h)", "evaluation (h)", "evaluation as recorded (h)")})
