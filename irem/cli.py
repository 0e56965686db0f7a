"""The ``irem`` command: train one run, reproduce an experiment, show a run record.

Examples::

    irem train --task addition --method irem --profile quick --seed 0
    irem train --task addition --profile quick --set iterations=500 --set step_size=30
    irem reproduce continuous --profile quick --device cpu --jobs 2
    irem reproduce all --profile paper --device auto --scheduler tcp://10.0.0.5:8786
    irem reproduce graph --profile paper --seeds 3 --jobs 2 --plan
    irem train --task shortest_path --method recurrent --profile quick
    irem show data/runs/continuous/*.json
    irem verify data/runs/graph                 # re-evaluate the records of committed models; compare
    irem bench --tasks addition shortest_path --methods irem feedforward --device cuda
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import fields
from pathlib import Path

import pandas as pd

from irem import experiments, measure, provenance, store, verify
from irem.config import EvalConfig, TrainConfig
from irem.experiments import plan
from irem.experiments.sweep import SweepFailed
from irem.methods import METHODS
from irem.performance import bench
from irem.profiles import PROFILES
from irem.recipes import RECIPES
from irem.tasks import TASKS
from irem.train import TrainingDiverged
from irem.validate import check_positive

_FIELD_TYPES = {f.name: f.type for cls in (TrainConfig, EvalConfig) for f in fields(cls)}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def parse_override(text: str) -> tuple[str, object]:
    """``"name=value"`` -> (name, value converted to the config field's type)."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected NAME=VALUE, e.g. --set iterations=500")
    name, raw = text.split("=", 1)
    if name not in _FIELD_TYPES:
        raise ValueError(f"--set {name}: unknown config field; allowed: {', '.join(_FIELD_TYPES)}")
    kind = _FIELD_TYPES[name]
    try:
        if kind == "bool":
            if raw.lower() not in _TRUE | _FALSE:
                raise ValueError
            return name, raw.lower() in _TRUE
        if kind == "int":
            return name, int(raw)
        if kind == "float":
            return name, float(raw)
    except ValueError:
        raise ValueError(f"--set {name}={raw!r}: expected a value of type {kind}") from None
    return name, raw


def _overrides(args: argparse.Namespace) -> dict:
    """The config values the flags set: a recipe's, then ``--set``'s, then the named flags' (each over the last)."""
    values = dict(RECIPES[args.recipe]) if args.recipe else {}
    values.update(parse_override(s) for s in args.set or [])
    named = {
        "iterations": args.iterations, "batch_size": args.batch_size, "steps": args.steps,
        "step_size": args.step_size, "lr": args.lr, "scratchpad": args.scratchpad,
    }  # fmt: skip
    values.update({k: v for k, v in named.items() if v is not None})
    if args.no_replay:
        values["replay"] = False
    if args.no_truncate:
        values["truncate"] = False
    return values


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="quick", choices=PROFILES, help="defaults to start from (default: quick)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda[:N] (default: auto)")
    p.add_argument("--runs-dir", help="where run records are read and written (default: data/runs)")
    p.add_argument("--retrain", action="store_true", help="train even if a record with this config exists")
    p.add_argument("--iterations", type=int, help="training iterations")
    p.add_argument("--batch-size", type=int, help="fresh problems per training iteration")
    p.add_argument("--steps", type=int, help="reasoning steps N during training")
    p.add_argument("--step-size", type=float, help="step size lambda of each reasoning step")
    p.add_argument("--lr", type=float, help="Adam learning rate")
    p.add_argument("--scratchpad", type=int, help="scratchpad size D (0: none)")
    p.add_argument("--no-replay", action="store_true", help="train without the replay buffer")
    p.add_argument("--no-truncate", action="store_true", help="backpropagate through every reasoning step")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="any TrainConfig/EvalConfig field; repeatable")
    p.add_argument("--recipe", choices=list(RECIPES), help="train as a source does: 'release' = the authors' graph "
                   "code (irem.recipes); --set and the flags above override its values")  # fmt: skip


