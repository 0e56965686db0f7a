import json

import pytest
import torch

from irem import cli, experiments, measure
from irem.performance import analysis as perf


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
    fig = perf.cost_curves(docs, "nodes")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2  # wall clock and CPU time
    with pytest.raises(FileNotFoundError, match="irem bench --json"):
        perf.load(tmp_path / "empty")


def test_before_after_averages_rounds_and_divides_the_means():
    def doc(commit, ms_by_round, gflop):
        rows = [{"task": "shortest_path", "method": "irem", "precision": "fp32", "ms_per_iter": ms,
                 "gflop_per_iter": gflop, "round": i} for i, ms in enumerate(ms_by_round)]  # fmt: skip
        return {"provenance": {"git_commit": commit}, "rows": rows}

    out = perf.before_after(doc("aaaaaaa1", [180, 200], 9.0), doc("bbbbbbb2", [90, 110], 2.0))
    row = out.iloc[0]
    assert row["ms/iter at aaaaaaa"] == 190 and row["ms/iter at bbbbbbb"] == 100
    assert row["speed-up"] == pytest.approx(1.9) and row["GFLOP/iter at bbbbbbb"] == 2.0
    assert row["task"] == "Shortest path" and row["method"] == "IREM"


def test_stacked_seeds_table_and_verdict():
    doc = {"rows": [{"seeds": 2, "separate_ms": 200.0, "stacked_ms": 198.0, "stacked_over_separate": 0.99,
                     "gradient_rel_diff": 3e-7},
                    {"seeds": 3, "separate_ms": 300.0, "stacked_ms": 276.0, "stacked_over_separate": 0.92,
                     "gradient_rel_diff": 4e-7}]}  # fmt: skip
    table, sentence = perf.stacked_seeds(doc)
    assert list(table["seeds S"]) == [2, 3] and list(table["stacked / separate"]) == [0.99, 0.92]
    assert "at best 8% less time (S = 3)" in sentence and "agree to 4e-07" in sentence
    doc["rows"][1]["stacked_over_separate"] = 1.01
    doc["rows"][0]["stacked_over_separate"] = 1.02
    assert "no time saved at any S" in perf.stacked_seeds(doc)[1]


def test_sweep_local_table_and_verdict():
    def doc(pool, dask, overhead=0.01):
        rows = [{"round": r, "sweep": m, "wall_s": w} for r, (p, d) in enumerate(zip(pool, dask))
                for m, w in (("pool", p), ("dask", d))]  # fmt: skip
        settings = {"runs": 10, "iterations": 300, "jobs": 2, "smoke_runs": [10, 20]}
        return {"rows": rows, "settings": settings, "summary": {"same_metrics": True, "overhead_per_run_s": overhead}}

    table, sentence = perf.sweep_local(doc([100, 90], [95, 99]))
    assert list(table["round"]) == [1, 2] and table["Dask / pool"].round(2).tolist() == [0.95, 1.1]
    assert "within the rounds' spread" in sentence and "zero within the timing noise" in sentence
    assert "no slower" in perf.sweep_local(doc([100, 100], [90, 101]))[1]
    slower = perf.sweep_local(doc([100, 100], [110, 120], overhead=0.5))[1]
    assert "slower in every round, by 10% at least" in slower and "+0.50 s per run." in slower


def test_cuda_graph_table_and_verdict():
    rows = [{"task": "addition", "method": "irem", "cuda_graph": g, "ms_per_iter": ms} for g, ms in ((False, 20.0),
            (True, 1.0))]  # fmt: skip
    doc = {"rows": rows, "provenance": {"device": "NVIDIA H100"}}
    table, sentence = perf.cuda_graph(doc)
    assert table.iloc[0].tolist() == ["Addition", "IREM", 20.0, 1.0, 20.0]
    assert "20.00 ms per iteration eagerly and 1.00 ms replayed" in sentence and "(20.0× faster)" in sentence
    assert "meets the target of 1.2 ms" in sentence
    rows[1]["ms_per_iter"] = 2.0
    assert "misses the target of 1.2 ms per iteration (2.00 ms)" in perf.cuda_graph(doc)[1]


