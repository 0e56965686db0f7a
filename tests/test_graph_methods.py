"""Every method on graph tasks: GNN shapes, halting per graph, replay of graphs, training."""

from dataclasses import replace

import pytest
import torch
from conftest import gen

from irem import experiments
from irem.book.figures import mse_vs_steps
from irem.book.tables import wide_table
from irem.config import EvalConfig, TrainConfig
from irem.experiments.graph import FIG2_NODES, figures
from irem.methods import PAPER_METHODS, make_method
from irem.models import parameter_count
from irem.tasks import make_task

GRAPH_TRAIN = TrainConfig(iterations=60, batch_size=16, hidden=32, lr=1e-3, replay_capacity=128, log_every=20)
GRAPH_EVAL = EvalConfig(test_problems=6, test_steps=5, eval_batch=4, landscape_problems=0)


@pytest.mark.parametrize("name", PAPER_METHODS)  # IRED has no graph energy yet
def test_predict_gives_one_answer_per_edge_and_one_halting_step_per_graph(name):
    task = make_task("shortest_path")
    method = make_method(name, task, GRAPH_TRAIN)
    batch = task.generate([3, 5, 4], gen(0))
    steps = 4 if method.iterative else 1
    traj = method.predict(batch, steps, gen(1), GRAPH_EVAL)
    edges = 9 + 25 + 16
    assert traj.ys.shape == (steps + 1, edges, 1)
    assert traj.halt_step.shape == (3,)
    assert traj.at_halt(batch.row_problem).shape == (edges, 1)
    if name == "irem":
        assert traj.energies.shape == (steps + 1, 3)


def test_graph_energy_is_one_scalar_per_graph_with_gradients_on_the_candidate():
    task = make_task("edge_copy")
    method = make_method("irem", task, GRAPH_TRAIN)
    batch = task.generate([2, 6], gen(0))
    y = torch.zeros_like(batch.y, requires_grad=True)
    e = method.energy(batch.x, y)
    assert e.shape == (2,)
    (grad,) = torch.autograd.grad(e.sum(), y)
    assert grad.shape == y.shape and grad.abs().sum() > 0
    # the energy of one graph does not depend on another graph's candidate
    (grad0,) = torch.autograd.grad(method.energy(batch.x, y)[0], y)
    assert grad0[batch.row_problem == 1].abs().sum() == 0


def test_graph_replay_round_trips_problems_and_candidates():
    task = make_task("shortest_path")
    batch = task.sample(5, "train", gen(0))
    y_hat = torch.randn_like(batch.y)
    fields = batch.replay_fields(y_hat)
    assert all(v.shape[0] == 5 for v in fields.values())
    again, y_hat_again = batch.from_replay_fields(fields)
    assert torch.equal(again.y, batch.y) and torch.equal(y_hat_again, y_hat)
    assert torch.equal(again.x.edge_attr, batch.x.edge_attr)
    assert torch.equal(again.x.edge_index, batch.x.edge_index)


def test_irem_on_graphs_fills_the_replay_buffer_with_graphs():
    task = make_task("edge_copy")
    method = make_method("irem", task, GRAPH_TRAIN)
    batch = task.sample(GRAPH_TRAIN.batch_size, "train", gen(0))
    method.loss(batch, gen(1))
    method.loss(task.sample(GRAPH_TRAIN.batch_size, "train", gen(2)), gen(3))
    assert len(method.buffer) == 3 * GRAPH_TRAIN.batch_size


@pytest.mark.parametrize("name", ["irem", "feedforward"])
def test_graph_methods_reduce_their_loss(name):
    from irem.train import train

    task = make_task("edge_copy")
    torch.manual_seed(0)
    method = make_method(name, task, GRAPH_TRAIN)
    log = train(method, task, GRAPH_TRAIN, gen(0), progress=False)
    first, last = log.train_loss[0][1], log.train_loss[-1][1]
    assert last < 0.8 * first, f"{name}: loss {first:.4f} -> {last:.4f}"


def test_graph_parameter_counts_are_roughly_equal():
    task, config = make_task("shortest_path"), TrainConfig(hidden=128)
    counts = {name: parameter_count(make_method(name, task, config)) for name in PAPER_METHODS}
    irem = counts["irem"]
    for name, n in counts.items():
        assert 0.4 * irem < n < 2.0 * irem, (name, n)


