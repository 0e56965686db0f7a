"""What the IRED chapter concludes, from records: IRED beside IREM on Table 1 (right) and on Fig. 3's question.

Every comparison is of distributions over training seeds (``irem.spread``): "lower" or "higher" only
where the 95 % intervals of the medians separate, "tied" otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from irem.book.claims import NOT_JUDGED, Claim, grade
from irem.book.notes import basis
from irem.book.tables import median_interval
from irem.config import TrainConfig
from irem.experiments.graph.experiment import MSE_BY_NODES
from irem.experiments.ired.experiment import (
    ABLATION_TASK,
    BY_LANDSCAPE_STEPS,
    FROM_ANSWER,
    LOOSER_BOUND,
    STEPS_PER_LANDSCAPE,
)
from irem.experiments.results import ExperimentResult
from irem.spread import HIGHER, LOWER, SeedSpread, compare, over_finite, over_seeds
from irem.store import Record
from irem.tasks import GRAPH_TASKS, task_label

LARGEST_NODES = 30  # the largest graphs of Fig. 2
UNJUDGED = "one seed: not judged"  # a single training has no interval to separate


def judged(a: SeedSpread, b: SeedSpread) -> str:
    """``compare(a, b)``, or ``UNJUDGED`` where either rests on one seed."""
    return UNJUDGED if min(a.seeds, b.seeds) < 2 else compare(a, b)


def _count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural where ``n`` is not 1: "1 seed", "3 seeds", "2 threads"."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def with_ired(paper: ExperimentResult, ired: ExperimentResult) -> pd.DataFrame:
    """Table 1 with IRED as a sixth row: a paper experiment's table (continuous or graph) and IRED's on its tasks."""
    own = ired.table()
    table = pd.concat([paper.table(), own[own.task.isin(set(paper.table().task))]], ignore_index=True)
    order = {t: i for i, t in enumerate(dict.fromkeys(table.task))}
    return table.sort_values("task", key=lambda t: t.map(order), kind="stable").reset_index(drop=True)


def _at_nodes(records: Sequence[Record], nodes: int) -> SeedSpread | None:
    """The error after the last step on Fig. 2's graphs of ``nodes`` nodes, over seeds (None where not measured)."""
    ends = [r.curves[MSE_BY_NODES][str(nodes)][-1] for r in records if str(nodes) in r.curves.get(MSE_BY_NODES, {})]
    return over_seeds(ends) if ends else None


def versus_irem(paper: Sequence[ExperimentResult], ired: ExperimentResult, nodes: int = LARGEST_NODES) -> pd.DataFrame:
    """Per task and test split: IRED's error against IREM's over seeds (lower / higher / tied).

    ``paper`` holds the experiments whose IREM runs are compared (continuous, graph); on graph tasks
    also the largest graphs (``nodes``), after the last step.
    """
    rows = []
    for result in paper:
        for task in dict.fromkeys(r.task for r in ired.records if r.task in set(result.table().task)):
            labels = result.split_labels or {}
            pairs = [(labels.get(s, s), ired.spread(task, "ired", s), result.spread(task, "irem", s))
                     for s in ("same", "harder")]  # fmt: skip
            if task in GRAPH_TASKS:
                pairs.append((f"{nodes} nodes, last step",
                              *(_at_nodes([r for r in res.records if r.task == task and r.method == m], nodes)
                                for res, m in ((ired, "ired"), (result, "irem")))))  # fmt: skip
            for split, a, b in pairs:
                if a is not None and b is not None:
                    rows.append(dict(task=task_label(task), test=split, IRED=a.median, IREM=b.median,
                                     seeds=f"{a.seeds} / {b.seeds}", verdict=judged(a, b)))  # fmt: skip
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
    outcome = judged(most, fewest)
    span = f"from {min(spread)} to {max(spread)} steps per landscape"
    if outcome == UNJUDGED:
        return f"{span} the error goes from {fewest.median:.4g} to {most.median:.4g} ({UNJUDGED})"
    said = {LOWER: "falls", HIGHER: "rises"}.get(outcome, "does not move beyond the spread between seeds")
    seeds = _count(most.seeds, "seed")
    return f"{span} the error {said} ({fewest.median:.4g} to {most.median:.4g}, medians over {seeds})"


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