def test_targets_prose_reads_each_task_against_its_target_and_its_fp32_floor():
    def row(task, precision, ms, gflop=5.0, peak=200.0, mm=0.6):
        return {"task": task, "method": "irem", "precision": precision, "ms_per_iter": ms, "gflop_per_iter": gflop,
                "peak_fp32": {"gflops": peak}, "time_shares": {"matrix multiply": mm}}  # fmt: skip

    graph = [row("shortest_path", "fp32", 80.0, gflop=2.0, mm=0.1), row("shortest_path", "bf16", 90.0)]
    doc = {"rows": [row("addition", "fp32", 40.0), row("addition", "bf16", 20.0), *graph]}
    lines = perf.targets_prose(doc, {"addition": 23, "shortest_path": 33}).splitlines()
    assert lines[0].startswith(
        "- **Addition**, target ≤ 23 ms (the release: 74-81 ms): 40.0 ms in fp32, 20.0 ms in bf16: met in bf16."
    )
    assert "would take 25.0 ms at the whole fp32 matrix-multiply peak" in lines[0]  # 5 GFLOP at 200 GFLOP/s
    assert lines[0].endswith("fp32 cannot meet the target without less arithmetic.")
    assert "missed by 2.4×" in lines[1] and "matrix multiplies are 10% of its time" in lines[1]
    assert lines[1].endswith("the rest of the time, not the arithmetic, stands between it and the target.")
    assert len(perf.targets_prose(doc, {"matrix_inverse": 10})) == 0  # no rows for that task


def test_graph_energy_prose_compares_the_two_energies_time_and_flops():
    def row(energy, ms, gflop, mm):
        return {"task": "shortest_path", "method": "irem", "graph_energy": energy, "precision": "fp32",
                "ms_per_iter": ms, "gflop_per_iter": gflop, "time_shares": {"matrix multiply": mm}}  # fmt: skip

    sentence = perf.graph_energy_prose({"rows": [row("ours", 120.0, 2.0, 0.12), row("release", 60.0, 0.5, 0.08)]})
    assert "the release's energy takes 60.0 ms per training iteration against our energy's 120.0 ms" in sentence
    assert "2.00× faster, for 0.50 GFLOP against 2.00 (4.0× fewer)" in sentence and "(8% and 12%)" in sentence


def test_compiled_table_prose_and_targets_read_each_file_with_its_graph_energy():
    def doc(task, eager, compiled, energy=None):
        rows = [{"task": task, "method": "irem", "compiled": c, "precision": "fp32", "ms_per_iter": ms,
                 "cpu_ms_per_iter": ms, "iters_per_s": 1e3 / ms, "peak_memory_mb": mb, "load_average": [1.0]}
                for c, ms, mb in ((False, eager, 100.0), (True, compiled, 250.0))]  # fmt: skip
        return {"rows": rows, "settings": {"overrides": {"graph_energy": energy} if energy else {}}}

    docs = [doc("addition", 50.0, 40.0), doc("shortest_path", 60.0, 20.0, energy="release")]
    table = perf.compiled_table(docs)
    assert table["graph energy"].tolist() == ["—", "—", "release", "release"] and "precision" not in table
    lines = perf.compiled_prose(docs, {"addition": 23, "shortest_path": 33}).splitlines()
    assert lines[0] == ("- **Addition**: 50.0 ms eager, 40.0 ms compiled (1.25× faster); target ≤ 23 ms: missed by "
                        "1.7×. Peak memory 100 MB eager, 250 MB compiled.")  # fmt: skip
    assert lines[1].startswith("- **Shortest path (the release's graph energy)**: 60.0 ms eager, 20.0 ms compiled")
    assert "(3.00× faster); target ≤ 33 ms: met." in lines[1]
    sentence = perf.compiled_targets(docs, {"shortest_path": 33})
    assert sentence == ("With `compiled=True` (section \"Compiled\" below): shortest path (the release's graph energy) "
                        "20.0 ms (target ≤ 33 ms: met).")  # fmt: skip
    assert perf.compiled_targets(docs, {"matrix_inverse": 10}) == ""


def test_compiled_eval_table_and_sentence_pair_eager_and_compiled_per_size():
    def row(nodes, form, cpu_s, last, halt):
        return {"task": "shortest_path", "nodes": nodes, "graphs": 250, "form": form, "cpu_s": cpu_s,
                "mean_halt_step": 9.0, "mse_at_halt": halt, "mse_step_5": 1.0, "mse_step_80": last}  # fmt: skip

    rows = [row(30, "eager", 100.0, 4.0, 0.5), row(30, "compiled", 20.0, 4.4, 0.5),
            row(15, "eager", 15.0, 0.8, 0.25), row(15, "compiled", 5.0, 0.8, 0.26)]  # fmt: skip
    table, sentence = perf.compiled_eval({"rows": rows})
    assert table["nodes"].tolist() == [15, 30] and table["speed-up"].tolist() == [3.0, 5.0]
    assert table.loc[1, "MSE after 80 steps: compiled"] == 4.4
    assert "On 250 shortest path graphs per size, compiled evaluation takes 3.0× to 5.0× less CPU time" in sentence
    assert "differ from the eager ones by up to 10%" in sentence


