"""The graph chapter's numbers, tables and prose: Table 1 (left), Fig. 2 and what the chapter adds to them.

Everything here reads the graph experiment's run records (or an experiment's result) and returns
numbers (dataclasses, numeric ``DataFrame``s) or short Markdown built from them at the last step.
:func:`claims` gives the chapter's rows of the summary's verdict table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.claims import LOWEST_AT_PAPER_RULE, Claim, grade, lowest_at_paper
from irem.book.claims import variant_claims as book_variant_claims
from irem.book.notes import basis, budget_note, seed_list
from irem.book.stats import mean_curve, mean_of
from irem.book.tables import standing, styled
from irem.config import TrainConfig
from irem.curves import TRAIN_LOSS
from irem.experiments.graph.experiment import FIG2_NODES, MSE_BY_NODES, VARIANTS
from irem.experiments.results import ExperimentResult
from irem.methods import method_label
from irem.spread import HIGHER, LOWER, TIED, SeedSpread, compare, over_seeds
from irem.store import Record
from irem.tasks import task_label

# the summary's key for IREM's graph records with the test-time step scaled by edges (graph chapter), with the
# recurrent baseline's records at the same profile
SCALED_GRAPH = "graph, test step scaled by edges"


def fig2_ends(records: Sequence[Record], nodes: int) -> tuple[float, float, int]:
    """Fig. 2 at ``nodes`` nodes, mean over ``records``: (error at step 5, error at the last step, last step)."""
    c = mean_curve(records, MSE_BY_NODES, str(nodes))
    return float(c[min(5, len(c) - 1)]), float(c[-1]), len(c) - 1


def error_column(nodes: int, step: int, scaled: bool = False) -> str:
    """The label of a table's column of the error on ``nodes``-node graphs after ``step`` steps."""
    return f"{nodes} nodes, {'scaled λ, ' * scaled}step {step}"


# --- Fig. 2: the chapter's prose ------------------------------------------------------------------


@dataclass(frozen=True)
class Fig2Summary:
    """What the chapter's prose quotes of Fig. 2 (:func:`fig2_summary`)."""

    nodes: int  # the graph size
    steps: int  # the last step
    tasks: dict[str, str]  # per task: IREM's error after step 5 → after the last step, medians with intervals
    verdict: str  # "on edge copy it rises with more steps ...; ..."


STEP_WORDS = {LOWER: "falls", HIGHER: "rises", TIED: "does not move beyond the spread between seeds"}
BASELINE_WORDS = {LOWER: "below", HIGHER: "above", TIED: "not apart from"}


def fig2_summary(records: Sequence[Record], tasks: Sequence[str], nodes: int) -> Fig2Summary | None:
    """IREM's error at step 5 and at the last step on graphs of ``nodes`` nodes, per task (None without it).

    The same medians over seeds, intervals and rule as the summary's Fig. 2 verdict (:func:`fig2_cases`):
    "falls" or "rises" only where the two intervals separate. Where ``records`` hold the recurrent
    baseline too, each task's verdict says whether IREM ends below it, by the same rule.
    """
    cases = fig2_cases(records, nodes, tasks)
    if not cases:
        return None
    verdicts = []
    for c in cases:
        verdict = f"on {task_label(c.task).lower()} it {STEP_WORDS[compare(c.last, c.step5)]} with more steps"
        if c.recurrent is not None:
            verdict += f" and ends {BASELINE_WORDS[compare(c.last, c.recurrent)]} the recurrent baseline's "
            verdict += c.recurrent.brief()
        verdicts.append(verdict)
    errors = {c.task: f"{c.step5.brief()} → {c.last.brief()}" for c in cases}
    return Fig2Summary(nodes, cases[0].steps, errors, "; ".join(verdicts))


def fig2_glue(summary: Fig2Summary | None) -> dict[str, object]:
    """The glue keys of the chapter's prose: ``fig2_<field>`` and ``<task>_fig2`` (none without a summary)."""
    if summary is None:
        return {}
    errors = {f"{task}_fig2": text for task, text in summary.tasks.items()}
    return {"fig2_steps": summary.steps, **errors, "fig2_nodes": summary.nodes, "fig2_verdict": summary.verdict}


# --- Fig. 2: the claim ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fig2Case:
    """One task's case of Fig. 2's claim: IREM's errors over seeds, and the recurrent baseline's last one."""

    task: str
    step5: SeedSpread  # IREM's error after step 5 (the training step count)
    last: SeedSpread  # IREM's error after its last step
    steps: int  # IREM's last step
    recurrent: SeedSpread | None  # the recurrent baseline's error after its last step (None without its records)

    @property
    def holds(self) -> bool:
        """More steps lower IREM's error, to below the recurrent baseline's: each where the intervals separate."""
        return (compare(self.last, self.step5) == LOWER and self.recurrent is not None
                and compare(self.last, self.recurrent) == LOWER)  # fmt: skip


