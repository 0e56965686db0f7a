"""The ablations chapter in numbers and words: Table 2 and Table 3, and their claims (test-time steps: ``reasoning``).

Table 2 (shortest path) and Table 3 (addition) each share one row with another chapter: the full
method is the graph chapter's IREM, the λ = 100 model the continuous chapter's. Those chapters'
models at the table's profile (:func:`shared_row_seeds`) give the spread between seeds that each
table's differences are read against; they arrive as arguments, never read from those chapters.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.claims import NOT_REPRODUCED, PARTLY, REPRODUCED, Claim, grade, task_part
from irem.book.notes import basis, retrained_note, trained_model
from irem.book.stats import mean_and_std, mean_of
from irem.book.tables import merge_std, spread_cell, styled
from irem.experiments import paper
from irem.experiments.ablations.experiment import TABLE2_TASK, TABLE2_VARIANTS, TABLE3_TASK
from irem.experiments.results import ExperimentResult
from irem.spread import HIGHER, LOWER, TIED, compare, over_finite
from irem.store import Record


def present(summary) -> dict:
    """A summary dataclass's fields that hold a value, by name (``None``: the records cannot say): the glue keys."""
    return {name: value for name, value in asdict(summary).items() if value is not None}


def table_profile(records: Sequence[Record], task: str) -> str | None:
    """The profile of the table on ``task`` (its records'), or ``None`` without them."""
    return next((r.profile for r in records if r.task == task), None)


def shared_row_seeds(ablations: ExperimentResult, home: ExperimentResult | None, task: str) -> list[Record]:
    """The models another chapter trained for the row it shares with the table on ``task``, at the table's profile.

    Table 2's full method (replay and truncation) is the graph chapter's IREM on shortest path
    (``home``: the graph result), Table 3's λ = 100 row the continuous chapter's IREM on addition
    (``home``: the continuous result). None where ``home`` is missing or holds another profile.
    """
    profile = table_profile(ablations.records, task)
    home_records = home.records if home is not None else []
    return [r for r in home_records if r.task == task and r.method == "irem" and r.profile == profile]


# --- Table 2: replay buffer and truncated backpropagation ------------------------------------------


def _table2_records(records: Sequence[Record]) -> list[Record]:
    """This table's runs: shortest path, with the training cost measured."""
    return [r for r in records if r.training_cost is not None and "replay" in r.train and r.task == TABLE2_TASK]


ERROR_COLUMNS = (("same", "MSE 10 nodes"), ("harder", "MSE 15 nodes"))  # a split, and its column in Table 2


def _variant(r: Record) -> tuple[bool, bool]:
    """A Table 2 run's (replay buffer, truncated gradient)."""
    return r.train["replay"], r.train["truncate"]


def table2(records: Sequence[Record], seed_records: Sequence[Record] = ()) -> pd.DataFrame:
    """Table 2: each (replay, truncation) variant on shortest path, ours beside the paper's.

    ``MSE 10 nodes`` and ``MSE 15 nodes`` hold the test errors over the variant's trained models as
    a :class:`SeedSpread` (every model's, the median and its 95 % interval): on graphs larger than
    the training ones, trainings of one configuration differ by more than the variants do. The full
    method's models are this table's and ``seed_records`` (the graph chapter's models of it,
    :func:`shared_row_seeds`), each trained model once (a seed retrained elsewhere counts again;
    :func:`table2_spread_note` names it). Speed and memory are means over this table's runs, each
    measured alike (``irem.measure.training_cost``), and also relative to the full method's.
    """
    recs = _table2_records(records)
    full = [r for r in recs if _variant(r) == (True, True)]
    full_speed = mean_of(full, lambda r: r.training_cost["iters_per_s"])
    full_mem = mean_of(full, lambda r: r.training_cost["peak_memory_mb"])
    rows = []
    for replay, truncate in TABLE2_VARIANTS:
        g = [r for r in recs if _variant(r) == (replay, truncate)]
        if not g:
            continue
        full_method = (replay, truncate) == (True, True)
        models = list({trained_model(r): r for r in [*seed_records, *g]}.values()) if full_method else g
        speed = mean_of(g, lambda r: r.training_cost["iters_per_s"])
        memory = mean_of(g, lambda r: r.training_cost["peak_memory_mb"])
        p = paper.TABLE2[(replay, truncate)]
        rows.append({
            "replay buffer": "yes" if replay else "no", "truncated gradient": "yes" if truncate else "no",
            **{col: over_finite([r.metrics[split]["mse"] for r in models]) for split, col in ERROR_COLUMNS},
            "paper MSE": p[0],
            "it/s": speed, "speed": speed / full_speed, "paper speed": p[1],
            "peak MB": memory, "memory": memory / full_mem if full_mem else math.nan, "paper memory": p[2],
            "seeds": len(models),
        })  # fmt: skip
    return pd.DataFrame(rows)


