"""Low-level timing (``irem.measure``): FLOPs through autograd, time shares, the matmul peak, and ``irem bench``.

What the Performance chapter makes of the stored results is tested in ``tests/test_performance.py``.
"""

import json

import pytest
import torch

from irem import cli, experiments, measure
from irem.performance import analysis as perf
from irem.performance import figures


def _feedforward_flops(batch: int, sizes: list[int]) -> int:
    """FLOPs of one training iteration of an MLP: forward, weight gradients, input gradients past layer 1."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * batch * a * b for a, b in layers)
    return 2 * forward + sum(2 * batch * a * b for a, b in layers[1:])


def test_flop_counter_counts_through_autograd_grad():
    # FlopCounterMode's module tracker breaks torch.autograd.grad; ours counts it
    net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.SiLU(), torch.nn.Linear(5, 1))
    y = torch.randn(4, 6, requires_grad=True)
    with measure.flop_counter() as counter, measure.MatmulShapes() as shapes:
        (g,) = torch.autograd.grad(net(y).sum(), y, create_graph=True)
        g.sum().backward()
    assert counter.get_total_flops() == shapes.flops() > 2 * 4 * (6 * 5 + 5 * 1)
    assert (1, 4, 6, 5) in shapes.counts


def test_bench_counts_the_flops_of_a_whole_iteration():
    spec = experiments.get("continuous").spec("smoke", "addition", "feedforward", 0, {})
    r = measure.bench(spec, torch.device("cpu"), iterations=3, warmup=1, flop_iterations=2, fresh_process=False)
    h, b = spec.train.hidden, spec.train.batch_size
    assert r["gflop_per_iter"] * 1e9 == pytest.approx(_feedforward_flops(b, [800, h, h, h, 400]))
    assert r["ms_per_iter"] > 0 and r["cpu_ms_per_iter"] > 0 and r["timed_iterations"] == 3
    assert r["gflops"] == pytest.approx(r["gflop_per_iter"] / (r["ms_per_iter"] / 1e3))
    for dtype in ("fp32", "bf16"):
        peak = r[f"peak_{dtype}"]
        assert peak["gflops"] > 0 and all(s["gflops"] > 0 for s in peak["by_shape"])
    assert r["fraction_of_fp32_peak"] == pytest.approx(r["gflops"] / r["peak_fp32"]["gflops"])
    assert r["peak_shapes_cover"] == pytest.approx(1.0)  # few shapes: all of them were timed


def test_each_truncated_reasoning_step_costs_a_forward_and_a_gradient_in_y_only():
    flops = {}
    for steps in (1, 3):
        spec = experiments.get("continuous").spec("smoke", "addition", "irem", 0, {"steps": steps, "replay": False})
        r = measure.bench(spec, torch.device("cpu"), iterations=1, warmup=0, flop_iterations=1, peak=False,
                            fresh_process=False)  # fmt: skip
        flops[steps] = r["gflop_per_iter"] * 1e9
    b, y, h = spec.train.batch_size, 400, spec.train.hidden
    # energy forward on the candidate (the problem's part of layer 1 is computed once per descent), then
    # its gradient in y: the same products backwards, no parameter gradients, no x columns
    one_way = 2 * b * (y * h + h * h + h * h + h * 1)
    assert flops[3] - flops[1] == pytest.approx(2 * (2 * one_way))


def test_time_shares_split_the_profiled_time_by_operator_kind():
    spec = experiments.get("graph").spec("smoke", "shortest_path", "irem", 0, {})
    r = measure.bench(spec, torch.device("cpu"), iterations=1, warmup=0, flop_iterations=0, profile_iterations=2,
                        fresh_process=False)  # fmt: skip
    shares = r["time_shares"]
    assert list(shares) == list(measure.TIME_KINDS) and r["profile_iterations"] == 2
    assert all(0 <= v <= 1 for v in shares.values()) and sum(shares.values()) == pytest.approx(1, abs=0.02)
    assert shares["matrix multiply"] > 0 and shares["gather / scatter"] > 0  # a GNN does both


def test_time_shares_sorts_events_by_name():
    event = lambda key, us: type("Event", (), {"key": key, "self_cpu_time_total": us})()  # noqa: E731
    events = [event("aten::mm", 2e5), event("aten::index_select", 1e5), event("aten::relu", 3e5),
              event("autograd::engine::evaluate_function: MmBackward0", 9e5)]  # fmt: skip
    shares = measure.time_shares(events, wall_s=1.0)
    assert shares == pytest.approx({"matrix multiply": 0.2, "gather / scatter": 0.1, "other operators": 0.3,
                                    "outside operators": 0.4})  # fmt: skip


def test_matmul_peak_times_each_shape():
    peak = measure.matmul_peak([((1, 8, 16, 4), 3), ((2, 4, 8, 4), 1)], torch.float32, "cpu", min_time_s=0.001)
    assert [s["shape"] for s in peak["by_shape"]] == [[1, 8, 16, 4], [2, 4, 8, 4]]
    assert peak["gflops"] > 0


def test_fixed_nodes_trains_on_graphs_of_one_size():
    spec = experiments.get("graph").spec("smoke", "shortest_path", "irem", 0, {})
    task, _ = spec.build(torch.device("cpu"))
    batch = measure.FixedNodes(task, 4).sample(3, task.train_split, torch.Generator().manual_seed(0))
    assert batch.nodes.tolist() == [4, 4, 4] and batch.y.shape == (3 * 16, 1)


def test_bench_cli_prints_the_columns_and_writes_json_the_book_reads(capsys, tmp_path):
    out_path = tmp_path / "nodes_fp32.json"
    args = ["bench", "--tasks", "shortest_path", "--profile", "smoke", "--device", "cpu", "--iterations", "2",
            "--warmup", "1", "--flop-iterations", "1", "--vary", "nodes", "3", "5"]  # fmt: skip
    args += ["--json", str(out_path)]
    code = cli.main(args)
    out = capsys.readouterr().out
    assert code == 0
    for column in ("ms/iter", "GFLOP/iter", "GFLOP/s", "% of fp32 peak", "bf16 mm peak", "peak memory"):
        assert column in out
    doc = json.loads(out_path.read_text())
    assert {"git_commit", "device", "torch", "date"} <= set(doc["provenance"])
    assert [r["nodes"] for r in doc["rows"]] == [3, 5]
    assert doc["rows"][1]["gflop_per_iter"] > doc["rows"][0]["gflop_per_iter"]  # bigger graphs, more work
    assert doc["settings"]["command"].startswith("irem bench --tasks shortest_path")
    # the performance chapter's reading of it
    docs = perf.load(tmp_path)
    assert "Measured on" in perf.provenance_note(docs) and "irem bench" in perf.commands(docs)
    assert (
        perf.measured_on(doc, doc) == f"*Measured on {doc['provenance']['device']}, {doc['provenance']['date'][:10]}.*"
    )
    assert list(perf.results_table(doc)["task"]) == ["Shortest path"] * 2
    fig = figures.cost_curves(docs, "nodes")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2  # wall clock and CPU time
    with pytest.raises(FileNotFoundError, match="irem bench --json"):
        perf.load(tmp_path / "empty")
