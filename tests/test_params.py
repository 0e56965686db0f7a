"""The notebooks' parameters: folders resolve against the repository; the environment overrides for CI's smoke run."""

import ast
import warnings
from pathlib import Path

import nbformat
import pytest

from irem import experiments
from irem.book import params
from irem.provenance import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_folders_resolve_against_the_repository_wherever_the_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in params.ENVIRONMENT.values():
        monkeypatch.delenv(var, raising=False)
    profile, retrain, runs_dir, bench_dir = params.settle("best", False, "data/runs")
    assert (profile, retrain) == ("best", False)
    assert runs_dir == REPO_ROOT / "data" / "runs" and bench_dir == REPO_ROOT / "data" / "bench"
    assert params.settle("best", False, tmp_path / "r")[2] == tmp_path / "r"  # absolute paths stay


def test_the_environment_overrides_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("IREM_PROFILE", "smoke")
    monkeypatch.setenv("IREM_RETRAIN", "1")
    monkeypatch.setenv("IREM_RUNS_DIR", str(tmp_path))
    assert params.settle("best", False, "data/runs")[:3] == ("smoke", True, tmp_path)
    monkeypatch.setenv("IREM_RETRAIN", "yes")
    with pytest.raises(ValueError, match="IREM_RETRAIN must be 0 or 1, got 'yes'"):
        params.settle("best", False, "data/runs")


def parameters(path: Path) -> tuple[dict, int]:
    """The notebook's parameters as papermill reads them (name -> value), and its parameters cell's line count."""
    translators = pytest.importorskip("papermill.translators")
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # papermill warns on a line it cannot parse
        found = translators.PythonTranslator.inspect(cell)
    return {p.name: ast.literal_eval(p.default) for p in found}, cell.source.count("\n") + 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameters_cell_is_one_papermill_can_read(path: Path):
    values, lines = parameters(path)  # plain values papermill can replace
    assert values["runs_dir"] == "data/runs" and "profile" in values
    assert lines == len(values)  # every line is a parameter


def test_the_summary_page_without_an_experiments_records_says_what_to_run(monkeypatch):
    import IPython.display

    from irem import summary

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    assert summary.has({"graph": object()}, "graph") and not shown
    assert not summary.has({"graph": object()}, "graph", "continuous")
    assert len(shown) == 1 and "run `notebooks/continuous.ipynb` first" in shown[0]


def test_the_environment_caps_the_seed_count(monkeypatch):
    monkeypatch.delenv("IREM_SEEDS", raising=False)
    assert params.settle_seeds(10) == 10
    monkeypatch.setenv("IREM_SEEDS", "3")
    assert params.settle_seeds(10) == 3
    monkeypatch.setenv("IREM_SEEDS", "0")
    with pytest.raises(ValueError, match="IREM_SEEDS must be a whole number >= 1, got '0'"):
        params.settle_seeds(10)


def test_a_page_reads_another_chapters_runs_with_every_seed_that_chapter_shows():
    """The IRED chapter's IREM rows and the summary are the graph chapter's numbers, not a 3-seed subset of them."""
    graph_seeds = parameters(REPO_ROOT / "notebooks" / "graph.ipynb")[0]["seeds"]
    assert graph_seeds == experiments.results.STORED_SEEDS
    kw = dict(profile="best", tasks=["shortest_path"], methods=["irem"], runs_dir=REPO_ROOT / "data" / "runs")
    three, ten = (experiments.stored("graph", seeds=n, **kw) for n in (3, graph_seeds))
    assert [r.seed for r in three.records] == [r.seed for r in ten.records] == list(range(graph_seeds))