def styled_table2(records: Sequence[Record], seed_records: Sequence[Record] = ()) -> Styler:
    """Table 2 for the book: each error as the median over trained models with its 95 % interval.

    Speed and memory relative to the full method only, as the paper gives them (the absolute ones,
    ``it/s`` and ``peak MB``, are :func:`table2`'s): the column has no room for both.
    """
    table = table2(records, seed_records).drop(columns=["it/s", "peak MB"], errors="ignore")
    for _, col in ERROR_COLUMNS:
        table[col] = [spread_cell(s) for s in table[col]] if len(table) else []
    formats = {"paper MSE": "{:.4f}", "speed": "{:.0%}", "paper speed": "{:.0%}", "memory": "{:.0%}",
               "paper memory": "{:.0%}"}  # fmt: skip
    return styled(table, formats)


def summary_table2(results: Mapping[str, ExperimentResult]) -> Styler:
    """Table 2 as the summary shows it: the ablations' runs, the graph chapter's models in the full method's row."""
    ablations = results["ablations"]
    return styled_table2(ablations.records, shared_row_seeds(ablations, results.get("graph"), TABLE2_TASK))


SPREAD_WORDS = {LOWER: "below", HIGHER: "above", TIED: "tied with"}  # a compare() verdict, in Table 2's prose


@dataclass
class Table2Summary:
    """What Table 2's prose quotes (its glue keys); ``None`` where the variants it needs are not stored.

    Memory and speed without truncation relative to the full method; without truncation, replay's
    error "below", "above" or "tied with" the error without it at 10 (15) nodes, where their 95 %
    intervals over trained models separate (else tied), and both errors as "median [interval]"; at
    15 nodes the full method's error against the variant with neither replay nor truncation, alike.
    ``full_models``: how many trained models the full method's errors rest on.
    """

    mem_ratio: float | None = None
    speed_ratio: float | None = None
    full_models: int | None = None
    replay_verdict: str | None = None
    mse_no_replay: str | None = None
    mse_replay: str | None = None
    replay_verdict15: str | None = None
    mse15_no_replay: str | None = None
    mse15_replay: str | None = None
    full_vs_bare: str | None = None
    mse15_bare: str | None = None
    mse15_full: str | None = None

    def replay_lowers(self) -> list[bool]:
        """At 10 and at 15 nodes: replay's error below the error without it (the intervals apart)."""
        return [v == SPREAD_WORDS[LOWER] for v in (self.replay_verdict, self.replay_verdict15)]


