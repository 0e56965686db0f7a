"""Hyper-parameters: how a method is trained and how it is evaluated.

Defaults are the paper's (App. C and Alg. 1-2); profiles (``irem.profiles``) and explicit
overrides change them. Every field is checked on construction, so a bad value fails where
it is given (Python, CLI or papermill) with a message that names it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

from irem.validate import check_at_most, check_choice, check_finite, check_non_negative, check_positive

LR_SCHEDULES = ("constant", "cosine")
GRAPH_ENERGIES = ("ours", "release")  # irem.models.gnn.EnergyGNN, ReleaseEnergyGNN
IMAGE_ENERGIES = ("pair", "prior")  # irem.models.conv.EnergyConv of (noisy, candidate), or of the candidate alone
PRECISIONS = ("fp32", "bf16")  # IREM training: the energy's arithmetic (the answer and Adam stay fp32)
STEP_SCALINGS = ("none", "edges", "tuned")  # IREM's test-time step size: see EvalConfig.test_step_scaling
NOISE_SCHEDULES = ("cosine", "linear")  # IRED's landscapes (or explicit noise levels): irem.ired.noise_levels
REJECT_RULES = ("energy", "none")  # IRED's test-time steps: kept where the energy fell, or all (irem.ired)
TUNE_RULES = ("smooth", "lowest_error")  # how "tuned" picks lambda on validation problems: see EvalConfig.tune_rule
MAX_COUNT = 100_000_000  # iterations, problems, steps ...: more is a typo (10**21 would start a run that never ends)


@dataclass(frozen=True)
class TrainConfig:
    """How to train a method (Alg. 1); defaults follow the paper's App. C."""

    # fields added after run records were first stored, with the behaviour before they existed
    # (see ``stored``); a later change of a field's default never takes over an older record's name
    ADDED_LATER: ClassVar[dict[str, object]] = {
        "graph_energy": "ours",
        "precision": "fp32",
        "image_energy": "pair",
        "cuda_graph": False,
        "compiled": False,
        "replay_batch": 0,
        "replay_keep": 0,
        "node_feature": 1.0,
        "landscapes": 10,
        "noise_schedule": "cosine",
        "energy_weight": 0.5,
        "answer_clip": 2.0,
    }

    iterations: int = 10_000  # optimiser steps
    batch_size: int = 128  # fresh problems per step (replay adds as many again)
    lr: float = 1e-4  # Adam learning rate
    lr_schedule: str = "constant"  # "constant" (paper) or "cosine" (decay to 0)
    steps: int = 5  # reasoning steps N per training problem
    step_size: float = 100.0  # lambda in y <- y - lambda * grad_y E
    truncate: bool = True  # backpropagate through the last reasoning step only
    replay: bool = True  # train on past optimisation results too
    replay_capacity: int = 10_000  # samples the replay buffer holds
    replay_batch: int = 0  # problems drawn from the buffer per step (0: as many as batch_size; the release: 32)
    replay_keep: int = 0  # of each step's problems (replayed first), at most how many go back into the buffer (0: all)
    node_feature: float = 1.0  # graph tasks, IREM: the constant node feature its energy reads (the release: 0)
    scratchpad: int = 0  # size D of the scratchpad z (0: none; App. B)
    hidden: int = 512  # hidden width of the networks
    graph_energy: str = "ours"  # graph tasks: "ours" (SiLU, MLPs in GINEConv) or "release" (the authors' code)
    image_energy: str = "pair"  # denoising: E(noisy, candidate) ("pair", the paper's) or E(candidate) ("prior")
    precision: str = "fp32"  # IREM training: "bf16" runs the energy network under bf16 autocast
    cuda_graph: bool = False  # IREM on a GPU: replay the whole training step from one CUDA graph (irem.graphed)
    compiled: bool = False  # IREM: the loss and its gradients from one torch.compile'd function (irem.compiled)
    # IRED (irem.ired; the authors' release where its paper is silent): K annealed landscapes, their noise,
    # the weight of the contrastive energy term beside the denoising one, the bound on the answer's entries
    landscapes: int = 10
    noise_schedule: str = "cosine"  # "cosine", "linear" or K comma-separated noise levels in (0, 1), increasing
    energy_weight: float = 0.5  # 0: denoising supervision only (no energy supervision)
    answer_clip: float = 2.0  # |answer entries| <= this in the descents (0: no bound)
    grad_clip: float = 0.0  # max gradient norm (0: no clipping)
    ponder_kl: float = 0.01  # programmatic baseline: weight of KL(halting || geometric prior)
    log_every: int = 50  # iterations between loss records (and NaN checks)

    def __post_init__(self) -> None:
        for name in ("iterations", "batch_size", "steps", "replay_capacity", "hidden", "log_every"):
            check_at_most(name, check_positive(name, getattr(self, name), integer=True), MAX_COUNT)
        for name in ("replay_batch", "replay_keep"):
            check_non_negative(name, getattr(self, name), integer=True)
        object.__setattr__(self, "node_feature", float(check_finite("node_feature", self.node_feature)))
        check_positive("lr", self.lr)
        check_positive("step_size", self.step_size)
        check_non_negative("scratchpad", self.scratchpad, integer=True)
        check_non_negative("grad_clip", self.grad_clip)
        check_non_negative("energy_weight", self.energy_weight)
        check_non_negative("answer_clip", self.answer_clip)
        check_at_most("landscapes", check_positive("landscapes", self.landscapes, integer=True), 1000)
        check_noise_schedule(self.noise_schedule, self.landscapes)
        check_non_negative("ponder_kl", self.ponder_kl)
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_choice("graph_energy", self.graph_energy, GRAPH_ENERGIES)
        check_choice("image_energy", self.image_energy, IMAGE_ENERGIES)
        check_choice("precision", self.precision, PRECISIONS)
        for name in ("truncate", "replay", "cuda_graph", "compiled"):
            check_choice(name, getattr(self, name), (True, False))
        if self.compiled and (self.precision != "fp32" or self.cuda_graph):
            raise ValueError(f"compiled=True needs precision='fp32' and cuda_graph=False; got precision="
                             f"{self.precision!r}, cuda_graph={self.cuda_graph}")  # fmt: skip


