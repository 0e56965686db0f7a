"""The graph chapter's analysis, prose, claims and figures, on small hand-made records with known answers."""

import math
from dataclasses import replace
from functools import partial

import pandas as pd
import pytest
from conftest import fake_record, splits

from irem import experiments, store, summary
from irem.book.claims import claim_rules, claims_table, verdict_grid, with_and_without_variants
from irem.book.stats import mean_curve
from irem.experiments.difficulty.analysis import minimum_why
from irem.experiments.graph import analysis, figures, lengths
from irem.store import Record
from irem.tasks import task_label


def record(task="shortest_path", method="irem", seed=0, **kw) -> Record:
    return fake_record("graph", task, method, seed, **kw)


def test_fig2_summary_reads_medians_with_intervals_and_mean_curve_diverged_steps():
    curves = {"mse_by_step_by_nodes": {"30": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.2]}}
    twin = {"mse_by_step_by_nodes": {"30": [1.0, 0.9, 0.8, 0.7, 0.6, 0.7, 0.4, None]}}  # longer; null = diverged
    recs = [record("edge_copy", curves=curves), record("edge_copy", seed=1, curves=twin)]
    assert list(mean_curve(recs, "mse_by_step_by_nodes", "30")) == pytest.approx([1, 0.9, 0.8, 0.7, 0.6, 0.6, 0.3])
    summary = analysis.fig2_glue(analysis.fig2_summary(recs, ["edge_copy", "shortest_path"], nodes=30))
    # medians over the two seeds, each with its interval (spanning the two seeds' values): apart, so "falls"
    assert summary["edge_copy_fig2"] == "0.6 [0.5, 0.7] → 0.3 [0.2, 0.4]" and summary["fig2_steps"] == 6
    assert summary["fig2_verdict"] == "on edge copy it falls with more steps"
    assert list(summary) == ["fig2_steps", "edge_copy_fig2", "fig2_nodes", "fig2_verdict"]
    assert analysis.fig2_summary(recs, ["shortest_path"], nodes=30) is None  # no IREM records there
    assert analysis.fig2_glue(None) == {}
    spread = [
        record("edge_copy", seed=s, curves={"mse_by_step_by_nodes": {"30": [1.0] * 6 + [0.1 + s]}}) for s in range(3)
    ]  # one seed's error ten times another's: the interval spans step 5's
    rec = record("edge_copy", method="recurrent", curves={"mse_by_step_by_nodes": {"30": [0.5, 0.25]}})
    verdict = analysis.fig2_summary([*spread, rec], ["edge_copy"], nodes=30).verdict
    assert verdict == ("on edge copy it does not move beyond the spread between seeds with more steps and ends not "
                       "apart from the recurrent baseline's 0.25")  # fmt: skip
    one = record("edge_copy", curves={"mse_by_step_by_nodes": {"30": [1.0, None]}})
    assert math.isnan(mean_curve([one], "mse_by_step_by_nodes", "30")[1])


def test_training_length_note_compares_two_profiles_of_figure_2():
    def rec(method, iterations, curve, same):
        r = record("edge_copy", method, train={"iterations": iterations}, metrics={"same": {"mse": same}},
                   curves={"mse_by_step_by_nodes": {"30": curve}})  # fmt: skip
        r.config["eval"].update(test_problems=200, test_steps=6)
        return r

    short = [rec("irem", 1500, [1, 1, 1, 1, 1, 0.5, 0.1], 0.02), rec("recurrent", 1500, [0.9, 0.9], 0.1)]
    long = [rec("irem", 10_000, [1, 1, 1, 1, 1, 0.5, 0.4], 0.01), rec("recurrent", 10_000, [0.3, 0.3], 0.1)]
    other_seed = replace(rec("irem", 10_000, [1, 1, 1, 1, 1, 9.0, 9.0], 0.05), seed=1)  # not among the short's seeds
    note = lengths.training_length_note([*long, other_seed], short, 30, ["edge_copy", "shortest_path"])
    assert note.startswith("The same check on models trained for 1,500 iterations (quick profile; 200 test problems, "
                           "up to 6 steps): IREM at 30 nodes, step 5 → 6: edge copy 0.5 → 0.1 (recurrent 0.9): "
                           "**reproduced**.")  # fmt: skip
    assert "rises on 1 of 1 tasks, while at 10 nodes it falls on 1" in note
    edge_copy = "- Edge copy: IREM at 30 nodes 0.1 → 0.4, at 10 nodes 0.02 → 0.01; the recurrent baseline at 30 nodes"
    assert f"{edge_copy} 0.9 → 0.3" in note


