"""Harder problems: the scaled ones, the difficulty evaluation against an energy whose minimum is known, and the
book's section on its records."""

from dataclasses import replace

import pytest
import torch
from torch import nn
from torch_geometric.utils import scatter

from irem.book.claims import claim_notes
from irem.config import EvalConfig, TrainConfig
from irem.experiments.difficulty import analysis, figures
from irem.experiments.difficulty.experiment import difficulty
from irem.methods import make_method
from irem.tasks import make_task


def test_scaled_addition_draws_operands_from_the_given_range():
    task = make_task("addition", size=50)
    batch = task.sample_scale(400, 3.0, torch.Generator().manual_seed(0))
    a, b = batch.x[:, :50], batch.x[:, 50:]
    assert torch.equal(batch.y, a + b)
    assert a.abs().max() <= 3.0 and a.abs().max() > 2.9  # U(-3, 3), not U(-1, 1)
    assert a.var().item() == pytest.approx(3.0**2 / 3, rel=0.05)
    # the harder split is the scale 2.5, drawn the same way
    harder = task.sample(8, "harder", torch.Generator().manual_seed(1))
    assert torch.equal(harder.x, task.sample_scale(8, 2.5, torch.Generator().manual_seed(1)).x)
    with pytest.raises(ValueError, match="scale"):
        task.sample_scale(8, 0.0, torch.Generator())


class _SquaredDistance(nn.Module):
    """E(x, y) = |y - (a + b)|^2: its minimum is the answer, and a step of size lam scales the error by (1 - 2 lam)."""

    def forward(self, x, y, z=None):
        d = y.shape[1]
        return ((y - x[:, :d] - x[:, d:]) ** 2).sum(-1)


def test_difficulty_follows_the_analytic_descent_of_a_known_energy():
    task = make_task("addition", size=10)
    irem = make_method("irem", task, TrainConfig(step_size=0.1, hidden=8))
    irem.energy = _SquaredDistance()
    options = EvalConfig(test_problems=40, eval_batch=4, halt_patience=1)
    gen = torch.Generator().manual_seed(0)
    problems = lambda s: task.sample_scale(10, s, gen)  # noqa: E731
    out = difficulty(irem, (1.0, 3.0), problems, options, gen, step_sizes=(0.05, 0.1), halt_tols=(1e-3,), steps=6,
                     at_steps=(0, 1, 2, 6, 99))  # fmt: skip
    assert out["steps"] == [0, 1, 2, 6]
    for scale in ("1.0", "3.0"):
        entry = out["scales"][scale]
        for lam, by_lambda in entry["step_size"].items():
            curve = by_lambda["mse_by_step"]
            ratio = (1 - 2 * float(lam)) ** 2  # per step, on the squared error
            for (s0, e0), (s1, e1) in zip(zip(out["steps"], curve), zip(out["steps"][1:], curve[1:])):
                assert e1 == pytest.approx(e0 * ratio ** (s1 - s0), rel=1e-4)
            assert by_lambda["halting"]["0.001"]["mean_halt_step"] == 6  # never stalls
        # the true answer is this energy's minimum: lower than where the descent ends, and it stays there
        assert entry["answer_lower"] == 1.0
        assert entry["mse_from_answer"] == [0.0] * 4
    # harder problems start farther from the answer (U(-1, 1) starts, answers of variance 2 s^2 / 3)
    assert out["scales"]["3.0"]["label_variance"] == pytest.approx(6.0, rel=0.3)
    assert out["scales"]["3.0"]["step_size"]["0.1"]["mse_by_step"][0] > out["scales"]["1.0"]["step_size"]["0.1"][
        "mse_by_step"][0]  # fmt: skip


def _smoke_irem(task: str, runs_dir) -> dict:
    """Keyword arguments of ``experiments.run`` for one smoke-profile seed of IREM on ``task`` in ``runs_dir``."""
    return dict(profile="smoke", tasks=[task], methods=["irem"], seeds=1, device="cpu", runs_dir=runs_dir,
                progress=False)  # fmt: skip


