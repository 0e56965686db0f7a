"""TrainConfig.compiled: IREM's loss and gradients from one torch.compile'd function equal the eager path's.

Each case compiles once (tens of seconds on a CPU core), so the cases are few and each checks a
whole training step: the loss, the answers the replay buffer stores, and every parameter's
gradient, against the eager step on the same problems and the same starting points.
"""

from dataclasses import replace

import pytest
import torch
from conftest import gen

from irem import experiments, measure
from irem.compiled import WARMUP as COMPILE_WARMUP
from irem.config import EvalConfig, TrainConfig
from irem.methods import make_method
from irem.tasks import make_task
from irem.train import train


def _step(method, task, config, seed):
    """One training loss and backward from generator ``seed``: loss, stored answers, gradients."""
    g = gen(seed)
    batch = task.sample(config.batch_size, task.train_split, g)
    method.zero_grad()
    loss = method.loss(batch, g)
    loss.backward()
    grads = {n: torch.zeros_like(p) if p.grad is None else p.grad.clone() for n, p in method.named_parameters()}
    stored = method.buffer.sample(len(method.buffer), gen(0))["y_hat"] if method.buffer is not None else None
    return loss.detach(), stored, grads


@pytest.mark.parametrize(
    "task_name, overrides",
    [
        # graphs: the release's energy keeps the compile short; replay on, the last step differentiated
        ("shortest_path", dict(batch_size=6, hidden=16, graph_energy="release", step_size=10.0, steps=3)),
        # a scratchpad descended with the answer, and every step differentiated (no truncation)
        ("addition", dict(batch_size=8, hidden=16, scratchpad=4, truncate=False, steps=3, replay=False)),
    ],
)
def test_compiled_step_equals_the_eager_step(task_name, overrides):
    task = make_task(task_name)
    config = TrainConfig(iterations=2, replay_capacity=64, **overrides)
    torch.manual_seed(0)
    eager = make_method("irem", task, config)
    compiled = make_method("irem", task, replace(config, compiled=True))
    compiled.load_state_dict(eager.state_dict())
    loss_e, stored_e, grads_e = _step(eager, task, config, seed=3)
    loss_c, stored_c, grads_c = _step(compiled, task, config, seed=3)
    torch.testing.assert_close(loss_c, loss_e, rtol=1e-4, atol=1e-6)
    if stored_e is not None:
        torch.testing.assert_close(stored_c, stored_e, rtol=1e-4, atol=1e-5)
    for name, g in grads_e.items():
        torch.testing.assert_close(grads_c[name], g, rtol=1e-3, atol=1e-5 * max(g.abs().max().item(), 1e-3))


@pytest.mark.parametrize(
    "task_name, overrides",
    [
        ("connected_components", dict(hidden=16, scratchpad=3, step_size=10.0)),  # graphs, with a scratchpad
        ("matrix_inverse", dict(hidden=32)),
    ],
)
def test_compiled_evaluation_follows_the_eager_descent(task_name, overrides):
    task = make_task(task_name)
    torch.manual_seed(0)
    method = make_method("irem", task, TrainConfig(**overrides)).eval()
    sizes = [3, 5, 4, 6] if task.name == "connected_components" else 5  # graphs of several sizes: dynamic shapes
    batch = task.generate(sizes, gen(0)) if task.name == "connected_components" else task.sample(5, "same", gen(0))
    eager = method.predict(batch, 6, gen(1), EvalConfig())
    compiled = method.predict(batch, 6, gen(1), EvalConfig(compiled_eval=True))
    torch.testing.assert_close(compiled.ys, eager.ys, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(compiled.zs, eager.zs, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(compiled.energies, eager.energies, rtol=1e-4, atol=1e-5)
    assert torch.equal(compiled.halt_step, eager.halt_step)
    assert eager.ys[-1].ne(eager.ys[0]).any()  # the descent moved: the comparison is not of two starts


def test_compiled_training_runs_the_loop_and_learns():
    task = make_task("addition")
    config = TrainConfig(iterations=40, batch_size=16, hidden=32, lr=1e-3, replay_capacity=128, log_every=10,
                         compiled=True)  # fmt: skip
    method = make_method("irem", task, config)
    log = train(method, task, config, gen(0), progress=False)
    first, last = log.train_loss[0][1], log.train_loss[-1][1]
    assert torch.isfinite(torch.tensor(last)) and last < first


@pytest.mark.parametrize("bad", [dict(precision="bf16"), dict(cuda_graph=True)])
def test_compiled_refuses_what_it_does_not_run(bad):
    with pytest.raises(ValueError, match="compiled=True needs precision='fp32' and cuda_graph=False"):
        TrainConfig(compiled=True, **bad)


def test_compiled_must_be_a_bool():
    with pytest.raises(ValueError, match="compiled"):
        TrainConfig(compiled="yes")


def test_bench_refuses_to_time_the_compiling_iterations():
    spec = experiments.get("continuous").spec("smoke", "addition", "irem", 0, {"compiled": True})
    with pytest.raises(ValueError, match=f"compiled=True: warmup must be >= {COMPILE_WARMUP}"):
        measure.bench(spec, torch.device("cpu"), iterations=1, warmup=COMPILE_WARMUP - 1, fresh_process=False)
