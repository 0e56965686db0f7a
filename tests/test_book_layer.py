"""The analysis behind the book's tables and prose, on small hand-made records with known answers."""

import math
from dataclasses import replace
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import fake_record, splits

from irem import evaluate
from irem.book.claims import RankCounts, grade, lowest_at_paper, rank_counts
from irem.book.figures import FULL_WIDTH, MSE_CEILING, SMALL_PRINT_PX, cap_errors, shown_in_book, smallest_text
from irem.book.notes import retrained_note, seeds_by_task
from irem.book.stats import curve_spread, mean_curve
from irem.book.tables import standing, styled
from irem.config import EvalConfig
from irem.minimize import Trajectory
from irem.store import Record
from irem.tasks.continuous import Batch


def record(task="shortest_path", method="irem", seed=0, **kw) -> Record:
    return fake_record("ablations", task, method, seed, **kw)


def test_standing_says_whether_the_nearest_method_is_apart_beyond_the_seed_spread():
    rows = [dict(task="addition", method=m, split="same", ours=o, low=lo, high=hi, seeds=n, label_variance=1.0,
                 paper=0.01) for m, o, lo, hi, n in (("irem", 0.010, 0.009, 0.011, 3), ("feedforward", 0.013, 0.012,
                                                     0.014, 3), ("recurrent", 0.5, 0.4, 0.6, 3))]  # fmt: skip
    table = pd.DataFrame(rows)
    assert "the nearest, Feedforward at 0.0130, is apart from it (95 % intervals of the medians separate)" in (
        standing(table))  # fmt: skip
    table.loc[1, "low"] = 0.0105
    assert "is within the spread between seeds" in standing(table)
    assert "same: 0.0100 [0.009,\u00a00.011] vs the paper's 0.0100" in standing(table)
    table["seeds"] = 1
    assert "nearest" not in standing(table)
    assert "same: 0.0100 vs the paper's" in standing(table)  # one seed: no spread shown


def test_styled_tables_round_every_column_not_given_a_format():
    html = styled(pd.DataFrame({"psnr": [22.801979], "σ": [75]}), {"σ": "{:d}"}, precision=2).to_html()
    assert ">22.80<" in html and ">75<" in html and "22.8019" not in html


def test_curve_spread_is_mean_and_range_over_records_cut_to_the_shortest():
    recs = [record(curves={"c": {"same": [1.0, 2.0, 9.0]}}), record(curves={"c": {"same": [3.0, None]}})]
    mean, low, high = curve_spread(recs, "c", "same")
    assert list(mean[:1]) == [2.0] and math.isnan(mean[1]) and list(low[:1]) == [1.0] and list(high[:1]) == [3.0]
    assert len(mean_curve(recs, "c", "same")) == 2
    # figures draw the median: one seed far above the others does not pull the line
    three = [record(curves={"c": {"same": [v]}}) for v in (1.0, 2.0, 90.0)]
    assert list(curve_spread(three, "c", "same", center=np.median)[0]) == [2.0]


class _Fixed:
    """A method whose answers are fixed: 0 before the first step, then 1, then 2 (halting after step 1)."""

    iterative = True

    def predict(self, batch, steps, generator, options):
        ys = torch.stack([torch.full_like(batch.y, float(v)) for v in range(steps + 1)])
        return Trajectory(ys=ys, energies=None, halt_step=torch.ones(len(batch), dtype=torch.long))


def test_evaluate_batch_against_a_hand_computed_case():
    y = torch.tensor([[0.0, 2.0], [1.0, 1.0]])  # two problems, two entries each
    options = EvalConfig(test_problems=2, test_steps=2, eval_batch=1, halt_patience=1)
    metrics, curves = evaluate.evaluate_batch(_Fixed(), Batch(torch.zeros(2, 2), y), options, torch.Generator())
    # answer 0: errors (0, 4, 1, 1) -> mean 1.5; answer 1: (1, 1, 0, 0) -> 0.5; answer 2: (4, 0, 1, 1) -> 1.5
    assert curves["mse_by_step"] == [1.5, 0.5, 1.5]
    assert metrics["mse"] == 0.5 and metrics["mse_final"] == 1.5 and metrics["mean_halt_step"] == 1
    assert metrics["mse_by_steps"] == {"1": 0.5}
    assert metrics["label_variance"] == pytest.approx(0.5)  # per-entry variances 0.5 and 0.5 (unbiased)


def test_grades_and_the_claim_verdicts():
    assert [grade(h, 3) for h in (3, 1, 0)] == ["reproduced", "partly", "not reproduced"]
    assert grade(0, 0) == "not run"


