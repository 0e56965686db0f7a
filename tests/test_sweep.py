"""Sweeps on Dask: the local cluster writes what the in-process loop writes, a user's cluster (a real
``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1) survives a killed worker, a failing run
fails alone, and bad input is a clear error. Smoke runs of 3 iterations: about a second each.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from irem import experiments, store
from irem.cli import main
from irem.experiments import sweep
from irem.store import Record

CPU = torch.device("cpu")
SMOKE = ["--profile", "smoke", "--tasks", "addition", "--iterations", "3", "--device", "cpu"]


def run_cli(*argv) -> int:
    try:
        return main([str(a) for a in argv])
    except SystemExit as e:
        return e.code


def smoke_specs(seeds, methods=("feedforward",), **task_options):
    return experiments.get("continuous").specs("smoke", ["addition"], list(methods), seeds, {"iterations": 3},
                                               task_options or None)  # fmt: skip


def stored(runs_dir: Path) -> dict[str, Record]:
    """Every record under ``runs_dir`` by file name; no temp file may be left beside them."""
    assert not [p for p in runs_dir.rglob(".*") if p.is_file()], "a partial (temp) file was left"
    return {p.name: Record.load(p) for p in sorted((runs_dir / "continuous").glob("*.json"))}


def test_local_cluster_writes_the_records_of_the_in_process_loop(tmp_path, capsys):
    argv = [*SMOKE, "--methods", "feedforward", "irem", "--seeds", "2"]
    assert run_cli("reproduce", "continuous", *argv, "--runs-dir", tmp_path / "serial") == 0
    started = time.perf_counter()
    assert run_cli("reproduce", "continuous", *argv, "--runs-dir", tmp_path / "swept", "--jobs", "2") == 0
    wall = time.perf_counter() - started
    err = capsys.readouterr().err
    assert "sweep: 4 runs: 4 done, 0 reused, 0 failed" in err and "local cluster of 2 workers" in err
    serial, swept = stored(tmp_path / "serial"), stored(tmp_path / "swept")
    assert list(swept) == list(serial) and len(swept) == 4
    for name, record in swept.items():
        assert record.config == serial[name].config
        threads = max(1, (os.cpu_count() or 1) // 2)  # the cores shared among the 2 workers
        assert record.provenance["device"].endswith(f", {threads} threads)")
        for split, metrics in serial[name].metrics.items():  # same seeds: the same numbers, up to float rounding
            assert record.metrics[split]["mse"] == pytest.approx(metrics["mse"], rel=1e-5)
            assert record.metrics[split]["mse_by_steps"] == pytest.approx(metrics["mse_by_steps"], rel=1e-5)
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "swept").rglob("*.json")}
    started = time.perf_counter()
    assert run_cli("reproduce", "continuous", *argv, "--runs-dir", tmp_path / "swept", "--jobs", "2") == 0
    assert "4 reused" in capsys.readouterr().err
    assert time.perf_counter() - started < min(2.0, wall)  # nothing submitted: no cluster started
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "swept").rglob("*.json")} == mtimes


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (no nanny: a worker's PID is its own)."""
    from distributed import Client

    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    log = open(root / "log.txt", "w")
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                               "127.0.0.1:0", "--scheduler-file", scheduler_file], cwd=root, stdout=log,
                              stderr=subprocess.STDOUT)]  # fmt: skip
    workers = {}
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for name in ("w0", "w1"):
            cmd = [*dask, "worker", address, "--name", name, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                   "--no-dashboard", "--local-directory", root / name]  # fmt: skip
            workers[name] = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT)
            procs.append(workers[name])
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, scheduler_file, workers
    finally:
        for p in procs[::-1]:  # the workers first: a worker whose scheduler is gone first lingers
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


def test_a_failing_run_fails_alone(dask_cluster, tmp_path):
    _, scheduler_file, _ = dask_cluster
    good = smoke_specs([0, 1])
    bad = smoke_specs([2], no_such_option=1)[0]  # the task's constructor raises, on the worker
    with pytest.raises(sweep.SweepFailed) as failed:
        sweep.run_all([good[0], bad, good[1]], tmp_path, CPU, scheduler_file=scheduler_file, progress=False)
    assert list(failed.value.failures) == [f"continuous/{bad.filename()}"]
    assert "TypeError" in str(failed.value) and "no_such_option" in str(failed.value)
    summary = failed.value.summary
    assert (summary.total, summary.done, summary.reused, summary.failed) == (3, 2, 0, 1)
    assert sorted(stored(tmp_path)) == sorted(s.filename() for s in good)
    # rerun: the stored runs are reused, only the failing one is submitted again
    with pytest.raises(sweep.SweepFailed) as failed:
        sweep.run_all([good[0], bad, good[1]], tmp_path, CPU, scheduler_file=scheduler_file, progress=False)
    assert (failed.value.summary.done, failed.value.summary.reused, failed.value.summary.failed) == (0, 2, 1)


