"""The release's graph recipe (irem.recipes): its replay composition, its node features, and what it refuses."""

import pytest
import torch
from conftest import gen

from irem import cli, experiments
from irem.config import TrainConfig, check_applies, stored
from irem.methods import make_method
from irem.models.gnn import ReleaseEnergyGNN
from irem.recipes import RECIPES, recipe
from irem.tasks import make_task

SMALL = dict(batch_size=4, hidden=16, replay_capacity=64)


def test_the_release_recipe_sets_what_graph_train_py_does_and_nothing_else_changes_old_hashes():
    assert recipe("release") == {"graph_energy": "release", "node_feature": 0.0, "replay_batch": 32,
                                 "replay_keep": 72, "lr": 1e-4, "step_size": 100.0, "steps": 5}  # fmt: skip
    assert recipe("paper") == {} and "replay_batch" not in stored(TrainConfig())  # defaults keep records' names
    with pytest.raises(ValueError, match="recipe='nope' is not allowed; choose one of: 'paper', 'release'"):
        recipe("nope")
    with pytest.raises(ValueError, match="recipe='release' trains graph tasks"):
        recipe("release", task_is_graph=False)


def test_replayed_problems_come_first_and_only_the_first_replay_keep_go_back(monkeypatch):
    task = make_task("shortest_path")
    method = make_method("irem", task, TrainConfig(**SMALL, replay_batch=2, replay_keep=5))
    method.loss(task.sample(4, "train", gen(0)), gen(1))  # empty buffer: 4 fresh graphs, all 4 kept
    assert len(method.buffer) == 4
    drawn, original = [], method.buffer.sample
    monkeypatch.setattr(method.buffer, "sample", lambda n, g: drawn.append(original(n, g)) or drawn[-1])
    fresh = task.sample(4, "train", gen(3))
    method.loss(fresh, gen(4))  # 2 replayed, then 4 fresh: the first 5 of those 6 go back
    assert len(method.buffer) == 4 + 5
    written = method.buffer._store["target"][4:9]
    expected = torch.cat([drawn[0]["target"], fresh.replay_fields(fresh.y)["target"][:3]])
    assert torch.equal(written, expected)


def test_replay_batch_sets_how_many_graphs_a_step_replays(monkeypatch):
    task = make_task("edge_copy")
    method = make_method("irem", task, TrainConfig(**SMALL, replay_batch=3))
    method.loss(task.sample(4, "train", gen(0)), gen(1))
    seen = []
    original = method.buffer.sample
    monkeypatch.setattr(method.buffer, "sample", lambda n, g: seen.append(n) or original(n, g))
    method.loss(task.sample(4, "train", gen(2)), gen(3))
    assert seen == [3] and len(method.buffer) == 4 + 3 + 4  # replay_keep 0: every problem of the step goes back


def test_node_feature_zero_is_the_energy_of_graphs_whose_nodes_hold_zero():
    task = make_task("connected_components")
    g = task.generate([3, 4], gen(0))
    torch.manual_seed(0)
    zero = ReleaseEnergyGNN(hidden=16, node_feature=0.0)
    one = ReleaseEnergyGNN(hidden=16)
    one.load_state_dict(zero.state_dict())  # node_feature is not a weight: the same state dict
    y = torch.rand(g.y.shape, generator=gen(1))
    zeroed = g.x.clone()
    zeroed.x = torch.zeros_like(g.x.x)
    assert torch.allclose(zero(g.x, y), one(zeroed, y))
    assert not torch.allclose(zero(g.x, y), one(g.x, y))


@pytest.mark.parametrize("setting", [{"precision": "bf16"}, {"compiled": True}, {"scratchpad": 4},
                                     {"graph_energy": "release"}, {"replay_batch": 32}])  # fmt: skip
def test_settings_a_baseline_ignores_are_refused_before_any_work(setting):
    with pytest.raises(ValueError, match="does not apply to method 'feedforward'"):
        experiments.get("graph").spec("smoke", "shortest_path", "feedforward", 0, setting)


def test_graph_only_settings_are_refused_on_continuous_tasks():
    with pytest.raises(ValueError, match="node_feature=0.0 does not apply to method 'irem' on task 'addition'"):
        check_applies("irem", "addition", False, TrainConfig(node_feature=0.0))


def test_cli_recipe_is_overrides_and_set_goes_over_it():
    args = cli.build_parser().parse_args(["train", "--task", "shortest_path", "--recipe", "release",
                                          "--set", "replay_keep=40", "--steps", "3"])  # fmt: skip
    assert cli._overrides(args) == {**RECIPES["release"], "replay_keep": 40, "steps": 3}
