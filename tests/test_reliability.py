"""Issue 11 (reliability): --retrain that retrains, validation without holes, checkpoints, clear errors.

Each test names the issue item it covers. Runs use the smoke profile with a few iterations and
one torch thread (on a loaded 2-core machine two threads are many times slower, not faster).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from irem import experiments, provenance, store
from irem.atomic import atomic_torch_save
from irem.cli import main
from irem.experiments import running
from irem.train import TrainingDiverged, replay_buffers, train

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def train_calls(monkeypatch) -> list:
    """Every call of the training loop from ``_trained`` (training still happens)."""
    calls = []

    def spy(*args, **kwargs):
        calls.append(args[2])
        return train(*args, **kwargs)

    monkeypatch.setattr(running, "train", spy)
    return calls


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if anything trains."""

    def fail(*args, **kwargs):
        pytest.fail("trained although the arguments were bad")

    monkeypatch.setattr(running, "train", fail)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = None
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def smoke(runs_dir, experiment="continuous", method="feedforward", iterations=5, **kw) -> experiments.ExperimentResult:
    return experiments.run(experiment, profile="smoke", tasks=["addition"], methods=[method], seeds=1, device="cpu",
                           runs_dir=runs_dir, overrides={"iterations": iterations}, progress=False, **kw)  # fmt: skip


def smoke_spec(method="feedforward", iterations=5, experiment="continuous") -> store.RunSpec:
    return experiments.get(experiment).spec("smoke", "addition", method, 0, {"iterations": iterations})


def cache_file(runs_dir, spec: store.RunSpec) -> Path:
    return store.weights_dir(runs_dir) / spec.weights_file()


def checkpoint_file(runs_dir, spec: store.RunSpec) -> Path:
    return store.checkpoints_dir(runs_dir) / spec.weights_file()


# 1. --retrain retrains; a reused model's record says who trained it


def test_retrain_retrains_and_reused_weights_carry_the_training_runs_provenance(tmp_path, monkeypatch, train_calls):
    monkeypatch.setattr(provenance, "loaded_code_state", lambda: {"git_commit": "a" * 40, "dirty": True})
    (first,) = smoke(tmp_path).records
    assert len(train_calls) == 1 and first.provenance["weights"] == "trained"
    # a later commit, clean, reuses the weights for composition: the record says so, and who trained them
    monkeypatch.setattr(provenance, "loaded_code_state", lambda: {"git_commit": "b" * 40, "dirty": False})
    (reused,) = smoke(tmp_path, "composition").records
    assert len(train_calls) == 1
    prov = reused.provenance
    assert prov["weights"] == "reused" and prov["git_commit"] == "b" * 40 and prov["dirty"] is False
    assert prov["train_git_commit"] == "a" * 40 and prov["train_dirty"] is True
    assert reused.curves["train_loss"] == first.curves["train_loss"]
    # retrain=True trains again although both the record and the cached weights exist
    (again,) = smoke(tmp_path, retrain=True).records
    assert len(train_calls) == 2
    assert again.provenance["weights"] == "trained" and again.provenance["train_git_commit"] == "b" * 40
    assert store.Record.load(store.record_path(tmp_path, smoke_spec())) == again


# 2. papermill's `-p retrain false` is the string "false"


def test_papermill_retrain_false_does_not_retrain(tmp_path, train_calls):
    papermill_cli = pytest.importorskip("papermill.cli")
    assert papermill_cli._resolve_type("false") == "false"  # what `-p retrain false` hands the notebook
    smoke(tmp_path)
    for value in ("false", "False", "0", 0, False):
        smoke(tmp_path, retrain=value)
    assert len(train_calls) == 1
    smoke(tmp_path, retrain="true")
    assert len(train_calls) == 2