def summarize_table2(records: Sequence[Record], seed_records: Sequence[Record] = ()) -> Table2Summary:
    """What truncation saves (memory and speed ratios without it), and what replay does without truncation.

    ``seed_records``: the graph chapter's models of the full method (replay and truncation) at the
    same profile (:func:`shared_row_seeds`), pooled with this table's (:func:`table2`).
    """
    t2 = table2(records, seed_records)
    t2 = t2.set_index(["replay buffer", "truncated gradient"]) if len(t2) else t2  # empty: no shortest path
    out: dict = {}
    if ("yes", "yes") in t2.index:
        out["full_models"] = int(t2.loc[("yes", "yes"), "seeds"])
        if ("yes", "no") in t2.index:
            no_truncation = t2.loc[("yes", "no")]
            out.update(mem_ratio=float(no_truncation["memory"]), speed_ratio=float(no_truncation["speed"]))
    comparisons = (  # the verdict's glue key, the column, a row and the row it is read against, their errors' keys
        ("replay_verdict", "MSE 10 nodes", ("yes", "no"), ("no", "no"), "mse_replay", "mse_no_replay"),
        ("replay_verdict15", "MSE 15 nodes", ("yes", "no"), ("no", "no"), "mse15_replay", "mse15_no_replay"),
        ("full_vs_bare", "MSE 15 nodes", ("yes", "yes"), ("no", "no"), "mse15_full", "mse15_bare"),
    )
    for verdict, col, row, other, row_key, other_key in comparisons:
        if row in t2.index and other in t2.index:
            a, b = t2.loc[row, col], t2.loc[other, col]
            if a is not None and b is not None:
                out.update({verdict: SPREAD_WORDS[compare(a, b)], row_key: spread_cell(a), other_key: spread_cell(b)})
    return Table2Summary(**out)


ROW_NAMES = {  # Table 2's rows, by (replay buffer, truncated gradient)
    ("no", "no"): "neither replay nor truncation",
    ("yes", "no"): "replay without truncation",
    ("yes", "yes"): "the full method: the graph chapter's IREM models and this table's, each once",
}


def table2_spread_note(records: Sequence[Record], seed_records: Sequence[Record]) -> str:
    """How many trained models each row of :func:`table2` rests on, and the rule its comparisons follow (Markdown)."""
    t2 = table2(records, seed_records)
    if not len(t2):
        return ""
    counts = "; ".join(f"{n} ({ROW_NAMES[(r, t)]})" for r, t, n in zip(t2["replay buffer"], t2["truncated gradient"],
                                                                      t2["seeds"]))  # fmt: skip
    return (
        f"Trained models per row: {counts}. A row is below or above another only where the 95 % intervals of their "
        "medians separate; else they are tied, whatever the medians: on graphs larger than the training ones, "
        "trainings of one configuration differ by more than the variants do."
        + " "
        + retrained_note(records, seed_records, "the graph chapter (same: 10 nodes, harder: 15)")
    ).strip()


# --- Table 3: the training step size ---------------------------------------------------------------


def table3(records: Sequence[Record]) -> pd.DataFrame:
    """Table 3: IREM on addition trained with each step size lambda, ours (mean, std over seeds) beside the paper's."""
    recs = [r for r in records if r.task == TABLE3_TASK]
    rows = []
    for lam in sorted({r.train["step_size"] for r in recs}):
        g = [r for r in recs if r.train["step_size"] == lam]
        p = paper.TABLE3.get(lam, (float("nan"), float("nan")))
        row: dict = {"λ": lam}
        for i, split in enumerate(("same", "harder")):
            row |= mean_and_std(f"{split}: ours", [r.metrics[split]["mse"] for r in g]) | {f"{split}: paper": p[i]}
        rows.append(row | {"halting step (same)": mean_of(g, lambda r: r.metrics["same"]["mean_halt_step"]),
                           "seeds": len(g)})  # fmt: skip
    return pd.DataFrame(rows)


def styled_table3(records: Sequence[Record]) -> Styler:
    """Table 3 for the book: ours as mean ± std where a step size has several seeds."""
    formats = {"λ": "{:g}", "same: paper": "{:.4f}", "harder: paper": "{:.4f}", "halting step (same)": "{:.1f}"}
    return styled(merge_std(table3(records), digits=5), formats)


def _seed_ratio(records: Sequence[Record]) -> tuple[float, int]:
    """The largest max/min of the error (same split) across seeds of one step size, and the most seeds of one.

    NaN where no step size has two seeds. One model stored twice (in two chapters) counts once; a
    retraining of a seed (another training curve: see :func:`trained_model`) counts as another model.
    """
    by_lam: dict[float, dict[tuple, float]] = defaultdict(dict)
    for r in records:
        by_lam[r.train["step_size"]][trained_model(r)] = r.metrics["same"]["mse"]
    ratios = [max(m.values()) / min(m.values()) for m in by_lam.values() if len(m) > 1]
    return (max(ratios) if ratios else float("nan")), max((len(m) for m in by_lam.values()), default=0)


