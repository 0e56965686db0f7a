import math
from dataclasses import replace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from irem import experiments, store
from irem.book.figures import mse_vs_steps, train_loss
from irem.book.notes import budget_note, provenance_note, provenance_table
from irem.book.tables import parameter_table, ranks, standing, styled_ranks, tasks_where_worse, wide_table

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    kw = dict(profile="smoke", methods=["irem", "feedforward"], seeds=1, device="cpu", runs_dir=runs_dir,
              progress=False)  # fmt: skip
    cont = experiments.run("continuous", tasks=["addition", "matrix_completion"], **kw)
    comp = experiments.run("composition", **kw)
    return runs_dir, cont, comp


def test_continuous_table_has_ours_beside_the_paper(smoke):
    _, cont, _ = smoke
    table = cont.table()
    assert len(table) == 2 * 2 * 2  # tasks x methods x splits
    row = table[(table.task == "addition") & (table.method == "irem") & (table.split == "harder")].iloc[0]
    assert row.paper == 0.0021 and row.ours > 0 and row.label_variance > 1.0  # U(-2.5, 2.5) sums
    assert cont.ours("addition", "irem", "harder") == row.ours
    assert type(cont.ours("addition", "irem", "harder")) is float  # glued into prose: numpy's repr would not format
    spread = cont.spread("addition", "irem", "harder")
    assert spread.median == row.ours and spread.low <= spread.median <= spread.high and spread.values == row["values"]
    wide = wide_table(table)
    assert {"same: ours", "same: paper", "harder: ours", "harder: paper"} <= set(wide.columns)
    assert "rank" in standing(table)
    assert parameter_table(cont.records).shape == (2, 2)
    assert "smoke" in provenance_note(cont)


def test_best_profile_loads_without_training(smoke):
    runs_dir, _, _ = smoke
    # no quick or paper records here: "best" must not fall back to training
    with pytest.raises(FileNotFoundError):
        experiments.run("continuous", profile="best", tasks=["addition"], methods=["irem"], runs_dir=runs_dir)


def _lines(fig) -> dict[str, object]:
    """The labelled lines of every axes of a figure, by label."""
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    return {line.get_label(): line for line in lines if not line.get_label().startswith("_")}


def test_figures_draw_what_the_records_hold(smoke):
    _, cont, _ = smoke
    fig = mse_vs_steps(cont.records)
    assert [ax.get_title() for ax in fig.axes] == ["Addition", "Matrix completion"]
    lines = _lines(fig)
    assert {"IREM (same)", "IREM (harder)", "Feedforward (same)", "Feedforward (harder)"} <= set(lines)
    irem_add = next(r for r in cont.records if r.method == "irem" and r.task == "addition")
    # the first panel's IREM line is the record's curve, step by step
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "IREM (same)")
    assert list(line.get_ydata()) == pytest.approx(irem_add.curves["mse_by_step"]["same"])
    assert line.get_color() == "#0173b2"
    fig = train_loss(cont.records)  # the chapters' own figures: tests/experiments/test_<chapter>.py
    assert fig.axes
    matplotlib.pyplot.close(fig)


def test_curves_over_seeds_are_their_mean_in_a_band_from_the_lowest_to_the_highest(smoke):
    _, cont, _ = smoke
    irem = next(r for r in cont.records if r.method == "irem" and r.task == "addition")
    curve = np.asarray(irem.curves["mse_by_step"]["same"])
    doubled = {**irem.curves, "mse_by_step": {**irem.curves["mse_by_step"], "same": list(2 * curve)}}
    twin = replace(irem, seed=1, curves=doubled)
    fig = mse_vs_steps([irem, twin])
    assert list(_lines(fig)["IREM (same)"].get_ydata()) == pytest.approx(1.5 * curve)
    (band,) = [c for c in fig.axes[0].collections if c.get_paths()][:1]  # the same split's shade comes first
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(curve.min()) and ys.max() == pytest.approx(2 * curve.max())
    assert not mse_vs_steps([irem]).axes[0].collections  # one seed: no shade


