import json
import subprocess
from pathlib import Path

import pytest
import torch

from irem import experiments, store
from irem.config import EvalConfig, TrainConfig


def spec(**kw) -> store.RunSpec:
    return store.RunSpec("continuous", "addition", "irem", 0, "smoke", **kw)


def test_hash_is_stable_and_sensitive_to_the_config():
    assert spec().config_hash() == spec().config_hash()
    assert len(spec().config_hash()) == 12
    assert spec().config_hash() != spec(train=TrainConfig(step_size=30.0)).config_hash()
    # the evaluation does not change the trained weights
    assert spec().train_hash() == spec(eval=EvalConfig(test_steps=10)).train_hash()
    assert spec().config_hash() != spec(eval=EvalConfig(test_steps=10)).config_hash()


PROVENANCE = {"git_commit": "0" * 40, "torch": "2.13.0", "device": "cpu", "wall_s": 1.0}


def _fake_record(s: store.RunSpec, **changes) -> store.Record:
    fields = dict(experiment=s.experiment, task=s.task, method=s.method, seed=s.seed, profile=s.profile,
                  config=s.config(), config_hash=s.config_hash(), parameters=1, metrics={"same": {"mse": 0.5}},
                  curves={}, provenance=PROVENANCE)  # fmt: skip
    return store.Record(**{**fields, **changes})


def test_atomic_write_leaves_only_the_record(tmp_path):
    path = tmp_path / "x" / "r.json"
    record = _fake_record(spec())
    record.save(path)
    assert store.Record.load(path) == record
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "r.json"
    with pytest.raises(TypeError):
        _fake_record(spec(), curves={"a": object()}).save(path)  # not JSON-serialisable
    assert list(tmp_path.iterdir()) == []


def test_load_or_run_reuses_a_stored_record(tmp_path):
    calls = []

    def run(s):
        calls.append(s)
        return _fake_record(s)

    store.load_or_run(spec(), tmp_path, run)
    store.load_or_run(spec(), tmp_path, run)
    assert len(calls) == 1
    store.load_or_run(spec(), tmp_path, run, retrain=True)
    assert len(calls) == 2


def test_a_run_that_raises_writes_no_record(tmp_path):
    def run(s):
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError):
        store.load_or_run(spec(), tmp_path, run)
    assert not any(tmp_path.rglob("*.json"))


def test_runs_dir_that_is_a_file_is_an_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(ValueError, match="runs_dir=.*is a file"):
        store.record_path(f, spec())


def test_load_rejects_what_is_not_a_record_naming_the_file(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"hello": 1}')
    with pytest.raises(ValueError, match=f"{p} is not a schema-2 run record"):
        store.Record.load(p)
    p.write_text('{"schema": 2, "metr')
    with pytest.raises(ValueError, match=f"{p}: not a run record, invalid JSON"):
        store.Record.load(p)
    with pytest.raises(ValueError, match="is a directory"):
        store.Record.load(tmp_path)


def test_load_rejects_metrics_without_the_headline_number(tmp_path):
    p = tmp_path / "r.json"
    data = _fake_record(spec()).to_dict()
    data["metrics"] = {"same": {"mse": 0.1}, "harder": {"mse_final": 0.2}}
    p.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"split\(s\) \['harder'\] lack the headline 'mse'"):
        store.Record.load(p)


def test_schema_1_records_are_upgraded_on_load(tmp_path):
    data = _fake_record(spec()).to_dict()
    cost = {"iters_per_s": 3.0, "peak_memory_mb": 10.0}
    data.update(schema=1, metrics={**data["metrics"], "training_cost": cost})
    p = tmp_path / "old.json"
    p.write_text(json.dumps(data))
    record = store.Record.load(p)
    assert record.schema == 2 and record.training_cost == cost and set(record.metrics) == {"same"}