@dataclass(frozen=True)
class EvalConfig:
    """How to evaluate a trained method (Alg. 2 and the code release's protocol)."""

    ADDED_LATER: ClassVar[dict[str, object]] = {
        "test_step_scaling": "none",
        "compiled_eval": False,
        "tune_problems": 100,
        "tune_grid": "2,1,0.5,0.25,0.125,0.0625",
        "tune_rule": "smooth",
        "landscape_steps": 5,
        "denoise_first": True,
        "reject": "energy",
        "test_clip_scale": 1.0,
    }  # as for TrainConfig

    test_problems: int = 1000  # problems per difficulty
    test_steps: int = 80  # reasoning steps run at test time
    test_step_size: float = 0.0  # lambda at test time (0: the training step size)
    # IREM on graphs: "edges" shrinks lambda by (n_train / n)^2 on graphs of n > n_train nodes (n_train = 10,
    # the largest training graph), as the training step overshoots on larger graphs (graph chapter).
    # IREM on any task: "tuned" is the paper's protocol (Section 3.2), lambda chosen for each test split
    # or graph size on validation problems of the same generator with their own seed (irem.evaluate)
    test_step_scaling: str = "none"
    tune_problems: int = 100  # "tuned": validation problems per split or size
    tune_grid: str = "2,1,0.5,0.25,0.125,0.0625"  # "tuned": the lambdas tried, as factors of the training lambda
    # "tuned": "smooth" = the largest lambda whose mean validation energy falls at every step (the paper's
    # words); "lowest_error" = the lambda of the lowest validation error
    tune_rule: str = "smooth"
    # IRED: gradient steps on each landscape; before them, the release's projection onto the answer the noise
    # prediction implies (not in its paper); which steps are kept
    landscape_steps: int = 5
    denoise_first: bool = True
    reject: str = "energy"  # "energy": a problem keeps a step only where its energy did not rise; "none": every step
    # IRED: the bound on the answer in the test-time descent, as a factor on the training bound (answer_clip); the
    # release bounds answers at training's range and notes that generalisation needs a larger bound
    test_clip_scale: float = 1.0
    compiled_eval: bool = False  # IREM: each test-time step's energy and gradient from one torch.compile'd function
    halt_tol: float = 1e-3  # halting: relative energy decrease counted as none
    halt_patience: int = 3  # halting: consecutive steps without decrease
    eval_batch: int = 250  # problems per forward pass while evaluating
    landscape_problems: int = 32  # problems in the energy-vs-distance figure (Fig. 5)
    compose_max: int = 10  # composition: most addition operations nested (Table 4, Fig. 7)

    def __post_init__(self) -> None:
        for name in ("test_problems", "test_steps", "halt_patience", "eval_batch", "compose_max"):
            check_at_most(name, check_positive(name, getattr(self, name), integer=True), MAX_COUNT)
        if self.test_problems < 2:  # the label variance stored beside each error is undefined for one problem
            raise ValueError(f"test_problems must be at least 2 (a label variance needs two), got {self.test_problems}")
        check_non_negative("landscape_problems", self.landscape_problems, integer=True)
        check_non_negative("test_step_size", self.test_step_size)
        check_non_negative("halt_tol", self.halt_tol)
        check_choice("test_step_scaling", self.test_step_scaling, STEP_SCALINGS)
        check_at_most("tune_problems", check_positive("tune_problems", self.tune_problems, integer=True), MAX_COUNT)
        self.tune_factors()  # checks the grid
        check_choice("tune_rule", self.tune_rule, TUNE_RULES)
        changed = [name for name, value in self.tuning_defaults().items() if getattr(self, name) != value]
        if changed and self.test_step_scaling != "tuned":  # stored, it would name a record it changed nothing in
            raise ValueError(f"{', '.join(changed)}: used with test_step_scaling='tuned' only, not "
                             f"{self.test_step_scaling!r}")  # fmt: skip
        check_choice("compiled_eval", self.compiled_eval, (True, False))
        check_at_most("landscape_steps", check_positive("landscape_steps", self.landscape_steps, integer=True), 1000)
        check_choice("denoise_first", self.denoise_first, (True, False))
        check_choice("reject", self.reject, REJECT_RULES)
        check_positive("test_clip_scale", check_finite("test_clip_scale", self.test_clip_scale))

    @classmethod
    def tuning_defaults(cls) -> dict[str, object]:
        """The settings of the "tuned" step size, at their defaults."""
        return {name: value for name, value in cls.ADDED_LATER.items() if name.startswith("tune_")}

    def tune_factors(self) -> tuple[float, ...]:
        """``tune_grid`` as numbers: the factors on the training lambda that "tuned" tries, largest first."""
        try:
            factors = [float(v) for v in self.tune_grid.split(",")]
        except (AttributeError, ValueError):
            factors = []
        if not factors or not all(math.isfinite(f) and f > 0 for f in factors):
            raise ValueError(f"tune_grid must be comma-separated finite numbers > 0 (factors on the training step "
                             f"size), e.g. '2,1,0.5', got {self.tune_grid!r}")  # fmt: skip
        return tuple(sorted(set(factors), reverse=True))


