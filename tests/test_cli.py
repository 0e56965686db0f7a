import json

import pytest

from irem.cli import main, parse_override


def run_cli(capsys, *argv):
    code = None
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--task", "sorting"], "invalid choice: 'sorting'"),
        (["train", "--task", "addition", "--method", "lstm"], "invalid choice: 'lstm'"),
        (["train", "--task", "addition", "--profile", "huge"], "invalid choice: 'huge'"),
        (["train", "--task", "addition", "--steps", "-1"], "steps must be an integer > 0, got -1"),
        (["train", "--task", "addition", "--batch-size", "0"], "batch_size must be an integer > 0"),
        (["train", "--task", "addition", "--step-size", "0"], "step_size must be a finite number > 0"),
        (["train", "--task", "addition", "--set", "nope=1"], "unknown config field"),
        (["train", "--task", "addition", "--set", "steps=many"], "expected a value of type int"),
        (["train", "--task", "addition", "--device", "tpu"], "device='tpu'"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, argv, message):
    code, _, err = run_cli(capsys, *argv, "--runs-dir", "/nonexistent/never-written")
    assert code == 2
    assert message in err


def test_runs_dir_that_is_a_file(capsys, tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    code, _, err = run_cli(capsys, "train", "--task", "addition", "--profile", "smoke", "--runs-dir", str(f))
    assert code == 2 and "is a file" in err


def test_parse_override_types():
    assert parse_override("iterations=5") == ("iterations", 5)
    assert parse_override("step_size=3e1") == ("step_size", 30.0)
    assert parse_override("replay=off") == ("replay", False)
    assert parse_override("lr_schedule=cosine") == ("lr_schedule", "cosine")


def test_train_then_show(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "train", "--task", "matrix_inverse", "--method", "feedforward", "--profile",
                           "smoke", "--device", "cpu", "--runs-dir", str(tmp_path), "--iterations", "5")  # fmt: skip
    assert code == 0 and "mse" in out
    (path,) = (tmp_path / "continuous").glob("*.json")
    assert json.loads(path.read_text())["config"]["train"]["iterations"] == 5
    code, out, _ = run_cli(capsys, "show", str(path))
    assert code == 0 and "matrix_inverse / feedforward" in out


def test_bench_prints_speed_and_memory(capsys):
    code, out, _ = run_cli(capsys, "bench", "--tasks", "addition", "--methods", "irem", "feedforward", "--profile",
                           "smoke", "--device", "cpu", "--iterations", "2")  # fmt: skip
    assert code == 0 and "it/s" in out and "peak memory" in out
    assert len([line for line in out.splitlines() if line.startswith("addition")]) == 2
    code, _, err = run_cli(capsys, "bench", "--iterations", "0", "--device", "cpu")
    assert code == 2 and "iterations must be an integer > 0" in err


def test_show_an_ablation_record_with_its_training_cost(capsys, tmp_path):
    code, _, _ = run_cli(capsys, "train", "--experiment", "ablations", "--task", "addition", "--profile", "smoke",
                         "--device", "cpu", "--runs-dir", str(tmp_path), "--iterations", "3")  # fmt: skip
    assert code == 0
    (path,) = (tmp_path / "ablations").glob("*.json")
    code, out, _ = run_cli(capsys, "show", str(path))
    assert code == 0 and "training cost:" in out and "peak memory" in out


def test_reproduce_plan_lists_the_runs_and_runs_nothing(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "reproduce", "continuous", "--profile", "smoke", "--tasks", "addition", "--methods",
                           "irem", "feedforward", "--seeds", "2", "--plan", "--device", "cpu", "--runs-dir",
                           str(tmp_path))  # fmt: skip
    assert code == 0 and "== continuous (smoke profile): 4 runs: 4 train; 4 without an estimate" in out
    assert "addition__feedforward__smoke__seed1__" in out and not list(tmp_path.iterdir())
    code, out, _ = run_cli(capsys, "reproduce", "all", "--profile", "smoke", "--tasks", "addition", "--plan",
                           "--device", "cpu", "--runs-dir", str(tmp_path))  # fmt: skip
    assert code == 0 and "\n== all: " in out and not list(tmp_path.iterdir())