def seed_errors(records: Sequence[Record], nodes: int) -> tuple[list[float], list[float], int]:
    """Fig. 2 at ``nodes`` nodes, each seed's: (errors after step 5, errors after the last step, the last step)."""
    curves = [r.curves[MSE_BY_NODES][str(nodes)] for r in records]
    steps = min(len(c) for c in curves) - 1
    return [c[min(5, steps)] for c in curves], [c[steps] for c in curves], steps


def seed_ends(records: Sequence[Record], nodes: int) -> tuple[SeedSpread, SeedSpread, int]:
    """:func:`seed_errors` over seeds: (error after step 5, after the last step, the last step) as SeedSpreads."""
    step5, last, steps = seed_errors(records, nodes)
    return over_seeds(step5), over_seeds(last), steps


def fig2_cases(records: Sequence[Record], nodes: int, tasks: Sequence[str]) -> list[Fig2Case]:
    """Fig. 2's claim at ``nodes`` nodes for each of ``tasks`` with IREM records."""
    cases = []
    for t in tasks:
        irem = [r for r in records if r.task == t and r.method == "irem"]
        rec = [r for r in records if r.task == t and r.method == "recurrent"]
        if irem:
            cases.append(Fig2Case(t, *seed_ends(irem, nodes), seed_ends(rec, nodes)[1] if rec else None))
    return cases


def _spread(s: SeedSpread | None) -> str:
    """The median and its interval over seeds (:meth:`SeedSpread.brief`); "not run" without records."""
    return "not run" if s is None else s.brief()


def _fig2_words(cases: Sequence[Fig2Case]) -> tuple[str, str]:
    """(head, cases) of :func:`fig2_verdict`'s sentence: "step 5 → 80", "edge copy 9.1 → 3.7 (recurrent 0.33); ..."."""
    one = len({c.steps for c in cases}) <= 1  # tasks at different profiles run different step budgets
    head = f"step 5 → {cases[0].steps if cases else 0}" if one else "step 5 → the last"
    parts = [f"{task_label(c.task).lower()} {_spread(c.step5)} → {_spread(c.last)}"
             f"{'' if one else f' after {c.steps}'} (recurrent {_spread(c.recurrent)})"
             for c in cases]  # fmt: skip
    return head, "; ".join(parts)


def fig2_verdict(records: Sequence[Record], nodes: int, tasks: Sequence[str]) -> tuple[str, str]:
    """(ours, verdict) for "on graphs larger than in training, more steps lower IREM's error, below the recurrent's"."""
    cases = fig2_cases(records, nodes, tasks)
    head, parts = _fig2_words(cases)
    return f"IREM at {nodes} nodes, {head}: " + parts, grade(sum(c.holds for c in cases), len(cases))


# --- the summary's verdict table ------------------------------------------------------------------

TABLE1_CLAIM = "Table 1 (left): IREM has the lowest error on every graph task (10 and 15 nodes), at the paper's errors"
FIG2_CLAIM = "Fig. 2: on graphs larger than in training, more steps lower IREM's error, below the recurrent baseline's"
FIG2_PAPER = "falls with steps; below the recurrent baseline"
FIG2_RULE = ("per task: IREM's error after the last step below that after step 5, and below the recurrent baseline's, "
             "each where the 95 % intervals of the medians over seeds separate")  # fmt: skip


def table1_claim(graph: ExperimentResult) -> Claim:
    """Table 1 (left): IREM lowest on every row, at the paper's errors."""
    return Claim(10, TABLE1_CLAIM, *lowest_at_paper(graph.table()), basis(graph), LOWEST_AT_PAPER_RULE)


def fig2_claim(graph: ExperimentResult, scaled: ExperimentResult | None = None,
               explain: Callable[[Sequence[str], str], str] | None = None) -> Claim:  # fmt: skip
    """Fig. 2 on the largest graphs; ``scaled``: also with the test-time step size scaled by edges (beyond the paper).

    ``explain(tasks, level)``: the clause on why, from another chapter's records (the summary's
    ``irem.experiments.difficulty.analysis.minimum_why``). It and the scaled step size's numbers
    go into the claim's note, below the verdict table.
    """
    nodes = max(FIG2_NODES)
    tasks = list(dict.fromkeys(r.task for r in graph.records))
    ours, verdict = fig2_verdict(graph.records, nodes, tasks)
    notes = [explain(tasks, str(nodes)).removeprefix("; ")] if explain is not None else []
    if scaled is not None:  # the chapter's fix, beyond the paper; the verdict stays the chapter's
        cases = fig2_cases(scaled.records, nodes, tasks)
        notes.append(
            f"with the test-time step size scaled by edges (beyond the paper; {scaled.profile}): "
            f"{_fig2_words(cases)[1]}; by this row's rule, {grade(sum(c.holds for c in cases), len(cases))}"
        )
    return Claim(30, FIG2_CLAIM, FIG2_PAPER, ours, verdict, basis(graph), FIG2_RULE, "; ".join(notes))