def test_difficulty_experiment_reuses_the_continuous_weights_and_feeds_the_book(tmp_path):
    from irem import experiments, summary
    from irem.experiments.difficulty import SCALES

    kw = _smoke_irem("addition", tmp_path)
    cont = experiments.run("continuous", **kw)
    diff = experiments.run("difficulty", **kw)
    rec = diff.records[0]
    assert rec.provenance["weights"] == "reused" and rec.curves["train_loss"] == cont.records[0].curves["train_loss"]
    table = analysis.difficulty_table(diff.records)
    assert list(table.operands) == [f"U(-{s}, {s})" for s in SCALES]
    assert table["label variance"].is_monotonic_increasing  # wider operands, wider answers
    numbers = analysis.difficulty_summary(diff.records)
    assert numbers["scale"] == "2.5" and 0 <= numbers["answer_lower"] <= 100
    assert len(figures.difficulty(diff.records).axes) == 2
    assert analysis.difficulty_caption(diff.records).startswith(
        "*IREM on addition with operands from U(-s, s), mean over seeds (smoke profile, 1 seed(s)). Left: test MSE "
        "against reasoning steps at each scale from random starts (solid)")  # fmt: skip
    fig3 = next(c for c in summary.claims({"continuous": cont, "difficulty": diff}) if c.claim.startswith("Fig. 3"))
    assert fig3.note.startswith("why (difficulty experiment): addition at U(-2.5, 2.5) (smoke)")  # below the table
    assert "why" not in fig3.ours
    assert claim_notes([fig3]).startswith("- **Fig. 3**: why (difficulty experiment)")


def test_descent_from_a_given_answer_draws_the_scratchpad_it_needs():
    task = make_task("addition", size=10)
    irem = make_method("irem", task, TrainConfig(hidden=8, scratchpad=4))
    batch = task.sample(3, "same", torch.Generator().manual_seed(0))
    traj = irem.predict_from(batch, batch.y.clone(), 2, torch.Generator().manual_seed(1), EvalConfig())
    assert traj.ys.shape == (3, 3, 10) and traj.zs.shape == (3, 3, 4)
    assert torch.equal(traj.ys[0], batch.y)  # it starts where it was told


class _EdgeDistance(nn.Module):
    """E(g, y) = the sum over a graph's edges of (y - w)^2: the edge-copy answer is its minimum."""

    def forward(self, g, y, z=None):
        per_edge = ((y - g.edge_attr) ** 2).sum(-1)
        return scatter(per_edge, g.batch[g.edge_index[0]], dim=0, dim_size=g.num_graphs, reduce="sum")


def test_difficulty_on_graphs_keys_levels_by_nodes_and_halts_each_graph():
    task = make_task("edge_copy")
    irem = make_method("irem", task, TrainConfig(step_size=0.1, hidden=8))
    irem.energy = _EdgeDistance()
    options = EvalConfig(test_problems=8, eval_batch=3, halt_patience=1)  # chunks of 3 graphs, 5 graphs per size
    gen = torch.Generator().manual_seed(0)
    out = difficulty(irem, (4, 7), lambda n: task.sample_nodes(5, n, gen), options, gen, step_sizes=(0.1,),
                     halt_tols=(1e-3,), steps=4, at_steps=(0, 1, 4))  # fmt: skip
    assert set(out["scales"]) == {"4", "7"}
    for entry in out["scales"].values():
        curve = entry["step_size"]["0.1"]["mse_by_step"]
        assert curve[1] == pytest.approx(curve[0] * 0.8**2, rel=1e-4)  # each step scales every edge's error by 0.8
        assert entry["step_size"]["0.1"]["halting"]["0.001"]["mean_halt_step"] == 4
        assert entry["answer_lower"] == 1.0 and entry["mse_from_answer"] == [0.0] * 3


