"""Restarts chosen by energy: after every step each problem keeps its lowest-energy descent."""

import pytest
import torch
from conftest import fake_record

from irem import experiments
from irem.config import EvalConfig
from irem.experiments.compute import analysis, figures
from irem.experiments.compute.experiment import restarts
from irem.minimize import Trajectory
from irem.store import Record
from irem.tasks import make_task


def record(task="shortest_path", method="irem", seed=0, **kw) -> Record:
    return fake_record("compute", task, method, seed, **kw)


class _Descents:
    """Descent i answers i + 1 everywhere with energy |i - 1|: descent 1 has the lowest energy.

    Each call to ``predict`` is the next descent (a fresh random start, as IREM's are).
    """

    iterative = True

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, batch, steps, generator, options):
        i, self.calls = self.calls, self.calls + 1
        ys = torch.full((steps + 1, *batch.y.shape), float(i + 1))
        energies = torch.full((steps + 1, len(batch)), float(abs(i - 1)))
        return Trajectory(ys=ys, energies=energies, halt_step=torch.full((len(batch),), steps))


def test_restarts_keep_the_lowest_energy_descent_per_problem_and_step():
    test = make_task("edge_copy").sample_nodes(3, 4, torch.Generator().manual_seed(0))
    options = EvalConfig(test_problems=3, test_steps=2, eval_batch=3)
    curves = restarts(_Descents(), test, options, torch.Generator(), counts=(1, 4))
    mse = lambda answer: ((answer - test.y) ** 2).mean().item()  # noqa: E731
    # k = 1 keeps descent 0 (answers 1); k = 4 keeps descent 1 (energy 0, answers 2)
    assert curves["1"] == [float(f"{mse(1.0):.6g}")] * 3
    assert curves["4"] == [float(f"{mse(2.0):.6g}")] * 3


class _PerProblem:
    """Descent i answers i + 1; on a chunk's p-th problem its energy is (i + p) mod 3 at step 0, -(i + p) after.

    A descent is the i-th call on the same chunk, whatever the order of chunks and descents.
    """

    iterative = True

    def __init__(self) -> None:
        self.seen: dict[tuple, int] = {}

    def predict(self, batch, steps, generator, options):
        key = (len(batch), *batch.y[:4].flatten().tolist())
        i = self.seen[key] = self.seen.get(key, -1) + 1
        p = torch.arange(len(batch), dtype=torch.float32)
        energies = torch.stack([(i + p) % 3, *[-(i + p)] * steps])
        ys = torch.full((steps + 1, *batch.y.shape), float(i + 1))
        return Trajectory(ys=ys, energies=energies, halt_step=torch.full((len(batch),), steps))


def test_restarts_choose_a_descent_per_problem_as_a_brute_force_choice_does():
    test = make_task("shortest_path").sample_nodes(5, 4, torch.Generator().manual_seed(0))
    options = EvalConfig(test_problems=5, test_steps=2, eval_batch=2)  # three chunks
    curves = restarts(_PerProblem(), test, options, torch.Generator(), counts=(1, 2, 4))
    edges = test.row_problem
    for k in (1, 2, 4):
        for step in range(3):
            local = [p % 2 for p in range(5)]  # each problem's place in its chunk
            energy = {i: [((i + q) % 3 if step == 0 else -(i + q)) for q in local] for i in range(k)}
            best = [min(range(k), key=lambda i: (energy[i][p], i)) for p in range(5)]  # ties: the first descent
            answer = torch.tensor([best[p] + 1.0 for p in edges.tolist()]).reshape(test.y.shape)
            assert curves[str(k)][step] == pytest.approx(((answer - test.y) ** 2).mean().item(), rel=1e-5)


def test_restarts_below_one_are_a_clear_error():
    test = make_task("edge_copy").sample_nodes(2, 4, torch.Generator().manual_seed(0))
    options = EvalConfig(test_problems=2, test_steps=2, eval_batch=2)
    for counts, message in (((1, 0), "restarts must be an integer > 0"), ((), "at least one")):
        with pytest.raises(ValueError, match=message):
            restarts(_Descents(), test, options, torch.Generator(), counts=counts)


def test_restarts_summary_and_prose_read_each_models_last_step_of_one_and_of_the_most_restarts():
    def rec(task, seed, by_k):
        return record(task, seed=seed, curves={"restarts": {"30": {k: [9.0, v] for k, v in by_k.items()}}})

    # shortest path: both models' errors fall to a third or below; connected components: one model's rises
    recs = [rec("shortest_path", 0, {"1": 4.0, "16": 1.0}), rec("shortest_path", 1, {"1": 30.0, "16": 10.0}),
            rec("connected_components", 0, {"1": 0.4, "16": 0.2}),
            rec("connected_components", 1, {"1": 0.4, "16": 0.6})]  # fmt: skip
    table = analysis.restarts_summary(recs)
    assert table["k = 1"][0].values == (4.0, 30.0) and table["k = 16"][0].median == pytest.approx(5.5)
    assert table.ratio[0].values == pytest.approx((0.25, 1 / 3)) and table.ratio[1].values == pytest.approx((0.5, 1.5))
    assert analysis.restarts_prose(recs).startswith(
        "Keeping the lowest-energy answer of 16 descents instead of one leaves less than 90 % of the error after the "
        "last step in 1 of 2 cases, and more than 110 % in 0, each model read against itself"
    )  # the mean over seeds (0.4 → 0.4 on connected components; 17 → 5.5 on shortest path) would hide both
    lv = {("shortest_path", "30"): 0.0659}  # the difficulty experiment's label variance at that size
    assert "Shortest path at 30 nodes 17 [4, 30] → 5.5 [1, 10] (ratio 0.292 [0.25, 0.33], label variance 0.0659)" in (
        analysis.restarts_prose(recs, lv))  # fmt: skip
    assert analysis.restarts_prose([record()]) == "" and analysis.restarts_summary([record()]).empty
    assert [(c.fewest, c.most) for c in analysis.restarts_cases(recs)] == [(1, 16), (1, 16)]
    shown = analysis.styled_restarts_summary(recs).data
    assert list(shown.ratio) == ["0.29 [0.25,\u00a00.33]", "1.00 [0.5,\u00a01.5]"]
    result = experiments.ExperimentResult(experiments.get("compute"), "quick", recs)
    assert "profile: quick; seeds: shortest path 0, 1; connected components 0, 1)" in analysis.restarts_caption(result)
    fig = figures.restarts(recs)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2  # a panel per task at one size, a line per k