def test_retrained_note_names_only_models_whose_training_differs():
    base = record(train={"replay": True}, metrics=splits(0.02, 0.03), curves={"train_loss": [[50, 0.43]]})
    same = replace(base, experiment="compute")
    assert retrained_note([same], [base], "the graph chapter") == ""
    redo = replace(same, curves={"train_loss": [[50, 0.44]]}, metrics=splits(0.02, 0.26))
    text = retrained_note([redo, same], [base], "the graph chapter")
    assert "of the models of the graph chapter:" in text
    assert "Shortest path, seed 0 (same: 0.0200 against 0.0200; harder: 0.2600 against 0.0300)" in text
    other_config = replace(redo, config={**redo.config, "train": {**redo.config["train"], "step_size": 1.0}})
    assert retrained_note([other_config], [base], "the graph chapter") == ""  # another training: not a twin


def test_capped_error_axes_say_that_curves_leave_through_the_top():
    import matplotlib.pyplot as plt

    fig, (diverging, settled) = plt.subplots(1, 2)
    diverging.plot([0, 1], [1.0, 100.0])
    settled.plot([0, 1], [1.0, 2.0])
    for ax in (diverging, settled):
        ax.set_yscale("log")
        cap_errors(ax)
    assert diverging.get_ylim()[1] == MSE_CEILING
    assert [t.get_text() for t in diverging.texts] == ["↑ above 10: off the axis"]
    assert settled.get_ylim()[1] < MSE_CEILING and not settled.texts
    plt.close(fig)


def test_seeds_by_task_names_each_tasks_stored_seeds_in_order():
    recs = [SimpleNamespace(task=t, seed=s) for t, s in (("edge_copy", 1), ("shortest_path", 0), ("edge_copy", 0))]
    assert seeds_by_task(recs) == "seeds: edge copy 0, 1; shortest path 0"


def test_table1s_rule_counts_ranks_as_numbers():
    rows = [("irem", "same", 0.01, 0.01), ("feedforward", "same", 0.02, 0.005), ("irem", "harder", 0.5, 0.1),
            ("feedforward", "harder", 0.4, 0.2), ("irem", "other", 0.1, float("nan"))]  # fmt: skip
    table = pd.DataFrame([dict(task="addition", method=m, split=s, ours=o, low=o, high=o, paper=p)
                          for m, s, o, p in rows])  # fmt: skip
    paper, ours, verdict = lowest_at_paper(table)
    # ours: lowest on "same" and "other" (alone there); the paper: lowest on "harder" only ("other" has no number)
    assert paper == "lowest error on 1 of 3 rows"
    assert ours == "lowest error on 2 of 3 rows; within 10 % of the paper's number (or below) on 1 of 3"
    assert verdict == "partly"
    assert lowest_at_paper(table, "feedforward")[1].startswith("lowest error on 1 of 2 rows")
    assert rank_counts(table) == RankCounts(rows=3, lowest=2, close=1, paper_lowest=1)


def test_table1s_rule_says_where_irem_is_worse_than_the_mean_and_where_no_method_tells():
    rows = [("irem", "same", 0.5, 1.0), ("feedforward", "same", 0.6, 1.0),  # IREM below the label variance
            ("irem", "harder", 2.1, 2.0), ("feedforward", "harder", 1.95, 2.0)]  # both at the mean  # fmt: skip
    table = pd.DataFrame([dict(task="matrix_inverse", method=m, split=s, ours=o, low=o, high=o, paper=0.1,
                               label_variance=lv) for m, s, o, lv in rows])  # fmt: skip
    counts = rank_counts(table)
    assert (counts.above_mean, counts.uninformative) == (1, 1)
    ours = lowest_at_paper(table)[1]
    assert "worse than always answering the mean (the label variance) on 1" in ours
    assert "on 1 row(s) no method is below 90 % of the label variance, so they tell no method apart" in ours


def _figure(width: float, text_pt: float):
    fig, ax = plt.subplots(figsize=(width, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title("title")
    ax.text(0.5, 0.5, "note", fontsize=text_pt)
    return fig


def test_a_figure_is_checked_at_the_size_the_column_shows_it():
    narrow = smallest_text(_figure(6.0, 10))  # shown at its own size: 10 pt at 100 dpi is 13.9 px
    assert narrow == (pytest.approx(10 * 100 / 72), "note")
    wide_px, _ = smallest_text(_figure(12.0, 10))  # cropped to about 10 in, then scaled to the 720 px column
    assert 9 < wide_px < SMALL_PRINT_PX
    plt.close("all")


def test_a_figure_the_book_shows_must_be_legible_at_the_column():
    @shown_in_book
    def too_wide():
        return _figure(12.0, 10)

    @shown_in_book
    def small_note():
        return _figure(6.0, 7)

    @shown_in_book
    def fine():
        return _figure(FULL_WIDTH, 10)

    with pytest.raises(ValueError, match=r"too_wide: the text .* would show 1\d\.\d px .* 12\.0 in wide"):
        too_wide()
    with pytest.raises(ValueError, match="small_note: the text 'note' would show 9.7 px"):
        small_note()
    assert fine() is not None
    plt.close("all")