# argparse's own test (^-\d+$|^-\d*\.\d+$) misses exponents and inf: `--lr -1e-4` was read as an option
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reads ``-1e-4`` (and ``-inf``) as a negative number, as it does ``-0.0001``.

    The value then reaches the config's own check (``lr must be a finite number > 0``) instead of
    failing as an unknown option. Subparsers are made of the same class.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="irem", description="Learning Iterative Reasoning through Energy Minimization")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train and evaluate one run; write its record")
    p.add_argument("--experiment", choices=list(experiments.REGISTRY), help="default: the task's own experiment")
    p.add_argument("--task", required=True, choices=list(TASKS), help="task to learn")
    p.add_argument("--method", default="irem", choices=list(METHODS), help="method (default: irem)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
    _add_common(p)

    p = sub.add_parser("reproduce", help="run (or load) every run of an experiment and print its table")
    p.add_argument("experiment", choices=[*experiments.REGISTRY, "all"], help="experiment to reproduce")
    p.add_argument("--seeds", type=int, default=1, help="training seeds 0..N-1 (default: 1)")
    p.add_argument("--tasks", nargs="+", choices=list(TASKS), help="subset of the experiment's tasks")
    p.add_argument("--methods", nargs="+", choices=list(METHODS), help="subset of methods (default: all)")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs trained at once: N > 1 starts a local Dask cluster of N worker processes (default: 1)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 (--jobs is ignored)",
    )
    where.add_argument(
        "--scheduler-file",
        metavar="FILE",
        help="run on the Dask cluster whose scheduler wrote FILE (--jobs is ignored)",
    )
    p.add_argument("--snapshots", type=int, nargs="+", default=[], metavar="K",
                   help="also cache each trained run's weights at iterations K as those of the same run trained for "
                        "K iterations; a later --iterations K then only evaluates")  # fmt: skip
    p.add_argument("--plan", action="store_true",
                   help="run nothing: list what each run would do (stored, evaluate, resume, train) and about "
                        "how many minutes, from the stored records of the same runs at other seeds")  # fmt: skip
    _add_common(p)

    p = sub.add_parser("bench", help="training speed, FLOPs, share of matmul peak and peak memory of methods, "
                                      "each measured in a fresh process")  # fmt: skip
    p.add_argument("--tasks", nargs="+", choices=list(TASKS), default=["addition", "shortest_path"], help="tasks")
    p.add_argument("--methods", nargs="+", choices=list(METHODS), default=["irem"], help="methods (default: irem)")
    p.add_argument("--profile", default="paper", choices=PROFILES, help="network and batch sizes (default: paper)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda[:N] (default: auto)")
    p.add_argument("--iterations", type=int, default=30, help="timed after the warm-up; ms/iter: their median (30)")
    p.add_argument("--warmup", type=int, default=10, help="iterations run before timing (default: 10)")
    p.add_argument("--flop-iterations", type=int, default=3, help="run under FlopCounterMode after those (0: none; 3)")
    p.add_argument("--no-peak", action="store_true", help="skip timing torch.mm (fp32, bf16) at the model's shapes")
    p.add_argument("--profile-iterations", type=int, default=3,
                   help="run under torch.profiler after those, for the time by operator kind (0: none; 3)")  # fmt: skip
    p.add_argument("--vary", nargs="+", action="append", metavar=("NAME", "VALUE"),
                   help="one row per value of a TrainConfig field, or of 'nodes' (training graph size), "
                        "e.g. --vary batch_size 16 32 64")  # fmt: skip
    p.add_argument("--json", type=Path, metavar="PATH", help="also write every measurement, with provenance, here")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="any TrainConfig field; repeatable")

    p = sub.add_parser("verify", help="evaluate stored records again from their committed weights and compare "
                                       "every metric (trains nothing, changes no record)")  # fmt: skip
    p.add_argument("paths", nargs="+", type=Path, help="run records, or folders (their records of committed models)")
    p.add_argument("--device", default="cpu", help="cpu (default: records were made there) or cuda[:N]")
    p.add_argument("--rtol", type=float, default=0.0,
                   help="relative difference allowed (default 0: the same numbers; another CPU may round "
                        "differently)")  # fmt: skip

    p = sub.add_parser("show", help="print the config, metrics and provenance of run records")
    p.add_argument("paths", nargs="+", type=Path, help="run record JSON files, or folders of them")
    p.add_argument("--json", action="store_true", help="print whole records as JSON")
    return parser


def _record_paths(paths: list[Path]) -> list[Path]:
    """The record files named, with every record under a folder named."""
    out = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if "weights" not in p.parts)
            if not found:
                raise ValueError(f"{path}: no run records (*.json) in this folder")
            out += found
        elif not path.exists():
            raise ValueError(f"{path}: no such file")
        else:
            out.append(path)
    return out