def from_answer_note(records: list[Record], split: str = "harder") -> str:
    """What the descent from the true answer says about the sharpest landscape's minimum (medians over seeds).

    The minimum is off the answer where the descent from the answer ends at half the error of the
    descents from noise or more.
    """
    ends = from_answer_ends(records, split)
    if ends is None:
        return ""
    at_answer, from_noise = ends
    start = over_seeds([r.curves[FROM_ANSWER][split][0] for r in records if FROM_ANSWER in r.curves]).median
    clipped = (
        f" (it starts at {start:.4g}, not 0: the bound on the answer clips the answer itself)" if start > 0 else ""
    )
    where = ("so the sharpest landscape's minimum is off the answer, and more steps cannot bring the error down, as "
             "with IREM" if at_answer >= 0.5 * from_noise else "far below: the minimum is near the answer, and the "
             "error is in getting there")  # fmt: skip
    return (f"from the true answer the descent ends at an MSE of {at_answer:.4g}{clipped}; from noise, through every "
            f"landscape, at {from_noise:.4g}: {where}")  # fmt: skip


def _grade(hits: int, judged_cases: int, cases: int) -> str:
    """``grade`` over the cases the rule could judge; "not judged" where there were cases but none of them could be."""
    return NOT_JUDGED if cases and not judged_cases else grade(hits, judged_cases)


def claims(results: Mapping[str, ExperimentResult]) -> list[Claim]:
    """The verdict table's IRED rows: its harder-split error against IREM's, and whether more steps lower it.

    Judged by the rules of the paper's rows: intervals over seeds that separate (none without records
    of both IRED and the continuous experiment's IREM).
    """
    ired = results.get("ired")
    paper = [results[name] for name in ("continuous", "graph") if name in results]
    if ired is None or not paper:
        return []
    table = versus_irem(paper, ired)
    harder = table[~table.test.isin(["same", "10 nodes"])]
    rests_on = basis(ired)
    lower = Claim(
        90, "IRED (the follow-up): on harder problems its error is below IREM's", "below IREM's (its Table 1)",
        "; ".join(f"{r.task} ({r.test}): {r.IRED:.4g} vs IREM's {r.IREM:.4g} ({r.verdict})"
                  for r in harder.itertuples()),
        _grade(int((harder.verdict == LOWER).sum()), int((harder.verdict != UNJUDGED).sum()), len(harder)), rests_on,
        "per task and harder test (graphs: 15 and 30 nodes): IRED's median error with its 95 % interval wholly "
        "below IREM's (one seed on either side: not judged)",
    )  # fmt: skip
    by_task = {task_label(t): more_steps_verdict([r for r in ired.records if r.task == t])
               for t in dict.fromkeys(r.task for r in ired.records)}  # fmt: skip
    steps = Claim(
        91, "IRED (the follow-up): more steps per landscape lower its error on harder problems",
        "error falls with more inference steps", "; ".join(f"{t}: {v}" for t, v in by_task.items()),
        _grade(sum(" falls " in v for v in by_task.values()), sum(UNJUDGED not in v for v in by_task.values()),
               len(by_task)),
        rests_on,
        f"per task: the harder error after {max(STEPS_PER_LANDSCAPE)} steps per landscape with its interval wholly "
        f"below that after {min(STEPS_PER_LANDSCAPE)} (one seed: not judged)",
    )  # fmt: skip
    return [lower, steps]


RELEASE_ITERATIONS, RELEASE_BATCH = 1_300_000, 2048  # the release's training length (it runs until stopped)


COSTS = "ired_cost"  # data/bench/ired_cost_*.json: benchmarks/book_cost.py --experiments ired, one per thread count


def stored_costs(bench_dir: str | Path, profile: str) -> dict[int, dict]:
    """The stored IRED cost benchmarks (``COSTS``) of ``profile``, by thread count; empty where none is stored."""
    found = sorted(Path(bench_dir).glob(f"{COSTS}*.json"))  # (irem.performance, which reads the rest, is a layer up)
    docs = [json.loads(f.read_text()) for f in found]
    return {d["settings"].get("threads", 1): d for d in docs if d["settings"]["profile"] == profile}


def _alone(doc: Mapping, task: str) -> tuple[float, float | None, float] | None:
    """(training minutes, evaluation minutes or None, ms per iteration) of ``task``'s run in a cost benchmark.

    ``doc`` is ``benchmarks/book_cost.py``'s output; the run is seed 0's (every seed costs the same).
    None where the benchmark did not time the task.
    """
    row = next((r for r in doc["rows"] if r["task"] == task and r["method"] == "ired" and r["seed"] == 0), None)
    if row is None:
        return None
    evaluation = row["eval_s_alone"]
    minutes = None if evaluation is None or evaluation != evaluation else evaluation / 60  # NaN: no record timed
    return row["train_s"] / 60, minutes, row["ms_per_iter"]