# 3. NaN and inf fail validation, named, before any work


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--set", "test_step_size=inf"], "test_step_size must be a finite number >= 0, got inf"),
        (["--set", "test_step_size=nan"], "test_step_size must be a finite number >= 0, got nan"),
        (["--set", "grad_clip=nan"], "grad_clip must be a finite number >= 0, got nan"),
        (["--set", "halt_tol=nan"], "halt_tol must be a finite number >= 0, got nan"),
        (["--set", "ponder_kl=inf"], "ponder_kl must be a finite number >= 0, got inf"),
        (["--step-size", "inf"], "step_size must be a finite number > 0, got inf"),
        (["--lr", "nan"], "lr must be a finite number > 0, got nan"),
    ],
)
def test_non_finite_values_are_rejected_before_any_work(capsys, tmp_path, no_training, flags, message):
    runs_dir = tmp_path / "runs"
    code, _, err = run_cli(capsys, "train", "--task", "addition", "--profile", "smoke", "--device", "cpu",
                           "--runs-dir", runs_dir, *flags)  # fmt: skip
    assert code == 2 and message in err
    assert not runs_dir.exists()  # no record, no weights, not even the folder


# 4 and 10. a bad record is an error naming its file


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda d: {**d, "metrics": {"same": {"mse": 0.1}, "harder": {"mse_final": 0.2}}}, "lack the headline 'mse'"),
        (lambda d: {**d, "metrics": {}}, "'metrics' must map each test split"),
        (lambda d: {k: v for k, v in d.items() if k != "config"}, "missing ['config']"),
        (lambda d: json.dumps(d)[:200], "invalid JSON"),
    ],
    ids=["metrics-without-mse", "no-metrics", "no-config", "truncated-json"],
)
def test_a_bad_record_is_an_error_naming_its_file(capsys, tmp_path, no_training, corrupt, message):
    spec = smoke_spec()
    path = store.record_path(tmp_path, spec)
    good = store.Record(experiment=spec.experiment, task=spec.task, method=spec.method, seed=0, profile="smoke",
                       config=spec.config(), config_hash=spec.config_hash(), parameters=1,
                       metrics={"same": {"mse": 0.1}, "harder": {"mse": 0.2}}, curves={}, provenance={})  # fmt: skip
    bad = corrupt(good.to_dict())
    path.parent.mkdir(parents=True)
    path.write_text(bad if isinstance(bad, str) else json.dumps(bad))
    code, out, err = run_cli(capsys, "reproduce", "continuous", "--profile", "smoke", "--tasks", "addition",
                             "--methods", "feedforward", "--device", "cpu", "--runs-dir", tmp_path,
                             "--iterations", "5")  # fmt: skip
    assert code == 2 and str(path) in err and message in err and "==" not in out
    with pytest.raises(ValueError, match="lack the headline|must map|missing|invalid JSON") as e:
        smoke(tmp_path)
    assert str(path) in str(e.value)


# 5. dirty means the code differs from the commit, not the data


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_state_counts_code_not_run_records(tmp_path):
    repo = tmp_path / "repo"
    (repo / "irem").mkdir(parents=True)
    (repo / "data" / "runs").mkdir(parents=True)
    (repo / "irem" / "code.py").write_text("x = 1\n")
    (repo / "data" / "runs" / "r.json").write_text("{}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init")
    head = _git(repo, "rev-parse", "HEAD")
    assert provenance.git_state(repo) == {"git_commit": head, "dirty": False}
    # a sweep rewrites a tracked record and adds new ones: the code is still clean
    (repo / "data" / "runs" / "r.json").write_text('{"changed": 1}\n')
    (repo / "data" / "runs" / "new.json").write_text("{}\n")
    assert provenance.git_state(repo) == {"git_commit": head, "dirty": False}
    (repo / "irem" / "code.py").write_text("x = 2\n")
    assert provenance.git_state(repo) == {"git_commit": head, "dirty": True}