# settings only some methods or tasks read: set on any other, they would be stored in a record's config
# (and name it) while changing nothing, so they are refused
IREM_ONLY = ("scratchpad", "precision", "compiled", "cuda_graph", "replay_batch", "replay_keep", "node_feature",
             "graph_energy", "image_energy")  # fmt: skip
IRED_ONLY = ("landscapes", "noise_schedule", "energy_weight", "answer_clip", "landscape_steps", "denoise_first",
             "reject", "test_clip_scale")  # fmt: skip
GRAPH_ONLY = ("graph_energy", "node_feature")
DENOISING_ONLY = ("image_energy",)


def check_noise_schedule(schedule: str, landscapes: int) -> tuple[float, ...]:
    """``schedule``'s explicit noise levels (none for a named schedule).

    Raises ``ValueError`` unless it names a schedule or gives ``landscapes`` increasing levels in (0, 1).
    """
    if schedule in NOISE_SCHEDULES:
        return ()
    try:
        levels = [float(v) for v in str(schedule).split(",")]
    except ValueError:
        levels = []
    if not (len(levels) == landscapes and all(0 < v < 1 for v in levels)
            and all(a < b for a, b in zip(levels, levels[1:]))):  # fmt: skip
        raise ValueError(f"noise_schedule must be one of {', '.join(map(repr, NOISE_SCHEDULES))} or {landscapes} "
                         f"(landscapes) comma-separated noise levels in (0, 1), increasing from the sharpest "
                         f"landscape, got {schedule!r}")  # fmt: skip
    return tuple(levels)