def training_length_note(ired: ExperimentResult, costs: Mapping[int, Mapping] | None = None) -> str:
    """How far IRED's training got against the release's, and what a run costs here (Markdown, one line per task).

    ``costs``: ``benchmarks/book_cost.py --experiments ired --profile <the records'>`` by thread count; each
    task's run is then timed alone (training timed, evaluation from the records scaled by how much the
    shared machine slowed their training), and the paper profile's training from the fewest threads'
    timing. Without it, the records' own training speed, taken while other runs shared the cores.
    """
    lines = []
    paper = TrainConfig().iterations
    for task in dict.fromkeys(r.task for r in ired.records):
        recs = [r for r in ired.records if r.task == task]
        iterations, batch = recs[0].train["iterations"], recs[0].train["batch_size"]
        share = iterations * batch / (RELEASE_ITERATIONS * RELEASE_BATCH)
        line = (f"- **{task_label(task)}**: {iterations:,} iterations of {batch} problems ({share:.2%} of the "
                f"release's {RELEASE_ITERATIONS:,} × {RELEASE_BATCH:,})")  # fmt: skip
        timed = {n: found for n, doc in sorted((costs or {}).items()) if (found := _alone(doc, task))}
        if timed:
            runs = [f"{train + evaluation:.0f} minutes on {_count(n, 'thread')}" if evaluation is not None
                    else f"{train:.0f} minutes of training on {_count(n, 'thread')} (no record yet to time its "
                         "evaluation)"
                    for n, (train, evaluation, _) in timed.items()]  # fmt: skip
            fewest = min(timed)
            line += (f"; a run takes about {' and '.join(runs)}, alone on this machine's CPU; the paper profile's "
                     f"{paper:,} iterations would train for about {paper * timed[fewest][2] / 60_000:.0f} minutes on "
                     f"{_count(fewest, 'thread')}.")  # fmt: skip
        elif speed := over_finite([r.provenance.get("train_iters_per_s") for r in recs]):
            line += (f" at {speed.median:.2g} iterations/s on {recs[0].provenance.get('device', 'this machine')} (with "
                     f"other runs sharing the cores); the paper profile's {paper:,} iterations would take about "
                     f"{paper / speed.median / 60:.0f} minutes a run there.")  # fmt: skip
        lines.append(line)
    return "\n".join(lines)


def ablation_table(full: ExperimentResult, ablations: Mapping[str, ExperimentResult], task: str = ABLATION_TASK,
                   full_label: str = "IRED (full)") -> pd.DataFrame:  # fmt: skip
    """IRED and each ablation (``{name: result}``) on ``task``: the median error per split with its interval.

    Each ablation's cell also says whether it is apart from the full method's (lower / higher / tied).
    """
    rows = []
    for name, result in {full_label: full, **ablations}.items():
        row = {"variant": name}
        for split in ("same", "harder"):
            s, ref = result.spread(task, "ired", split), full.spread(task, "ired", split)
            if s is None:
                continue
            verdict = "" if result is full or ref is None else f" ({judged(s, ref)})"
            row[split] = median_interval(s.median, s.low, s.high, s.seeds) + verdict
        rows.append(row)
    return pd.DataFrame(rows)


def bound_table(ired: ExperimentResult, looser: ExperimentResult) -> pd.DataFrame:
    """Per task, IRED's error with the training bound on answers and with the looser one (``LOOSER_BOUND``).

    The same weights evaluated twice (:func:`ablation_table`'s cells, one table per task stacked).
    """
    label = f"bound × {LOOSER_BOUND['test_clip_scale']:g}"
    tasks = dict.fromkeys(r.task for r in looser.records)
    frames = [ablation_table(ired, {label: looser}, t, "training bound").assign(task=task_label(t)) for t in tasks]
    return pd.concat(frames, ignore_index=True)[["task", "variant", "same", "harder"]]


def bound_note(ired: ExperimentResult, looser: ExperimentResult, split: str = "harder") -> str:
    """One sentence: how ``split``'s median error moves per task when the bound on answers is loosened."""
    moves = []
    for t in dict.fromkeys(r.task for r in looser.records):
        a, b = ired.spread(t, "ired", split), looser.spread(t, "ired", split)
        if a is not None and b is not None:
            moves.append(f"{task_label(t).lower()} {a.median:.3g} → {b.median:.3g}")
    return (
        f"With the looser bound the {split} error (median over seeds) goes: {'; '.join(moves)}. A lower error "
        "means the training bound had clipped answers the model could reach; a higher one, that the bound had "
        "also kept the descent from straying where the learned landscapes are poor."
        if moves
        else ""
    )