def test_training_length_table_prose_and_figure():
    def rec(k, seed, same, large, scaled=False):
        r = record("shortest_path", seed=seed, train={"iterations": k}, metrics=splits(same, 2 * same),
                   curves={"mse_by_step_by_nodes": {"30": [1.0] * 6 + [large]}})  # fmt: skip
        return replace(r, config={**r.config, "eval": {"test_step_scaling": "edges"}}) if scaled else r

    recs = [rec(1500, 1, 0.03, 0.2), rec(1500, 1, 0.03, 0.05, True), rec(5000, 1, 0.02, 0.5),
            rec(5000, 1, 0.02, 0.08, True), rec(10000, 1, 0.01, 0.4), rec(10000, 1, 0.01, 0.1, True),
            rec(1500, 0, 0.04, 0.3)]  # fmt: skip
    measured = lengths.training_length_table(recs, 30)
    table = measured.table
    assert list(table.columns) == ["task", "seed", "iterations", "training", "10 nodes", "15 nodes", "30 nodes, step 5",
                                   "30 nodes, step 6", "30 nodes, scaled λ, step 6"]  # fmt: skip
    assert list(table["iterations"]) == [1500, 1500, 5000, 10000] and list(table["seed"]) == [0, 1, 1, 1]
    text = lengths.training_length_prose(measured)
    assert "**Shortest path**, seed 0" not in text  # a single length: no change to report
    assert "after 1,500 iterations the seeds differ by up to 1.5× (30 nodes, step 6: 0.3 (seed 0) vs 0.2 (seed 1))" in (
        text)  # fmt: skip
    assert "seed 1: 10 nodes: 0.03 → 0.01 from 1,500 to 10,000 iterations (lowest, 0.01, after 10,000)" in text
    assert "30 nodes, step 6: 0.2 → 0.4 from 1,500 to 10,000 iterations (lowest, 0.2, after 1,500)" in text
    assert "30 nodes, scaled λ, step 6: 0.05 → 0.1 from 1,500 to 10,000 iterations (lowest, 0.05, after 1,500)" in text
    plain = [r for r in recs if r.config["eval"] == {}]  # no scaled column with two lengths: left out
    unscaled = lengths.training_length_prose(lengths.training_length_table(plain, 30))
    assert "scaled" not in unscaled and "30 nodes, step 6: 0.2 → 0.4" in unscaled
    assert lengths.training_length_table([], 30).table.empty
    assert measured.final == ("10 nodes", "15 nodes", "30 nodes, step 6", "30 nodes, scaled λ, step 6")
    once = record("edge_copy", train={"iterations": 1500}, metrics=splits(0.1, 0.2),
                  curves={"mse_by_step_by_nodes": {"30": [1.0] * 7}})  # fmt: skip
    several = lengths.training_lengths([*recs, once], 30)
    assert list(several.table["task"]) == ["Shortest path"] * 4  # edge copy: one length, left out
    assert "another training" not in text
    fig = figures.training_length(measured)
    assert len(fig.axes[0].lines) == 4 * 2  # four errors, two seeds
    # seed 1's longest model trained again (at another commit): said, and not joined to the snapshots' line
    again = [replace(r, provenance={"train_git_commit": "b" * 40}) if r.train["iterations"] == 10000 else
             replace(r, provenance={"train_git_commit": "a" * 40}) for r in recs]  # fmt: skip
    measured = lengths.training_length_table(again, 30)
    text = lengths.training_length_prose(measured)
    assert "10 nodes: 0.03 → 0.02 from 1,500 to 5,000 iterations (lowest, 0.02, after 5,000)" in text
    assert (
        "seed 1: the 10,000-iteration model is another training of the same config (at bbbbbbb), not a snapshot "
        "of the run above, so the change to it includes the spread between trainings: 10 nodes 0.01;"
    ) in text
    assert len(figures.training_length(measured).axes[0].lines) == 4 * 3


