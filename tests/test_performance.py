"""The Performance chapter: stored ``irem bench`` results and benchmark scripts read back, the whole book's
cost, and whether bf16 and compiled training reach the eager fp32 error (on small hand-made inputs)."""

from dataclasses import asdict

import pandas as pd
import pytest
from conftest import fake_record, splits

from irem import experiments
from irem.performance import accuracy, benchmarks, cost
from irem.performance import analysis as perf
from irem.store import Record


def record(task="addition", method="irem", seed=0, **kw) -> Record:
    return fake_record("continuous", task, method, seed, profile="paper", **kw)


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
    table, sentence = benchmarks.stacked_seeds(doc)
    assert list(table["seeds S"]) == [2, 3] and list(table["stacked / separate"]) == [0.99, 0.92]
    assert "at best 8% less time (S = 3)" in sentence and "agree to 4e-07" in sentence
    doc["rows"][1]["stacked_over_separate"] = 1.01
    doc["rows"][0]["stacked_over_separate"] = 1.02
    assert "no time saved at any S" in benchmarks.stacked_seeds(doc)[1]


def test_sweep_local_table_and_verdict():
    def doc(pool, dask, overhead=0.01):
        rows = [{"round": r, "sweep": m, "wall_s": w} for r, (p, d) in enumerate(zip(pool, dask))
                for m, w in (("pool", p), ("dask", d))]  # fmt: skip
        settings = {"runs": 10, "iterations": 300, "jobs": 2, "smoke_runs": [10, 20]}
        return {"rows": rows, "settings": settings, "summary": {"same_metrics": True, "overhead_per_run_s": overhead}}

    table, sentence = benchmarks.sweep_local(doc([100, 90], [95, 99]))
    assert list(table["round"]) == [1, 2] and table["Dask / pool"].round(2).tolist() == [0.95, 1.1]
    assert "within the rounds' spread" in sentence and "zero within the timing noise" in sentence
    assert "no slower" in benchmarks.sweep_local(doc([100, 100], [90, 101]))[1]
    slower = benchmarks.sweep_local(doc([100, 100], [110, 120], overhead=0.5))[1]
    assert "slower in every round, by 10% at least" in slower and "+0.50 s per run." in slower


def test_cuda_graph_table_and_verdict():
    rows = [{"task": "addition", "method": "irem", "cuda_graph": g, "ms_per_iter": ms} for g, ms in ((False, 20.0),
            (True, 1.0))]  # fmt: skip
    doc = {"rows": rows, "provenance": {"device": "NVIDIA H100"}}
    table, sentence = benchmarks.cuda_graph(doc)
    assert table.iloc[0].tolist() == ["Addition", "IREM", 20.0, 1.0, 20.0]
    assert "20.00 ms per iteration eagerly and 1.00 ms replayed" in sentence and "(20.0× faster)" in sentence
    assert "meets the target of 1.2 ms" in sentence
    rows[1]["ms_per_iter"] = 2.0
    assert "misses the target of 1.2 ms per iteration (2.00 ms)" in benchmarks.cuda_graph(doc)[1]


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
    table, sentence = benchmarks.compiled_eval({"rows": rows})
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
    table, sentence = cost.book_cost(doc, cores=2, target_hours=8)
    first = table.iloc[0]
    assert first["runs"] == 3 and first["training (h)"] == 6 and first["evaluation (h)"] == 0.75
    assert first["evaluation as recorded (h)"] == 1.5 and table.iloc[1]["evaluation (h)"] == 3
    # runs of 2.25, 2.25, 2.25, 1, 1, 1 hours on 2 cores, longest first: 2.25 + 2.25 + 1 + ... ends at 5.25
    assert "6.0 hours of training (2 training configurations" in sentence and "3.8 hours of evaluation" in sentence
    assert "that is 5.2 hours: the target of 8 hours is met." in sentence and "no paper-profile record" not in sentence
    assert "that is 5.2 hours: 2.6× the target of 2 hours." in cost.book_cost(doc, target_hours=2)[1]