def claims(results: Mapping[str, ExperimentResult],
           explain: Callable[[Sequence[str], str], str] | None = None) -> list[Claim]:  # fmt: skip
    """The chapter's rows of the verdict table: Table 1 (left) and Fig. 2 (none without graph records).

    ``results[SCALED_GRAPH]``, where present, adds Fig. 2 with the scaled step size; ``explain``: see
    :func:`fig2_claim`. Each of ``VARIANTS`` in ``results`` adds its own Table 1 and Fig. 2 rows.
    """
    graph = results.get("graph")
    if graph is None:
        return []
    return [table1_claim(graph), fig2_claim(graph, results.get(SCALED_GRAPH), explain), *variant_claims(graph, results)]


def variant_claims(graph: ExperimentResult, results: Mapping[str, ExperimentResult]) -> list[Claim]:
    """Table 1 (left) and Fig. 2 again for each of ``VARIANTS`` in ``results``, by the same rules."""
    return book_variant_claims(graph, results, VARIANTS, (table1_claim, fig2_claim))


# --- the chapter's sections beyond the paper -------------------------------------------------------


def baselines_standing(result: ExperimentResult, methods: Sequence[str]) -> str:
    """How long the runs trained, then each baseline of ``methods`` against the paper (Markdown)."""
    table = result.table()
    return budget_note(result) + "\n\n" + "\n".join(standing(table, m) for m in methods if m != "irem")


def failed_paper_baselines(table: pd.DataFrame, split: str = "harder") -> str:
    """The paper's baselines on ``split`` above the label variance (worse than answering the mean), beside ours.

    Where ours stay below it, those baselines failed in the paper and not here: part of the paper's
    margin for IREM came from them. Empty text where the paper has no such row.
    """
    rows = table[(table.split == split) & (table.method != "irem") & (table.paper > table.label_variance)]
    if rows.empty:
        return ""

    def named(r) -> str:
        return f"{method_label(r.method)} on {task_label(r.task).lower()}"

    cases = "; ".join(f"{named(r)} {r.paper:.4f} (ours {r.ours:.4f})" for r in rows.itertuples())
    only_paper = [named(r) for r in rows.itertuples() if r.ours < r.label_variance]
    return (
        f"**Where the paper's baselines failed.** At 15 nodes, {len(rows)} of the paper's baseline errors lie above "
        f"the label variance of our test graphs (the error of always answering the mean edge value): {cases}. Ours "
        f"stay below it on {len(only_paper)} of them ({', '.join(only_paper) or 'none'}): there the baselines failed "
        "in the paper and not here, so that part of the paper's margin for IREM at 15 nodes came from failed baselines."
    )


def irem_variants(variants: Mapping[str, Sequence[Record]], nodes: int, column: str) -> pd.DataFrame:
    """IREM graph records of each variant (``column`` names them), per task: Table 1's and Fig. 2's errors."""
    rows = []
    for name, recs in variants.items():
        for task, g in _irem_by_task(recs).items():
            step5, last, steps = fig2_ends(g, nodes)
            rows.append({"task": task_label(task), column: name, "parameters": g[0].parameters,
                         "final training loss": mean_of(g, lambda r: r.curves[TRAIN_LOSS][-1][1]),
                         "10 nodes": mean_of(g, lambda r: r.metrics["same"]["mse"]),
                         "15 nodes": mean_of(g, lambda r: r.metrics["harder"]["mse"]),
                         error_column(nodes, 5): step5, error_column(nodes, steps): last,
                         "seeds": len(g)})  # fmt: skip
    return pd.DataFrame(rows).sort_values("task", kind="stable").reset_index(drop=True)


def _irem_by_task(records: Sequence[Record]) -> dict[str, list[Record]]:
    """The IREM records of each task, in order of first appearance (tasks without IREM left out)."""
    tasks = dict.fromkeys(r.task for r in records)
    by_task = {t: [r for r in records if r.task == t and r.method == "irem"] for t in tasks}
    return {t: g for t, g in by_task.items() if g}


def step_rule_table(base: Sequence[Record], scaled: Sequence[Record], nodes: int) -> pd.DataFrame:
    """IREM with the training step size and with the one scaled by edges (same architecture and recipe)."""
    return irem_variants({"training λ": base, "scaled by edges": scaled}, nodes=nodes, column="test step size")


def styled_step_rules(variants: pd.DataFrame) -> Styler:
    """:func:`step_rule_table` for the book (one trained model: no parameters or training loss)."""
    return styled(variants.drop(columns=["parameters", "final training loss"]))