def test_fig2_verdict_per_task_against_the_recurrent_baseline():
    # IREM falls on larger graphs but stays above the recurrent baseline
    irem = record("edge_copy", curves={"mse_by_step_by_nodes": {"30": [1.0] * 6 + [0.4]}})
    rec = record("edge_copy", "recurrent", curves={"mse_by_step_by_nodes": {"30": [0.2] * 7}})
    ours, verdict = analysis.fig2_verdict([irem, rec], 30, ["edge_copy"])
    assert verdict == "not reproduced" and "edge copy 1 → 0.4 (recurrent 0.2)" in ours
    rec.curves["mse_by_step_by_nodes"]["30"] = [0.5] * 7
    assert analysis.fig2_verdict([irem, rec], 30, ["edge_copy"])[1] == "reproduced"
    longer = record("shortest_path", curves={"mse_by_step_by_nodes": {"30": [1.0] * 10 + [0.3]}})  # another profile
    ours, _ = analysis.fig2_verdict([irem, rec, longer], 30, ["edge_copy", "shortest_path"])
    assert ours.startswith("IREM at 30 nodes, step 5 → the last: edge copy 1 → 0.4 after 6 (recurrent 0.5)")
    assert "shortest path 1 → 0.3 after 10 (recurrent not run)" in ours


def _fig2(method, task, curve, same=0.1, harder=0.2, seed=0, **train):
    return record(task, method, seed=seed, train=train, metrics=splits(same, harder),
                  curves={"mse_by_step_by_nodes": {"30": curve}, "train_loss": [[0, 1.0], [10, 0.5]]})  # fmt: skip


def test_energy_verdict_counts_the_errors_where_the_release_is_lower():
    ours = [_fig2("irem", "edge_copy", [1.0] * 6 + [0.4]), _fig2("irem", "shortest_path", [1.0] * 9)]
    release = [_fig2("irem", "edge_copy", [1.0] * 6 + [0.3], 0.2, 0.1), _fig2("recurrent", "edge_copy", [1.0] * 7)]
    table = analysis.energy_comparison(ours, release, 30)
    assert list(table.columns) == ["task", "energy", "parameters", "final training loss", "10 nodes", "15 nodes",
                                   "30 nodes, step 5", "30 nodes, step 6", "seeds", "30 nodes, step 8"]  # fmt: skip
    # edge copy in both: 10 nodes higher, 15 nodes lower, 30 nodes after the last step lower; shortest path in ours only
    v = analysis.energy_verdict(ours, release, 30)
    assert (v.release_lower, v.energy_default) == (2, "ours")
    assert v.energy_rows == 4  # one task in both, four error columns (two of them the last steps of either budget)
    result = experiments.ExperimentResult(experiments.get("graph"), "quick", release)
    assert "the release's energy has the lower one on 2;" in analysis.energy_prose(ours, result, 30)


def test_step_rules_and_the_scaled_standing():
    base = [_fig2("irem", "edge_copy", [1.0] * 6 + [0.4], same=0.1)]
    scaled = [_fig2("irem", "edge_copy", [1.0] * 6 + [0.1], same=0.1)]
    table = analysis.step_rule_table(base, scaled, 30)
    assert list(table["test step size"]) == ["training λ", "scaled by edges"] and analysis.step_rule_note(table) == ""
    other = analysis.step_rule_table(base, [_fig2("irem", "edge_copy", [1.0] * 7, same=0.3, seed=1)], 30)
    assert analysis.step_rule_note(other).startswith("At 10 nodes, where the rule changes nothing, the two rows differ")
    graph = experiments.get("graph")
    rows = [*base, _fig2("recurrent", "edge_copy", [0.3] * 7, harder=0.15)]
    result = experiments.ExperimentResult(graph, "quick", rows)
    with_rule = experiments.ExperimentResult(graph, "quick", scaled)
    recurrent = experiments.ExperimentResult(graph, "quick", rows[1:])
    assert analysis.scaled_standing(result, with_rule).startswith("Table 1's 15-node split with this rule for IREM")
    assert analysis.scaled_standing(result, replace(with_rule, profile="paper")) == ""
    prose = analysis.scaled_prose(with_rule, recurrent, 30, ["edge_copy"])
    assert "With the scaled step size, IREM at 30 nodes, step 5 → 6: edge copy 1 → 0.1 (recurrent 0.3)." in prose
    assert "**reproduced** with this rule" in prose