def test_difficulty_experiment_on_graphs_reuses_the_graph_weights(tmp_path):
    from irem import experiments
    from irem.experiments.difficulty import NODES

    kw = _smoke_irem("edge_copy", tmp_path)
    graph = experiments.run("graph", **kw)
    diff = experiments.run("difficulty", **kw)
    rec = diff.records[0]
    assert rec.provenance["weights"] == "reused" and rec.curves["train_loss"] == graph.records[0].curves["train_loss"]
    assert list(analysis.difficulty_table(diff.records).nodes) == [f"{n} nodes" for n in NODES]
    summary = analysis.difficulty_summary(diff.records, scale=str(max(NODES)))
    assert summary["largest"] == str(max(NODES)) and 0 <= summary["answer_lower"] <= 100
    assert len(figures.difficulty(diff.records).axes) == 2
    lv = analysis.label_variances(diff.records)
    assert set(lv) == {("edge_copy", str(n)) for n in NODES}
    assert lv[("edge_copy", "10")] == rec.curves["difficulty"]["scales"]["10"]["label_variance"]
    recurrent = experiments.run("graph", **{**kw, "methods": ["recurrent"]}).records
    note = analysis.fig2_step_size_note(diff.records, recurrent, max(NODES))
    assert f"at {max(NODES)} nodes with λ = " in note and "the recurrent baseline's" in note


def test_difficulty_prose_follows_the_numbers(tmp_path):
    import copy

    from irem import experiments

    kw = _smoke_irem("edge_copy", tmp_path)
    rec = experiments.run("difficulty", **kw).records[0]
    rec.curves["difficulty"]["steps"] = [0, 10, 80]  # curves rewritten below: every descent ends at 1.0, as does
    for entry in rec.curves["difficulty"]["scales"].values():  # the one from the answer: a minimum off the answer
        for e in entry["step_size"].values():
            e["mse_by_step"] = [2.0, 1.0, 1.0]
        entry["mse_from_answer"], entry["answer_lower"] = [0.0, 1.0, 1.0], 0.0
    assert "more steps cannot lower the error on larger graphs (edge copy)" in analysis.difficulty_prose([rec], "30")
    falling = copy.deepcopy(rec)
    lam = str(rec.config["train"]["step_size"])
    falling.curves["difficulty"]["scales"]["30"]["step_size"][lam]["mse_by_step"] = [2.0, 1.0, 0.5]
    assert "lower the error on larger graphs (edge copy), with the training step size." in analysis.difficulty_prose(
        [falling], "30")  # fmt: skip
    overshooting = copy.deepcopy(rec)  # the training lambda stalls at 1.0, a smaller one goes on to 0.1
    small = next(k for k in rec.curves["difficulty"]["scales"]["30"]["step_size"] if k != lam)
    overshooting.curves["difficulty"]["scales"]["30"]["step_size"][small]["mse_by_step"] = [2.0, 1.5, 0.1]
    text = analysis.difficulty_prose([overshooting], "30")
    assert f"lowest error comes with λ = {float(small):g}: 0.1" in text and "the training one overshoots" in text
    assert "more steps do lower the error" in text
    assert "does make the error fall between 10 and 80 steps" in text  # one seed: no "on each of the seeds"
    second = replace(copy.deepcopy(overshooting), seed=1)
    assert "does make the error fall on each of the 2 seeds between 10 and 80 steps" in analysis.difficulty_prose(
        [overshooting, second], "30")  # fmt: skip
    # a smaller step size that reaches its error by step 10: the step size helps, more steps do not
    overshooting.curves["difficulty"]["scales"]["30"]["step_size"][small]["mse_by_step"] = [2.0, 0.1, 0.1]
    text = analysis.difficulty_prose([overshooting], "30")
    assert (
        f"a smaller test-time step size lowers the error on larger graphs (edge copy) (the training one "
        f"overshoots), but more steps do not: with λ = {float(small):g} the error is 0.1 after 10 steps" in text
    )