def step_rule_note(variants: pd.DataFrame) -> str:
    """A note where the two rules differ at 10 nodes, where the rule changes nothing ("" where they agree)."""
    if not variants.groupby("task")["10 nodes"].nunique().gt(1).any():
        return ""
    return ("At 10 nodes, where the rule changes nothing, the two rows differ: they average other seeds, or some "
            "scaled runs evaluated separately trained models.")  # fmt: skip


def scaled_prose(scaled: ExperimentResult, recurrent: ExperimentResult, nodes: int, tasks: Sequence[str]) -> str:
    """The caption of Fig. 2 with the scaled step size, and Fig. 2's claim with it (Markdown)."""
    ours, verdict = fig2_verdict(scaled.records + recurrent.records, nodes, tasks)
    return (
        f"*Figure 2 for IREM with the test-time step size scaled by edges ({scaled.profile} profile, seeds "
        f"{seed_list(scaled.records)}; several: their mean): test "
        "MSE against reasoning steps on graphs of 5 to 30 nodes, one line per size.*\n\n"
        f"With the scaled step size, {ours}. Figure 2's claim (per task, the error after the last step below that "
        f"after step 5 and below the recurrent baseline's): **{verdict}** with this rule."
    )


def scaled_standing(result: ExperimentResult, scaled: ExperimentResult) -> str:
    """Table 1's 15-node split with IREM's scaled step size, the other methods as in Table 1 ("" at another profile)."""
    if result.profile != scaled.profile:
        return ""
    others = [r for r in result.records if r.method != "irem"]
    rows = replace(result, records=others + scaled.records).table()
    return ("Table 1's 15-node split with this rule for IREM (the other methods as in Table 1; at 10 "
            "nodes the rule changes nothing):\n\n" + standing(rows[rows.split == "harder"]))  # fmt: skip


@dataclass(frozen=True)
class EnergyVerdict:
    """How often the release's graph energy has the lower error than ours (:func:`energy_verdict`)."""

    energy_rows: int  # errors compared: each task at 10 nodes, at 15 nodes, and at the largest after the last step
    release_lower: int  # of which the release's energy has the lower
    energy_default: str  # the library's default energy


def energy_comparison(ours: Sequence[Record], release: Sequence[Record], nodes: int) -> pd.DataFrame:
    """IREM with our graph energy and with the release's, per task: Table 1's errors and Fig. 2's at ``nodes``."""
    return irem_variants({"ours": ours, "release": release}, nodes, "energy")


def energy_verdict(ours: Sequence[Record], release: Sequence[Record], nodes: int) -> EnergyVerdict:
    """Per task in both: Table 1's errors and Fig. 2's after the last step, the release's against ours."""
    comparison = energy_comparison(ours, release, nodes)
    groups = [g for recs in (ours, release) for g in _irem_by_task(recs).values()]
    last = {fig2_ends(g, nodes)[2] for g in groups} - {5}  # each group's last step (step 5 is not a final error)
    errors = ["10 nodes", "15 nodes", *(error_column(nodes, step) for step in sorted(last))]
    mine = comparison[comparison.energy == "ours"].set_index("task")[errors]
    theirs = comparison[comparison.energy == "release"].set_index("task")[errors]
    both = mine.index.intersection(theirs.index)
    lower = int((theirs.loc[both] < mine.loc[both]).to_numpy().sum())
    return EnergyVerdict(mine.loc[both].size, lower, TrainConfig.graph_energy)


def styled_energy_comparison(ours: Sequence[Record], release: Sequence[Record], nodes: int) -> Styler:
    """:func:`energy_comparison` for the book."""
    return styled(energy_comparison(ours, release, nodes), {"parameters": "{:,}"})


def energy_prose(ours: Sequence[Record], release: ExperimentResult, nodes: int) -> str:
    """What :func:`energy_comparison` shows, in words (Markdown)."""
    v = energy_verdict(ours, release.records, nodes)
    return (
        f"Both energies at the {release.profile} profile, seed(s) {seed_list(release.records)}. Of the "
        f"{v.energy_rows} errors in the table (each task at 10 nodes, at 15 nodes, and at the largest size "
        f"after the last step), the release's energy has the lower one on {v.release_lower}; the final training "
        "loss column says how far each energy got in training with the same recipe. The rest of this chapter uses "
        f'`graph_energy="{v.energy_default}"`, the library\'s default, chosen from this comparison.'
    )


# --- the worked example -------------------------------------------------------------------------------


def example_record(records: Sequence[Record]) -> Record | None:
    """The record whose worked example the chapter shows: IREM on shortest path, seed 0 (None without it)."""
    return next((r for r in records if r.task == "shortest_path" and r.method == "irem" and r.seed == 0), None)
