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


# --- the training hot path: no discarded work, and the same numbers as the plain form ---------------------------


def _one_matrix_energy(net, x):
    """The energy as first written: the whole first layer on [x; y(; z)], recomputed at every step."""

    def energy(y, z=None):
        parts = [x, y] if z is None else [x, y, z]
        return net.net(torch.cat(parts, dim=-1)).squeeze(-1)

    return energy


def _descend_and_backward(net, energy, y0, z0=None):
    net.zero_grad(set_to_none=True)
    y, z, energies = descend(energy, y0, 3, 10.0, z=z0)
    loss = (y**2).mean() + (0 if z is None else (z**2).mean())
    loss.backward()
    return energies, y.detach(), {k: p.grad.clone() for k, p in net.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("z_dim", [0, 3])
def test_bound_energy_matches_the_one_matrix_form(z_dim):
    from irem.models.mlp import EnergyMLP

    torch.manual_seed(0)
    net = EnergyMLP(6, 4, z_dim, hidden=16)
    x, y0 = torch.randn(5, 6), torch.rand(5, 4) * 2 - 1
    z0 = torch.randn(5, z_dim) if z_dim else None
    torch.testing.assert_close(net(x, y0, z0), _one_matrix_energy(net, x)(y0, z0), rtol=1e-6, atol=1e-7)
    old = _descend_and_backward(net, _one_matrix_energy(net, x), y0, z0)
    new = _descend_and_backward(net, net.bind(x), y0, z0)
    torch.testing.assert_close(new[0], old[0], rtol=1e-5, atol=1e-7)  # energies before each step
    torch.testing.assert_close(new[1], old[1], rtol=1e-5, atol=1e-7)  # the answer
    assert new[2].keys() == old[2].keys()
    for name in old[2]:  # every parameter's gradient through the last step
        torch.testing.assert_close(new[2][name], old[2][name], rtol=1e-5, atol=1e-7)


def test_truncated_steps_compute_no_parameter_gradients_and_no_unused_columns():
    from irem.measure import MatmulShapes
    from irem.models.mlp import EnergyMLP

    x_dim, y_dim, hidden, b = 6, 4, 16, 5
    net = EnergyMLP(x_dim, y_dim, hidden=hidden)
    x = torch.randn(b, x_dim)
    with MatmulShapes() as shapes:
        descend(net.bind(x), torch.zeros(b, y_dim), 4, 0.1)
    products = [(m, k, n) for (_, m, k, n), c in shapes.counts.items() for _ in range(c)]
    # a weight gradient would be (hidden, B) @ (B, in): none before the loss's backward
    assert not [p for p in products if p[0] == hidden and p[1] == b]
    # the problem's part of the first layer once per descent, not once per step
    assert products.count((b, x_dim, hidden)) == 1
    # each step's gradient in y multiplies by the y columns of the first layer only, never by all of them
    assert products.count((b, hidden, y_dim)) == 4 and (b, hidden, x_dim + y_dim) not in products


def test_training_matches_the_plain_path_within_float_tolerance(monkeypatch):
    """A few iterations of the real loop: bound energy + fused Adam against one-matrix energy + per-tensor Adam."""
    from dataclasses import replace

    from irem import experiments
    from irem.models.mlp import EnergyMLP
    from irem.train import train

    spec = experiments.get("continuous").spec("smoke", "addition", "irem", 0, {})
    config = replace(spec.train, iterations=6, log_every=1, batch_size=8)  # replay from the second iteration

    def run():
        task, method = spec.build(torch.device("cpu"))
        log = train(method, task, config, torch.Generator().manual_seed(0), progress=False)
        return [loss for _, loss in log.train_loss], method.state_dict()

    new_loss, new_state = run()
    with monkeypatch.context() as m:
        m.setattr(EnergyMLP, "bind", None)  # IREM then calls the network on (x, y) every step
        m.setattr(EnergyMLP, "forward", lambda self, x, y, z=None: _one_matrix_energy(self, x)(y, z))
        adam = torch.optim.Adam
        m.setattr(torch.optim, "Adam", lambda params, **kw: adam(params, **{**kw, "fused": None, "foreach": False}))
        old_loss, old_state = run()
    torch.testing.assert_close(new_loss, old_loss, rtol=1e-5, atol=0)
    for name in old_state:  # Adam divides by sqrt(v): a rounding difference moves a weight by at most ~lr * 1e-2
        torch.testing.assert_close(new_state[name], old_state[name], rtol=1e-5, atol=1e-6)


# --- bf16 autocast (TrainConfig.precision) ---------------------------------------------------------------------


def test_bf16_precision_is_recorded_only_when_used_and_checked():
    from irem.config import TrainConfig, stored

    assert "precision" not in stored(TrainConfig())  # earlier records keep their config hash
    assert stored(TrainConfig(precision="bf16"))["precision"] == "bf16"
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp16")


@pytest.mark.parametrize("task_name", ["addition", "shortest_path"])
def test_bf16_training_keeps_the_answer_and_optimiser_in_fp32(task_name):
    from irem import experiments
    from irem.methods import autocast

    exp = experiments.get(experiments.home_of(task_name))
    losses = {}
    for precision in ("fp32", "bf16"):
        spec = exp.spec("smoke", task_name, "irem", 0, {"precision": precision})
        task, method = spec.build(torch.device("cpu"))
        gen = torch.Generator().manual_seed(0)
        batch = task.sample(8, task.train_split, gen)
        loss = method.loss(batch, gen)
        loss.backward()
        losses[precision] = loss.item()
        assert loss.dtype == torch.float32
        assert all(p.dtype == torch.float32 and (p.grad is None or p.grad.dtype == torch.float32)
                   for p in method.parameters())  # fmt: skip
        if method.buffer is not None:
            assert method.buffer._store["y_hat"].dtype == torch.float32  # the answers replayed later
    # one step's loss is mostly the start's distance to the answer: bf16 changes it by rounding only
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=2e-2)
    with autocast("bf16", torch.device("cpu")):
        assert torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype == torch.bfloat16
    with autocast("fp32", torch.device("cpu")):
        assert torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype == torch.float32