def test_ranks_compare_our_ordering_with_the_papers():
    table = pd.DataFrame(
        [
            dict(task="addition", method="irem", split="same", ours=0.3, low=0.25, high=0.35, paper=0.0003),
            dict(task="addition", method="feedforward", split="same", ours=0.1, low=0.05, high=0.15, paper=0.0448),
            dict(task="addition", method="recurrent", split="same", ours=0.5, low=0.2, high=0.6, paper=0.3610),
        ]
    )
    row = ranks(table).iloc[0]
    assert (row.rank_ours, row.rank_paper, row.methods, row.best_other) == (2, 1, 3, "feedforward")
    shown = styled_ranks(ranks(table)).data.iloc[0]
    assert shown["rank (ours)"] == "2 of 3" and shown["rank (paper)"] == "1 of 3"
    assert shown["best other method (ours)"] == "Feedforward"
    assert tasks_where_worse(table, "recurrent", than="feedforward", split="same") == ["Addition"]
    assert tasks_where_worse(table, "feedforward", than="irem", split="same") == []
    # intervals that overlap share a rank: IREM's no longer lies wholly above Feedforward's
    table.loc[1, "high"] = 0.27
    assert ranks(table).iloc[0].rank_ours == 1


def test_budget_note_flags_runs_shorter_than_the_papers(smoke):
    _, cont, _ = smoke
    assert "not have converged" in budget_note(cont)  # smoke: 30 iterations
    assert "not have converged" not in budget_note(cont, paper_iterations=30)
    table = provenance_table({"continuous": cont})
    assert table.loc[0, "profile"] == "smoke" and table.loc[0, "records"] == len(cont.records)


def test_stored_by_task_shows_each_task_at_its_own_profile(monkeypatch):
    from irem.experiments import results

    ablations = experiments.get("ablations")
    stored = {"shortest_path": results.ExperimentResult(ablations, "quick", ["sp"], 1),
              "addition": results.ExperimentResult(ablations, "paper", ["add"], 1)}  # fmt: skip
    monkeypatch.setattr(results, "stored", lambda name, tasks, **kw: stored[tasks[0]])
    result = experiments.stored_by_task("ablations", profile="best")
    assert result.profile == "quick (shortest_path), paper (addition)" and result.records == ["sp", "add"]
    stored["shortest_path"] = None  # a task with nothing stored is left out; one profile is named plainly
    assert experiments.stored_by_task("ablations").profile == "paper"
    stored["addition"] = None
    assert experiments.stored_by_task("ablations") is None
    graph = experiments.get("graph")
    by_task = {t: results.ExperimentResult(graph, "paper" if t == "shortest_path" else "quick", [t], 1)
               for t in graph.tasks}  # fmt: skip
    monkeypatch.setattr(results, "stored", lambda name, tasks, **kw: by_task[tasks[0]])
    grouped = "quick (edge_copy, connected_components), paper (shortest_path)"
    assert experiments.stored_by_task("graph").profile == grouped


def test_stored_beside_reads_the_results_profile_and_seed_count(smoke):
    runs_dir, cont, _ = smoke
    irem = experiments.run("continuous", profile="smoke", tasks=["addition"], methods=["irem"], seeds=1, device="cpu",
                           runs_dir=runs_dir, progress=False)  # fmt: skip
    kw = dict(tasks=["addition"], device="cpu", runs_dir=runs_dir, progress=False)
    beside = experiments.stored_beside(irem, "best", methods=["feedforward"], **kw)
    assert beside.profile == "smoke" and [(r.method, r.seed) for r in beside.records] == [("feedforward", 0)]
    # in the book (page profile "best") nothing trains: a missing run makes the comparison None
    before = sorted(runs_dir.rglob("*.json"))
    assert experiments.stored_beside(irem, "best", methods=["feedforward"], overrides={"hidden": 3}, **kw) is None
    assert sorted(runs_dir.rglob("*.json")) == before