def test_book_cost_names_an_experiment_without_records_and_the_hours_of_the_rest():
    h = 3600.0
    rows = [_book_row("graph", "irem", s, 1 * h, 0.0, alone=0.0) for s in range(2)]
    rows += [_book_row("denoising", m, 0, t * h, None, source="none", ms=ms)
             for m, t, ms in (("feedforward", 2.0, 800.0), ("irem", 30.0, 11_000.0))]  # fmt: skip
    table, sentence = cost.book_cost({"rows": rows, "settings": {"training_configs": 4}}, target_hours=8)
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
    partial = cost.book_cost({"rows": rows, "settings": {"training_configs": 5}})[1]
    assert "1 run of graph has no paper-profile record, so its evaluation is not counted" in partial
    assert "Without those runs, the other 2 runs take" in partial
    rows.pop()
    note = cost.paper_cost_note({"rows": rows}, "denoising")
    assert "no paper-profile `denoising` record is stored" in note and "IREM: 11.00 s per iteration, 30.0 hours" in note
    assert "`irem reproduce denoising --profile paper --device cuda`" in note
    assert cost.paper_cost_note({"rows": rows}, "scratchpad") == ""
    graph_cost = cost.experiment_cost({"rows": rows}, "graph")
    assert graph_cost.startswith("At the paper's settings this chapter's 2 runs take 2.0 hours of training on this CPU")
    assert "1.0 hours with one run on each of 2 cores" in graph_cost
    assert cost.experiment_cost({"rows": rows}, "compute") == ""
    html = cost.styled_book_cost(table).to_html()
    assert ">32.0<" in html and ">2<" in html and ">—<" in html  # hours to one decimal, counts as they are


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


def test_compiled_table_and_verdict_place_each_compiled_run_in_the_range_of_the_eager_seeds():
    def rec(task, seed, same, harder, compiled=False):
        r = record(task, seed=seed, train={"compiled": compiled}, metrics=splits(same, harder))
        r.provenance.update(train_wall_s=600.0, train_iters_per_s=10.0 if compiled else 5.0)
        return r

    eager = [rec("addition", s, v, 10 * v) for s, v in enumerate((1.0, 2.0, 3.0))] + [rec("shortest_path", 0, 0.5, 0.9)]
    compiled = [rec("addition", 0, 2.5, 31.0, compiled=True)]
    table = accuracy.compiled_table(eager, compiled).set_index(["task", "training"])
    assert (
        table.loc[("Addition", "eager"), "same"] == 2.0 and table.loc[("Addition", "eager"), "seed list"] == "0, 1, 2"
    )
    assert table.loc[("Addition", "compiled"), "seed list"] == "0" and table.loc[("Addition", "compiled"), "it/s"] == 10
    assert ("Shortest path", "compiled") not in table.index  # no compiled run of that task
    verdict = accuracy.compiled_verdict(eager, compiled)
    assert verdict.startswith("Compiled against eager, mean test MSE (1 compiled seeds): addition same: 2.5 against 2")
    assert "(+25%; within the seeds' spread of 1)" in verdict  # one compiled seed: the eager std alone
    assert "addition harder: 31 against 20 (+55%; beyond the seeds' spread of 10)" in verdict
    assert "Beyond the spread between seeds: addition (harder)." in verdict
    assert verdict.endswith("The same seed trained both ways ends apart by addition 150.0% to 210.0% (over both "
                            "splits): how much each training depends on float rounding alone.")  # fmt: skip
    compiled[0].metrics["harder"]["mse"] = 12.0
    assert "compiled training reaches the eager error." in accuracy.compiled_verdict(eager, compiled)
    assert "nothing to compare" in accuracy.compiled_verdict(eager, [])
    assert "nothing to compare" in accuracy.compiled_verdict([], [])  # the smoke profile stores no paper records