@dataclass
class Table3Summary:
    """Table 3's spread across step sizes (what its prose quotes), and the spread between seeds of one step size.

    The lowest and highest mean error across λ on each split, their ratio (same: problems like the
    training ones) and the λ of each; the paper's ratio and range; the fewest seeds of one λ in the
    table; the largest max/min of the error across the trained models of one λ (``seed_ratio``, NaN
    with one each), the most models of one λ (``seeds``), and whether ``same_ratio`` "exceeds" it
    (``vs_seeds``: or "does not exceed"; "unknown" with one model of each λ).
    """

    same_min: float
    same_max: float
    same_ratio: float
    harder_min: float
    harder_max: float
    best_lam: float
    worst_lam: float
    paper_ratio: float
    profile: str
    paper_same: tuple[float, float]
    paper_harder: tuple[float, float]
    table_seeds: int
    seed_ratio: float
    seeds: int
    vs_seeds: str


def summarize_table3(records: Sequence[Record], seed_records: Sequence[Record] = ()) -> Table3Summary | None:
    """Table 3's spread across step sizes, against the spread between seeds of one step size.

    ``seed_records``: more seeds of the lambda = 100 model at the same profile (:func:`shared_row_seeds`
    of the continuous chapter), or none; with Table 3's own seeds they give the spread between seeds.
    ``None`` where fewer than two step sizes are stored (no spread to speak of).
    """
    t3 = table3(records)
    if len(t3) < 2:
        return None
    same, harder = t3["same: ours"], t3["harder: ours"]
    paper_same, paper_harder = ([p[i] for p in paper.TABLE3.values()] for i in (0, 1))
    addition = [r for r in records if r.task == TABLE3_TASK]
    seed_ratio, seeds = _seed_ratio([*seed_records, *addition])
    if seeds > 1:
        vs_seeds = "exceeds" if float(same.max() / same.min()) > seed_ratio else "does not exceed"
    else:  # no spread to compare with
        vs_seeds = "unknown"
    return Table3Summary(
        same_min=float(same.min()), same_max=float(same.max()), same_ratio=float(same.max() / same.min()),
        harder_min=float(harder.min()), harder_max=float(harder.max()),
        best_lam=float(t3.loc[same.idxmin(), "λ"]), worst_lam=float(t3.loc[same.idxmax(), "λ"]),
        paper_ratio=max(paper_same) / min(paper_same), profile=addition[0].profile,
        paper_same=(min(paper_same), max(paper_same)), paper_harder=(min(paper_harder), max(paper_harder)),
        table_seeds=int(t3["seeds"].min()), seed_ratio=seed_ratio, seeds=seeds, vs_seeds=vs_seeds,
    )  # fmt: skip


def table3_prose(s: Table3Summary) -> str:
    """Table 3's spread across step sizes beside the paper's, and against the spread between seeds (Markdown)."""
    spread = (f"Between trained models of one step size (up to {s.seeds} at this profile: its seeds, and for "
              "λ = 100 also the continuous chapter's models, which are other trainings of the same seeds), the error "
              f"varies by up to a factor of {s.seed_ratio:.2f}: "
              f"the spread across step sizes {s.vs_seeds} the spread between seeds." if s.seeds > 1 else
              "Only one seed of each step size is stored at this profile, so whether the spread across step sizes "
              "exceeds the spread between seeds is not known here.")  # fmt: skip
    return (
        f"At the {s.profile} profile (at least {s.table_seeds} seed{'s' * (s.table_seeds > 1)} per step size), the "
        "error on problems like the training ones ranges from "
        f"{s.same_min:.5f} (λ = {s.best_lam:g}) to {s.same_max:.5f} (λ = {s.worst_lam:g}) "
        f"across the step sizes, a factor of {s.same_ratio:.2f} (the paper's: {s.paper_ratio:.2f}, "
        f"{s.paper_same[0]:g} to {s.paper_same[1]:g}); on the harder problems from {s.harder_min:.5f} to "
        f"{s.harder_max:.5f} (the paper's: {s.paper_harder[0]:g} to {s.paper_harder[1]:g}). " + spread
    )