def test_stored_beside_compares_the_same_seeds_where_more_are_stored():
    """The graph chapter's recurrent baseline stores 10 seeds; beside IREM's edge-scaled runs it shows theirs."""
    kw = dict(profile="best", tasks=["shortest_path"], runs_dir=store.REPO_ROOT / "data" / "runs", progress=False)
    scaled = experiments.stored("graph", methods=["irem"], overrides={"test_step_scaling": "edges"}, **kw)
    recurrent = experiments.stored("graph", methods=["recurrent"], **kw)
    if scaled is None or recurrent is None:
        pytest.skip("no paper-profile graph records stored")
    seeds = sorted(r.seed for r in scaled.records)
    assert len(recurrent.records) > len(seeds)  # else this compares nothing
    beside = experiments.stored_beside(
        scaled, "best", methods=["recurrent"], **{k: v for k, v in kw.items() if k != "profile"}
    )
    assert sorted(r.seed for r in beside.records) == seeds


def test_stored_records_at_reads_another_chapters_runs_only_at_the_tables_profile(smoke):
    runs_dir, cont, _ = smoke
    kw = dict(tasks=["addition"], methods=["feedforward"], seeds=1, device="cpu", runs_dir=runs_dir, progress=False)
    at_smoke = experiments.stored_records_at("continuous", "smoke", profile="smoke", **kw)
    assert [(r.task, r.method, r.profile) for r in at_smoke] == [("addition", "feedforward", "smoke")]
    assert experiments.stored_records_at("continuous", "paper", profile="smoke", **kw) == []  # another profile's
    assert (
        experiments.stored_records_at("continuous", "smoke", profile="best", **{**kw, "runs_dir": runs_dir / "x"}) == []
    )  # nothing stored: none, and nothing trains


def test_plan_says_what_each_run_would_do_and_estimates_from_other_seeds(smoke, tmp_path):
    import shutil

    from irem.experiments import plan

    runs_dir, cont, _ = smoke
    kw = dict(profile="smoke", tasks=["addition"], methods=["irem"], seeds=2, device="cpu")
    table = plan.plan("continuous", runs_dir=runs_dir, **kw)
    assert list(table.status) == ["stored", "train"] and list(table.seed) == [0, 1]
    (seed0,) = [r for r in cont.records if (r.task, r.method) == ("addition", "irem")]
    assert seed0.provenance["weights"] == "trained"
    assert list(table.minutes) == [0.0, pytest.approx(seed0.provenance["wall_s"] / 60)]  # seed 0's whole run
    assert table.record[1] == "addition__irem__smoke__seed1__" + table.record[1].rsplit("__", 1)[1]
    assert "2 runs: 1 stored, 1 train; about" in plan.summary(table)
    (counts,) = plan.by_experiment(table).to_dict("records")
    assert counts == {"experiment": "continuous", "runs": 2, "stored": 1, "to run": 1,
                      "hours to run": pytest.approx(table.minutes[1] / 60), "without an estimate": 0}  # fmt: skip
    assert list(plan.plan("continuous", runs_dir=runs_dir, retrain=True, **kw).status) == ["train", "train"]
    # without seed 0's record its cached weights only need evaluating; a checkpoint is a run to resume
    copy = tmp_path / "runs"
    shutil.copytree(runs_dir, copy)
    (copy / "continuous" / table.record[0]).unlink()
    spec1 = experiments.get("continuous").spec("smoke", "addition", "irem", 1)
    store.checkpoints_dir(copy).mkdir(exist_ok=True)
    (store.checkpoints_dir(copy) / spec1.weights_file()).write_bytes(b"")
    table = plan.plan("continuous", runs_dir=copy, **kw)
    assert list(table.status) == ["evaluate", "resume"] and table.minutes.isna().all()  # no record to estimate from
    assert "without an estimate" in plan.summary(table) and "minutes" not in plan.summary(table)
    assert math.isnan(plan.by_experiment(table)["hours to run"][0])  # no estimate at all: no hours, not 0
    with pytest.raises(ValueError, match="profile='best' is not allowed"):
        plan.plan("continuous", profile="best", runs_dir=runs_dir)
    with pytest.raises(ValueError, match="seeds must be an integer > 0"):
        plan.plan("continuous", seeds=0, runs_dir=runs_dir)


