"""Ablation and scratchpad experiments: configs per task, training cost, sweeps, tables."""

from dataclasses import replace

import pytest
import torch
from conftest import gen

from irem import evaluate, experiments, measure, plots, report
from irem.config import EvalConfig, TrainConfig
from irem.methods import make_method
from irem.tasks import make_task


def test_variant_experiments_start_from_each_tasks_own_defaults():
    ablations, scratchpad = experiments.get("ablations"), experiments.get("scratchpad")
    graph_train = ablations.spec("paper", "shortest_path", "irem", 0, {"replay": False}).train
    assert (graph_train.batch_size, graph_train.hidden, graph_train.replay) == (64, 128, False)
    add_train = scratchpad.spec("paper", "addition", "irem", 0, {"scratchpad": 8}).train
    assert (add_train.batch_size, add_train.hidden, add_train.scratchpad) == (128, 512, 8)
    # so the full variant reuses the graph run's weights
    full = ablations.spec("quick", "shortest_path", "irem", 0)
    assert full.train_hash() == experiments.get("graph").spec("quick", "shortest_path", "irem", 0).train_hash()
    cont = experiments.get("continuous").spec("quick", "addition", "irem", 0)
    assert (scratchpad.spec("quick", "addition", "irem", 0).train, full.eval) == (cont.train, full.eval)


def test_training_cost_reports_speed_and_memory():
    spec = experiments.get("ablations").spec("smoke", "shortest_path", "irem", 0)
    cost = measure.training_cost(spec, torch.device("cpu"), iterations=3, fresh_process=False)
    assert cost["iters_per_s"] > 0 and cost["peak_memory_mb"] >= 0 and "resident" in cost["memory_measure"]


def test_step_size_sweep_and_scratchpad_trajectory():
    task = make_task("addition", size=8)
    options = EvalConfig(test_problems=6, test_steps=4, eval_batch=6, landscape_problems=0)
    method = make_method("irem", task, TrainConfig(hidden=16, scratchpad=3))
    sweep = evaluate.step_size_sweep(method, task, options, (10.0, 100.0), seed=0)
    assert set(sweep) == {"10.0", "100.0"} and set(sweep["10.0"]) == {"same", "harder"}
    assert len(sweep["10.0"]["same"]["mse_by_step"]) == options.test_steps + 1
    traj = evaluate.scratchpad_trajectory(method, task.sample(1, "same", gen(0)), options, gen(1))
    assert len(traj["y_mse"]) == len(traj["z"]) == options.test_steps + 1 and len(traj["z"][0]) == 3


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    kw = dict(profile="smoke", device="cpu", runs_dir=runs_dir, progress=False, seeds=1)
    return (experiments.run("ablations", **kw),
            experiments.run("scratchpad", tasks=["addition", "shortest_path"], sizes=[0, 4], **kw))  # fmt: skip


def test_ablation_tables_have_every_variant_beside_the_paper(smoke):
    ablations, _ = smoke
    t2 = report.table2(ablations.records)
    # smoke runs measure memory in the test process, where the peak can fail to grow (then no ratio)
    assert len(t2) == 3 and t2.iloc[-1]["speed"] == 1.0
    assert t2.iloc[-1]["memory"] == 1.0 or t2.iloc[-1]["peak MB"] == 0
    assert list(t2["paper MSE"]) == [0.0491, 0.0287, 0.0274]
    t3 = report.table3(ablations.records)
    assert list(t3["λ"]) == [10.0, 30.0, 100.0, 300.0, 1000.0] and t3.iloc[0]["same: paper"] == 0.0003
    sweep = next(r for r in ablations.records if "test_step_size" in r.curves)
    assert sweep.train["step_size"] == 100.0
    t3_summary = report.table3_summary(ablations.records)
    assert t3_summary["t3_same_min"] == t3["same: ours"].min() and t3_summary["t3_vs_seeds"] == "unknown"
    assert t3_summary["t3_paper_same"] == "0.0003 to 0.0004" and t3_summary["t3_paper_ratio"] == pytest.approx(4 / 3)
    # against two seeds of the lambda = 100 model a factor of 1.5 apart: more spread across lambda exceeds it
    twin = replace(sweep, seed=1, metrics={**sweep.metrics, "same": {"mse": 1.5 * sweep.metrics["same"]["mse"]}})
    verdict = report.table3_summary(ablations.records, [sweep, twin])
    assert verdict["t3_seed_ratio"] == pytest.approx(1.5)
    assert verdict["t3_vs_seeds"] == ("exceeds" if verdict["t3_same_ratio"] > 1.5 else "does not exceed")
    assert len(report.halting_table([sweep])) == 2
    assert plots.test_step_sizes([sweep, twin]).axes


def test_scratchpad_table_and_trajectories(smoke):
    _, scratch = smoke
    table = report.scratchpad_table(scratch.records)
    assert len(table) == 4 and set(table["scratchpad D"]) == {0, 4}
    assert plots.scratchpad_trajectories(scratch.records, "shortest_path").axes
    with pytest.raises(ValueError, match="tasks"):
        experiments.run("scratchpad", profile="smoke", tasks=["edge_copy"])  # checked before anything runs


def test_table3_verdict_weighs_the_spread_across_step_sizes_against_the_spread_between_seeds(tmp_path):
    kw = dict(profile="smoke", tasks=["addition"], device="cpu", runs_dir=tmp_path, progress=False)
    ablations = experiments.run("ablations", seeds=1, **kw)
    continuous = experiments.run("continuous", methods=["irem"], seeds=2, **kw)  # seed 0 is the lambda = 100 run
    row = report.verdicts({"ablations": ablations, "continuous": continuous}).set_index("claim of the paper")
    t3 = row.filter(like="Table 3", axis=0).iloc[0]
    summary = report.table3_summary(ablations.records, continuous.records)
    spreads = (
        f"{summary['t3_same_ratio']:.1f}× spread; up to {summary['t3_seed_ratio']:.1f}× between 2 trained "
        "models of one λ"
    )
    assert spreads in t3["ours"]
    bar = max(1.5, summary["t3_seed_ratio"])
    expected = "reproduced" if summary["t3_same_ratio"] <= bar else "partly" if summary["t3_same_ratio"] <= 3 else (
        "not reproduced")  # fmt: skip
    assert t3["verdict"] == expected