# --- the summary's verdicts ------------------------------------------------------------------------


def claims(results: Mapping[str, ExperimentResult]) -> list[Claim]:
    """Table 2's and Table 3's claims, judged on the ablations' records (none without them).

    ``results`` maps experiment names to results (the summary's): ``"ablations"``, and where
    stored ``"graph"`` and ``"continuous"``, whose models of the tables' shared rows widen the
    spread between seeds (:func:`shared_row_seeds`).
    """
    ablations = results.get("ablations")
    if ablations is None:
        return []
    found = (_table2_claim(ablations, results.get("graph")), _table3_claim(ablations, results.get("continuous")))
    return [c for c in found if c is not None]


def _table2_claim(ablations: ExperimentResult, graph: ExperimentResult | None) -> Claim | None:
    """Truncation cuts training memory and replay lowers the error; ``None`` without the three variants it reads."""
    t2 = summarize_table2(ablations.records, shared_row_seeds(ablations, graph, TABLE2_TASK))
    if t2.mem_ratio is None or t2.replay_verdict is None:
        return None
    lowers = sum(t2.replay_lowers())
    joined = f"; the full method {t2.full_models} trained models" if t2.full_models > 1 else ""  # the graph's too
    p = paper.TABLE2
    return Claim(
        order=70,
        claim="Table 2: truncation cuts training memory; the replay buffer lowers the error",
        paper=f"memory {p[(True, False)][2]:g}× without truncation; replay {p[(False, False)][0]:g} → "
        f"{p[(True, False)][0]:g}",
        ours=f"memory {t2.mem_ratio:.2f}× without truncation; without truncation, replay's error below the error "
        f"without it at {lowers} of 2 sizes (10 nodes: {t2.mse_replay} with replay, {t2.replay_verdict} "
        f"{t2.mse_no_replay} without; 15 nodes: {t2.mse15_replay}, {t2.replay_verdict15} {t2.mse15_no_replay})",
        verdict=grade(int(t2.mem_ratio > 2) + lowers, 3),
        rests_on=basis(task_part(ablations, TABLE2_TASK)) + joined,
        rule="memory above 2× without truncation, and replay's error below the error without it at 10 and at 15 "
        "nodes: the 95 % intervals of the medians over trained models apart",
    )


def _table3_claim(ablations: ExperimentResult, continuous: ExperimentResult | None) -> Claim | None:
    """IREM is insensitive to the training step size; ``None`` with fewer than two step sizes stored."""
    t3 = summarize_table3(ablations.records, shared_row_seeds(ablations, continuous, TABLE3_TASK))
    if t3 is None:
        return None
    bar = max(1.5, t3.seed_ratio) if t3.seeds > 1 else 1.5  # the spread between seeds, where known and wider
    between = f"; up to {t3.seed_ratio:.1f}× between {t3.seeds} trained models of one λ" * (t3.seeds > 1)
    spread = t3.same_ratio
    return Claim(
        order=80,
        claim="Table 3: IREM is insensitive to the training step size λ from 10 to 1000",
        paper=f"{t3.paper_same[0]:g}-{t3.paper_same[1]:g} (same) for every λ",
        ours=f"{t3.same_min:.5f}-{t3.same_max:.5f} (a {spread:.1f}× spread{between})",
        verdict=REPRODUCED if spread <= bar else PARTLY if spread <= 3 else NOT_REPRODUCED,
        rests_on=basis(task_part(ablations, TABLE3_TASK)),
        rule="largest over smallest error: up to 1.5×, or up to the spread between trained models of one λ, "
        "reproduced; up to 3× partly",
    )
