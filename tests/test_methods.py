import pytest
import torch
from conftest import gen

from irem.config import EvalConfig, TrainConfig
from irem.methods import METHODS, PAPER_METHODS, denoising_targets, halting_distribution, make_method
from irem.models import parameter_count
from irem.tasks import make_task
from irem.train import TrainingDiverged, train


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_reduces_its_loss(name, tiny_train):
    task = make_task("addition", size=16)
    torch.manual_seed(0)
    config = TrainConfig(iterations=150, batch_size=32, hidden=64, lr=1e-3, replay_capacity=256, log_every=25)
    method = make_method(name, task, config)
    log = train(method, task, config, gen(0), progress=False)
    first, last = log.train_loss[0][1], log.train_loss[-1][1]
    assert last < 0.8 * first, f"{name}: loss {first:.4f} -> {last:.4f}"


@pytest.mark.parametrize("name", PAPER_METHODS)  # IRED's own: tests/test_ired.py
def test_predict_shapes_and_halting(name, tiny_train, tiny_eval):
    task = make_task("addition", size=16)
    method = make_method(name, task, tiny_train)
    batch = task.sample(5, "same", gen(1))
    steps = 7 if method.iterative else 1
    traj = method.predict(batch, steps, gen(2), tiny_eval)
    assert traj.ys.shape == (steps + 1, 5, 16)
    assert traj.halt_step.shape == (5,)
    assert ((traj.halt_step >= 0) & (traj.halt_step <= steps)).all()
    assert traj.at_halt().shape == (5, 16)
    assert (traj.energies is not None) == (name == "irem")


def test_parameter_counts_are_roughly_equal_as_app_d_asks():
    task, config = make_task("addition"), TrainConfig()
    counts = {name: parameter_count(make_method(name, task, config)) for name in PAPER_METHODS}
    irem = counts["irem"]
    assert irem == pytest.approx(1_140_737)  # (1200*512 + 512) + 2 * (512*512 + 512) + 513
    for name, n in counts.items():  # App. D sizes give 0.5x - 1.2x of IREM's parameters
        assert 0.4 * irem < n < 1.25 * irem, (name, n)


def test_irem_uses_the_replay_buffer_after_one_batch(tiny_train):
    task = make_task("addition", size=16)
    method = make_method("irem", task, tiny_train)
    batch = task.sample(tiny_train.batch_size, "same", gen(0))
    method.loss(batch, gen(1))
    assert len(method.buffer) == tiny_train.batch_size  # first step: fresh only
    method.loss(batch, gen(2))
    assert len(method.buffer) == 3 * tiny_train.batch_size  # then fresh + replayed
    no_replay = make_method("irem", task, TrainConfig(**{**tiny_train.__dict__, "replay": False}))
    assert no_replay.buffer is None


def test_irem_scratchpad_is_descended_and_stored(tiny_train, tiny_eval):
    task = make_task("addition", size=16)
    method = make_method("irem", task, TrainConfig(**{**tiny_train.__dict__, "scratchpad": 6}))
    method.loss(task.sample(8, "same", gen(0)), gen(1))
    assert method.buffer._store["z"].shape[1] == 6
    traj = method.predict(task.sample(3, "same", gen(2)), 4, gen(3), tiny_eval)
    assert traj.zs.shape == (5, 3, 6)
    assert not torch.allclose(traj.zs[0], traj.zs[-1])  # z moves with the gradient


def test_halting_distribution_sums_to_one():
    lam = torch.rand(6, 10, generator=gen(0))
    p = halting_distribution(lam)
    torch.testing.assert_close(p.sum(0), torch.ones(10))
    assert (p >= 0).all()
    # p_t = lambda_t * prod_{s<t} (1 - lambda_s) before the last step
    torch.testing.assert_close(p[2], lam[2] * (1 - lam[0]) * (1 - lam[1]))
    # a geometric prior with lambda = 1/N
    prior = halting_distribution(torch.full((4, 1), 0.25))
    torch.testing.assert_close(prior[:3, 0], torch.tensor([0.25, 0.1875, 0.140625]))


def test_denoising_targets_follow_the_linear_schedule():
    y, noise = torch.full((5, 3), 2.0), torch.full((5, 3), -1.0)
    level = torch.arange(5)
    y_in, target = denoising_targets(y, noise, level, steps=5)
    a = (level[:, None] / 5).expand(5, 3)
    torch.testing.assert_close(y_in, a * 2.0 + (1 - a) * -1.0)
    torch.testing.assert_close(target, (a + 0.2) * 2.0 + (0.8 - a) * -1.0)
    torch.testing.assert_close(y_in[0], noise[0])  # level 0 is the noise start
    torch.testing.assert_close(target[-1], y[-1])  # the last step lands on the answer


def test_training_is_deterministic_under_a_seed(tiny_train):
    task = make_task("addition", size=16)
    losses = []
    for _ in range(2):
        torch.manual_seed(3)
        method = make_method("irem", task, tiny_train)
        losses.append(train(method, task, tiny_train, gen(3), progress=False).train_loss)
    assert losses[0] == losses[1]


def test_divergence_stops_training_with_a_clear_error(tiny_train):
    task = make_task("addition", size=16)
    config = TrainConfig(**{**tiny_train.__dict__, "lr": 1e6, "step_size": 1e6, "iterations": 30})
    torch.manual_seed(0)
    method = make_method("irem", task, config)
    with pytest.raises(TrainingDiverged, match="loss became"):
        train(method, task, config, gen(0), progress=False)


def test_unknown_method_lists_the_methods(tiny_train):
    with pytest.raises(ValueError, match="method='transformer'.*'irem'.*'iterative_feedforward'"):
        make_method("transformer", make_task("addition"), tiny_train)


@pytest.mark.parametrize(
    "field, value",
    [("steps", -1), ("steps", 0), ("batch_size", 0), ("step_size", 0.0), ("step_size", -5.0), ("lr", 0),
     ("iterations", 1.5), ("lr_schedule", "linear"), ("replay", "yes")],
)  # fmt: skip
def test_config_rejects_impossible_values(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_eval_config_rejects_impossible_values():
    with pytest.raises(ValueError, match="test_steps"):
        EvalConfig(test_steps=0)
    with pytest.raises(ValueError, match="halt_tol"):
        EvalConfig(halt_tol=-0.1)