def check_applies(
    method: str, task: str, graph: bool, config: TrainConfig, evaluation: EvalConfig | None = None
) -> None:
    """Raise ``ValueError`` when a config sets, away from its default, a field that ``method`` on ``task`` ignores.

    Args:
        method: the run's method.
        task: the run's task.
        graph: whether ``task`` is a graph task.
        config: the run's training config.
        evaluation: the run's evaluation config (its IRED fields are checked).
    """
    changed = [(f, getattr(c, f)) for c, default in ((config, TrainConfig()), (evaluation, EvalConfig()))
               if c is not None for f in field_names(type(c)) if getattr(c, f) != getattr(default, f)]  # fmt: skip
    only = {**{f: "irem" for f in IREM_ONLY}, **{f: "ired" for f in IRED_ONLY}}
    wrong = [(f, v) for f, v in changed if f in only and only[f] != method]
    wrong += [(f, v) for f, v in changed if f in GRAPH_ONLY and not graph and (f, v) not in wrong]
    wrong += [(f, v) for f, v in changed if f in DENOISING_ONLY and task != "denoising" and (f, v) not in wrong]
    if wrong:
        settings = ", ".join(f"{f}={v!r}" for f, v in wrong)
        raise ValueError(f"{settings} does not apply to method {method!r} on task {task!r} and would change nothing; "
                         f"{', '.join(IREM_ONLY)} apply to 'irem' only ({', '.join(GRAPH_ONLY)} on graph tasks, "
                         f"{', '.join(DENOISING_ONLY)} on denoising), {', '.join(IRED_ONLY)} to 'ired' "
                         f"only")  # fmt: skip


def stored(config: TrainConfig | EvalConfig) -> dict:
    """``config`` as a run record stores (and hashes) it.

    A field added after records were first stored (``ADDED_LATER``) is left out while it holds
    the value that reproduces the behaviour from before it existed, so every earlier record keeps
    its config hash and stays found; any other value is stored like every other field.
    """
    values = asdict(config)
    for name, legacy in config.ADDED_LATER.items():
        if values[name] == legacy:
            del values[name]
    return values


def with_defaults(cls: type, values: dict) -> dict:
    """A stored config (``stored``) with the later-added fields it leaves out filled in."""
    return {**cls.ADDED_LATER, **values}


def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def split_overrides(overrides: dict) -> tuple[dict, dict]:
    """Split ``{name: value}`` into TrainConfig and EvalConfig fields; unknown names raise."""
    train_names, eval_names = field_names(TrainConfig), field_names(EvalConfig)
    unknown = sorted(set(overrides) - set(train_names) - set(eval_names))
    if unknown:
        allowed = ", ".join(train_names + eval_names)
        raise ValueError(f"unknown config field(s) {unknown}; allowed: {allowed}")
    train = {k: v for k, v in overrides.items() if k in train_names}
    evaluation = {k: v for k, v in overrides.items() if k in eval_names}
    return train, evaluation


__all__ = ["EvalConfig", "TrainConfig", "asdict", "split_overrides", "LR_SCHEDULES"]
