"""The CUDA-graph training step (irem.graphed): its bookkeeping on the CPU, the real capture on a GPU."""

import contextlib
import math

import pytest
import torch
from conftest import gen

from irem.config import TrainConfig
from irem.graphed import GraphedStep, check_graphable
from irem.methods import make_method
from irem.tasks import make_task
from irem.train import train


class _FakeCuda:
    """Enough of torch.cuda for GraphedStep's bookkeeping on a CPU: a capture runs the step once."""

    def __init__(self) -> None:
        self.graphs: list = []
        self.in_capture = False
        test = self

        class Graph:
            def __init__(self) -> None:
                self.generators, self.replays = [], 0
                test.graphs.append(self)

            def register_generator_state(self, generator) -> None:
                assert not test.in_capture, "register the generator before capture begins"
                self.generators.append(generator)

            def replay(self) -> None:
                self.replays += 1

        @contextlib.contextmanager
        def graph(g):
            test.in_capture = True
            yield
            test.in_capture = False

        class Stream:
            def wait_stream(self, other) -> None:
                pass

        self.CUDAGraph, self.graph, self.Stream = Graph, graph, Stream
        self.current_stream = Stream
        self.stream = lambda s: contextlib.nullcontext()
        self.synchronize = lambda: None


def test_graphed_step_warms_up_eagerly_then_captures_once_and_only_replays(monkeypatch):
    fake = _FakeCuda()
    for name in ("CUDAGraph", "graph", "Stream", "current_stream", "stream", "synchronize"):
        monkeypatch.setattr(torch.cuda, name, getattr(fake, name))
    runs, captured_runs, moved = [], [], []

    def step():
        (captured_runs if fake.in_capture else runs).append(len(runs) + len(captured_runs))
        return torch.tensor(float(len(runs)))

    generator = gen(0)
    graphed = GraphedStep(step, generator, before_capture=lambda: moved.append(len(runs)), warmup=2)
    losses = [graphed() for _ in range(6)]
    assert runs == [0, 1]  # two eager warm-up steps ...
    assert captured_runs == [2]  # ... then one capture, which Python runs once
    assert moved == [2]  # counters moved to the device just before capture
    (g,) = fake.graphs
    assert g.generators == [generator] and g.replays == 4  # the capturing call replays too
    assert graphed.captured and all(loss is losses[2] for loss in losses[2:])  # one static loss tensor
    with pytest.raises(ValueError, match="warmup"):
        GraphedStep(step, generator, warmup=0)


@pytest.mark.parametrize(
    ("method", "task", "device", "schedule", "message"),
    [
        ("irem", "addition", "cpu", "constant", "needs a CUDA device; got device 'cpu'"),
        ("feedforward", "addition", "cuda", "constant", "applies to method 'irem'; got method 'feedforward'"),
        ("irem", "shortest_path", "cuda", "constant", "fixed shapes.*got task 'shortest_path'"),
        ("irem", "addition", "cuda", "cosine", "lr_schedule='constant'; got 'cosine'"),
    ],
)
def test_runs_a_cuda_graph_cannot_capture_are_refused_by_name(method, task, device, schedule, message):
    with pytest.raises(ValueError, match=message):
        check_graphable(method, task, device, schedule)


def test_train_refuses_cuda_graph_off_the_gpu_before_training():
    task = make_task("addition", size=8)
    config = TrainConfig(iterations=5, batch_size=4, hidden=16, cuda_graph=True)
    with pytest.raises(ValueError, match="cuda_graph=True needs a CUDA device"):
        train(make_method("irem", task, config), task, config, gen(0), progress=False)
    with pytest.raises(ValueError, match="cuda_graph"):
        TrainConfig(cuda_graph="yes")


def _train_by_hand(task, config, counters_on_device: bool) -> tuple[list[float], object]:
    torch.manual_seed(0)
    method = make_method("irem", task, config)
    optimizer = torch.optim.Adam(method.parameters(), lr=config.lr, fused=True, capturable=counters_on_device)
    generator, losses = gen(0), []
    for i in range(60):
        loss = method.loss(task.sample(config.batch_size, "same", generator), generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if i == 0 and counters_on_device:
            method.buffer.keep_counters_on_device()
    return losses, method.buffer


@pytest.mark.parametrize("task_name", ["addition", "matrix_inverse"])
def test_the_captured_form_of_the_step_trains_on_the_cpu_as_the_eager_form_does(task_name):
    # what the graph replays, run eagerly: replay counters on the device from the second step on
    task = make_task(task_name, **({"size": 16} if task_name == "addition" else {}))
    config = TrainConfig(iterations=1, batch_size=16, hidden=64, lr=1e-3, replay_capacity=80)
    eager, _ = _train_by_hand(task, config, counters_on_device=False)
    captured_form, buffer = _train_by_hand(task, config, counters_on_device=True)
    # 16 fresh, then 16 fresh + 16 replayed per step: the ring of 80 wraps and stays full
    assert tuple(map(int, buffer._counters()))[::-1] == (80, (16 + 59 * 32) % 80)
    assert captured_form[0] == eager[0]  # the same until replay indices are drawn (another way)
    assert all(math.isfinite(v) for v in captured_form)
    late = sum(captured_form[-10:])
    assert late < 0.95 * sum(captured_form[:10]) and late < 1.1 * sum(eager[-10:])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_graphed_training_on_the_gpu_learns_as_the_eager_loop_does():
    task = make_task("addition", size=64)
    logs = {}
    for graphed in (False, True):
        config = TrainConfig(iterations=300, batch_size=64, hidden=128, lr=1e-3, replay_capacity=1024,
                             log_every=50, cuda_graph=graphed)  # fmt: skip
        torch.manual_seed(0)
        method = make_method("irem", task, config).cuda()
        logs[graphed] = train(method, task, config, gen(0, "cuda"), progress=False)
        if graphed:
            assert method.buffer.counters_on_device and int(method.buffer._counters()[1]) == 1024
    eager, captured = logs[False].train_loss, logs[True].train_loss
    assert [i for i, _ in captured] == [i for i, _ in eager]
    assert captured[-1][1] < 0.5 * captured[0][1]  # it learns ...
    assert captured[-1][1] < 2 * eager[-1][1]  # ... about as the eager loop does (other random draws)


def test_bench_refuses_what_it_cannot_measure_on_a_captured_step():
    from irem import experiments
    from irem.measure import bench

    spec = experiments.get("continuous").spec("smoke", "addition", "irem", 0, {"cuda_graph": True})
    with pytest.raises(ValueError, match="needs a CUDA device"):
        bench(spec, torch.device("cpu"), fresh_process=False)


def test_reproduce_refuses_cuda_graph_on_the_cpu_before_any_run(tmp_path):
    from irem import experiments

    with pytest.raises(ValueError, match="cuda_graph=True needs a CUDA device"):
        experiments.run("continuous", profile="smoke", tasks=["addition"], methods=["irem"], device="cpu",
                        runs_dir=tmp_path, overrides={"cuda_graph": True}, progress=False)  # fmt: skip
    assert not list(tmp_path.rglob("*.json"))  # nothing half-written
