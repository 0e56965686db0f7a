"""An experiment's declaration and the registry of experiments.

An :class:`Experiment` declares what it runs (tasks, methods, per-profile defaults, the paper's
numbers) and how it scores a trained model (``evaluate``); :func:`register` adds it to
``REGISTRY``, checking that everything it names exists.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from irem.config import EvalConfig, TrainConfig, check_applies, split_overrides
from irem.methods import METHODS, Method
from irem.profiles import PROFILES
from irem.store import RunSpec
from irem.tasks import GRAPH_TASKS, TASKS, Task
from irem.validate import check_choice, check_names, check_positive, check_seed

TEST_SEED = 12345  # test problems are the same for every method and training seed
VALIDATION_SEED = 54321  # validation problems ("tuned" test-time step size): same generator, never the test problems


Evaluate = Callable[[Method, Task, RunSpec, torch.device], tuple[dict, dict]]


Grid = Callable[..., list[tuple[str, str, dict]]]  # (tasks, methods, **options) -> [(task, method, changes)]


def product_grid(tasks: Sequence[str], methods: Sequence[str]) -> list[tuple[str, str, dict]]:
    """Every method on every task, with the experiment's own settings."""
    return [(t, m, {}) for t in tasks for m in methods]


@dataclass(frozen=True)
class Variant:
    """An IREM variant its chapter judges by the chapter's own rules beside its IREM (``Experiment.variants``).

    Its records are the experiment's IREM runs with ``overrides``; the chapter's ``analysis.claims``
    gives its verdict rows and the summary reads its records (never trains them).

    Attributes:
        key: its key in the summary's results.
        label: its words in the verdict table.
        column: its name as a table's column.
        overrides: its config changes.
        order: where it stands among the variants of a claim (1 first): its verdicts' place after the
            claim's own, and its column in the summary's verdict table.
    """

    key: str
    label: str
    column: str
    overrides: Mapping[str, object]
    order: int


@dataclass(frozen=True)
class Experiment:
    """One experiment of the paper: what it trains, with which defaults, and how it scores.

    Attributes:
        name: its name in the CLI, the records' folder and the notebooks.
        title: a line for ``--help`` and the CLI's table header.
        tasks, methods: what it runs by default (and all it accepts).
        evaluate: ``(method, task, spec, device) -> (metrics, curves)`` for one trained model;
            ``metrics`` maps each test split to a dict with at least ``mse``.
        profiles: profile -> TrainConfig / EvalConfig values over the paper's defaults.
        task_options: profile -> options for the task's constructor.
        paper: ``(task, method, split) -> the paper's number`` (see ``irem.experiments.paper``).
        grid: the runs of ``(tasks, methods, **options)``; default every method on every task.
            Variant experiments (ablations, scratchpad) list IREM with config changes.
        borrows_defaults: train each task as its own experiment does (variants), so a variant
            with no changes is that experiment's run and shares its cached weights.
        home: this experiment is its tasks' own (where ``irem train --task`` puts a run, and
            whose defaults variants borrow); composition, which reuses the continuous
            experiment's addition, is not. A task has exactly one home.
        measures_cost: also record the training speed and peak memory (fresh process).
        split_labels: how the book names the test splits (graphs: ``{"same": "10 nodes"}``).
        seeds: training seeds the notebooks and ``run`` use by default.
        tunes_step_size: ``evaluate`` draws validation problems for ``test_step_scaling="tuned"``
            (the paper's test-time protocol); other experiments refuse that setting.
        version: of ``evaluate``; bump it when what it measures changes, so that stored records
            of the old evaluation get other names and are not reused.
        added_seeds: profile -> config values for IREM's seeds from ``seeds`` on, the ones added
            beyond the default count (the graph paper profile trains them compiled, several times
            faster on a CPU; the chapter shows, and a test checks, that their errors are distributed
            as the eager seeds' are). Variants that borrow this experiment's defaults follow it.
        variants: IREM variants the chapter judges beside its IREM (:class:`Variant`).
    """

    name: str
    title: str
    tasks: tuple[str, ...]
    methods: tuple[str, ...]
    evaluate: Evaluate
    profiles: Mapping[str, Mapping] = field(default_factory=dict)
    task_options: Mapping[str, Mapping] = field(default_factory=dict)
    paper: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    grid: Grid = product_grid
    borrows_defaults: bool = False
    home: bool = True
    measures_cost: bool = False
    split_labels: Mapping[str, str] = field(default_factory=dict)
    seeds: int = 3
    tunes_step_size: bool = False
    version: int = 1
    added_seeds: Mapping[str, Mapping] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()

    def defaults(self, profile: str, task: str, method: str = "", seed: int = 0) -> tuple[dict, dict]:
        """Config values and task options of ``task`` under ``profile`` for ``method``'s ``seed`` (before overrides)."""
        check_choice("profile", profile, PROFILES)
        owner = get(home_of(task)) if self.borrows_defaults else self
        values = dict(owner.profiles.get(profile, {}))
        if method == "irem" and seed >= owner.seeds:
            values.update(owner.added_seeds.get(profile, {}))
        return values, dict(owner.task_options.get(profile, {}))

    def spec(self, profile: str, task: str, method: str, seed: int, overrides: Mapping | None = None,
             task_options: Mapping | None = None) -> RunSpec:  # fmt: skip
        """The run spec of one (task, method, seed) under ``profile``, with ``overrides`` and ``task_options``."""
        check_choice("task", task, self.tasks)
        elsewhere = [] if method in self.methods else [
            e.name for e in REGISTRY.values() if method in e.methods and task in e.tasks]  # fmt: skip
        if elsewhere:  # e.g. IRED, which its own chapter runs on the continuous tasks
            raise ValueError(f"method={method!r} on {task!r} is run by the {elsewhere[0]!r} experiment, not "
                             f"{self.name!r} (whose methods are {', '.join(map(repr, self.methods))}): pass "
                             f"--experiment {elsewhere[0]}")  # fmt: skip
        check_choice("method", method, self.methods)
        check_seed(seed)
        values, options = self.defaults(profile, task, method, seed)
        train_cfg, eval_cfg = split_overrides({**values, **(overrides or {})})
        task_version = getattr(TASKS[task], "version", 1)  # optional: a user's task need not version its problems
        train, evaluation = TrainConfig(**train_cfg), EvalConfig(**eval_cfg)
        check_applies(method, task, task in GRAPH_TASKS, train, evaluation)
        if eval_cfg.get("test_step_scaling") == "tuned" and not (self.tunes_step_size and method == "irem"):
            raise ValueError(f"test_step_scaling='tuned' chooses IREM's test-time step size on validation problems: "
                             f"in the graph and continuous experiments' IREM runs, not {self.name} / "
                             f"{method}")  # fmt: skip
        return RunSpec(self.name, task, method, seed, profile, train, evaluation,
                       {**options, **(task_options or {})}, self.version, task_version)  # fmt: skip

    def specs(self, profile: str, tasks, methods, seeds: Sequence[int], overrides=None, task_options=None,
              **options) -> list[RunSpec]:  # fmt: skip
        """Every run of the grid, for each seed."""
        return [self.spec(profile, t, m, s, {**(overrides or {}), **changes}, task_options)
                for t, m, changes in self.grid(tasks, methods, **options) for s in seeds]  # fmt: skip