def test_smoke_run_writes_a_complete_record(tmp_path):
    result = experiments.run("continuous", profile="smoke", tasks=["addition"], methods=["irem"], seeds=1,
                             device="cpu", runs_dir=tmp_path, progress=False)  # fmt: skip
    (record,) = result.records
    path = store.record_path(tmp_path, experiments.get("continuous").spec("smoke", "addition", "irem", 0))
    assert store.Record.load(path) == record
    assert record.config_hash == path.stem.rsplit("__", 1)[1]
    for split in ("same", "harder"):
        m = record.metrics[split]
        assert m["mse"] > 0 and set(m["mse_by_steps"]) == {"1", "5", "10"}
        assert len(record.curves["mse_by_step"][split]) == record.eval["test_steps"] + 1
    prov = record.provenance
    assert prov["torch"] == torch.__version__ and prov["wall_s"] > 0 and "cpu" in prov["device"]
    assert prov["weights"] == "trained" and prov["irem"] and prov["numpy"]
    assert record.parameters > 0 and record.training_cost is None
    # stored records are reused: no training the second time
    again = experiments.run("continuous", profile="smoke", tasks=["addition"], methods=["irem"], seeds=1,
                            device="cpu", runs_dir=tmp_path, progress=False)  # fmt: skip
    assert again.records[0].provenance["started_at"] == prov["started_at"]


def test_best_profile_needs_records(tmp_path):
    with pytest.raises(FileNotFoundError, match="irem reproduce continuous --profile quick"):
        experiments.run("continuous", profile="best", runs_dir=tmp_path)


def test_experiment_arguments_are_checked(tmp_path):
    def run(**kw):
        return experiments.run("continuous", **{"profile": "smoke", "runs_dir": tmp_path, **kw})

    with pytest.raises(ValueError, match="profile='fast'"):
        run(profile="fast")
    with pytest.raises(ValueError, match="tasks='sum'"):
        run(tasks=["sum"])
    with pytest.raises(ValueError, match="seeds must be an integer > 0"):
        run(seeds=0)
    with pytest.raises(ValueError, match="unknown config field"):
        run(overrides={"stepsize": 3})
    with pytest.raises(ValueError, match="device='tpu'"):
        run(device="tpu")
    with pytest.raises(ValueError, match="experiment='sums'"):
        experiments.run("sums")
    with pytest.raises(ValueError, match="tasks must be a non-empty list"):
        run(tasks=[])
    with pytest.raises(ValueError, match="retrain must be true or false"):
        run(retrain="maybe")
    assert not any(tmp_path.rglob("*.json"))  # every check comes before any work


def test_records_are_strict_json_with_null_for_diverged_values(tmp_path):
    import json
    import math

    path = tmp_path / "r.json"
    _fake_record(spec(), curves={"curve": [1.0, math.inf, math.nan], "nested": {"x": -math.inf}}).save(path)
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["curves"] == {"curve": [1.0, None, None], "nested": {"x": None}}


STORED_RUNS = store.REPO_ROOT / "data" / "runs"


def test_every_stored_record_gives_back_the_spec_that_made_it():
    records = [store.Record.load(p) for p in sorted(STORED_RUNS.glob("*/*.json"))]
    assert records, f"no stored records under {STORED_RUNS}"
    for r in records:
        assert store.RunSpec.of_record(r).config_hash() == r.config_hash, r.config["experiment"]


def _committed_weights() -> list[str]:
    """The weights files git tracks under data/runs/weights (the directory itself is ignored)."""
    try:
        out = subprocess.run(["git", "ls-files", "data/runs/weights"], cwd=store.REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [Path(line).name for line in out.splitlines()]


def test_committed_weights_load_into_the_model_of_a_stored_record():
    trained_with: dict[str, list[store.Record]] = {}  # weights file -> the stored records of that training config
    for p in sorted(STORED_RUNS.glob("*/*.json")):
        r = store.Record.load(p)
        trained_with.setdefault(store.RunSpec.of_record(r).weights_file(), []).append(r)
    for name in _committed_weights():
        assert name in trained_with, f"data/runs/weights/{name}: no stored record was trained with its config"
        saved = torch.load(store.weights_dir(STORED_RUNS) / name, map_location="cpu", weights_only=True)
        _, method = store.RunSpec.of_record(trained_with[name][0]).build(torch.device("cpu"))
        method.load_state_dict(saved["state_dict"])  # strict: every parameter, the right shapes
        # the same training as a stored record's: its loss curve is the one these weights' training logged
        curve = [list(p) for p in saved["log"]["train_loss"]]
        assert any(r.curves["train_loss"] == curve for r in trained_with[name]), name
