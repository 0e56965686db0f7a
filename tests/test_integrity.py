"""A record, weights file or checkpoint is used only if it is what it claims to be (one test per class of fault)."""

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from irem import cli, experiments, store, verify, weights
from irem.experiments import running, sweep

CPU = torch.device("cpu")


def spec(seed=0, task="addition", method="irem", iterations=4):
    return experiments.get("continuous").spec("smoke", task, method, seed, {"iterations": iterations})


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A runs dir with two smoke records (seeds 0 and 1) and their weights."""
    runs_dir = tmp_path_factory.mktemp("runs")
    sweep.run_all([spec(0), spec(1)], runs_dir, "cpu", progress=False)
    return runs_dir


def copy_runs(stored, tmp_path):
    shutil.copytree(stored, tmp_path / "runs")
    return tmp_path / "runs"


def edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# records -------------------------------------------------------------------------------------------------------------


def test_a_record_copied_under_another_runs_name_is_refused(stored, tmp_path):
    runs_dir = copy_runs(stored, tmp_path)
    shutil.copy(store.record_path(runs_dir, spec(1)), store.record_path(runs_dir, spec(0)))
    with pytest.raises(ValueError, match="holds the record of another run .* seed 1.* not of continuous addition"):
        store.find_record(runs_dir, spec(0))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(task="matrix_inverse"), "task is 'matrix_inverse' but its config says 'addition'"),
        (lambda d: d["config"]["train"].update(iterations=5), "hashes to .* not to the .* it claims"),
        (lambda d: d.update(seed="0"), "'seed' must be an integer >= 0, got '0'"),
        (lambda d: d.update(seed=0.0), "'seed' must be an integer >= 0, got 0.0"),
        (lambda d: d.update(parameters=-1), "'parameters' must be an integer > 0, got -1"),
        (lambda d: d["metrics"]["same"].update(mse=-5), r"metrics.same.mse must be a finite number >= 0, got -5"),
        (lambda d: d["config"].pop("train"), "config.train must be a JSON object"),
        (lambda d: d["provenance"].pop("git_commit"), "provenance.git_commit is missing"),
    ],
    ids=["task", "config-without-hash", "seed-str", "seed-float", "parameters", "mse", "no-train", "provenance"],
)
def test_an_edited_record_is_an_error_naming_the_file(stored, tmp_path, change, message):
    runs_dir = copy_runs(stored, tmp_path)
    path = store.record_path(runs_dir, spec(0))
    edit(path, change)
    with pytest.raises(ValueError, match=message) as e:
        store.find_record(runs_dir, spec(0))
    assert str(path) in str(e.value)


@pytest.mark.parametrize(
    "text, message",
    [
        (lambda t: t.replace('"mse": ', '"mse": 1e400, "mse": ', 1), "appear more than once"),
        (lambda t: t.replace('"mse": ', '"mse": 1e400, "x": ', 1), "mse must be a finite number >= 0, got inf"),
        (lambda t: t.replace('"wall_s": ', '"wall_s": Infinity, "w": ', 1), "Infinity is not a JSON number"),
        (lambda t: t.replace('"wall_s": ', '"wall_s": 1e400, "w": ', 1), "provenance.wall_s must be a finite number"),
    ],
    ids=["duplicate-key", "overflow", "infinity", "provenance-overflow"],
)
def test_values_json_reads_loosely_are_refused(stored, tmp_path, text, message):
    runs_dir = copy_runs(stored, tmp_path)
    path = store.record_path(runs_dir, spec(0))
    path.write_text(text(path.read_text()))
    with pytest.raises(ValueError, match=message):
        store.find_record(runs_dir, spec(0))


def test_a_fifo_or_undecodable_file_is_an_error_not_a_hang(tmp_path):
    fifo, binary = tmp_path / "a.json", tmp_path / "b.json"
    os.mkfifo(fifo)
    binary.write_bytes(b'{"schema": "\xff"}')
    with pytest.raises(ValueError, match="not a regular file"):
        store.Record.load(fifo)
    with pytest.raises(ValueError, match=f"{binary}: not a run record, not UTF-8"):
        store.Record.load(binary)


def test_every_committed_record_passes_the_checks():
    runs = sorted(store.REPO_ROOT.glob("data/runs/*/*.json"))
    assert runs, "no committed records found"
    for path in runs:
        record = store.Record.load(path)
        assert path.name == store.RunSpec.of_record(record).filename() and path.parent.name == record.experiment


# weights and checkpoints ---------------------------------------------------------------------------------------------


def test_another_seeds_weights_under_this_runs_name_are_refused(stored, tmp_path):
    runs_dir = copy_runs(stored, tmp_path)
    weights = store.weights_dir(runs_dir)
    shutil.copy(weights / spec(1).weights_file(), weights / spec(0).weights_file())
    with pytest.raises(ValueError, match="were trained for another run"):
        running.run_spec(spec(0, iterations=4), CPU, runs_dir, progress=False)


def test_corrupted_weights_are_refused(stored, tmp_path):
    runs_dir = copy_runs(stored, tmp_path)
    path = store.weights_dir(runs_dir) / spec(0).weights_file()
    saved = torch.load(path, weights_only=True)
    first = next(iter(saved["state_dict"].values()))
    first.view(-1)[:16] += 1.0  # flipped numbers, file still loads
    torch.save(saved, path)
    with pytest.raises(ValueError, match="are not the ones saved .* corrupted"):
        running.run_spec(spec(0), CPU, runs_dir, progress=False)


def test_records_name_the_weights_they_evaluated(stored):
    record = store.find_record(stored, spec(0))
    saved = weights.load_weights(store.weights_dir(stored) / spec(0).weights_file(), spec(0).train_hash())
    assert record.provenance["weights_sha256"] == saved["sha256"] == weights.state_dict_sha256(saved["state_dict"])


# irem verify: a record evaluated again from its committed weights ----------------------------------------------------


def test_verify_reevaluates_a_record_from_its_weights_and_finds_the_same_metrics(stored, tmp_path, capsys):
    runs_dir = copy_runs(stored, tmp_path)
    before = {p: p.stat().st_mtime_ns for p in runs_dir.rglob("*")}
    path = store.record_path(runs_dir, spec(0))
    checked = verify.verify(path, CPU)
    assert checked.same and checked.differing == {}
    assert {p: p.stat().st_mtime_ns for p in runs_dir.rglob("*")} == before  # nothing written beside the records
    assert cli.main(["verify", str(runs_dir)]) == 0
    assert capsys.readouterr().out.endswith("2 of 2 records reproduced\n")


def test_verify_reports_each_metric_that_differs(stored, tmp_path, monkeypatch, capsys):
    runs_dir = copy_runs(stored, tmp_path)
    real = verify.run_spec

    def drifted(*args, **kwargs):  # as another machine's rounding, or a changed evaluation, would give
        record = real(*args, **kwargs)
        record.metrics["harder"]["mse"] *= 1 + 1e-4
        return record

    monkeypatch.setattr(verify, "run_spec", drifted)
    path = store.record_path(runs_dir, spec(0))
    stored_mse = store.Record.load(path).metrics["harder"]["mse"]
    assert verify.verify(path, CPU).differing == {"harder.mse": (stored_mse, pytest.approx(stored_mse * 1.0001))}
    assert verify.verify(path, CPU, rtol=1e-3).same
    assert cli.main(["verify", str(path)]) == 1
    assert "harder.mse: " in capsys.readouterr().out


def test_records_split_by_whether_their_committed_weights_can_reevaluate_them(stored, tmp_path):
    from irem.book.notes import committed_note

    runs_dir = copy_runs(stored, tmp_path)
    (store.weights_dir(runs_dir) / spec(1).weights_file()).unlink()  # a model trained before weights were kept
    records = [store.find_record(runs_dir, spec(s)) for s in (0, 1)]
    verifiable, not_verifiable = verify.split_by_weights(records, runs_dir)
    assert [r.seed for r in verifiable] == [0] and [r.seed for r in not_verifiable] == [1]
    other = replace(records[0], provenance={**records[0].provenance, "weights_sha256": "ab" * 32})
    assert verify.split_by_weights([other], runs_dir) == ([], [other])  # another training of the same config
    note = committed_note(verifiable, not_verifiable, "runs")
    assert note.startswith("Of these 2 records, 1 evaluated a model whose weights are committed")
    assert note.endswith("(float rounding):\n\n- IREM: addition, seed(s) 1\n")
    assert "other 1" in note and committed_note(records[:1], [], "runs").endswith("every stored metric.")


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda path, w: edit(path, lambda d: d["provenance"].update(weights_sha256="ab" * 32)),
            "evaluated the weights abababababab, but .* holds .*: the record comes from another training",
        ),
        (lambda path, w: edit(path, lambda d: d["provenance"].pop("weights_sha256")), "names no weights"),
        (lambda path, w: w.unlink(), "weights .* are not there; only records of committed models"),
    ],
    ids=["other-weights", "none-named", "no-weights"],
)
def test_verify_refuses_a_record_it_cannot_check_before_any_work(stored, tmp_path, capsys, change, message):
    runs_dir = copy_runs(stored, tmp_path)
    path = store.record_path(runs_dir, spec(0))
    change(path, store.weights_dir(runs_dir) / spec(0).weights_file())
    with pytest.raises(ValueError, match=message):
        verify.model_of(path)
    with pytest.raises(SystemExit) as e:  # the other record is valid: still nothing runs
        cli.main(["verify", str(store.record_path(runs_dir, spec(1))), str(path)])
    assert e.value.code == 2 and capsys.readouterr().out == ""


def test_another_seeds_checkpoint_is_not_resumed(tmp_path, monkeypatch):
    monkeypatch.setenv("IREM_CHECKPOINT_EVERY_S", "0")
    calls = {"n": 0}
    real = running.train

    def stop_after_two(*args, **kwargs):  # leave seed 1's checkpoint behind, as a killed run does
        def on_step(i):
            if i == 2:
                raise KeyboardInterrupt

        return real(*args, on_step=on_step, **kwargs)

    monkeypatch.setattr(running, "train", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        running.run_spec(spec(1, iterations=6), CPU, tmp_path, progress=False, checkpoint_every_s=0)
    monkeypatch.setattr(running, "train", real)
    checkpoints = store.checkpoints_dir(tmp_path)
    os.replace(checkpoints / spec(1, iterations=6).weights_file(), checkpoints / spec(0, iterations=6).weights_file())
    with pytest.raises(ValueError, match="belongs to another run"):
        running.run_spec(spec(0, iterations=6), CPU, tmp_path, progress=False, checkpoint_every_s=0)
    assert calls["n"] == 0


def test_a_failed_final_weights_write_keeps_the_checkpoint(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(weights, "save_weights", full_disk)
    with pytest.raises(OSError):
        running.run_spec(spec(0, iterations=6), CPU, tmp_path, progress=False, checkpoint_every_s=0)
    assert (store.checkpoints_dir(tmp_path) / spec(0, iterations=6).weights_file()).exists()


# settings and the filesystem, before any work ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value", [("iterations", 10**21), ("test_problems", 10**9), ("test_steps", 10**10)], ids=str
)
def test_counts_past_any_sane_run_are_refused(field, value):
    with pytest.raises(ValueError, match=f"{field}={value} is too large; at most 100,000,000"):
        experiments.get("continuous").spec("smoke", "addition", "irem", 0, {field: value})


def test_an_empty_runs_dir_and_an_unwritable_weights_folder_are_refused_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(running, "train", lambda *a, **k: pytest.fail("trained although the folder was bad"))
    with pytest.raises(ValueError, match="runs_dir is empty"):
        sweep.run_all([spec(0)], "", "cpu", progress=False)
    (tmp_path / "weights").write_text("not a folder")
    with pytest.raises(ValueError, match="the weights folder=.* is a file"):
        sweep.run_all([spec(0)], tmp_path, "cpu", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights"]  # no record, nothing else written


def test_bf16_on_a_cpu_without_native_bf16_warns(monkeypatch):
    from irem import train as training
    from irem.tasks import make_task

    monkeypatch.setattr(training, "native_bf16", lambda: False)
    s = experiments.get("continuous").spec("smoke", "addition", "irem", 0, {"iterations": 1, "precision": "bf16"})
    task, method = s.build(CPU)
    with pytest.warns(UserWarning, match="without native bf16 .* many times slower than fp32"):
        training.train(method, make_task("addition"), s.train, running.generator(CPU, 0), progress=False)
    assert task.name == "addition"


def test_ctrl_c_in_irem_train_is_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    from irem.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(running, "train", interrupted)
    with pytest.raises(SystemExit) as e:
        main(["train", "--task", "addition", "--profile", "smoke", "--device", "cpu", "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert e.value.code == 130 and err.strip().splitlines() == [
        "irem: interrupted; training resumes from its last checkpoint when you rerun the command"
    ]


# the command line: one line for every fault, found before the work ------------------------------------------------


def run_cli(capsys, *argv) -> tuple[int, str]:
    from irem.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


BENCH = ["bench", "--tasks", "addition", "--profile", "smoke", "--device", "cpu"]


@pytest.mark.parametrize(
    "argv, message",
    [
        ([*BENCH, "--vary", "batch_size", "2", "--vary", "steps", "1"], "--vary is given 2 times (batch_size, steps)"),
        ([*BENCH, "--vary", "nodes", "two"], "--vary nodes two: expected whole numbers of nodes"),
        ([*BENCH, "--json", "."], "--json .: is a folder; give a file path"),
        ([*BENCH, "--json", "no/such/folder/b.json"], "folder no/such/folder does not exist"),
        (
            ["train", "--task", "addition", "--profile", "smoke", "--set", "test_problems=1"],
            "test_problems must be at least 2",
        ),
    ],
)
def test_bad_cli_input_is_one_line_before_any_work(capsys, tmp_path, monkeypatch, argv, message):
    from irem.performance import bench

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bench, "bench_rows", lambda *a, **k: pytest.fail("measured although the arguments were bad"))
    code, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "data").exists()


def test_an_os_error_is_one_line_naming_the_file(capsys, tmp_path):
    long_name = tmp_path / ("r" * 300)  # longer than any file system's name limit
    code, err = run_cli(capsys, "train", "--task", "addition", "--profile", "smoke", "--runs-dir", long_name)
    assert code == 1 and err.count("\n") == 1 and "characters): File name too long" in err


def test_a_default_runs_dir_outside_the_repository_is_named(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run_cli(capsys, "train", "--task", "addition", "--profile", "smoke", "--iterations", "2", "--device",
                        "cpu")  # fmt: skip
    assert code == 0 and f"records go to {tmp_path / 'data' / 'runs'}, outside the repository" in err


def test_no_two_committed_records_of_one_training_name_different_weights():
    """One model per run: every record that evaluated a training (config and seed) names the same weights."""
    from irem.provenance import REPO_ROOT

    named: dict[tuple, set] = {}
    for path in sorted((REPO_ROOT / "data" / "runs").glob("*/*.json")):
        record = store.Record.load(path)
        sha = record.provenance.get("weights_sha256")
        if sha:  # records made before weights were stamped name none
            training = (record.task, record.method, store.RunSpec.of_record(record).train_hash())
            named.setdefault(training, set()).add(sha)
    assert named, "no committed record names its weights"
    assert {training: shas for training, shas in named.items() if len(shas) > 1} == {}


# Records made before records named the weights they evaluated, of models whose weights are now committed: each
# is evaluated again from those weights as CPU time allows (issue 32), and leaves this list when it is.
AWAITING_REEVALUATION: set[str] = {
    "compute/connected_components__irem__paper__seed0__2bba3bbff2b2.json",
    "compute/connected_components__irem__paper__seed1__a4ea9d71f390.json",
    "compute/edge_copy__irem__paper__seed0__dc2727d6bee5.json",
    "compute/edge_copy__irem__paper__seed1__7217c226267f.json",
    "compute/edge_copy__irem__paper__seed2__e2ed8492f94b.json",
    "compute/shortest_path__irem__paper__seed0__73e6a56eee0b.json",
    "compute/shortest_path__irem__paper__seed1__d6828247e861.json",
    "difficulty/connected_components__irem__paper__seed1__93011b5853fa.json",
    "difficulty/edge_copy__irem__paper__seed1__f9e9c43a6ab6.json",
    "difficulty/shortest_path__irem__paper__seed1__f695aef2b685.json",
    # shortest path seed 2, retrained with its weights (its first model was lost): the same model as these records'
    "compute/shortest_path__irem__paper__seed2__dced490c002e.json",
    "difficulty/shortest_path__irem__paper__seed2__a7043bccc353.json",
}


def test_every_record_of_a_committed_model_evaluated_exactly_that_model():
    """A fresh clone re-evaluates a record from the committed weights: the record must name exactly those weights.

    Catches a record left from a superseded training of the same config (same name, another model).
    ``AWAITING_REEVALUATION`` lists the records not yet evaluated again; one that has been must leave it.
    """
    from irem.provenance import REPO_ROOT

    runs = REPO_ROOT / "data" / "runs"
    committed: dict[Path, str] = {}
    stale = []
    for path in sorted(runs.glob("*/*.json")):
        spec = store.RunSpec.of_record(record := store.Record.load(path))
        file = store.weights_dir(runs) / spec.weights_file()
        if not file.exists():
            continue
        if file not in committed:
            committed[file] = weights.load_weights(file, spec.train_hash())["sha256"]
        if record.provenance.get("weights_sha256") != committed[file]:
            stale.append(f"{path.parent.name}/{path.name}")
    assert committed, "no committed weights found"
    assert sorted(set(stale) - AWAITING_REEVALUATION) == []
    assert sorted(AWAITING_REEVALUATION - set(stale)) == [], "evaluated again: remove from AWAITING_REEVALUATION"


# Paper-profile graph records whose model was trained before weights were committed (the weights are lost): each is
# trained again, keeping its name, as CPU time allows (issue 32), and leaves this list when its weights land.
AWAITING_RETRAINING: set[str] = {
    "connected_components__irem__paper__seed2__a2d1a585eb9c.json",
    "connected_components__irem__paper__seed2__e0d39c90e195.json",
    "connected_components__iterative_feedforward__paper__seed2__ab0d03fc5f8a.json",
    "connected_components__programmatic__paper__seed0__51746e9dbda4.json",
    "connected_components__programmatic__paper__seed1__1eabc9b46fe1.json",
    "connected_components__programmatic__paper__seed2__162282e69702.json",
    "edge_copy__programmatic__paper__seed0__650b0e367a28.json",
    "edge_copy__programmatic__paper__seed1__08764f35eafe.json",
    "edge_copy__programmatic__paper__seed2__f31b7103fb54.json",
    "shortest_path__irem__paper__seed0__3b98af56db8e.json",
    "shortest_path__irem__paper__seed1__8dd834c0a22f.json",
    "shortest_path__irem__paper__seed2__337b68087422.json",
    "shortest_path__iterative_feedforward__paper__seed0__45e5be5b8a92.json",
    "shortest_path__iterative_feedforward__paper__seed1__5fe1e9f9c793.json",
    "shortest_path__iterative_feedforward__paper__seed2__6c36e99ba7b7.json",
    "shortest_path__programmatic__paper__seed1__0bf8475813be.json",
    "shortest_path__programmatic__paper__seed2__962f8e768e3e.json",
}


def test_every_paper_profile_graph_record_has_its_model_committed():
    """``irem reproduce graph --profile paper`` on a fresh clone trains nothing: each record's weights are committed.

    Records sharing a model (compute, difficulty, the scratchpad's D = 0, the ablations' full row) are then
    held to those weights by the test above. ``AWAITING_RETRAINING`` lists the records whose model is lost.
    """
    from irem.provenance import REPO_ROOT

    runs = REPO_ROOT / "data" / "runs"
    lost = set()
    for path in sorted((runs / "graph").glob("*__paper__*.json")):
        if not (store.weights_dir(runs) / store.RunSpec.of_record(store.Record.load(path)).weights_file()).exists():
            lost.add(path.name)
    assert sorted(lost - AWAITING_RETRAINING) == []
    assert sorted(AWAITING_RETRAINING - lost) == [], "weights committed: remove from AWAITING_RETRAINING"


def test_the_trainings_of_one_continuous_model_agree_on_every_error_their_records_share():
    """Continuous models are not committed (3-4 MB each): each experiment that evaluates one trains it again.

    Those are separate trainings of one config (another commit, another thread count), which round
    differently. On the continuous tasks that stays at the rounding level (on graphs it changed an
    error tenfold, hence their committed weights): records of one training config, evaluated with the
    same settings on the same problems, agree on every error they share to 0.1 %.
    """
    import itertools
    from collections import defaultdict

    from irem.provenance import REPO_ROOT
    from irem.tasks import CONTINUOUS_TASKS

    same_model: dict[tuple, list[store.Record]] = defaultdict(list)
    for path in sorted((REPO_ROOT / "data" / "runs").glob("*/*.json")):
        record = store.Record.load(path)
        if record.task in CONTINUOUS_TASKS:
            spec = store.RunSpec.of_record(record)
            same_model[spec.train_hash(), json.dumps(record.config["eval"], sort_keys=True),
                       json.dumps(spec.task_options, sort_keys=True)].append(record)  # fmt: skip
    compared, apart = 0, []
    for records in same_model.values():
        for a, b in itertools.combinations(records, 2):
            for split in a.metrics.keys() & b.metrics.keys():
                x, y = a.metrics[split].get("mse"), b.metrics[split].get("mse")
                if x is not None and y is not None:
                    compared += 1
                    if abs(x - y) > 1e-3 * max(abs(x), abs(y)):
                        apart.append(f"{a.experiment} vs {b.experiment}, {a.task} {a.method} seed {a.seed}, {split}: "
                                     f"{x} vs {y}")  # fmt: skip
    assert compared > 0, "no continuous model is evaluated by two records"
    assert apart == []
