"""Graph algorithmic reasoning (Section 4.2): Table 1 (left) and Fig. 2.

Edge copy, connected components and shortest path on fully connected graphs; trained on 2-10
nodes, tested on 10 (split ``same``) and 15 (``harder``) nodes, and for Fig. 2 on ``FIG2_NODES``.
"""

from __future__ import annotations

from functools import partial

import torch

from irem import eval_stages, evaluate, store
from irem.config import EvalConfig
from irem.curves import MSE_BY_STEP
from irem.evaluate import rounded
from irem.experiments import paper
from irem.experiments.experiment import TEST_SEED, VALIDATION_SEED, Experiment, Variant, register
from irem.experiments.running import evaluate_splits, generator
from irem.methods import PAPER_METHODS, Method
from irem.profiles import SMOKE
from irem.recipes import recipe
from irem.store import Record, RunSpec
from irem.tasks import GRAPH_TASKS, GraphTask

FIG2_NODES = (5, 10, 15, 20, 25, 30)  # graph sizes of the error-vs-steps curves (Fig. 2)
# training lengths of the graph chapter's training-length curve: one run of the longest, with
# snapshots at the others (``irem reproduce graph --iterations 10000 --snapshots 1500 3000 5000 7500``)
TRAINING_LENGTHS = (1500, 3000, 5000, 7500, 10_000)
# the record curves of this experiment
MSE_BY_NODES = "mse_by_step_by_nodes"  # str(nodes) -> test error after each step on graphs of ``FIG2_NODES``
STEP_SIZE_BY_NODES = "step_size_by_nodes"  # str(nodes) -> the step size chosen there ("tuned" records only)
EXAMPLE = "example"  # one 10-node problem: input, truth and prediction (graph_example)

# App. C-D: batch 64, GNN width 128; evaluation cost grows with edges (n^2 per graph)
PAPER = dict(batch_size=64, hidden=128, landscape_problems=0)
QUICK = {**PAPER, "iterations": 1500, "log_every": 50, "test_problems": 200, "test_steps": 40}
SMOKE_GRAPH = {**SMOKE, "hidden": 32, "test_problems": 8, "test_steps": 6, "eval_batch": 8}


def size_problems(task: GraphTask, spec: RunSpec, nodes: int, device: torch.device):
    """Fig. 2's test graphs of ``nodes`` nodes: fewer problems than Table 1's, as its curves average many edges."""
    return task.sample_nodes(max(1, spec.eval.test_problems // 4), nodes, generator(device, TEST_SEED + nodes))


def validation(task: GraphTask, spec: RunSpec, nodes: int, device: torch.device):
    """Validation graphs of ``nodes`` nodes for a "tuned" step size (none otherwise), with their own generator."""
    if spec.eval.test_step_scaling != "tuned":
        return None
    gen = generator(device, VALIDATION_SEED + nodes)
    return task.sample_nodes(spec.eval.tune_problems, nodes, gen), gen


def graph_example(method: Method, task, options: EvalConfig, generator: torch.Generator, nodes: int = 10) -> dict:
    """One graph problem of ``nodes`` nodes: its input, true and predicted edge values.

    Each is an ``nodes x nodes`` matrix in row-major order (edge (i, j) at ``i * nodes + j``);
    the prediction is the method's answer (at halting for IREM).
    """
    problem = task.sample_nodes(1, nodes, generator)
    steps = options.test_steps if method.iterative else 1
    prediction = method.predict(problem, steps, generator, options).at_halt(problem.row_problem)
    return {
        "nodes": nodes,
        "input": rounded(problem.x.edge_attr.flatten(), 4),
        "truth": rounded(problem.y.flatten(), 4),
        "prediction": rounded(prediction.flatten(), 4),
    }


def evaluate_graph(method: Method, task: GraphTask, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """10 and 15 nodes; the error after every step at each size of ``FIG2_NODES``; one worked example."""
    metrics, curves = evaluate_splits(method, task, spec, device)
    by_nodes, step_sizes, example_options = {}, {}, spec.eval
    for n in FIG2_NODES:
        test, gen = size_problems(task, spec, n, device), generator(device, TEST_SEED)
        size_metrics, size_curves = eval_stages.stage(
            f"{n} nodes",
            partial(evaluate.evaluate_batch, method, test, spec.eval, gen, validation(task, spec, n, device)),
            gen,
        )
        by_nodes[str(n)] = size_curves[MSE_BY_STEP]
        if "step_size" in size_metrics:  # "tuned"
            step_sizes[str(n)] = size_metrics["step_size"]
        if n == 10:  # the example's size
            example_options = evaluate.as_evaluated(spec.eval, size_metrics)
    curves[MSE_BY_NODES] = by_nodes
    if step_sizes:
        curves[STEP_SIZE_BY_NODES] = step_sizes
    curves[EXAMPLE] = graph_example(method, task, example_options, generator(device, TEST_SEED))
    return metrics, curves


# IREM variants the chapter judges beside its IREM (``analysis.claims``, ``variants``):
# the release's recipe (``irem.recipes``), a control for our training: where IREM misses the paper,
# does IREM trained as the authors' code trains it miss too? And the paper's test-time protocol
# (Section 3.2): the step size chosen for each graph size on validation graphs, where the chapter's
# tables use the training one.
RELEASE = Variant("graph, the release's recipe", "IREM trained with the release's recipe (a control)",
                  "IREM, release recipe", recipe("release"), 2)  # fmt: skip
TUNED = Variant("graph, test-time step size tuned", "IREM with λ tuned on validation graphs (the paper's protocol)",
                "IREM, tuned λ", {"test_step_scaling": "tuned"}, 1)  # fmt: skip

GRAPH = register(Experiment(
    name="graph",
    title="Graph algorithmic reasoning (Section 4.2, Table 1 left, Fig. 2)",
    tasks=tuple(GRAPH_TASKS),
    methods=PAPER_METHODS,
    evaluate=evaluate_graph,
    tunes_step_size=True,
    profiles={"smoke": SMOKE_GRAPH, "quick": QUICK, "paper": PAPER},
    paper=paper.by_split(paper.TABLE1_GRAPH, ("same", "harder")),
    split_labels=GraphTask.split_labels,
    # IREM's seeds 3-9 at the paper profile train and evaluate compiled (each 3-5x faster on a CPU):
    # seeds.draws_table compares their errors with the eager seeds'
    added_seeds={"paper": {"compiled": True, "compiled_eval": True}},
    variants=(TUNED, RELEASE),
))  # fmt: skip
VARIANTS = GRAPH.variants


def training_length_records(runs_dir, tasks, seeds=range(3), profile: str = "quick") -> list[Record]:
    """The stored IREM records of each of ``TRAINING_LENGTHS``, with either test-time step rule (never trains)."""
    specs = [s for k in TRAINING_LENGTHS for rule in ("none", "edges") for s in GRAPH.specs(
        profile, tasks, ["irem"], seeds, {"iterations": k, "test_step_scaling": rule})]  # fmt: skip
    return [r for r in (store.find_record(runs_dir, s) for s in specs) if r is not None]
