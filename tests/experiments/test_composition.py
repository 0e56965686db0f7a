"""The composition chapter: its evaluation feeds the learned addition operands like the training ones; its analysis,
claims and figures on smoke-profile runs."""

import math

import matplotlib
import pytest
import torch
from conftest import gen

from irem import experiments, summary
from irem.book.claims import claims_table
from irem.config import EvalConfig
from irem.experiments.composition import analysis, figures
from irem.experiments.composition.experiment import composition
from irem.minimize import Trajectory
from irem.tasks import make_task

matplotlib.use("Agg")


class _Spy:
    """Answers every addition exactly and keeps the operands it was asked to add."""

    iterative = False

    def __init__(self) -> None:
        self.operands: list[torch.Tensor] = []

    def predict(self, batch, steps, generator, options):
        a, b = batch.x.chunk(2, dim=1)
        self.operands.append(b)
        ys = torch.stack([torch.zeros_like(a), a + b])
        return Trajectory(ys=ys, energies=None, halt_step=torch.ones(len(batch), dtype=torch.long))


def test_operands_are_drawn_as_the_training_inputs_are():
    task, spy = make_task("addition"), _Spy()
    options = EvalConfig(test_problems=200, compose_max=5, eval_batch=100)
    mse, example = composition(spy, task, options, gen(0))
    operands = torch.cat(spy.operands)  # v_1 .. v_5 of every problem
    train_inputs = task.sample(1000, "same", gen(1)).x
    assert operands.min() >= -1 and operands.max() <= 1  # the training range, not a sum's [-2, 2]
    assert abs(operands.mean()) < 0.01 and abs(operands.var() - train_inputs.var()) < 0.01  # 1/3 for U(-1, 1)
    assert max(mse) < 1e-10  # an exact adder makes no error at any depth
    assert all(-1 <= v <= 1 for panel in example["inputs"] for v in panel)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    kw = dict(profile="smoke", methods=["irem", "feedforward"], seeds=1, device="cpu",
              runs_dir=tmp_path_factory.mktemp("runs"), progress=False)  # fmt: skip
    return experiments.run("continuous", tasks=["addition"], **kw), experiments.run("composition", **kw)


def test_composition_reuses_the_addition_weights_and_reports_every_depth(smoke):
    cont, comp = smoke
    # the composition runs loaded the continuous runs' cached weights: same training log
    for method in ("irem", "feedforward"):
        a = next(r for r in cont.records if r.task == "addition" and r.method == method)
        c = next(r for r in comp.records if r.method == method)
        assert a.curves["train_loss"] == c.curves["train_loss"]
        assert c.provenance["weights"] == "reused" and a.provenance["weights"] == "trained"
        assert c.provenance["train_git_commit"] == a.provenance["git_commit"]
        assert c.provenance["train_dirty"] == a.provenance["dirty"]
    rec = comp.records[0]
    k_max = rec.eval["compose_max"]
    assert sorted(rec.metrics, key=int) == [str(k) for k in range(1, k_max + 1)]
    assert len(rec.curves["example"]["inputs"]) == 4
    table = comp.table()
    assert table[(table.method == "irem") & (table.split == "2")].paper.iloc[0] == 0.0014
    summary = analysis.composition_summary(comp)
    assert summary.k_last == k_max and summary.best_2 in ("IREM", "Feedforward")
    assert summary.best_5 is None and summary.best_10 is None  # smoke nests 4 additions
    assert summary.irem_last == comp.ours("addition", "irem", str(k_max))
    assert math.isnan(summary.irem_paper_last)  # smoke nests 4 additions; Table 4 has 2, 5 and 10
    assert summary.best_last_gap == " (from one seed, so the spread between seeds is not known)"


def test_first_operation_sets_one_composed_addition_beside_the_single_one(smoke):
    cont, comp = smoke
    table = analysis.first_operation(comp, cont).set_index("method")
    for method in ("irem", "feedforward"):
        row = table.loc[{"irem": "IREM", "feedforward": "Feedforward"}[method]]
        single = next(r for r in cont.records if r.method == method).metrics["same"]["mse"]
        assert row["1 operation (this chapter)"] == comp.ours("addition", method, "1")
        assert row["single addition (continuous chapter)"] == single and row["profiles"] == "smoke / smoke"
    assert "2 ops: ours" in analysis.styled_composition_table(comp.table()).to_html()


def test_claims_give_the_summarys_row(smoke):
    _, comp = smoke
    rows = claims_table(analysis.claims({"composition": comp}))
    assert list(rows["claim of the paper"].str.split(":").str[0]) == ["Table 4 / Fig. 7"]
    assert rows.equals(summary.verdict_table({"composition": comp}))  # the summary finds the chapter's claims
    assert analysis.claims({}) == []


def test_figures_draw_what_the_records_hold(smoke):
    _, comp = smoke
    fig = figures.composition_error(comp.records)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines() if not ln.get_label().startswith("_")}
    assert set(lines) == {"IREM", "Feedforward"}
    irem = next(r for r in comp.records if r.method == "irem")
    assert list(lines["IREM"].get_ydata()) == pytest.approx(irem.curves["composition_mse"])
    assert len(figures.composition_example(irem).axes) == 6  # four operands, the answer and the truth
    matplotlib.pyplot.close("all")
