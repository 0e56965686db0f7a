"""Compiled evaluation (``EvalConfig.compiled_eval``) against eager: time and errors of IREM on larger graphs.

Evaluates one trained IREM graph model (its cached weights, from ``irem train``) on the same graphs
and the same random starts, eagerly and compiled, for the paper's 80 test steps: this process's CPU
seconds for the whole descent (the compiled one timed on its second pass, after compiling) and the
error after several step counts and at halting. Usage (one thread, as the sweeps run)::

    OMP_NUM_THREADS=1 python benchmarks/compiled_eval.py --nodes 15 30 --json data/bench/compiled_eval.json
"""

import argparse
import sys
import time

import torch

from irem import store
from irem.config import EvalConfig
from irem.experiments import experiment
from irem.performance.bench import write_json

STEPS = (5, 10, 40, 80)  # errors reported after these many steps


def measure(method, task, nodes: int, graphs: int, steps: int) -> list[dict]:
    """One row per evaluation form: CPU seconds, mean halting step, MSE after each of ``STEPS`` and at halting."""
    batch = task.sample_nodes(graphs, nodes, torch.Generator().manual_seed(0))
    rows = []
    for form, options, passes in (("eager", EvalConfig(), 1), ("compiled", EvalConfig(compiled_eval=True), 2)):
        for _ in range(passes):  # a compiled form's first pass compiles
            start = time.process_time()
            traj = method.predict(batch, steps, torch.Generator().manual_seed(1), options)
            seconds = time.process_time() - start
        mse = ((traj.ys - batch.y) ** 2).mean(dim=(1, 2))
        halt = ((traj.at_halt(batch.row_problem) - batch.y) ** 2).mean()
        rows.append({"task": task.name, "nodes": nodes, "graphs": graphs, "form": form, "cpu_s": seconds,
                     "mean_halt_step": float(traj.halt_step.float().mean()), "mse_at_halt": float(halt),
                     **{f"mse_step_{s}": float(mse[s]) for s in STEPS if s <= steps}})  # fmt: skip
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="shortest_path", help="graph task (default: shortest_path)")
    parser.add_argument("--seed", type=int, default=0, help="training seed of the model (default: 0)")
    parser.add_argument("--nodes", type=int, nargs="+", default=[15, 30], help="graph sizes (default: 15 30)")
    parser.add_argument("--graphs", type=int, default=250, help="graphs per size (default: 250)")
    parser.add_argument("--runs-dir", default="data/runs", help="where the cached weights are (default: data/runs)")
    parser.add_argument("--json", help="also write the rows, with provenance, here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    spec = experiment.get("graph").spec("paper", args.task, "irem", args.seed)
    weights = store.weights_dir(args.runs_dir) / spec.weights_file()
    if not weights.exists():
        sys.exit(f"{weights}: no cached weights; train them first with "
                 f"irem train --task {args.task} --method irem --profile paper --seed {args.seed}")  # fmt: skip
    task, method = spec.build(torch.device("cpu"))
    method.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True)["state_dict"])
    method.eval()
    rows = []
    for nodes in args.nodes:
        for row in measure(method, task, nodes, args.graphs, max(STEPS)):
            rows.append(row)
            errors = ", ".join(f"{k.removeprefix('mse_')}: {v:.4g}" for k, v in row.items() if k.startswith("mse_"))
            print(f"{nodes} nodes, {row['form']}: {row['cpu_s']:.1f} s; {errors}", flush=True)
    if args.json:
        words = ["python benchmarks/compiled_eval.py", "--task", args.task, "--seed", str(args.seed), "--nodes",
                 *map(str, args.nodes), "--graphs", str(args.graphs), "--json", args.json]  # fmt: skip
        settings = {"command": " ".join(words), "weights": weights.name, "steps": max(STEPS)}
        print(f"wrote {write_json(args.json, rows, torch.device('cpu'), settings)}")


if __name__ == "__main__":
    main(sys.argv[1:])
