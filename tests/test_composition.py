"""Composition feeds the learned addition operands like those it was trained on."""

import torch
from conftest import gen

from irem import evaluate
from irem.config import EvalConfig
from irem.minimize import Trajectory
from irem.tasks import make_task


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
    mse, example = evaluate.composition(spy, task, options, gen(0))
    operands = torch.cat(spy.operands)  # v_1 .. v_5 of every problem
    train_inputs = task.sample(1000, "same", gen(1)).x
    assert operands.min() >= -1 and operands.max() <= 1  # the training range, not a sum's [-2, 2]
    assert abs(operands.mean()) < 0.01 and abs(operands.var() - train_inputs.var()) < 0.01  # 1/3 for U(-1, 1)
    assert max(mse) < 1e-10  # an exact adder makes no error at any depth
    assert all(-1 <= v <= 1 for panel in example["inputs"] for v in panel)
