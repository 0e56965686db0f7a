"""The summary chapter's verdict table: every chapter's claims of the paper, judged on its records, in one table.

Each chapter's ``analysis.claims(results)`` returns its rows (:class:`irem.book.claims.Claim`); this
module only gathers them. ``results`` maps experiment names to what ``irem.experiments.stored``
returns for them (and ``SCALED_GRAPH`` to the graph chapter's records with the test-time step
scaled by edges). A chapter whose claims rest partly on the difficulty experiment's diagnosis takes
``explain``, which says, from the difficulty records, why an error does not fall.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from importlib import import_module
from importlib.util import find_spec

import pandas as pd

from irem import experiments
from irem.book.claims import Claim, claims_table
from irem.experiments import plan
from irem.experiments.difficulty.analysis import minimum_why
from irem.experiments.experiment import chapter_of
from irem.experiments.graph.analysis import SCALED_GRAPH
from irem.experiments.results import ExperimentResult
from irem.performance.analysis import load as load_bench
from irem.performance.cost import book_cost


def chapter_claims() -> Iterator[Callable[..., list[Claim]]]:
    """The ``claims`` of every registered experiment's chapter: in the ``analysis`` module beside its declaration.

    A chapter is a package (``irem.experiments.graph``, or a user's own anywhere on the path) whose
    ``experiment`` module declares the experiment; its ``analysis`` module, where it has one that
    defines ``claims``, gives the chapter's rows of the verdict table.
    """
    for name in experiments.REGISTRY:
        package = chapter_of(name)
        if not package or find_spec(f"{package}.analysis") is None:
            continue
        judge = getattr(import_module(f"{package}.analysis"), "claims", None)
        if judge is not None:
            yield judge


def claims(results: Mapping[str, ExperimentResult], judges: Iterator[Callable] | None = None) -> list[Claim]:
    """Every chapter's claims on ``results``, in the paper's order (``Claim.order``)."""
    explain = partial(minimum_why, results.get("difficulty"))
    found = []
    for judge in chapter_claims() if judges is None else judges:
        takes_explain = "explain" in inspect.signature(judge).parameters
        found += judge(results, explain=explain) if takes_explain else judge(results)
    return sorted(found, key=lambda c: c.order)


def verdict_table(results: Mapping[str, ExperimentResult]) -> pd.DataFrame:
    """The verdict table: one row per claim of the paper, our number beside the paper's, and what it rests on."""
    return claims_table(claims(results))


# experiments whose tasks make separate tables: each task is shown at its own most complete profile, as in its chapter
BY_TASK = ("ablations", "graph", "difficulty", "compute", "scratchpad", "ired")


def stored_results(profile: str = "best", device: str = "auto", retrain: bool = False,
                   runs_dir: str = "data/runs") -> dict[str, ExperimentResult]:  # fmt: skip
    """What every registered experiment has stored, as its chapter shows it (experiments with nothing stored left out).

    Also each experiment's ``variants`` (by ``Variant.key``), and ``SCALED_GRAPH``: the graph
    chapter's IREM records with the test-time step scaled by edges,
    with the recurrent baseline's records at the same profile (Fig. 2 beyond the paper).
    """
    shared = dict(device=device, retrain=retrain, runs_dir=runs_dir, progress=False)
    common = dict(profile=profile, **shared)
    found = {name: (experiments.stored_by_task if name in BY_TASK else experiments.stored)(name, **common)
             for name in experiments.REGISTRY}  # fmt: skip
    results = {name: result for name, result in found.items() if result is not None}
    for name, experiment in experiments.REGISTRY.items():  # IREM variants each chapter judges: read, never trained
        for variant in experiment.variants:
            found_variant = experiments.stored(name, methods=["irem"], overrides=dict(variant.overrides), train=False,
                                               **common)  # fmt: skip
            if found_variant is not None:
                results[variant.key] = found_variant
    scaled = experiments.stored("graph", methods=["irem"], overrides={"test_step_scaling": "edges"}, **common)
    if scaled is not None:
        recurrent = experiments.stored_beside(scaled, profile, methods=["recurrent"], **shared)
        if recurrent is not None:
            scaled.records += recurrent.records
            results[SCALED_GRAPH] = scaled
    return results


def has(results: Mapping[str, ExperimentResult], *names: str) -> bool:
    """Whether ``results`` holds each experiment of ``names``; if not, shows a line naming what to run first."""
    missing = [name for name in names if name not in results]
    if missing:
        from IPython.display import Markdown, display

        display(Markdown(f"*No stored records of {', '.join(missing)} at this profile yet: run "
                         f"{', '.join(f'`notebooks/{name}.ipynb`' for name in missing)} first.*"))  # fmt: skip
    return not missing


def paper_plan(runs_dir: str, seeds: int = 3) -> tuple[pd.DataFrame, str]:
    """The paper profile's runs per experiment (stored, to run, hours), and a paragraph on what remains and costs."""
    runs = pd.concat([plan.plan(name, profile="paper", seeds=seeds, device="cpu", runs_dir=runs_dir)
                      for name in experiments.REGISTRY])  # fmt: skip
    coverage = plan.by_experiment(runs)
    todo = coverage["to run"].sum()
    two_workers = plan.makespan(runs[runs.status != "stored"].minutes.dropna().tolist(), 2)
    estimated = todo - coverage["without an estimate"].sum()
    text = f"{coverage['stored'].sum()} of the {coverage['runs'].sum()} runs are stored. " + (
        f"The {estimated} of the {todo} remaining runs that have an estimate would take about "
        f"{coverage['hours to run'].sum():.0f} hours in one process, about {two_workers / 60:.0f} with one run on each "
        "of two cores (longest first)." if estimated else
        f"None of the {todo} remaining runs has a stored record at another seed to estimate it from.")  # fmt: skip
    return coverage, text


def book_cost_text(bench_dir: str) -> str | None:
    """What the whole book costs on 2 CPU cores (the Performance chapter's sentence), or None where not measured."""
    costs = load_bench(bench_dir).get("book_cost")  # the whole book, every run timed or read on this CPU
    return "**The whole book on 2 CPU cores** (the Performance chapter): " + book_cost(costs)[1] if costs else None