def test_section_shows_the_figure_caption_table_prose_and_note_in_order(tmp_path, monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    from irem import experiments
    from irem.experiments.difficulty.section import DifficultySection

    kw = _smoke_irem("edge_copy", tmp_path)
    recs = experiments.run("difficulty", **kw).records
    recurrent = experiments.run("graph", **{**kw, "methods": ["recurrent"]}).records
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    section = DifficultySection(recs, "30", heading=True, recurrent=recurrent)
    section._ipython_display_()  # what IPython's display(section) calls
    assert [type(x).__name__ for x in shown] == ["Markdown", "Figure", "Markdown", "Styler", "Markdown", "Markdown"]
    assert shown[0].data == "**Edge copy**" and not plt.fignum_exists(shown[1].number)  # closed once shown
    assert shown[2].data.startswith("*IREM on edge copy against graph size, trained on 2-10 nodes (smoke profile, "
                                    "1 seed(s)). Left: test MSE against reasoning steps at each size")  # fmt: skip
    assert shown[2].data.endswith("and at halting (relative tolerance 0.001).*")
    assert shown[4].data == analysis.difficulty_prose(recs, "30") and "**Verdict:**" in shown[4].data
    assert shown[5].data == analysis.fig2_step_size_note(recs, recurrent, 30)
    shown.clear()
    DifficultySection(recs, "30")._ipython_display_()  # no heading; no note without the recurrent baseline
    assert [type(x).__name__ for x in shown] == ["Figure", "Markdown", "Styler", "Markdown"]


def test_edges_step_scaling_shrinks_the_step_on_graphs_larger_than_the_training_ones():
    task = make_task("edge_copy")
    irem = make_method("irem", task, TrainConfig(step_size=0.1, hidden=8))
    irem.energy = _EdgeDistance()
    scaled = EvalConfig(test_step_scaling="edges")
    gen = torch.Generator().manual_seed(0)
    for nodes, factor in ((8, 1.0), (10, 1.0), (20, 0.25)):  # (10 / n)^2 beyond the 10-node training graphs
        batch = task.sample_nodes(3, nodes, gen)
        uniform = torch.rand(batch.y.shape, generator=gen) * 2 - 1
        traj = irem.predict_from(batch, uniform, 1, gen, scaled)
        # one step of size lam * factor on (y - w)^2 scales every edge's error by 1 - 2 lam factor
        assert torch.allclose(traj.ys[1] - batch.y, (1 - 2 * 0.1 * factor) * (uniform - batch.y), atol=1e-6)
    with pytest.raises(ValueError, match="graph tasks only"):
        addition = make_task("addition", size=4)
        make_method("irem", addition, TrainConfig(hidden=8)).predict(addition.sample(2, "same", gen), 1, gen, scaled)
    with pytest.raises(ValueError, match="test_step_scaling='nodes' is not allowed; choose one of: 'none', 'edges'"):
        EvalConfig(test_step_scaling="nodes")


def test_summary_adds_figure_2_with_the_scaled_step_beside_the_chapters_verdict(tmp_path):
    from irem import experiments, summary
    from irem.experiments.graph.analysis import SCALED_GRAPH

    kw = _smoke_irem("edge_copy", tmp_path)
    graph = experiments.run("graph", **{**kw, "methods": ["irem", "recurrent"]})
    scaled = experiments.run("graph", overrides={"test_step_scaling": "edges"}, **kw)
    assert scaled.records[0].provenance["weights"] == "reused"  # an evaluation setting: same trained model
    scaled.records += [r for r in graph.records if r.method == "recurrent"]  # as the summary adds its baseline
    fig2 = next(c for c in summary.claims({"graph": graph, SCALED_GRAPH: scaled}) if c.claim.startswith("Fig. 2"))
    assert "with the test-time step size scaled by edges (beyond the paper; smoke): edge copy" in fig2.note
    assert fig2.note.rsplit("; by this row's rule, ", 1)[1] in ("reproduced", "partly", "not reproduced")
    assert "scaled" not in fig2.ours  # the cell holds the chapter's numbers; the scaled step's go below the table
    alone = next(c for c in summary.claims({"graph": graph}) if c.claim.startswith("Fig. 2"))
    assert fig2.verdict == alone.verdict  # the verdict stays the chapter's