def test_precision_table_and_verdict_read_bf16_against_the_seed_spread_of_fp32():
    def rec(precision, seed, same, harder):
        r = record("addition", seed=seed, train={"precision": precision}, metrics=splits(same, harder))
        r.provenance["train_wall_s"] = 600.0 if precision == "fp32" else 300.0
        return r

    recs = [rec("fp32", 0, 1.0, 10.0), rec("fp32", 1, 3.0, 12.0), rec("bf16", 0, 2.5, 20.0), rec("bf16", 1, 2.5, 20.0)]
    table = accuracy.precision_table(recs).set_index("precision")
    assert table.loc["fp32", "same"] == 2.0 and table.loc["fp32", "same (std)"] == pytest.approx(2**0.5)
    assert table.loc["bf16", "training minutes"] == 5.0 and table.loc["bf16", "seeds"] == 2
    verdict = accuracy.precision_verdict(accuracy.precision_table(recs))
    assert "same +0.5 (+25%; within the seeds' spread of 1.4)" in verdict
    assert "harder +9 (+82%; beyond the seeds' spread of 1.4)" in verdict
    assert verdict.endswith("bf16 changes the error beyond the spread between seeds (harder): keep fp32 here.")
    recs[2].metrics["harder"]["mse"] = recs[3].metrics["harder"]["mse"] = 11.0
    assert accuracy.precision_verdict(accuracy.precision_table(recs)).endswith("here bf16 trains to the error of fp32.")
    assert "nothing to compare" in accuracy.precision_verdict(accuracy.precision_table(recs[:2]))


def _bench_row(task, precision, ms, cpu_ms, gflops, peak_bf16=None, vary=None, **extra):
    """A row as ``irem bench`` stores it: the varied setting (``vary``) stands before the precision."""
    row = {"task": task, "method": "irem", **(vary or {}), "precision": precision, "ms_per_iter": ms,
           "cpu_ms_per_iter": cpu_ms, "iters_per_s": 1e3 / ms, "gflop_per_iter": 2.0, "gflops": gflops,
           "fraction_of_fp32_peak": 0.5, "peak_memory_mb": 100.0, "load_average": [1.0], **extra}  # fmt: skip
    if peak_bf16 is not None:
        row["peak_bf16"] = {"gflops": peak_bf16}
    return row


def test_speedup_reads_bf16_against_fp32_and_the_other_chapters_reach_the_cost_through_analysis():
    doc = {"rows": [_bench_row("addition", "fp32", 40.0, 38.0, 50.0), _bench_row("addition", "bf16", 20.0, 19.0, 100.0,
                                                                                  peak_bf16=400.0)]}  # fmt: skip
    s = perf.speedup(doc, "addition")
    assert asdict(s) == pytest.approx({"fp32_ms": 40.0, "bf16_ms": 20.0, "fp32_cpu_ms": 38.0, "bf16_cpu_ms": 19.0,
                                       "speedup": 2.0, "cpu_speedup": 2.0, "gflop": 2.0, "fp32_peak_fraction": 0.5,
                                       "bf16_peak_fraction": 0.25})  # fmt: skip
    assert all(type(v) is float for v in asdict(s).values())  # glued as plain floats
    assert perf.bf16_verdict(s) == "faster (2.00× the fp32 speed)"
    doc["rows"][1]["ms_per_iter"] = 80.0
    assert perf.bf16_verdict(perf.speedup(doc, "addition")) == "slower (0.50× the fp32 speed)"
    # the graph, denoising and summary chapters read these as `perf.xxx`
    assert perf.book_cost is cost.book_cost and perf.experiment_cost is cost.experiment_cost
    assert perf.paper_cost_note is cost.paper_cost_note and callable(perf.load)


def test_graph_energy_text_sets_the_main_tables_time_beside_the_graph_energy_files():
    shares = {"time_shares": {"matrix multiply": 0.1}}
    rows = [
        _bench_row("shortest_path", "fp32", 62.0, 60.0, 30.0, vary={"graph_energy": e}, **shares)
        for e in ("ours", "release")
    ]
    energy = {"rows": rows, "provenance": {"device": "cpu", "date": "2025-01-02T03:04"}}
    energy["rows"][1]["ms_per_iter"] = 124.0
    table = {"rows": [_bench_row("shortest_path", p, 70.0, 60.0, 30.0, peak_bf16=100.0) for p in ("fp32", "bf16")]}
    text = perf.graph_energy_text({"graph_energy": energy, "table": table})
    assert text.startswith(perf.graph_energy_prose(energy) + " *Measured on cpu, 2025-01-02.*")
    assert text.endswith("Our energy took 70.0 ms in the table at the top of this page and 62.0 ms here, on the same "
                         "kind of machine at another time: the speed of this shared machine varies by that much, so "
                         "compare rows within one table.")  # fmt: skip
    assert ">62.0<" in perf.styled_graph_energy(energy).to_html()