def test_makespan_is_the_end_of_the_last_run_when_workers_take_the_longest_first():
    from irem.experiments import plan

    assert plan.makespan([10, 70, 10, 10], 2) == 70  # one long run outlasts the rest shared evenly (50)
    assert plan.makespan([20, 30, 20, 30, 20], 2) == 70  # 30 + 20 + 20 on one worker, 30 + 20 on the other
    assert plan.makespan([5, 5], 4) == 5 and plan.makespan([], 3) == 0
    with pytest.raises(ValueError, match="jobs must be an integer > 0"):
        plan.makespan([5], 0)
    table = pd.DataFrame({"status": ["train", "train", "stored"], "minutes": [70.0, 10.0, 0.0]})
    assert "about 80 minutes of runs to do (about 70 minutes of wall time with 2 at once" in plan.summary(table, 2)


def test_sweeps_start_the_runs_estimated_longest_first(smoke, monkeypatch):
    from irem.experiments import plan, sweep

    runs_dir, cont, comp = smoke
    seed0 = sorted(cont.records + comp.records, key=lambda r: r.provenance["wall_s"])  # shortest first
    specs = [replace(store.RunSpec.of_record(r), seed=1) for r in seed0]  # estimated from their seed 0
    unknown = experiments.get("continuous").spec("smoke", "addition", "irem", 1, {"iterations": 7})
    ordered = plan.longest_first([*specs, unknown], runs_dir, "cpu")
    assert ordered[0] == unknown  # no record to estimate from: it may be the longest
    minutes = [plan.estimate(s, runs_dir, "cpu") for s in ordered[1:]]
    assert sorted(ordered[1:], key=specs.index) == specs and minutes == sorted(minutes, reverse=True)
    assert minutes[0] > minutes[-1] > 0
    # a sweep hands its workers the runs in that order (the cluster itself is not needed to see it)
    submitted = []

    class Client:
        def close(self):
            pass

    monkeypatch.setattr(sweep, "start_local_cluster", lambda jobs, device: (None, Client(), "cpu"))
    monkeypatch.setattr(sweep, "_collect", lambda client, todo, *rest: submitted.extend(todo.values()))
    with pytest.raises(KeyError):  # no records come back from the stand-in
        sweep.run_sweep([*specs, unknown], runs_dir, "cpu", jobs=2, progress=False)
    assert submitted == ordered


def test_train_false_loads_stored_records_and_never_trains(smoke):
    runs_dir, cont, _ = smoke
    kw = dict(profile="smoke", tasks=["addition"], seeds=1, device="cpu", runs_dir=runs_dir, progress=False)
    loaded = experiments.run("continuous", methods=["irem", "feedforward"], train=False, **kw)
    assert [r.config_hash for r in loaded.records] == [r.config_hash for r in cont.records if r.task == "addition"]
    with pytest.raises(FileNotFoundError, match=r"train=False.*addition__recurrent__smoke__seed0"):
        experiments.run("continuous", methods=["recurrent"], train=False, **kw)
    # a page's comparison at another profile: a note where the records are missing, not a training run
    assert experiments.stored("continuous", methods=["recurrent"], train=False, **kw) is None
    assert not list(runs_dir.glob("continuous/addition__recurrent__*"))


def test_irems_added_graph_seeds_train_compiled_and_the_stored_seeds_keep_their_names():
    graph, compute = experiments.get("graph"), experiments.get("compute")
    added = [graph.spec("paper", "shortest_path", "irem", s) for s in (0, 2, 3, 9)]
    assert [(s.train.compiled, s.eval.compiled_eval) for s in added] == [(False, False), (False, False), (True, True),
                                                                         (True, True)]  # fmt: skip
    assert not graph.spec("paper", "shortest_path", "recurrent", 5).train.compiled  # IREM's only
    assert not graph.spec("quick", "shortest_path", "irem", 5).train.compiled  # the paper profile's only
    assert compute.spec("paper", "edge_copy", "irem", 4).weights_file() == graph.spec(
        "paper", "edge_copy", "irem", 4).weights_file()  # a variant evaluates the same added model  # fmt: skip
    assert not graph.spec("paper", "shortest_path", "irem", 4, {"compiled": False}).train.compiled  # asked for
    assert graph.spec("paper", "shortest_path", "irem", 0).filename() == (
        "shortest_path__irem__paper__seed0__5935de5961d5.json")  # fmt: skip