def test_records_name_the_code_the_process_loaded_not_the_checkout_now(tmp_path, monkeypatch):
    loaded = provenance.loaded_code_state()  # read when irem.experiments was imported
    monkeypatch.setattr(provenance, "git_state", lambda root=None: {"git_commit": "c" * 40, "dirty": False})  # moved on
    assert provenance.loaded_code_state() == loaded
    (record,) = smoke(tmp_path).records
    assert record.provenance["git_commit"] == loaded["git_commit"] != "c" * 40


# 6. an unwritable runs dir fails before training


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_unwritable_runs_dir_fails_before_training(capsys, tmp_path, no_training, where):
    if where == "under-a-file":
        (tmp_path / "file").write_text("")
        runs_dir = tmp_path / "file" / "runs"
    else:
        runs_dir = Path("/proc/irem-test")
    code, _, err = run_cli(capsys, "train", "--task", "addition", "--profile", "smoke", "--device", "cpu",
                           "--runs-dir", runs_dir, "--iterations", "5")  # fmt: skip
    assert code == 2 and f"runs_dir={str(runs_dir)!r} cannot be written" in err
    with pytest.raises(ValueError, match="cannot be written"):
        smoke(runs_dir)


# 7. identical runs at once do not collide on the weights file


def test_concurrent_weight_saves_do_not_collide(tmp_path):
    path = tmp_path / "weights" / "w.pt"
    objects = [{"state_dict": {"w": torch.full((50_000,), float(i))}, "writer": i} for i in range(4)]
    start, errors = threading.Barrier(len(objects)), []

    def write(obj):
        start.wait()
        try:
            for _ in range(10):
                atomic_torch_save(obj, path)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(o,)) for o in objects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    saved = torch.load(path, weights_only=True)
    assert torch.equal(saved["state_dict"]["w"], objects[saved["writer"]]["state_dict"]["w"])
    assert [p.name for p in path.parent.iterdir()] == ["w.pt"]  # no temp file left behind


# 8. checkpoints: a killed run resumes, and ends where an uninterrupted one does


class _Killed(Exception):
    pass


def _interrupted_train(spec: store.RunSpec, checkpoint: Path, at: int) -> None:
    """Train ``spec`` as ``_trained`` does, checkpointing every iteration, and die at iteration ``at``."""

    def die(iteration):
        if iteration == at:
            raise _Killed

    task, method = spec.build(torch.device("cpu"))
    with pytest.raises(_Killed):
        train(method, task, spec.train, running.generator(torch.device("cpu"), spec.seed), progress=False,
              on_step=die, checkpoint=checkpoint, checkpoint_every_s=0, identity=spec.train_hash())  # fmt: skip


@pytest.mark.parametrize(
    "task, method, overrides",
    [
        ("addition", "irem", {"lr_schedule": "cosine"}),  # replay buffer, lr schedule
        ("addition", "irem", {"scratchpad": 3}),  # scratchpad in the replay buffer
        ("shortest_path", "irem", {}),  # graph batches in the replay buffer
        ("addition", "programmatic", {}),
    ],
)
def test_resumed_training_is_bitwise_the_uninterrupted_training(tmp_path, task, method, overrides):
    experiment = experiments.get(experiments.home_of(task))
    spec = experiment.spec("smoke", task, method, 0, {"iterations": 40, "log_every": 7, **overrides})
    dev = torch.device("cpu")
    t, whole = spec.build(dev)
    gen = running.generator(dev, spec.seed)
    log = train(whole, t, spec.train, gen, progress=False)

    checkpoint = tmp_path / "ckpt.pt"
    _interrupted_train(spec, checkpoint, at=17)  # the last checkpoint is after iteration 16
    t, resumed = spec.build(dev)
    gen_resumed = running.generator(dev, spec.seed)
    log_resumed = train(resumed, t, spec.train, gen_resumed, progress=False, checkpoint=checkpoint)

    assert log_resumed.resumed_from == 16 and log.resumed_from is None
    assert log_resumed.train_loss == log.train_loss
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    assert torch.equal(gen.get_state(), gen_resumed.get_state())
    for name, buf in replay_buffers(whole).items():
        a, b = buf.state_dict(), replay_buffers(resumed)[name].state_dict()
        assert (a["size"], a["next"]) == (b["size"], b["next"])
        for key in a["store"]:
            assert torch.equal(a["store"][key][: a["size"]], b["store"][key][: b["size"]]), key