REGISTRY: dict[str, Experiment] = {}
DECLARED_IN: dict[str, str] = {}  # experiment name -> the module that registered it


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry, checking that everything it names exists.

    The module that calls this is the experiment's declaration: its chapter is that module's package
    (``declared_in``), where the book looks for the chapter's ``analysis``.
    """
    e = experiment
    for t in e.tasks:
        check_choice(f"{e.name}: task", t, TASKS)
    for m in e.methods:
        check_choice(f"{e.name}: method", m, METHODS)
    for profile, values in e.profiles.items():
        check_choice(f"{e.name}: profile", profile, PROFILES)
        split_overrides(dict(values))  # an unknown config field fails here, not at run time
    for v in e.variants:
        split_overrides(dict(v.overrides))
    for t, m, _ in e.paper:
        check_choice(f"{e.name}: paper table task", t, e.tasks)
        check_choice(f"{e.name}: paper table method", m, e.methods)
    if e.name in REGISTRY and REGISTRY[e.name] is not e:
        raise ValueError(f"an experiment named {e.name!r} is registered already")
    if e.home and not e.borrows_defaults:
        for other in REGISTRY.values():
            shared = set(e.tasks) & set(other.tasks) if other.home and not other.borrows_defaults else set()
            if shared and other.name != e.name:
                raise ValueError(f"{e.name}: task(s) {sorted(shared)} have a home already ({other.name}); "
                                 "pass home=False")  # fmt: skip
    REGISTRY[e.name] = e
    DECLARED_IN[e.name] = sys._getframe(1).f_globals.get("__name__", "")
    return e


def chapter_of(name: str) -> str:
    """The package of the module that declared experiment ``name`` ("" where it was declared at top level)."""
    return DECLARED_IN.get(name, "").rpartition(".")[0]


def get(name: str) -> Experiment:
    """The registered experiment called ``name``."""
    check_choice("experiment", name, REGISTRY)
    return REGISTRY[name]


def home_of(task: str) -> str:
    """The experiment a task belongs to (its ``home``)."""
    homes = {t: e.name for e in REGISTRY.values() if e.home and not e.borrows_defaults for t in e.tasks}
    check_choice("task", task, homes)
    return homes[task]


def checked_grid(experiment: Experiment, tasks: Sequence[str] | None, methods: Sequence[str] | None,
                 seeds: int | None, overrides: Mapping | None) -> tuple[Sequence[str], Sequence[str], int]:  # fmt: skip
    """``run``'s tasks, methods and seed count, defaults filled in; a clear error for each bad one."""
    tasks = check_names("tasks", experiment.tasks if tasks is None else tasks, experiment.tasks)
    methods = check_names("methods", experiment.methods if methods is None else methods, experiment.methods)
    seeds = experiment.seeds if seeds is None else seeds
    check_positive("seeds", seeds, integer=True)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValueError(f"overrides must be a mapping of config fields to values, got {overrides!r}")
    return tasks, methods, seeds
