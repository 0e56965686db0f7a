"""IREM's errors on graphs against training length (the graph chapter's section "Training length and larger graphs").

The records are the graph experiment's IREM runs of ``TRAINING_LENGTHS`` (``training_length_records``),
with either test-time step rule; tables stay numeric until ``styled_*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.stats import mean_of
from irem.book.tables import styled
from irem.experiments.graph.analysis import error_column, fig2_ends, fig2_verdict
from irem.store import Record
from irem.tasks import task_label

NO_TRAINING_LENGTHS = (
    "No training-length records are stored here. To make them (seed 0): `irem reproduce graph "
    "--profile quick --tasks shortest_path --methods irem --iterations 10000 --snapshots 1500 "
    "3000 5000 7500`, then the same with `--iterations K` for each K, and each again with "
    "`--set test_step_scaling=edges` (these only evaluate the cached weights)."
)


def training_length_note(longer: Sequence[Record], shorter: Sequence[Record], nodes: int, tasks: Sequence[str]) -> str:
    """Figure 2's check on the records of a shorter training profile, and what the longer training changed.

    ``longer`` and ``shorter``: IREM and recurrent records of one evaluation setting at two profiles.
    Compares, per task, the last-step error on ``nodes``-node graphs (IREM's and the recurrent
    baseline's) and IREM's error on the 10-node test graphs ("same") between the two, over the
    seeds of ``shorter`` only (so that both sides are the same seeds).
    """
    ours, verdict = fig2_verdict(shorter, nodes, tasks)
    longer = [r for r in longer if r.seed in {s.seed for s in shorter}]

    def pick(recs: Sequence[Record], method: str, task: str) -> list[Record]:
        return [r for r in recs if r.method == method and r.task == task]

    first = next(r for r in shorter if r.method == "irem")
    iters = [first.train["iterations"], next(r for r in longer if r.method == "irem").train["iterations"]]
    rises = falls = 0
    changes = []
    for t in tasks:
        irem, rec = ([pick(recs, m, t) for recs in (shorter, longer)] for m in ("irem", "recurrent"))
        if not all(irem):
            continue
        large = [fig2_ends(r, nodes)[1] for r in irem]
        same = [mean_of(r, lambda x: x.metrics["same"]["mse"]) for r in irem]
        rises, falls = rises + (large[1] > large[0]), falls + (same[1] < same[0])
        baseline = (f"; the recurrent baseline at {nodes} nodes {fig2_ends(rec[0], nodes)[1]:.3g} → "
                    f"{fig2_ends(rec[1], nodes)[1]:.3g}" if all(rec) else "")  # fmt: skip
        changes.append(f"- {task_label(t)}: IREM at {nodes} nodes {large[0]:.3g} → {large[1]:.3g}, at 10 nodes "
                       f"{same[0]:.3g} → {same[1]:.3g}{baseline}")  # fmt: skip
    tested = f"{first.eval['test_problems']:,} test problems, up to {first.eval['test_steps']} steps"
    return (f"The same check on models trained for {iters[0]:,} iterations ({first.profile} profile; {tested}): "
            f"{ours}: **{verdict}**.\n\n"
            f"From {iters[0]:,} to {iters[1]:,} training iterations, IREM's error at {nodes} nodes rises on {rises} "
            f"of {len(changes)} tasks, while at 10 nodes it falls on {falls}:\n\n" + "\n".join(changes))  # fmt: skip


@dataclass(frozen=True)
class TrainingLengths:
    """IREM's errors against training iterations (:func:`training_length_table`).

    Attributes:
        table: one row per task, seed and training length: ``task``, ``seed``, ``iterations``, ``training``
            (the commit that trained the model: snapshots of one training share it), then the errors.
        errors: the error columns, in table order.
        final: those after the last step or of a test split (not those after step 5).
    """

    table: pd.DataFrame
    errors: tuple[str, ...] = ()
    final: tuple[str, ...] = ()


def training_length_table(records: Sequence[Record], nodes: int) -> TrainingLengths:
    """IREM's errors against training iterations, per task and seed (records of both test-time step rules).

    Columns: the errors on the 10- and 15-node test graphs (training step size), and on ``nodes``-node
    graphs after step 5 and after the last step, with the training step size and with the scaled one.
    """
    rows: dict[tuple, dict] = {}
    order: dict[str, tuple] = {}  # training step size first, smaller graphs first, step 5 before the last
    for r in records:
        row = rows.setdefault((r.task, r.seed, r.train["iterations"]), {
            "task": task_label(r.task), "seed": r.seed, "iterations": r.train["iterations"],
            "training": r.provenance.get("train_git_commit", "")[:7]})  # fmt: skip
        step5, last, steps = fig2_ends([r], nodes)
        if r.eval.get("test_step_scaling", "none") == "edges":
            errors = {error_column(nodes, steps, scaled=True): (last, (True, nodes, steps != 5))}
        else:
            errors = {"10 nodes": (r.metrics["same"]["mse"], (False, 10, True)),
                      "15 nodes": (r.metrics["harder"]["mse"], (False, 15, True)),
                      error_column(nodes, 5): (step5, (False, nodes, False)),
                      error_column(nodes, steps): (last, (False, nodes, steps != 5))}  # fmt: skip
        for column, (value, place) in errors.items():
            row[column], order[column] = value, place
    if not rows:
        return TrainingLengths(pd.DataFrame(columns=["task", "seed", "iterations", "training"]))
    table = pd.DataFrame(sorted(rows.values(), key=lambda x: (x["task"], x["seed"], x["iterations"])))
    errors = tuple(sorted((c for c in table.columns if c in order), key=order.get))
    final = tuple(c for c in errors if order[c][2])
    return TrainingLengths(table[["task", "seed", "iterations", "training", *errors]], errors, final)


def training_lengths(records: Sequence[Record], nodes: int) -> TrainingLengths:
    """:func:`training_length_table` of the tasks measured at several training lengths."""
    lengths = training_length_table(records, nodes)
    table = lengths.table
    if len(table):
        table = table[table.groupby("task")["iterations"].transform("nunique") > 1]
    return replace(lengths, table=table)


def styled_training_lengths(lengths: TrainingLengths) -> Styler:
    """:func:`training_lengths` for the book."""
    return styled(lengths.table, {c: "{:.4f}" for c in lengths.errors})


def training_length_prose(lengths: TrainingLengths) -> str:
    """A Markdown list of how IREM's errors move with training length, and how far apart seeds are.

    Per task and seed with several lengths: each error's change and where it is lowest; per task
    with several seeds at one length: the largest ratio between seeds trained for as long. Changes are
    within one training run; a model trained again beside another run's snapshots (its first training's
    weights lost) gets its own line, since a change between two trainings includes their spread.
    """
    lines = []
    several = lengths.table.groupby(["task", "seed"])["training"].transform("nunique") > 1
    for (task, seed, training), g in lengths.table.groupby(["task", "seed", "training"], sort=False):
        if len(g) < 2:
            if several[g.index].all():  # a model trained again, beside the snapshots of another training
                r = g.iloc[0]
                values = "; ".join(f"{col} {r[col]:.3g}" for col in lengths.final if pd.notna(r[col]))
                lines.append(f"- **{task}**, seed {seed}: the {int(r['iterations']):,}-iteration model is another "
                             f"training of the same config (at {training}), not a snapshot of the run above, so "
                             f"the change to it includes the spread between trainings: {values}")  # fmt: skip
            continue
        parts = []
        for col in lengths.final:
            v = g[["iterations", col]].dropna()
            if len(v) < 2:
                continue
            best = v.loc[v[col].idxmin()]
            parts.append(f"{col}: {v[col].iloc[0]:.3g} → {v[col].iloc[-1]:.3g} from {int(v['iterations'].iloc[0]):,} "
                         f"to {int(v['iterations'].iloc[-1]):,} iterations (lowest, {best[col]:.3g}, after "
                         f"{int(best['iterations']):,})")  # fmt: skip
        if parts:
            lines.append(f"- **{task}**, seed {seed}: " + "; ".join(parts))
    for task, g in lengths.table.groupby("task", sort=False):  # the spread between seeds trained for as long
        spreads = []
        for k, h in g.groupby("iterations"):
            for col in lengths.final:
                by_seed = h.set_index("seed")[col].dropna()
                if by_seed.size > 1:
                    spreads.append((by_seed.max() / by_seed.min(), col, int(k), by_seed))
        if spreads:
            ratio, col, k, by_seed = max(spreads, key=lambda x: x[0])
            values = " vs ".join(f"{v:.3g} (seed {sd})" for sd, v in by_seed.items())
            lines.append(f"- **{task}**: after {k:,} iterations the seeds differ by up to {ratio:.1f}× "
                         f"({col}: {values})")  # fmt: skip
    return "\n".join(lines)