def test_runs_resume_from_a_checkpoint_and_delete_it_once_the_weights_are_cached(tmp_path, monkeypatch):
    spec = smoke_spec("irem", iterations=30)
    checkpoint = checkpoint_file(tmp_path, spec)
    _interrupted_train(spec, checkpoint, at=12)
    (resumed,) = smoke(tmp_path, method="irem", iterations=30).records
    assert resumed.provenance["resumed_from_iteration"] == 11 and resumed.provenance["weights"] == "trained"
    assert not checkpoint.exists() and cache_file(tmp_path, spec).exists()
    # the same run, uninterrupted, elsewhere; and with retrain, which drops a checkpoint it finds
    (whole,) = smoke(tmp_path / "whole", method="irem", iterations=30).records
    _interrupted_train(spec, checkpoint, at=12)
    (retrained,) = smoke(tmp_path, method="irem", iterations=30, retrain=True).records
    assert whole.provenance["resumed_from_iteration"] is None
    assert retrained.provenance["resumed_from_iteration"] is None and not checkpoint.exists()
    assert resumed.metrics == whole.metrics == retrained.metrics
    assert resumed.curves["train_loss"] == whole.curves["train_loss"]


def test_a_snapshot_is_bitwise_the_shorter_run_and_a_later_run_of_that_length_only_evaluates(tmp_path):
    (long,) = smoke(tmp_path / "long", method="irem", iterations=30, snapshots=[10, 20]).records
    (from_snapshot,) = smoke(tmp_path / "long", method="irem", iterations=20).records
    (direct,) = smoke(tmp_path / "direct", method="irem", iterations=20).records
    assert long.provenance["weights"] == direct.provenance["weights"] == "trained"
    assert from_snapshot.provenance["weights"] == "reused"
    assert from_snapshot.metrics == direct.metrics and from_snapshot.curves["train_loss"] == direct.curves["train_loss"]
    spec = smoke_spec("irem", iterations=20)
    snap, whole = (torch.load(cache_file(d, spec), weights_only=True) for d in (tmp_path / "long", tmp_path / "direct"))
    for name, a in whole["state_dict"].items():
        assert torch.equal(a, snap["state_dict"][name]), name
    assert cache_file(tmp_path / "long", smoke_spec("irem", iterations=10)).exists()
    for bad, message in (([25], "multiples of log_every"), ([30], "between 1 and 29"), ([0], "between 1 and 29")):
        with pytest.raises(ValueError, match=message):
            smoke(tmp_path / "bad", method="irem", iterations=30, snapshots=bad)
    with pytest.raises(ValueError, match="lr_schedule='constant'"):
        experiments.run("continuous", profile="smoke", tasks=["addition"], methods=["irem"], device="cpu",
                        runs_dir=tmp_path / "bad", overrides={"lr_schedule": "cosine"}, snapshots=[10])  # fmt: skip
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").rglob("*.json"))


def test_checkpoints_are_written_every_interval_and_never_after_the_last_iteration(tmp_path, monkeypatch):
    import irem.train

    saved = []
    monkeypatch.setattr(irem.train, "atomic_torch_save", lambda obj, path: saved.append((obj["iteration"], path)))
    monkeypatch.setenv("IREM_CHECKPOINT_EVERY_S", "0")
    smoke(tmp_path, iterations=6)
    spec = smoke_spec(iterations=6)
    assert saved == [(i, checkpoint_file(tmp_path, spec)) for i in range(1, 6)]
    monkeypatch.setenv("IREM_CHECKPOINT_EVERY_S", "1e9")
    smoke(tmp_path, iterations=7)
    assert len(saved) == 5
    monkeypatch.setenv("IREM_CHECKPOINT_EVERY_S", "soon")
    with pytest.raises(ValueError, match="IREM_CHECKPOINT_EVERY_S must be a finite number of seconds >= 0"):
        smoke(tmp_path, iterations=8)
    assert not (store.record_path(tmp_path, smoke_spec(iterations=8))).exists()