def _stored_results() -> dict:
    """The summary's results of the graph chapter, as notebooks/summary.ipynb builds them from data/runs."""
    kw = dict(profile="best", device="cpu", runs_dir=store.REPO_ROOT / "data" / "runs", progress=False)
    results = {name: experiments.stored_by_task(name, **kw) for name in ("graph", "difficulty")}
    scaled = experiments.stored("graph", methods=["irem"], overrides={"test_step_scaling": "edges"}, **kw)
    if scaled is not None:
        beside = {k: v for k, v in kw.items() if k != "profile"}
        recurrent = experiments.stored_beside(scaled, "best", methods=["recurrent"], **beside)
        if recurrent is not None:
            scaled.records += recurrent.records
            results[analysis.SCALED_GRAPH] = scaled
    return {name: result for name, result in results.items() if result is not None}


def test_claims_give_the_verdict_tables_rows_on_the_stored_records():
    results = _stored_results()
    if "graph" not in results:
        pytest.skip("no graph records stored")
    explain = partial(minimum_why, results.get("difficulty"))  # the summary adds the difficulty chapter's why
    for given in (results, {"graph": results["graph"]}):
        ours = claims_table(analysis.claims(given, explain=explain if given is results else None))
        theirs = summary.verdict_table(given)
        theirs = theirs[theirs["claim of the paper"].isin(ours["claim of the paper"])].reset_index(drop=True)
        assert list(ours["claim of the paper"]) == [analysis.TABLE1_CLAIM, analysis.FIG2_CLAIM]
        pd.testing.assert_frame_equal(ours, theirs)
    assert analysis.claims({}) == []


def test_variants_are_judged_by_the_chapters_rules_beside_its_irem():
    from irem.experiments.graph import variants
    from irem.experiments.graph.experiment import RELEASE, TUNED

    graph = experiments.get("graph")
    ours = [_fig2("irem", "edge_copy", [1.0] * 6 + [0.4], same=0.01, harder=0.02, seed=s) for s in (0, 1, 2)]
    recurrent = [_fig2("recurrent", "edge_copy", [0.3] * 7, same=0.3, harder=0.3, seed=s) for s in (0, 1, 2)]
    release = [_fig2("irem", "edge_copy", [1.0] * 6 + [0.1], same=0.5 + s, harder=0.6, seed=s) for s in (0, 1, 2)]
    result = experiments.ExperimentResult(graph, "paper", ours + recurrent)
    variant = experiments.ExperimentResult(graph, "paper", release)
    judged = experiments.results.with_irem(result, variant)
    assert sorted((r.method, r.metrics["same"]["mse"]) for r in judged.records)[:1] == [("irem", 0.5)]
    claims = analysis.claims({"graph": result, RELEASE.key: variant})
    assert [(c.order, c.variant) for c in claims] == [(10, None), (30, None), (10, RELEASE), (30, RELEASE)]
    assert claims[2].title.endswith(f"— {RELEASE.label}") and claims[2].ours.startswith("lowest error on 0 of 2")
    assert {c.verdict for c in claims[2:]} != {"not judged"}
    # the summary reads each claim once, the variant's verdict in a column beside ours
    grid, verdicts = verdict_grid(claims)
    assert list(grid.columns) == ["claim of the paper", "paper", "ours", RELEASE.column] and len(grid) == 2
    assert grid[RELEASE.column][0] == f"{claims[2].verdict}: {claims[2].ours} — rests on {claims[2].rests_on}"
    alone = replace(claims[0], order=70, claim="Table 2: another claim")
    assert with_and_without_variants([*claims, alone]) == (claims, [alone])
    rules = claim_rules([*claims, replace(alone, claim="Table 1 (left): a second claim", rule="r2")]).splitlines()
    assert rules == [
        f"- **{claims[0].claim}**: {claims[0].rule}",
        f"- **Fig. 2**: {claims[1].rule}",
        "- **Table 1 (left): a second claim**: r2",
    ]  # once per claim; a lead two claims share: the claim
    assert list(verdicts[RELEASE.column]) == [claims[2].verdict, claims[3].verdict]
    assert verdict_grid(claims[:2])[0].columns[-1] == "ours"  # no variant judged: no column for it
    # a variant with one seed gives no interval: its rows are run but not judged
    one = analysis.claims({"graph": result, TUNED.key: replace(variant, records=release[:1])})
    assert [c.verdict for c in one[2:]] == ["not judged", "not judged"] and one[3].ours.startswith("IREM at 30 nodes")
    # a variant at another profile than the chapter's is not judged beside it
    assert len(analysis.claims({"graph": result, TUNED.key: replace(variant, profile="quick")})) == 2
    table = variants.variant_table(result, {RELEASE.key: variant}, 30)
    assert list(table.graphs) == ["10 nodes", "15 nodes", "30 nodes, last step"]
    shown = variants.styled_variant_table(table).data.rename(columns={RELEASE.column: "release"})
    assert shown.release[0] == "1.5000 [0.5,\u00a02.5] (higher)"
    assert shown.release[2] == "0.1000 [0.1,\u00a00.1] (lower)"
    assert shown["IREM (ours)"][0] == "0.0100 [0.01,\u00a00.01]"
    one = variants.variant_table(result, {RELEASE.key: replace(variant, records=release[:1])}, 30)
    assert variants.styled_variant_table(one).data[RELEASE.column][0].endswith("(one seed)")