def _show(paths: list[Path], as_json: bool) -> None:
    for path in _record_paths(paths):
        r = store.Record.load(path)
        if as_json:
            print(json.dumps(r.to_dict(), indent=1))
            continue
        prov = r.provenance
        print(f"{path}\n  {r.experiment} / {r.task} / {r.method}  seed {r.seed}  profile {r.profile}"
              f"  hash {r.config_hash}")  # fmt: skip
        for split, m in r.metrics.items():
            steps = ", ".join(f"{k}: {store.metric_text(v)}" for k, v in m.get("mse_by_steps", {}).items())
            extra = ""
            if "label_variance" in m:
                variance, halt = (store.metric_text(m[k], missing="n/a") for k in ("label_variance", "mean_halt_step"))
                extra = f"  (label variance {variance}; mean halting step {halt}; by steps {steps})"
            psnr = f"  psnr {m['psnr']:.2f} dB (noisy input {m['psnr_noisy']:.2f})" if "psnr" in m else ""
            print(f"  {split:>7}: mse {store.metric_text(m['mse'])}{psnr}{extra}")
        if r.training_cost is not None:
            c = r.training_cost
            print(f"  training cost: {c['iters_per_s']:.1f} it/s, peak memory {c['peak_memory_mb']:.0f} MB "
                  f"({c['memory_measure']})")  # fmt: skip
        dirty = " (dirty)" if prov["dirty"] else ""
        print(f"  {prov['device']}, torch {prov['torch']}, {prov['wall_s']:.0f} s, "
              f"{prov['train_iters_per_s']:.1f} it/s, commit {prov['git_commit'][:10]}{dirty}")  # fmt: skip


def _vary(given: list[list[str]] | None) -> tuple[str, list] | None:
    """``--vary NAME V1 V2 ...`` -> (NAME, values converted to the field's type); one ``--vary`` per bench."""
    if not given:
        return None
    if len(given) > 1:
        raise ValueError(f"--vary is given {len(given)} times ({', '.join(g[0] for g in given)}); a bench varies one "
                         "setting: run one bench per setting")  # fmt: skip
    name, raw = given[0][0], given[0][1:]
    if not raw:
        raise ValueError(f"--vary {name}: give the values to try, e.g. --vary {name} 16 32 64")
    if name != "nodes":
        return name, [parse_override(f"{name}={v}")[1] for v in raw]
    try:
        return name, [check_positive("--vary nodes", int(v), integer=True) for v in raw]
    except ValueError as e:
        if "--vary nodes" in str(e):
            raise
        raise ValueError(f"--vary nodes {' '.join(raw)}: expected whole numbers of nodes, e.g. --vary nodes 10 "
                         "20") from None  # fmt: skip


