"""The paper's test-time protocol: IREM's step size chosen per split or graph size on validation problems."""

import pytest
import torch

from irem import evaluate, experiments
from irem.config import EvalConfig
from irem.curves import TUNING
from irem.experiments import running, sweep
from irem.experiments.graph.experiment import STEP_SIZE_BY_NODES

TUNED = {"test_step_scaling": "tuned", "iterations": 20, "tune_problems": 4, "tune_grid": "2,1,0.5,0.25"}


@pytest.mark.parametrize(
    "energy, expected",
    [
        ([5.0, 4.0, 3.0, 2.5, 2.5], True),
        ([5.0, 4.0, 3.0, 3.005, 2.9], True),  # a rise within 1 % of the whole fall
        ([5.0, 3.0, 4.0, 2.0], False),
        ([5.0, 5.0, 5.0], False),  # no fall at all
        ([1.0, 0.5, 2.0], False),  # ends above where it started
    ],
)
def test_smooth_means_the_mean_energy_falls_at_every_step(energy, expected):
    assert evaluate.smooth(energy) is expected


def test_the_chosen_step_size_follows_the_rule_on_the_validation_table(tmp_path):
    graph = experiments.get("graph")
    specs = [graph.spec("smoke", "shortest_path", "irem", 0, {**TUNED, "tune_rule": rule})
             for rule in ("smooth", "lowest_error")]  # fmt: skip
    records = sweep.run_all(specs, tmp_path, "cpu", progress=False)
    for record, rule in zip(records, ("smooth", "lowest_error")):
        for split, metrics in record.metrics.items():
            table = record.curves[TUNING][split]
            assert table["step_size"] == sorted(table["step_size"], reverse=True)
            assert table["step_size"][0] == 2 * record.train["step_size"]  # the default grid's largest factor
            if rule == "smooth":
                smooth = [s for s, ok in zip(table["step_size"], table["smooth"]) if ok]
                assert metrics["step_size"] == (smooth[0] if smooth else table["step_size"][-1])
            else:
                assert metrics["step_size"] == table["step_size"][table["mse"].index(min(table["mse"]))]
        assert set(record.curves[STEP_SIZE_BY_NODES]) == {"5", "10", "15", "20", "25", "30"}
    # the weights are shared: the two rules evaluate one model
    assert records[0].provenance["weights_sha256"] == records[1].provenance["weights_sha256"]


def test_the_test_problems_never_choose_the_step_size():
    """Tuning sees only the validation problems: other test problems give the same choice."""
    exp = experiments.get("continuous")
    spec = exp.spec("smoke", "addition", "irem", 0, {"iterations": 20})
    task, method = spec.build(torch.device("cpu"))  # untrained: the protocol, not the model, is under test
    options = EvalConfig(test_problems=16, test_steps=6, eval_batch=8, test_step_scaling="tuned", tune_problems=8)
    chosen = []
    for test_seed in (1, 2):
        metrics, curves = evaluate.evaluate_split(method, task, "harder", options, running.generator("cpu", test_seed),
                                                  running.generator("cpu", 99))  # fmt: skip
        chosen.append((metrics["step_size"], curves[TUNING]))
    assert chosen[0] == chosen[1]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"test_step_scaling": "tuned", "tune_problems": 0}, "tune_problems must be an integer > 0, got 0"),
        ({"test_step_scaling": "tuned", "tune_grid": "1,0"}, "tune_grid must be comma-separated finite numbers > 0"),
        ({"test_step_scaling": "tuned", "tune_grid": "1,nan"}, "tune_grid must be comma-separated finite numbers > 0"),
        ({"test_step_scaling": "tuned", "tune_grid": "-2"}, "tune_grid must be comma-separated finite numbers > 0"),
        ({"test_step_scaling": "tuned", "tune_rule": "best"}, "tune_rule='best' is not allowed"),
        ({"tune_grid": "1,0.5"}, "tune_grid: used with test_step_scaling='tuned' only, not 'none'"),
    ],
)
def test_bad_tuning_settings_are_clear_errors_before_any_work(overrides, message):
    with pytest.raises(ValueError, match=message):
        experiments.get("graph").spec("smoke", "shortest_path", "irem", 0, overrides)


@pytest.mark.parametrize("experiment, method", [("continuous", "feedforward"), ("ablations", "irem")])
def test_tuned_is_refused_where_nothing_would_tune(experiment, method):
    with pytest.raises(ValueError, match="test_step_scaling='tuned' chooses IREM's test-time step size"):
        experiments.get(experiment).spec("smoke", "addition", method, 0, {"test_step_scaling": "tuned"})