def test_a_corrupt_checkpoint_is_an_error_naming_it_and_retrain_starts_over(tmp_path):
    spec = smoke_spec()
    checkpoint = checkpoint_file(tmp_path, spec)
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=f"checkpoint {checkpoint} cannot be resumed .*--retrain"):
        smoke(tmp_path)
    (record,) = smoke(tmp_path, retrain=True).records
    assert record.provenance["resumed_from_iteration"] is None and not checkpoint.exists()


def test_a_checkpoint_of_another_config_is_refused_and_one_from_before_a_field_was_added_resumes(tmp_path):
    from irem.config import TrainConfig

    spec = smoke_spec("irem", iterations=10)
    checkpoint = tmp_path / "ckpt.pt"
    _interrupted_train(spec, checkpoint, at=5)
    other = experiments.get("continuous").spec("smoke", "addition", "irem", 0, {"iterations": 10, "lr": 1e-3})
    t, method = other.build(torch.device("cpu"))
    with pytest.raises(ValueError, match=r"cannot be resumed .*another training config \(differs in \['lr'\]\)"):
        train(method, t, other.train, running.generator(torch.device("cpu"), 0), progress=False, checkpoint=checkpoint)
    if not TrainConfig.ADDED_LATER:
        return
    state = torch.load(checkpoint, weights_only=True)  # as code from before the later fields saved it
    state["config"] = {k: v for k, v in state["config"].items() if k not in TrainConfig.ADDED_LATER}
    torch.save(state, checkpoint)
    t, method = spec.build(torch.device("cpu"))
    log = train(method, t, spec.train, running.generator(torch.device("cpu"), 0), progress=False, checkpoint=checkpoint)
    assert log.resumed_from == 4


def _train_args(runs_dir: Path, iterations: int) -> list[str]:
    return ["train", "--task", "addition", "--method", "irem", "--profile", "smoke", "--device", "cpu",
            "--runs-dir", str(runs_dir), "--iterations", str(iterations)]  # fmt: skip