def _book_row(experiment, method, seed, train_s, eval_s, alone=None, source="record", trains=True, ms=100.0):
    return {"experiment": experiment, "task": "addition", "method": method, "seed": seed, "trains": trains,
            "iterations": 10_000, "ms_per_iter": ms, "train_s": train_s, "eval_s": eval_s, "eval_s_alone": alone,
            "eval_source": source}  # fmt: skip


def test_book_cost_sums_each_experiment_and_reads_the_two_core_wall_time_against_the_target():
    h = 3600.0
    rows = [_book_row("continuous", "irem", s, 2 * h, 0.5 * h, alone=0.25 * h) for s in range(3)]
    rows += [_book_row("difficulty", "irem", s, 0.0, 1 * h, trains=False) for s in range(3)]  # alone unknown: recorded
    doc = {"rows": rows, "settings": {"training_configs": 2}}
    table, sentence = perf.book_cost(doc, cores=2, target_hours=8)
    first = table.iloc[0]
    assert first["runs"] == 3 and first["training (h)"] == 6 and first["evaluation (h)"] == 0.75
    assert first["evaluation as recorded (h)"] == 1.5 and table.iloc[1]["evaluation (h)"] == 3
    # runs of 2.25, 2.25, 2.25, 1, 1, 1 hours on 2 cores, longest first: 2.25 + 2.25 + 1 + ... ends at 5.25
    assert "6.0 hours of training (2 training configurations" in sentence and "3.8 hours of evaluation" in sentence
    assert "that is 5.2 hours: the target of 8 hours is met." in sentence and "no paper-profile record" not in sentence
    assert "that is 5.2 hours: 2.6× the target of 2 hours." in perf.book_cost(doc, target_hours=2)[1]


def test_book_cost_names_an_experiment_without_records_and_the_hours_of_the_rest():
    h = 3600.0
    rows = [_book_row("graph", "irem", s, 1 * h, 0.0, alone=0.0) for s in range(2)]
    rows += [_book_row("denoising", m, 0, t * h, None, source="none", ms=ms)
             for m, t, ms in (("feedforward", 2.0, 800.0), ("irem", 30.0, 11_000.0))]  # fmt: skip
    table, sentence = perf.book_cost({"rows": rows, "settings": {"training_configs": 4}}, target_hours=8)
    assert table.set_index("experiment")["evaluation (h)"].isna().tolist() == [False, True]  # none to read: NaN
    assert "that is 30.0 hours: 3.8× the target of 8 hours." in sentence
    assert "Denoising has no paper-profile record, so its evaluation is not counted;" in sentence
    assert (
        "training one seed alone takes 30.0 hours for IREM (11.0 s per iteration) and 2.0 hours for Feedforward "
        "(0.8 s per iteration)."
    ) in sentence
    assert "Without denoising, the other 2 runs take 1.0 hours on 2 cores (within the target)" in sentence
    assert "0% of their core-hours are evaluation." in sentence
    rows.append(_book_row("graph", "recurrent", 0, 1 * h, None, source="none", ms=50.0))  # one run of graph unknown
    partial = perf.book_cost({"rows": rows, "settings": {"training_configs": 5}})[1]
    assert "1 run of graph has no paper-profile record, so its evaluation is not counted" in partial
    assert "Without those runs, the other 2 runs take" in partial
    rows.pop()
    note = perf.paper_cost_note({"rows": rows}, "denoising")
    assert "no paper-profile `denoising` record is stored" in note and "IREM: 11.00 s per iteration, 30.0 hours" in note
    assert "`irem reproduce denoising --profile paper --device cuda`" in note
    assert perf.paper_cost_note({"rows": rows}, "scratchpad") == ""
    cost = perf.experiment_cost({"rows": rows}, "graph")
    assert cost.startswith("At the paper's settings this chapter's 2 runs take 2.0 hours of training on this CPU")
    assert "1.0 hours with one run on each of 2 cores" in cost and perf.experiment_cost({"rows": rows}, "compute") == ""


def test_book_cost_script_plans_every_paper_run_of_the_book(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("book_cost", "benchmarks/book_cost.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    from irem.experiments import plan

    specs = script.plan_specs(list(experiments.REGISTRY))
    expected = sum(len(plan.plan(name, profile="paper", seeds=3, device="cpu", runs_dir=tmp_path))
                   for name in experiments.REGISTRY)  # fmt: skip
    assert len(specs) == expected and {s.profile for s in specs} == {"paper"}
    assert {s.seed for s in specs} == {0, 1, 2}
    seconds, alone, source = script.evaluation_seconds(specs[0], str(tmp_path), 10.0)
    assert source == "none" and seconds != seconds and alone != alone  # nothing stored: NaN, named
