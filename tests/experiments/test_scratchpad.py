"""The scratchpad chapter: configs per task, one problem's trajectory, the table, its verdict and its claim."""

from dataclasses import replace

import pytest
from conftest import cost, fake_record, gen, splits

from irem import experiments
from irem.book.claims import claims_table
from irem.config import EvalConfig, TrainConfig
from irem.experiments.scratchpad import analysis, figures
from irem.experiments.scratchpad.experiment import scratchpad_trajectory
from irem.methods import make_method
from irem.store import Record
from irem.tasks import make_task


def record(task="addition", method="irem", seed=0, **kw) -> Record:
    return fake_record("scratchpad", task, method, seed, **kw)


def test_scratchpad_starts_from_each_tasks_own_defaults():
    scratchpad = experiments.get("scratchpad")
    add_train = scratchpad.spec("paper", "addition", "irem", 0, {"scratchpad": 8}).train
    assert (add_train.batch_size, add_train.hidden, add_train.scratchpad) == (128, 512, 8)
    full = experiments.get("ablations").spec("quick", "shortest_path", "irem", 0)
    cont = experiments.get("continuous").spec("quick", "addition", "irem", 0)
    assert (scratchpad.spec("quick", "addition", "irem", 0).train, full.eval) == (cont.train, full.eval)


def test_scratchpad_trajectory():
    task = make_task("addition", size=8)
    options = EvalConfig(test_problems=6, test_steps=4, eval_batch=6, landscape_problems=0)
    method = make_method("irem", task, TrainConfig(hidden=16, scratchpad=3))
    traj = scratchpad_trajectory(method, task.sample(1, "same", gen(0)), options, gen(1))
    assert len(traj["y_mse"]) == len(traj["z"]) == options.test_steps + 1 and len(traj["z"][0]) == 3


def test_scratchpad_table_and_trajectories(tmp_path):
    kw = dict(profile="smoke", device="cpu", runs_dir=tmp_path, progress=False, seeds=1)
    scratch = experiments.run("scratchpad", tasks=["addition", "shortest_path"], sizes=[0, 4], **kw)
    table = analysis.scratchpad_table(scratch.records)
    assert len(table) == 4 and set(table["scratchpad D"]) == {0, 4}
    assert figures.scratchpad_trajectories(scratch.records, "shortest_path").axes
    with pytest.raises(ValueError, match="tasks"):
        experiments.run("scratchpad", profile="smoke", tasks=["edge_copy"])  # checked before anything runs
    (row,) = analysis.claims({"scratchpad": scratch})
    assert row.order == 110
    assert row.ours.startswith("lowers the error (by more than 10 %, intervals apart, both splits) on ")
    assert row.rests_on == "smoke, 1 seed (fewer iterations than the paper)"
    _same_row_as_the_summarys_verdicts({"scratchpad": scratch})


def test_scratchpad_table_and_verdict():
    recs = [record("addition", train={"scratchpad": d}, metrics=splits(m, 2 * m), cost=cost(s, 1.0))
            for d, m, s in ((0, 0.01, 20.0), (8, 0.02, 10.0))]  # fmt: skip
    table = analysis.scratchpad_table(recs)
    assert list(table["scratchpad D"]) == [0, 8] and list(table["speed vs no scratchpad"]) == [1.0, 0.5]
    shown = analysis.styled_scratchpad_table(recs).data  # both label variances in one column, to fit the page
    assert list(shown["label variance (same / harder)"]) == ["1.0000 / 2.0000"] * 2 and "it/s" not in shown
    assert analysis.scratchpad_verdict(recs) == (
        "- **Addition**: D = 8: same 2.00×, harder 2.00× the error without, at 50% of its training speed\n\n"
        "Where a size has a single seed, whether its change exceeds the spread between seeds is not known."
    )
    # a second seed of each: D = 8's same error moves apart from none's by more than the spread, harder does not
    recs += [record("addition", seed=1, train={"scratchpad": d}, metrics=splits(m, h), cost=cost(s, 1.0))
             for d, m, h, s in ((0, 0.012, 0.05, 20.0), (8, 0.022, 0.01, 10.0))]  # fmt: skip
    text = analysis.scratchpad_verdict(recs)
    assert "the error without (beyond the seed spread on 1 of 2), at 50%" in text and "not known" not in text
    # tasks at different profiles (the book shows each at its most complete): each line names its own
    paper = record("matrix_inverse", train={"scratchpad": 0}, metrics=splits(0.1, 0.2), cost=cost(5.0, 1.0))
    recs.append(replace(paper, profile="paper"))
    recs.append(replace(recs[-1], config={**recs[-1].config, "train": {**recs[-1].config["train"], "scratchpad": 8}}))
    assert list(analysis.scratchpad_table(recs)["profile"]) == ["quick", "quick", "paper", "paper"]
    text = analysis.scratchpad_verdict(recs)
    assert "- **Addition** (quick profile): D = 8" in text and "- **Matrix inverse** (paper profile): D = 8" in text
    assert "not the scratchpad's doing" not in text
    recs[-1] = replace(recs[-1], training_cost=cost(6.0, 1.0))  # faster with a scratchpad: the machine's load
    assert "(up to 120% here) is not the scratchpad's doing" in analysis.scratchpad_verdict(recs)
    assert "differ in training speed" not in analysis.scratchpad_verdict(recs)  # seeds of one size: equal speeds
    recs.append(replace(recs[-1], seed=1, training_cost=cost(4.0, 1.0)))  # the same size, measured at another time
    assert "differ in training speed by up to 1.5×" in analysis.scratchpad_verdict(recs)
    assert "halting rule stopped at the random start" not in analysis.scratchpad_verdict(recs)
    # a run whose energy rose along its descent: halting keeps the start, and the verdict says so with both errors
    rose = splits(0.9, 1.0, halt=0.0)
    rose["same"]["mse_final"] = 0.05
    recs.append(replace(recs[-1], seed=2, metrics=rose, curves={"energy_by_step": {"same": [3.0, 22.0, 30.0]}}))
    assert analysis.scratchpad_table(recs)["halting step (same)"].iloc[-1] == pytest.approx(10 / 3)
    verdict = analysis.scratchpad_verdict(recs)
    assert (
        "In this run the halting rule stopped at the random start (mean halting step below 1): the energy rose "
        "along the descent while the error fell, so the lowest energy seen is the start's, and so is the error at "
        "halting that the table counts: Matrix inverse, D = 8, seed 2 (its mean energy went from 3 at the start to "
        "22 after one step; error 0.9 at halting, 0.05 after the last step)."
    ) in verdict