def test_a_killed_run_resumes_to_the_record_of_an_uninterrupted_one(capsys, tmp_path, monkeypatch):
    """SIGKILL a smoke run (its own process) once it has checkpointed, rerun it, compare: bitwise equal.

    The killed run, its rerun and the uninterrupted run all use one thread (the same kernels,
    summing in the same order) and the checkpoint restores every bit of the training state, so
    the records are equal exactly (``==`` on every float), not approximately. The rerun and the
    uninterrupted run go through ``irem.cli.main`` here, while the doomed process starts up.
    """
    iterations = 600
    monkeypatch.delenv("IREM_CHECKPOINT_EVERY_S", raising=False)  # here: the default, no checkpoint in 600 its
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "IREM_CHECKPOINT_EVERY_S": "0.3"}
    killed_dir, whole_dir = tmp_path / "killed", tmp_path / "whole"
    spec = smoke_spec("irem", iterations)
    checkpoint = checkpoint_file(killed_dir, spec)
    doomed = subprocess.Popen([sys.executable, "-m", "irem.cli", *_train_args(killed_dir, iterations)], cwd=REPO,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        code, _, err = run_cli(capsys, *_train_args(whole_dir, iterations))  # uninterrupted, no checkpoints
        assert code == 0, err
        deadline = time.monotonic() + 120
        while not checkpoint.exists():
            assert doomed.poll() is None, f"the run ended before it checkpointed: {doomed.stderr.read().decode()}"
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.01)
        doomed.send_signal(signal.SIGKILL)
    finally:
        doomed.kill()
        doomed.wait()
    assert doomed.returncode == -signal.SIGKILL and not store.record_path(killed_dir, spec).exists()
    at = torch.load(checkpoint, weights_only=True)["iteration"]
    assert 0 < at < iterations

    code, _, err = run_cli(capsys, *_train_args(killed_dir, iterations))  # the same command again: resumes
    assert code == 0, err
    a, b = store.Record.load(store.record_path(killed_dir, spec)), store.Record.load(store.record_path(whole_dir, spec))
    assert a.provenance["resumed_from_iteration"] == at and b.provenance["resumed_from_iteration"] is None
    assert a.metrics == b.metrics  # bitwise: == on floats
    assert a.curves == b.curves  # the loss curve and every evaluation curve
    wa = torch.load(cache_file(killed_dir, spec), weights_only=True)["state_dict"]
    wb = torch.load(cache_file(whole_dir, spec), weights_only=True)["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wb)
    assert not checkpoint.exists()


# 9. a corrupt weights cache: an error naming it without --retrain, recovered with it


def test_a_corrupt_weights_cache_is_named_and_retrain_recovers(capsys, tmp_path):
    args = ["train", "--task", "addition", "--method", "feedforward", "--profile", "smoke", "--device", "cpu",
            "--runs-dir", tmp_path, "--iterations", "5"]  # fmt: skip
    assert run_cli(capsys, *args)[0] == 0
    spec = smoke_spec()
    cache, record = cache_file(tmp_path, spec), store.record_path(tmp_path, spec)
    cache.write_bytes(cache.read_bytes()[:100])  # truncated
    record.unlink()  # the record would be reused before the weights are looked at
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and f"cached weights {cache} cannot be loaded" in err and "--retrain" in err
    assert len(err.strip().splitlines()) == 1
    code, _, _ = run_cli(capsys, *args, "--retrain")
    assert code == 0 and store.Record.load(record).provenance["weights"] == "trained"
    assert set(torch.load(cache, weights_only=True)) == {"state_dict", "log", "git", "train_hash", "sha256"}


def test_weights_are_loaded_with_weights_only(tmp_path):
    smoke(tmp_path)
    spec = smoke_spec()
    cache = cache_file(tmp_path, spec)
    saved = torch.load(cache, weights_only=True)
    torch.save({**saved, "extra": argparse.Namespace(code="anything pickle can run")}, cache)
    store.record_path(tmp_path, spec).unlink()
    with pytest.raises(ValueError, match=f"cached weights {cache} cannot be loaded .*UnpicklingError"):
        smoke(tmp_path)


# 10. clear errors


def test_divergence_is_one_line_of_advice(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "--task", "addition", "--method", "feedforward", "--profile", "smoke",
                           "--device", "cpu", "--runs-dir", tmp_path, "--iterations", "20", "--lr", "1e10")  # fmt: skip
    assert code == 1 and "Traceback" not in err
    message = err.rsplit("\r", 1)[-1]  # after the progress bar
    assert message.startswith("irem: training diverged: feedforward on addition: loss became nan")
    assert "try a smaller lr" in message and message.count("\n") == 1
    assert not any(tmp_path.rglob("*.json")) and not any(tmp_path.rglob("*.pt"))  # no record, no checkpoint


def test_show_a_folder_shows_every_record_in_it(capsys, tmp_path):
    smoke(tmp_path)
    smoke(tmp_path, method="irem")
    code, out, _ = run_cli(capsys, "show", tmp_path)
    assert code == 0
    assert "addition / feedforward" in out and "addition / irem" in out and out.count("mse") >= 4
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, "show", tmp_path / "empty")
    assert code == 2 and "no run records" in err and "IsADirectoryError" not in err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--device", "meta"], "device='meta': only 'auto', 'cpu' and 'cuda[:N]' are supported"),
        (["--device", "mps"], "device='mps': only 'auto', 'cpu' and 'cuda[:N]' are supported"),
        (["--seed", str(2**63)], f"seed must be an integer in [0, 2^63), got {2**63}"),
        (["--lr", "-1e-4"], "lr must be a finite number > 0, got -0.0001"),
        (["--lr=-1e-4"], "lr must be a finite number > 0, got -0.0001"),
        (["--step-size", "-1E+2"], "step_size must be a finite number > 0, got -100.0"),
        (["--lr", "-inf"], "lr must be a finite number > 0, got -inf"),
    ],
)
def test_bad_flags_are_clear_errors_before_any_work(capsys, tmp_path, no_training, flags, message):
    runs_dir = tmp_path / "runs"
    code, _, err = run_cli(capsys, "train", "--task", "addition", "--profile", "smoke", "--runs-dir", runs_dir, *flags)
    assert code == 2 and message in err and "expected one argument" not in err
    assert not runs_dir.exists()


