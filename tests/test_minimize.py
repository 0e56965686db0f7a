import pytest
import torch
from torch import nn

from irem.minimize import descend, halting_steps, predict


class Quadratic(nn.Module):
    """E(y) = 0.5 * ||y - c||^2 per problem, with a learnable centre c."""

    def __init__(self, dim: int = 3) -> None:
        super().__init__()
        self.c = nn.Parameter(torch.arange(dim, dtype=torch.float32))

    def forward(self, y, z=None):
        e = 0.5 * ((y - self.c) ** 2).sum(-1)
        return e if z is None else e + 0.5 * (z**2).sum(-1)


def test_descend_takes_gradient_steps():
    e = Quadratic()
    y0 = torch.zeros(2, 3)
    lam, n = 0.3, 4
    y, _, energies = descend(e, y0, n, lam)
    # closed form of gradient descent on a quadratic: y_N = c + (1 - lam)^N (y0 - c)
    expected = e.c + (1 - lam) ** n * (y0 - e.c)
    torch.testing.assert_close(y, expected.expand_as(y))
    assert energies.shape == (n, 2) and (energies[1:] < energies[:-1]).all()


def test_truncation_backpropagates_through_the_last_step_only():
    lam, n = 0.3, 4
    grads = {}
    for truncate in (True, False):
        e = Quadratic()
        y, _, _ = descend(e, torch.zeros(1, 3), n, lam, truncate=truncate)
        y.sum().backward()
        grads[truncate] = e.c.grad.clone()
    # y_N depends on c through the last step only (d y_N / dc = lam) when truncated,
    # and through every step (1 - (1 - lam)^N) when not
    torch.testing.assert_close(grads[True], torch.full((3,), lam))
    torch.testing.assert_close(grads[False], torch.full((3,), 1 - (1 - lam) ** n))


def test_scratchpad_descends_on_the_same_energy():
    e = Quadratic()
    z0 = torch.ones(2, 5)
    _, z, _ = descend(e, torch.zeros(2, 3), 3, 0.5, z=z0)
    torch.testing.assert_close(z, z0 * 0.5**3)  # grad_z = z, so z shrinks by (1 - lam) per step


def test_predict_records_every_step_and_halts_at_the_minimum():
    e = Quadratic()
    traj = predict(e, torch.zeros(4, 3), 40, 0.5, halt_tol=1e-3, halt_patience=2)
    assert traj.ys.shape == (41, 4, 3) and traj.energies.shape == (41, 4)
    assert (traj.halt_step < 40).all() and (traj.halt_step > 0).all()
    final = traj.at_halt()
    assert final.shape == (4, 3)
    assert ((final - e.c) ** 2).mean() < 1e-3  # halted close to the minimum
    assert not final.requires_grad
    # a tighter tolerance reasons for longer and gets closer
    strict = predict(e, torch.zeros(4, 3), 40, 0.5, halt_tol=1e-6, halt_patience=2)
    assert (strict.halt_step > traj.halt_step).all()
    assert ((strict.at_halt() - e.c) ** 2).mean() < ((final - e.c) ** 2).mean()


def test_at_halt_gathers_each_problem_at_its_own_step():
    from irem.minimize import Trajectory

    ys = torch.arange(3 * 2 * 1, dtype=torch.float32).reshape(3, 2, 1)  # (steps+1, P, D)
    traj = Trajectory(ys=ys, energies=None, halt_step=torch.tensor([2, 0]))
    torch.testing.assert_close(traj.at_halt(), torch.stack([ys[2, 0], ys[0, 1]]))
    # rows mapped to problems (graphs: several rows per problem)
    traj = Trajectory(ys=ys, energies=None, halt_step=torch.tensor([1]))
    torch.testing.assert_close(traj.at_halt(torch.tensor([0, 0])), ys[1])


def test_halting_rule_on_hand_written_energies():
    # problem 0 plateaus after step 2; problem 1 keeps falling; problem 2 rises after step 1
    energies = torch.tensor(
        [[10.0, 10.0, 10.0], [5.0, 8.0, 4.0], [3.0, 6.0, 5.0], [3.0, 4.0, 6.0], [3.0, 2.0, 7.0], [3.0, 1.0, 8.0]]
    )
    steps = halting_steps(energies, tol=0.0, patience=2)
    # 0: stalled at steps 3 and 4 -> stops at 4, lowest energy first reached at step 2
    # 1: never stalls -> lowest energy overall, step 5
    # 2: rises at steps 2 and 3 -> stops at 3, lowest energy at step 1
    assert steps.tolist() == [2, 5, 1]


def test_halting_rule_is_scale_free():
    energies = torch.tensor([[4.0], [2.0], [1.0], [0.999], [0.998], [0.5]])
    a = halting_steps(energies, tol=0.01, patience=2)
    b = halting_steps(energies * 1000 - 7, tol=0.01, patience=2)
    assert a.tolist() == b.tolist() == [4]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(steps=0), "steps must be an integer > 0"),
        (dict(steps=-1), "steps"),
        (dict(step_size=0.0), "step_size must be a finite number > 0"),
        (dict(step_size=-1.0), "step_size"),
    ],
)
def test_descend_rejects_impossible_values(kwargs, match):
    args = dict(steps=2, step_size=0.1) | kwargs
    with pytest.raises(ValueError, match=match):
        descend(Quadratic(), torch.zeros(1, 3), **args)


def test_halting_rejects_bad_values():
    with pytest.raises(ValueError, match="halt_patience"):
        halting_steps(torch.zeros(3, 1), tol=0.0, patience=0)
    with pytest.raises(ValueError, match="halt_tol"):
        halting_steps(torch.zeros(3, 1), tol=-1.0, patience=1)
