import matplotlib
import pytest

from irem import experiments, plots, report

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("runs")
    kw = dict(profile="smoke", methods=["irem", "feedforward"], seeds=1, device="cpu", runs_dir=runs_dir,
              progress=False)  # fmt: skip
    cont = experiments.continuous(tasks=["addition", "matrix_completion"], **kw)
    comp = experiments.composition(**kw)
    return runs_dir, cont, comp


def test_continuous_table_has_ours_beside_the_paper(smoke):
    _, cont, _ = smoke
    table = cont.table()
    assert len(table) == 2 * 2 * 2  # tasks x methods x splits
    row = table[(table.task == "addition") & (table.method == "irem") & (table.split == "harder")].iloc[0]
    assert row.paper == 0.0021 and row.ours > 0 and row.label_variance > 1.0  # U(-2.5, 2.5) sums
    wide = report.wide_table(table)
    assert {"same: ours", "same: paper", "harder: ours", "harder: paper"} <= set(wide.columns)
    assert "rank" in report.standing(table)
    assert report.parameter_table(cont.records).shape == (2, 2)
    assert "smoke" in report.provenance_note(cont)


def test_composition_reuses_the_addition_weights_and_reports_every_depth(smoke):
    runs_dir, cont, comp = smoke
    # the composition runs loaded the continuous runs' cached weights: same training log
    for method in ("irem", "feedforward"):
        a = next(r for r in cont.records if r["task"] == "addition" and r["method"] == method)
        c = next(r for r in comp.records if r["method"] == method)
        assert a["curves"]["train_loss"] == c["curves"]["train_loss"]
        assert c["provenance"]["train_git_commit"] == a["provenance"]["git_commit"]
    rec = comp.records[0]
    k_max = rec["config"]["eval"]["compose_max"]
    assert sorted(rec["metrics"], key=int) == [str(k) for k in range(1, k_max + 1)]
    assert len(rec["curves"]["example"]["inputs"]) == 4
    table = comp.table()
    assert table[(table.method == "irem") & (table.split == "2")].paper.iloc[0] == 0.0014


def test_best_profile_loads_without_training(smoke):
    runs_dir, _, _ = smoke
    # no quick or paper records here: "best" must not fall back to training
    with pytest.raises(FileNotFoundError):
        experiments.continuous(profile="best", tasks=["addition"], methods=["irem"], runs_dir=runs_dir)


def test_every_figure_draws_from_records(smoke):
    _, cont, comp = smoke
    irem_add = next(r for r in cont.records if r["method"] == "irem" and r["task"] == "addition")
    figures = [
        plots.mse_vs_steps(cont.records),
        plots.per_element_error(irem_add),
        plots.energy_landscape([r for r in cont.records if r["method"] == "irem"]),
        plots.train_loss(cont.records),
        plots.composition_error(comp.records),
        plots.composition_example(next(r for r in comp.records if r["method"] == "irem")),
    ]
    for fig in figures:
        assert fig.axes
        matplotlib.pyplot.close(fig)


def test_ranks_compare_our_ordering_with_the_papers():
    import pandas as pd

    table = pd.DataFrame(
        [
            dict(task="addition", method="irem", split="same", ours=0.3, paper=0.0003),
            dict(task="addition", method="feedforward", split="same", ours=0.1, paper=0.0448),
            dict(task="addition", method="recurrent", split="same", ours=0.5, paper=0.3610),
        ]
    )
    row = report.ranks(table).iloc[0]
    assert row["rank (ours)"] == "2 of 3" and row["rank (paper)"] == "1 of 3"
    assert row["best other method (ours)"] == "Feedforward"


def test_budget_note_flags_runs_shorter_than_the_papers(smoke):
    _, cont, _ = smoke
    assert "not have converged" in report.budget_note(cont)  # smoke: 30 iterations
    assert "not have converged" not in report.budget_note(cont, paper_iterations=30)
    table = report.provenance_table({"continuous": cont})
    assert table.loc[0, "profile"] == "smoke" and table.loc[0, "records"] == len(cont.records)