def test_papermill_lists_given_as_strings(tmp_path):
    papermill_cli = pytest.importorskip("papermill.cli")
    tasks = papermill_cli._resolve_type('["addition"]')  # the book's `-p tasks '["addition"]'`
    assert tasks == '["addition"]'
    kw = dict(profile="smoke", seeds=1, device="cpu", runs_dir=tmp_path, overrides={"iterations": 3}, progress=False)
    result = experiments.run("continuous", tasks=tasks, methods='["feedforward"]', **kw)
    assert [(r.task, r.method) for r in result.records] == [("addition", "feedforward")]
    result = experiments.run("continuous", tasks="addition", methods="[feedforward, irem]", **kw)  # YAML-style
    assert [(r.task, r.method) for r in result.records] == [("addition", "feedforward"), ("addition", "irem")]
    with pytest.raises(ValueError, match=r"tasks='ad' is not allowed"):  # one name, never letters
        experiments.run("continuous", tasks="ad", **kw)
    with pytest.raises(ValueError, match=r"tasks='\[addition matrix_inverse\]': not a list of names"):
        experiments.run("continuous", tasks="[addition matrix_inverse]", **kw)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(overrides='{"iterations": 5}'), "overrides must be a mapping"),
        (dict(tasks=[]), "tasks must be a non-empty list"),
        (dict(tasks="[]"), "tasks must be a non-empty list"),
        (dict(methods=["irem", 3]), "methods=3 is not allowed"),
        (dict(runs_dir=5), "runs_dir must be a path"),
        (dict(runs_dir=None), "runs_dir must be a path"),
        (dict(retrain="yes please"), "retrain must be true or false"),
    ],
)
def test_bad_notebook_parameters_name_themselves(tmp_path, no_training, kw, message):
    args = dict(profile="smoke", tasks=["addition"], methods=["irem"], seeds=1, device="cpu", runs_dir=tmp_path / "r",
                progress=False)  # fmt: skip
    with pytest.raises(ValueError, match=message):
        experiments.run("continuous", **{**args, **kw})
    assert not (tmp_path / "r").exists()


# 11. provenance names the irem and numpy versions


def test_provenance_has_the_irem_and_numpy_versions(tmp_path):
    (record,) = smoke(tmp_path).records
    assert record.provenance["irem"] == importlib.metadata.version("irem")
    assert record.provenance["numpy"] == np.__version__


def test_diverged_training_removes_its_checkpoint(tmp_path):
    spec = experiments.get("continuous").spec("smoke", "addition", "feedforward", 0, {"iterations": 20, "lr": 1e10})
    checkpoint = checkpoint_file(tmp_path, spec)
    with pytest.raises(TrainingDiverged):
        running._trained(spec, torch.device("cpu"), False, store.weights_dir(tmp_path), False,
                      store.checkpoints_dir(tmp_path), 0.0)  # fmt: skip
    assert not checkpoint.exists()  # it would diverge again on resume