def test_graph_experiment_smoke(tmp_path):
    result = experiments.run("graph", profile="smoke", tasks=["shortest_path"], methods=["irem", "feedforward"],
                             seeds=1, device="cpu", runs_dir=tmp_path, progress=False)  # fmt: skip
    table = result.table()
    assert set(table.split) == {"same", "harder"}
    row = table[(table.method == "irem") & (table.split == "same")].iloc[0]
    assert row.paper == 0.0274 and row.ours > 0
    irem = next(r for r in result.records if r.method == "irem")
    assert list(irem.curves["mse_by_step_by_nodes"]) == [str(n) for n in FIG2_NODES]
    assert len(irem.curves["example"]["truth"]) == irem.curves["example"]["nodes"] ** 2
    assert "10 nodes: ours" in wide_table(table, result.split_labels).columns
    for fig in (mse_vs_steps(result.records, result.split_labels), figures.mse_vs_steps_by_size(result.records),
                figures.graph_example(irem)):  # fmt: skip
        assert fig.axes
    # one method: its tasks side by side, not stacked in a column
    two_tasks = [irem, replace(irem, task="edge_copy")]
    assert figures.mse_vs_steps_by_size(two_tasks).axes[0].get_subplotspec().get_geometry()[:2] == (1, 2)
    two_methods = [*two_tasks, replace(irem, method="recurrent")]  # then a row per task, a column per method
    assert figures.mse_vs_steps_by_size(two_methods).axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)
    with pytest.raises(ValueError, match="task"):
        experiments.run("graph", profile="smoke", tasks=["addition"], runs_dir=tmp_path)


@pytest.mark.parametrize("node_dim", [128, 1])  # our GINEConv layers; the release energy's first layer
def test_gine_layer_equals_torch_geometric_gineconv_with_its_edge_embedding(node_dim):
    from torch import nn
    from torch_geometric.nn import GINEConv

    from irem.models.gnn import EdgeEmbedding, gine

    torch.manual_seed(0)
    edges = EdgeEmbedding(2)
    conv = GINEConv(nn.Sequential(nn.Linear(node_dim, 128), nn.SiLU(), nn.Linear(128, 128)), edge_dim=edges.dim)
    batch = make_task("shortest_path").generate([4, 6], gen(0)).x
    h = torch.randn(batch.num_nodes, node_dim, dtype=torch.float64)
    values = torch.cat([batch.edge_attr, torch.randn_like(batch.edge_attr)], dim=-1).double().requires_grad_()
    edges, conv = edges.double(), conv.double()

    direct = conv(h, batch.edge_index, edges(*values.split(1, dim=-1)))
    fused = gine(conv, h, batch.edge_index, edges.through(conv.lin, *values.split(1, dim=-1)))
    torch.testing.assert_close(fused, direct, rtol=1e-10, atol=1e-10)
    # the reasoning step differentiates twice through the candidate: second derivatives agree too
    grads = [torch.autograd.grad(out.pow(2).sum(), values, create_graph=True)[0] for out in (direct, fused)]
    second = [torch.autograd.grad(g.sum(), conv.lin.weight)[0] for g in grads]
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(second[1], second[0], rtol=1e-10, atol=1e-10)


def test_edge_readout_equals_the_linear_map_of_the_concatenated_endpoints():
    from irem.models.gnn import EdgeReadout

    torch.manual_seed(0)
    readout = EdgeReadout(8).double()
    h = torch.randn(5, 8, dtype=torch.float64)
    edge_index = torch.tensor([[0, 1, 4, 2], [3, 0, 2, 2]])
    direct = readout.out(torch.cat([h[edge_index[0]], h[edge_index[1]]], dim=-1))
    torch.testing.assert_close(readout(h, edge_index), direct, rtol=1e-12, atol=1e-12)


def test_graph_energies_equal_their_torch_geometric_form_once_bound_to_the_graphs():
    from torch_geometric.nn import global_max_pool

    from irem.models.gnn import EnergyGNN, ReleaseEnergyGNN

    torch.manual_seed(0)
    g = make_task("shortest_path").generate([4, 6], gen(0)).x
    g.x, g.edge_attr = g.x.double(), g.edge_attr.double()
    y = torch.randn(g.edge_attr.shape, dtype=torch.float64)
    feature = lambda net: net.edges(g.edge_attr, y)  # noqa: E731  the (E, 128) edge feature, built
    ours, release = EnergyGNN(hidden=16).double(), ReleaseEnergyGNN(hidden=16).double()
    h = ours.gnn.node_in(g.x)
    for conv in ours.gnn.convs:
        h = ours.gnn.act(conv(h, g.edge_index, feature(ours)))
    direct = ours.out(global_max_pool(h, g.batch)).squeeze(-1)
    torch.testing.assert_close(ours.bind(g)(y), direct, rtol=1e-10, atol=1e-10)
    h = g.x
    for conv in release.convs:
        h = conv(h, g.edge_index, feature(release))
    direct = release.out(global_max_pool(h, g.batch)).squeeze(-1)
    torch.testing.assert_close(release.bind(g)(y), direct, rtol=1e-10, atol=1e-10)