def test_a_users_cluster_survives_a_killed_worker(dask_cluster, tmp_path):
    from distributed import Client

    address, _, workers = dask_cluster
    argv = ["reproduce", "continuous", *SMOKE, "--methods", "feedforward", "--seeds", "4", "--runs-dir", tmp_path,
            "--scheduler", address]  # fmt: skip
    # the sweep in a process of its own, as a user runs it: two clients in one process (this test's and the
    # sweep's) can trip over each other's event loops when a lost result is fetched again
    err_path = tmp_path / "sweep.err"
    with err_path.open("w") as err_file:
        sweeping = subprocess.Popen([sys.executable, "-c", "import sys; from irem.cli import main; sys.exit(main())",
                                     *map(str, argv)], stderr=err_file)  # fmt: skip
    with Client(address, timeout=30) as client, _killed_at_exit(sweeping):  # kill a worker while it trains a run
        deadline = time.monotonic() + 60
        while not (busy := [w for w, keys in client.processing().items() if keys]) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert busy, "no worker ever ran a task"
        victim = workers[client.scheduler_info()["workers"][busy[0]]["name"]]
        in_flight = list(client.processing()[busy[0]])
        os.kill(victim.pid, signal.SIGKILL)
        assert sweeping.wait(timeout=120) == 0, err_path.read_text()[-2000:]
        # each run the victim held finished: released with the victim and then run on the other worker, or (a
        # smoke run takes a fraction of a second) already finished before the signal landed
        story = client.story(*in_flight)  # ("scheduler", key, from state, to state, ...) per transition
        for key in in_flight:
            steps = [(step[2], step[3]) for step in story if step[1] == key]
            assert ("processing", "memory") in steps, steps
            if ("processing", "released") in steps:
                assert steps.index(("processing", "released")) < steps.index(("processing", "memory")), steps
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert "4 runs: 4 done, 0 reused, 0 failed" in err_path.read_text()
    records = stored(tmp_path)
    assert sorted(records) == sorted(s.filename() for s in smoke_specs(range(4)))
    assert all(r.metrics["same"]["mse"] > 0 for r in records.values())


@contextlib.contextmanager
def _killed_at_exit(process: subprocess.Popen):
    """Leave no sweep process behind when an assertion fails before it ends."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_named_within_30_s(monkeypatch, tmp_path, capsys):
    assert sweep.CONNECT_TIMEOUT_S < 30
    monkeypatch.setattr(sweep, "CONNECT_TIMEOUT_S", 1)
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    code = run_cli("reproduce", "continuous", *SMOKE, "--methods", "feedforward", "--runs-dir", tmp_path,
                   "--scheduler", address)  # fmt: skip
    assert code == 2 and time.perf_counter() - started < 30
    assert f"cannot reach the Dask scheduler {address} within 1 s" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--jobs", "0"], "jobs must be an integer > 0, got 0"),
        (["--scheduler-file", "/nonexistent/scheduler.json"], "scheduler file '/nonexistent/scheduler.json' does not"),
        (["--scheduler", "tcp://127.0.0.1:1", "--scheduler-file", "f.json"], "not allowed with argument"),
    ],
)
def test_bad_sweep_input_is_a_clear_error(capsys, tmp_path, flags, message):
    code = run_cli("reproduce", "continuous", *SMOKE, "--methods", "feedforward", "--runs-dir", tmp_path, *flags)
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "continuous").exists()


def test_a_scheduler_wins_over_jobs(capsys, tmp_path):
    code = run_cli("reproduce", "continuous", *SMOKE, "--methods", "feedforward", "--runs-dir", tmp_path,
                   "--scheduler-file", tmp_path / "missing.json", "--jobs", "4")  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "--jobs 4 is ignored: with a scheduler, its workers set how many runs train at once" in err
    with pytest.warns(UserWarning, match="jobs=4 is ignored with a scheduler"):
        sweep.check_target(4, "tcp://127.0.0.1:8786", None)


def test_each_local_worker_sees_one_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    envs, device = sweep.worker_envs(3, torch.device("cuda"))
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["3", "5", "3"] and device == "cuda"
    envs, _ = sweep.worker_envs(2, torch.device("cuda:1"))
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["5", "5"]
    with pytest.raises(ValueError, match="only 2 GPU"):
        sweep.worker_envs(1, torch.device("cuda:2"))
    assert sweep.worker_envs(2, CPU) == ([{}, {}], "cpu")


def test_one_job_runs_in_process_without_dask(tmp_path):
    code = (f"import sys, torch; from irem import experiments; from irem.experiments import sweep; "
            f"specs = experiments.get('continuous').specs('smoke', ['addition'], ['feedforward'], [0], "
            f"{{'iterations': 3}}); sweep.run_all(specs, {str(tmp_path)!r}, torch.device('cpu'), progress=False); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"
    assert len(list((tmp_path / "continuous").glob("*.json"))) == 1
    assert store.find_record(tmp_path, smoke_specs([0])[0]) is not None