def test_the_claim_counts_the_tasks_where_some_size_lowers_both_errors_by_a_tenth():
    def rec(task, d, same, harder):
        return record(task, train={"scratchpad": d}, metrics=splits(same, harder), cost=cost(10.0, 1.0))

    recs = [rec("addition", 0, 0.01, 0.1), rec("addition", 8, 0.0089, 0.2), rec("addition", 32, 0.02, 0.089),
            rec("matrix_inverse", 0, 0.1, 0.2), rec("matrix_inverse", 8, 0.095, 0.1),
            rec("shortest_path", 8, 0.1, 0.1)]  # fmt: skip
    result = experiments.ExperimentResult(experiments.get("scratchpad"), "quick", recs, seeds=3)
    assert analysis.helped_tasks(analysis.scratchpad_table(recs)) == [("Addition", True), ("Matrix inverse", False)]
    (row,) = analysis.claims({"scratchpad": result})
    assert row.ours == "lowers the error (by more than 10 %, intervals apart, both splits) on 1 of 2 tasks; Addition"
    assert row.verdict == "partly" and row.paper == "stated without numbers"
    assert analysis.claims({}) == []
    _same_row_as_the_summarys_verdicts({"scratchpad": result})
    # with several seeds a lower median is not enough: the intervals must separate
    base = [replace(rec("addition", 0, s, 10 * s), seed=i) for i, s in enumerate((0.01, 0.02, 0.03))]
    overlapping = [replace(rec("addition", 8, s, 10 * s), seed=i) for i, s in enumerate((0.005, 0.015, 0.025))]
    apart = [replace(rec("addition", 8, s, 10 * s), seed=i) for i, s in enumerate((0.001, 0.002, 0.003))]
    assert analysis.helped_tasks(analysis.scratchpad_table(base + overlapping)) == [("Addition", False)]
    assert analysis.helped_tasks(analysis.scratchpad_table(base + apart)) == [("Addition", True)]
    # a size whose every seed diverged (errors stored as null) helps nothing, and the prose says it diverged
    diverged = [replace(r, metrics={"same": {"mse": None, "label_variance": 1.0}, "harder": {"mse": None,
                                    "label_variance": 2.0}}) for r in apart]  # fmt: skip
    assert analysis.helped_tasks(analysis.scratchpad_table(base + diverged)) == [("Addition", False)]
    assert "D = 8: same diverged, harder diverged the error without" in analysis.scratchpad_verdict(base + diverged)
    assert "—" in analysis.styled_scratchpad_table(base + diverged).data["same"].tolist()


def _same_row_as_the_summarys_verdicts(results: dict) -> None:
    """``claims`` gives the row the summary's verdict table shows for App. B."""
    from irem import summary

    today = summary.verdict_table(results)
    today = today[today["claim of the paper"].str.startswith("App. B")].reset_index(drop=True)
    assert claims_table(analysis.claims(results)).to_dict("records") == today.to_dict("records")


def test_z_growth_note_quotes_each_sizes_drift_and_energy():
    from conftest import fake_record

    from irem.experiments.scratchpad import analysis

    trajectory = {
        "y_mse": [1.0, 0.1, 0.05],
        "energy": [2.0, -5.0, -40.0],
        "z": [[0.9, -0.5], [10.0, 3.0], [-300.0, 1.0]],
    }
    rec = fake_record("scratchpad", "shortest_path", train={"scratchpad": 8}, curves={"trajectory": trajectory})
    note = analysis.z_growth_note([rec, fake_record("scratchpad", "shortest_path", seed=1)])
    assert "one test descent of 2 steps" in note
    assert "shortest path, D = 8: |z| 0.9 → 300, energy 2 → -40, answer MSE 0.05" in note
    assert analysis.z_growth_note([fake_record("scratchpad", "addition")]) == ""
