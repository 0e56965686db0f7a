"""Adding a task, an experiment and a chapter from outside the package: vector negation.

The chapter is one folder written outside the package (its declaration, analysis and figures); the
summary's verdict table finds its claim without any shared file being edited.
"""

import importlib
import sys
from pathlib import Path

import pytest
import torch

from irem import experiments, summary, tasks
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


CHAPTER = {
    "__init__.py": "from toychapter import experiment  # noqa: F401 (registers the experiment)\n",
    "experiment.py": """
from irem import experiments, summary, tasks
from irem.experiments.running import evaluate_splits
from test_extending import Negation

tasks.register_task(Negation)
NEGATION = experiments.register(experiments.Experiment(
    name="toy", title="Vector negation (a toy chapter)", tasks=("negation",), methods=("irem", "feedforward"),
    evaluate=evaluate_splits, profiles={"smoke": dict(iterations=20, batch_size=16, hidden=32, test_problems=16,
                                                      test_steps=8, eval_batch=16, landscape_problems=0)},
    paper={("negation", "irem", "same"): 0.0}, seeds=1,
))
""",
    "analysis.py": """
from irem.book.claims import Claim, grade
from irem.book.notes import basis
from irem.book.tables import styled_table


def table(result):
    return styled_table(result.table())


def claims(results):
    toy = results.get("toy")
    if toy is None:
        return []
    lower = toy.ours("negation", "irem", "same") < toy.ours("negation", "feedforward", "same")
    return [Claim(1000, "Toy: IREM negates vectors better than a feedforward network", "—",
                  f"{toy.ours('negation', 'irem', 'same'):.3g}", grade(int(lower), 1), basis(toy), "IREM lower")]
""",
    "figures.py": """
from irem.book.figures import mse_vs_steps


def error_by_step(result):
    return mse_vs_steps(result.records)
""",
}


@pytest.fixture
def toy_chapter(tmp_path, monkeypatch):
    """A chapter written as a user would: one folder (declaration, analysis, figures), outside the package."""
    folder = tmp_path / "chapters" / "toychapter"
    folder.mkdir(parents=True)
    for name, text in CHAPTER.items():
        (folder / name).write_text(text.lstrip())
    monkeypatch.syspath_prepend(str(folder.parent))
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    importlib.import_module("toychapter")
    yield importlib.import_module("toychapter.analysis"), importlib.import_module("toychapter.figures")
    del experiments.REGISTRY["toy"], tasks.TASKS["negation"]
    for name in [m for m in sys.modules if m.startswith("toychapter")]:
        del sys.modules[name]


def test_a_chapter_is_one_folder_with_a_table_a_figure_and_a_claim_in_the_summary(toy_chapter, tmp_path):
    analysis, figures = toy_chapter
    result = experiments.run("toy", profile="smoke", device="cpu", runs_dir=tmp_path / "runs", progress=False)
    assert "negation" in analysis.table(result).to_html().lower()
    assert figures.error_by_step(result).axes
    verdicts = summary.verdict_table({"toy": result})
    row = verdicts.set_index("claim of the paper").loc["Toy: IREM negates vectors better than a feedforward network"]
    assert row["verdict"] in ("reproduced", "not reproduced") and row["rests on"].startswith("smoke")
    assert len(verdicts) == 1  # the package's chapters add no row without their records


def test_every_module_is_short_and_the_shared_book_layer_shorter():
    root = Path(experiments.__file__).parents[1]
    for path in root.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= (300 if path.parent.name == "book" else 420), f"{path.relative_to(root)}: {lines} lines"
