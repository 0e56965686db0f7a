import json

import pytest
import torch

from irem import experiments, runs
from irem.config import EvalConfig, TrainConfig


def spec(**kw) -> runs.RunSpec:
    return runs.RunSpec("continuous", "addition", "irem", 0, "smoke", **kw)


def test_hash_is_stable_and_sensitive_to_the_config():
    assert spec().config_hash() == spec().config_hash()
    assert len(spec().config_hash()) == 12
    assert spec().config_hash() != spec(train=TrainConfig(step_size=30.0)).config_hash()
    # the evaluation does not change the trained weights
    assert spec().train_hash() == spec(eval=EvalConfig(test_steps=10)).train_hash()
    assert spec().config_hash() != spec(eval=EvalConfig(test_steps=10)).config_hash()


def test_atomic_write_leaves_only_the_record(tmp_path):
    path = tmp_path / "x" / "r.json"
    runs.write_record({"a": 1}, path)
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "r.json"
    with pytest.raises(TypeError):
        runs.write_record({"a": object()}, path)  # not JSON-serialisable
    assert list(tmp_path.iterdir()) == []


def _fake_record(s: runs.RunSpec) -> dict:
    return {"schema": runs.SCHEMA, "experiment": s.experiment, "task": s.task, "method": s.method,
            "seed": s.seed, "config": s.config(), "metrics": {}, "provenance": {}}  # fmt: skip


def test_load_or_run_reuses_a_stored_record(tmp_path):
    calls = []

    def run(s):
        calls.append(s)
        return _fake_record(s)

    runs.load_or_run(spec(), tmp_path, run)
    runs.load_or_run(spec(), tmp_path, run)
    assert len(calls) == 1
    runs.load_or_run(spec(), tmp_path, run, retrain=True)
    assert len(calls) == 2


def test_a_run_that_raises_writes_no_record(tmp_path):
    def run(s):
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError):
        runs.load_or_run(spec(), tmp_path, run)
    assert not any(tmp_path.rglob("*.json"))


def test_runs_dir_that_is_a_file_is_an_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(ValueError, match="runs_dir=.*is a file"):
        runs.record_path(f, spec())


def test_read_record_rejects_other_json(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not a schema-1 run record"):
        runs.read_record(p)


def test_smoke_run_writes_a_complete_record(tmp_path):
    result = experiments.continuous(profile="smoke", tasks=["addition"], methods=["irem"], seeds=1,
                                    device="cpu", runs_dir=tmp_path, progress=False)  # fmt: skip
    (record,) = result.records
    path = runs.record_path(tmp_path, experiments.make_spec("continuous", "smoke", "addition", "irem", 0))
    assert runs.read_record(path) == record
    assert record["config_hash"] == path.stem.rsplit("__", 1)[1]
    for split in ("same", "harder"):
        m = record["metrics"][split]
        assert m["mse"] > 0 and set(m["mse_by_steps"]) == {"1", "5", "10"}
        assert len(record["curves"]["mse_by_step"][split]) == record["config"]["eval"]["test_steps"] + 1
    prov = record["provenance"]
    assert prov["torch"] == torch.__version__ and prov["wall_s"] > 0 and "cpu" in prov["device"]
    assert record["parameters"] > 0
    # stored records are reused: no training the second time
    again = experiments.continuous(profile="smoke", tasks=["addition"], methods=["irem"], seeds=1,
                                   device="cpu", runs_dir=tmp_path, progress=False)  # fmt: skip
    assert again.records[0]["provenance"]["started_at"] == prov["started_at"]


def test_best_profile_needs_records(tmp_path):
    with pytest.raises(FileNotFoundError, match="irem reproduce continuous --profile quick"):
        experiments.continuous(profile="best", runs_dir=tmp_path)


def test_experiment_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="profile='fast'"):
        experiments.continuous(profile="fast", runs_dir=tmp_path)
    with pytest.raises(ValueError, match="tasks='sum'"):
        experiments.continuous(profile="smoke", tasks=["sum"], runs_dir=tmp_path)
    with pytest.raises(ValueError, match="seeds must be an integer > 0"):
        experiments.continuous(profile="smoke", seeds=0, runs_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown config field"):
        experiments.continuous(profile="smoke", overrides={"stepsize": 3}, runs_dir=tmp_path)
    with pytest.raises(ValueError, match="device='tpu'"):
        experiments.continuous(profile="smoke", device="tpu", runs_dir=tmp_path)


def test_records_are_strict_json_with_null_for_diverged_values(tmp_path):
    import json
    import math

    from irem.runs import write_record

    path = tmp_path / "r.json"
    write_record({"curve": [1.0, math.inf, math.nan], "nested": {"x": -math.inf}}, path)
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == {"curve": [1.0, None, None], "nested": {"x": None}}