def test_targets_text_adds_the_compiled_times_of_the_files_there_are():
    rows = [_bench_row("addition", "fp32", 40.0, 38.0, 50.0)]
    compiled = {"rows": [_bench_row("addition", "fp32", ms, ms, 50.0, vary={"compiled": c}) for c, ms in ((False, 40.0),
                                                                                               (True, 20.0))],
                "settings": {}}  # fmt: skip
    docs = {"table": {"rows": rows}, "compiled": compiled}
    assert perf.compiled_docs(docs) == [compiled] and perf.compiled_docs({"table": docs["table"]}) == []
    text = perf.targets_text(docs)
    assert text.startswith("**Against our targets**, about a third of the time per iteration of the authors' release")
    assert perf.targets_prose(docs["table"]) in text
    assert text.endswith('With `compiled=True` (section "Compiled" below): addition 20.0 ms (target ≤ 23 ms: met).')
    assert perf.named({"steps_fp32": 1, "table": 2, "steps_bf16": 3}, "steps_") == [1, 3]


def test_precision_check_glues_bf16s_differences_against_the_fp32_seed_spread():
    rows = [{"precision": p, "seed": s, "mse_same": same, "mse_harder": harder, "train_iters_per_s": 10.0}
            for p, s, same, harder in (("fp32", 0, 1.0, 10.0), ("fp32", 1, 3.0, 14.0), ("bf16", 0, 2.5, 13.0),
                                       ("bf16", 1, 2.5, 13.0))]  # fmt: skip
    check = accuracy.precision_check({"rows": rows})
    assert asdict(check) == pytest.approx({"bf16_same_diff": 0.5, "fp32_same_sd": 2**0.5, "bf16_harder_diff": 1.0,
                                           "fp32_harder_sd": 8**0.5})  # fmt: skip
    table = accuracy.precision_check_table({"rows": rows})
    assert table.loc["fp32", ("mse_same", "mean")] == 2.0 and table.loc["bf16", ("mse_harder", "std")] == 0.0
    assert ">2.0000<" in accuracy.styled_precision_check({"rows": rows}).to_html()


def test_stored_runs_are_compared_only_at_the_paper_profile(tmp_path):
    assert accuracy.stored_precisions(tmp_path) is None  # nothing stored
    assert accuracy.stored_compiled(tmp_path) == ([], [])
    smoke = experiments.run("continuous", profile="smoke", tasks=["addition"], methods=["irem"], seeds=1,
                            device="cpu", runs_dir=tmp_path, progress=False)  # fmt: skip
    assert smoke.records and accuracy.stored_compiled(tmp_path) == ([], [])  # stored, but not at the paper profile


def test_stored_runs_are_sorted_by_how_they_were_trained():
    """The graph chapter trains its seeds above 2 compiled by default: those count as compiled, never as eager."""
    from irem.provenance import REPO_ROOT

    eager, compiled = accuracy.stored_compiled(REPO_ROOT / "data" / "runs")
    if not compiled:
        pytest.skip("no paper-profile compiled runs stored")
    assert all(not r.train.get("compiled") for r in eager) and all(r.train.get("compiled") for r in compiled)
    graph_seeds = {r.seed for r in compiled if r.task == "shortest_path"}
    assert graph_seeds > {0, 1, 2}  # every stored seed, not only those asked for


def test_styled_benchmark_tables_format_their_number_columns():
    table = pd.DataFrame({"task": ["Addition"], "method": ["IREM"], "eager (ms/iter)": [20.0],
                          "one CUDA graph (ms/iter)": [1.0], "speed-up": [20.0]})  # fmt: skip
    assert ">20.00<" in benchmarks.styled_cuda_graph(table).to_html()
    rounds = pd.DataFrame({"round": [1], "process pool (s)": [100.0], "Dask local cluster (s)": [95.0],
                           "Dask / pool": [0.95]})  # fmt: skip
    assert ">95.0<" in benchmarks.styled_sweep_local(rounds).to_html()