def test_failed_paper_baselines_are_those_above_the_label_variance():
    rows = [dict(task="shortest_path", method=m, split="harder", ours=o, paper=p, label_variance=0.12)
            for m, o, p in (("irem", 0.3, 0.05), ("feedforward", 0.1, 1.4), ("programmatic", 0.2, 0.13),
                            ("recurrent", 0.09, 0.11))]  # fmt: skip
    text = analysis.failed_paper_baselines(pd.DataFrame(rows))
    assert "2 of the paper's baseline errors lie above" in text
    assert "Feedforward on shortest path 1.4000 (ours 0.1000)" in text and "Recurrent" not in text
    assert "Ours stay below it on 1 of them (Feedforward on shortest path)" in text
    assert analysis.failed_paper_baselines(pd.DataFrame(rows[3:])) == ""


def test_compiled_seeds_are_compared_with_the_eager_seeds_by_a_rank_test():
    from irem.experiments.graph import seeds

    def recs(compiled, values, large):
        return [_fig2("irem", "edge_copy", [1.0] * 6 + [g], same=v, harder=2 * v, seed=s + 3 * compiled)
                for s, (v, g) in enumerate(zip(values, large))]  # fmt: skip

    eager = recs(False, [0.01, 0.02, 0.03], [1.0, 2.0, 3.0])
    alike = seeds.draws_table(eager, recs(True, [0.015, 0.025, 0.035], [1.5, 2.5, 0.5]), 30)
    assert list(alike.error) == ["10 nodes", "15 nodes", "30 nodes, last step"]
    assert alike.p.tolist() == pytest.approx([0.7, 0.7, 0.7]) and seeds.differing(alike) == []
    shifted = recs(True, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [1.5, 2.5, 0.5, 1, 2, 3, 4, 1])
    apart = seeds.draws_table(eager, shifted, 30)
    assert apart.p[0] == pytest.approx(2 / 165)  # the most extreme of C(11, 3) orderings, both sides
    assert seeds.differing(apart) == ["edge copy (10 nodes)", "edge copy (15 nodes)"]  # below 0.05 / 3
    assert seeds.untested(apart) == [] and seeds.untested(alike) == ["Edge copy"]  # 3 and 3: p >= 0.1
    assert "Edge copy: edge copy (10 nodes), edge copy (15 nodes) differ" in seeds.draws_verdict(apart)
    assert "the smallest p the seed counts allow is edge copy 0.012." in seeds.draws_verdict(apart)
    shown = seeds.styled_draws(apart).data
    assert shown.compiled[0].startswith("4.5000 [") and shown["seeds (eager / compiled)"][0] == "3 / 8"
    few = seeds.draws_table(eager, shifted[:2], 30)
    assert few.p.isna().all() and seeds.untested(few) == ["Edge copy"]
    assert "No task has enough seeds of both trainings yet" in seeds.draws_verdict(few)


def test_the_stored_compiled_graph_seeds_err_as_the_eager_ones():
    """Table 1 and Fig. 2 pool IREM's compiled seeds (3-9) with its eager ones: only as far as a test allows."""
    from irem.experiments.graph import seeds
    from irem.tasks import GRAPH_TASKS

    eager, compiled = seeds.stored_draws(store.REPO_ROOT / "data" / "runs", list(GRAPH_TASKS))
    assert ("shortest_path", 3) in {(r.task, r.seed) for r in eager}  # an eager added seed: eager eval asked for too
    table = seeds.draws_table(eager, compiled, 30)
    assert seeds.differing(table) == [], seeds.draws_verdict(table)
    pooled = {task_label(r.task) for r in compiled if r.seed >= 3}  # the compiled seeds Table 1 shows
    assert not pooled & set(seeds.untested(table)), "compiled seeds in Table 1 with too few seeds to test"