def _check_output_file(flag: str, path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` can be written as a file (checked before a long measurement)."""
    if path.is_dir():
        raise ValueError(f"{flag} {path}: is a folder; give a file path, e.g. {path / 'bench.json'}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"{flag} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{flag} {path}: folder {folder} is not writable")


def _bench(args: argparse.Namespace) -> None:
    """Time each (task, method) in a fresh process (``irem.measure.bench``) and print a table."""
    device = experiments.resolve_device(args.device)
    iterations = int(check_positive("iterations", args.iterations, integer=True))
    overrides = dict(parse_override(s) for s in args.set or [])
    vary = _vary(args.vary)
    if args.json is not None:  # found before the benchmark runs, not after
        _check_output_file("--json", args.json)
    options = dict(iterations=iterations, warmup=args.warmup, flop_iterations=args.flop_iterations,
                   peak=not args.no_peak, profile_iterations=args.profile_iterations)  # fmt: skip
    rows = bench.bench_rows(args.tasks, args.methods, args.profile, device, overrides, vary, **options)
    where = provenance.device_name(device) if device.type == "cuda" else f"{provenance.cpu_name()}, one thread"
    print(f"{where}, profile {args.profile}: {args.warmup} warm-up, {iterations} timed (median), "
          f"{args.flop_iterations} FLOP-counted and {args.profile_iterations} profiled iterations each")  # fmt: skip
    print("mm peak: torch.mm alone at the shapes of the model's matrix multiplies (FLOP-weighted)")
    print("time: share of the profiled iterations in matrix multiplies / gathers and scatters / other operators / "
          "outside operators (Python, autograd engine, profiler overhead)")  # fmt: skip
    print(f"memory: {measure.MEMORY_KINDS[device.type]}")
    print(bench.table(rows).to_string(index=False))
    if args.json is not None:
        words = ["irem bench --tasks", *args.tasks, "--methods", *args.methods, "--profile", args.profile, "--device",
                 args.device, "--iterations", str(iterations), "--warmup", str(args.warmup), "--flop-iterations",
                 str(args.flop_iterations), "--profile-iterations", str(args.profile_iterations),
                 *(["--no-peak"] if args.no_peak else []),
                 *[w for s in args.set or [] for w in ("--set", s)], *(["--vary", *args.vary[0]] if args.vary else []),
                 "--json", str(args.json)]  # fmt: skip
        command = " ".join(words)
        settings = {"command": command, "profile": args.profile, "overrides": overrides, **options,
                    "vary": args.vary[0] if args.vary else None}  # fmt: skip
        print(f"wrote {bench.write_json(args.json, rows, device, settings)}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "show":
            _show(args.paths, args.json)
            return 0
        if args.command == "bench":
            _bench(args)
            return 0
        if args.command == "verify":
            return verify.report(args.paths, experiments.resolve_device(args.device), args.rtol)
        overrides = _overrides(args)
        if args.runs_dir is None:
            args.runs_dir = _default_runs_dir()
        if args.command == "train":
            experiment = experiments.get(args.experiment or experiments.home_of(args.task))
            spec = experiment.spec(args.profile, args.task, args.method, args.seed, overrides)
            device = experiments.resolve_device(args.device)
            try:
                experiments.run_all([spec], args.runs_dir, device, retrain=args.retrain)
            except KeyboardInterrupt:
                parser.exit(130, "irem: interrupted; training resumes from its last checkpoint when you rerun the "
                                 "command\n")  # fmt: skip
            _show([store.record_path(args.runs_dir, spec)], False)
            return 0
        jobs = int(check_positive("jobs", args.jobs, integer=True))
        if (args.scheduler is not None or args.scheduler_file is not None) and jobs != 1:
            print(f"irem: note: --jobs {jobs} is ignored: with a scheduler, its workers set how many runs train at "
                  "once", file=sys.stderr)  # fmt: skip
            jobs = 1
        names = list(experiments.REGISTRY) if args.experiment == "all" else [args.experiment]
        failed, plans = False, []
        for name in names:
            exp = experiments.get(name)
            tasks = [t for t in args.tasks if t in exp.tasks] if args.tasks else exp.tasks
            methods = [m for m in args.methods if m in exp.methods] if args.methods else exp.methods
            if args.experiment == "all" and not (tasks and methods):
                continue  # `all --tasks addition` runs the experiments that have addition
            if args.plan:
                plans.append(plan.plan(name, profile=args.profile, tasks=tasks or args.tasks,
                                       methods=methods or args.methods, seeds=args.seeds, device=args.device,
                                       retrain=args.retrain, runs_dir=args.runs_dir, overrides=overrides))  # fmt: skip
                print(f"== {name} ({args.profile} profile): {plan.summary(plans[-1], jobs)}")
                print(plans[-1].to_string(index=False, float_format="{:.1f}".format))
                continue
            try:
                result = experiments.run(
                    name, profile=args.profile, tasks=tasks or args.tasks, methods=methods or args.methods,
                    seeds=args.seeds, device=args.device, retrain=args.retrain, runs_dir=args.runs_dir,
                    overrides=overrides, jobs=jobs, scheduler=args.scheduler, scheduler_file=args.scheduler_file,
                    snapshots=args.snapshots,
                )  # fmt: skip
            except SweepFailed as e:  # the other runs' records are written; go on with the next experiment
                print(f"irem: {name}: {e}", file=sys.stderr)
                failed = True
                continue
            except KeyboardInterrupt:
                parser.exit(130, "irem: interrupted; finished records are kept, rerun the command to resume\n")
            print(f"== {name} ({result.profile} profile)")
            print(result.table().to_string(index=False))
        if len(plans) > 1:
            print(f"== all: {plan.summary(pd.concat(plans), jobs)}")
        return 1 if failed else 0
    except TrainingDiverged as e:
        parser.exit(1, f"irem: training diverged: {e}\n")
    except (ValueError, FileNotFoundError) as e:
        parser.exit(2, f"irem: error: {e}\n")
    except KeyboardInterrupt:
        parser.exit(130, "irem: interrupted\n")
    except OSError as e:  # a full disk, a file name too long, a folder without write permission
        parser.exit(1, f"irem: error: {_os_error(e)}\n")


def _default_runs_dir() -> Path:
    """``data/runs`` under the current folder; a note when that is not the checkout's committed records."""
    path, committed = Path("data/runs"), store.REPO_ROOT / "data" / "runs"
    if committed.is_dir() and not path.resolve().is_relative_to(store.REPO_ROOT):
        print(f"irem: note: records go to {path.resolve()}, outside the repository {store.REPO_ROOT} (whose "
              f"records are in {committed}); pass --runs-dir to choose", file=sys.stderr)  # fmt: skip
    return path


def _os_error(e: OSError) -> str:
    """One line for an OS error: its file (shortened when very long) and the system's reason."""
    if not e.filename:
        return str(e)
    name = str(e.filename)
    if len(name) > 100:
        name = f"{name[:60]}...{name[-30:]} ({len(name)} characters)"
    return f"{name}: {e.strerror or e}"


if __name__ == "__main__":
    sys.exit(main())
