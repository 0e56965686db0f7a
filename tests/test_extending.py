"""Adding a task and an experiment from outside the package: vector negation, run by `irem reproduce`."""

import pytest
import torch

from irem import experiments, tasks
from irem.cli import main
from irem.experiments.running import evaluate_splits
from irem.models.mlp import EnergyMLP, FeedforwardMLP
from irem.store import Record
from irem.tasks.base import pick_network
from irem.tasks.continuous import Batch


# --- the whole extension: one task, one experiment (what a new module of irem/experiments holds) ---
class Negation:
    """y = -x for x ~ U(-1, 1)^size (harder: U(-3, 3))."""

    name, label = "negation", "Negation"
    train_split, test_splits = "same", ("same", "harder")

    def __init__(self, size: int = 8) -> None:
        self.size = size

    def sample(self, batch_size: int, split: str, generator: torch.Generator) -> Batch:
        scale = 3.0 if split == "harder" else 1.0
        x = (torch.rand(batch_size, self.size, generator=generator, device=generator.device) * 2 - 1) * scale
        return Batch(x, -x)

    def network(self, method: str, config) -> torch.nn.Module:
        n, h = self.size, config.hidden
        return pick_network(self.name, method, {
            "irem": lambda: EnergyMLP(n, n, config.scratchpad, h), "feedforward": lambda: FeedforwardMLP(n, n, h),
        })  # fmt: skip


NEGATION = experiments.Experiment(
    name="negation", title="Vector negation (a toy)", tasks=("negation",), methods=("irem", "feedforward"),
    evaluate=evaluate_splits, profiles={"smoke": dict(iterations=20, batch_size=16, hidden=32, test_problems=16,
                                                      test_steps=8, eval_batch=16, landscape_problems=0)},
    paper={("negation", "irem", "same"): 0.0}, seeds=1,
)  # fmt: skip
# -----------------------------------------------------------------------------------------------


@pytest.fixture
def registered():
    tasks.register_task(Negation)
    experiments.register(NEGATION)
    yield
    del experiments.REGISTRY["negation"], tasks.TASKS["negation"]


def test_a_new_experiment_runs_through_irem_reproduce(registered, tmp_path, capsys):
    code = main(["reproduce", "negation", "--profile", "smoke", "--device", "cpu", "--runs-dir", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "== negation (smoke profile)" in out and "feedforward" in out
    records = [Record.load(p) for p in sorted((tmp_path / "negation").glob("*.json"))]
    assert [r.method for r in records] == ["feedforward", "irem"]
    for r in records:
        assert set(r.metrics) == {"same", "harder"} and r.metrics["same"]["mse"] > 0
    table = experiments.run("negation", profile="smoke", runs_dir=tmp_path).table()
    assert table.set_index(["method", "split"]).loc[("irem", "same"), "paper"] == 0.0


def test_registries_fail_loudly(registered):
    from irem.methods import IREM, register_method

    with pytest.raises(ValueError, match="registered already"):
        tasks.register_task(type("Negation2", (Negation,), {}))  # same name, another class
    with pytest.raises(TypeError, match=r"lacks \['label'"):
        tasks.register_task(type("NoLabel", (), {"name": "x", "train_split": "a", "test_splits": (), "sample": 0,
                                                 "network": 0}))  # fmt: skip
    with pytest.raises(TypeError, match=r"lacks \['color'\]"):
        register_method(type("Plain", (IREM,), {"name": "plain", "label": "Plain", "color": None}))
    with pytest.raises(ValueError, match="method='transformer'"):
        experiments.register(experiments.Experiment(name="bad", title="", tasks=("negation",), methods=("transformer",),
                                                    evaluate=evaluate_splits))  # fmt: skip
    with pytest.raises(ValueError, match="unknown config field"):
        bad = dict(name="bad", title="", tasks=("negation",), methods=("irem",), evaluate=evaluate_splits)
        experiments.register(experiments.Experiment(**bad, profiles={"smoke": {"iter": 3}}))
    assert "bad" not in experiments.REGISTRY


def test_imports_run_one_way():
    """Tasks, models and the reasoning loop never import experiments, report or plots."""
    import ast
    from pathlib import Path

    root = Path(experiments.__file__).parents[1]
    low = [*root.glob("tasks/*.py"), *root.glob("models/*.py"), root / "minimize.py", root / "replay.py",
           root / "methods.py", root / "train.py", root / "evaluate.py"]  # fmt: skip
    for path in low:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            upward = [n for n in names if n.startswith(("irem.experiments", "irem.report", "irem.plots"))]
            assert not upward, (path, upward)


def test_every_experiment_module_is_short():
    from pathlib import Path

    for name in experiments.REGISTRY:  # the modules that declare an experiment (not core, paper, sweep)
        path = Path(experiments.__file__).parent / f"{name}.py"
        assert len(path.read_text().splitlines()) < 150, path.name
