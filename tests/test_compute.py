"""Restarts chosen by energy: after every step each problem keeps its lowest-energy descent."""

import pytest
import torch

from irem import evaluate
from irem.config import EvalConfig
from irem.minimize import Trajectory
from irem.tasks import make_task


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
    curves = evaluate.restarts(_Descents(), test, options, torch.Generator(), counts=(1, 4))
    mse = lambda answer: ((answer - test.y) ** 2).mean().item()  # noqa: E731
    # k = 1 keeps descent 0 (answers 1); k = 4 keeps descent 1 (energy 0, answers 2)
    assert curves["1"] == [float(f"{mse(1.0):.6g}")] * 3
    assert curves["4"] == [float(f"{mse(2.0):.6g}")] * 3


def test_restarts_below_one_are_a_clear_error():
    test = make_task("edge_copy").sample_nodes(2, 4, torch.Generator().manual_seed(0))
    options = EvalConfig(test_problems=2, test_steps=2, eval_batch=2)
    for counts, message in (((1, 0), "restarts must be an integer > 0"), ((), "at least one")):
        with pytest.raises(ValueError, match=message):
            evaluate.restarts(_Descents(), test, options, torch.Generator(), counts=counts)
