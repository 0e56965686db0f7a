"""Many runs at once on Dask: a local cluster by default, any cluster by address.

:func:`run_sweep` submits every run spec whose record is missing as one task to a
``dask.distributed`` client. A worker trains and evaluates the spec (``running.run_spec``) and
returns its record as data; this process alone writes the records into the runs directory,
atomically, as they complete. Workers therefore need no shared filesystem, a sweep stopped
half-way keeps every finished record, and rerunning it submits only what is missing.

Where the runs go:

- by default an in-process ``LocalCluster`` on 127.0.0.1 with ``jobs`` single-threaded worker
  processes, started and stopped here; on CUDA each worker sees one GPU through
  ``CUDA_VISIBLE_DEVICES`` (round-robin over the visible GPUs, or the one ``cuda:N`` names);
- ``scheduler="tcp://HOST:PORT"`` or ``scheduler_file=...``: a cluster the user started
  (``dask scheduler`` + ``dask worker``, ``dask-jobqueue``'s ``SLURMCluster``, ...); it must
  have ``irem`` installed on its workers. Then ``jobs`` is ignored: the workers set how many
  runs train at once.

Faults: a task whose worker dies is rerun on another worker, up to ``ALLOWED_FAILURES`` more
times on the local cluster (a user's scheduler applies its own
``distributed.scheduler.allowed-failures``, 3 by default). A run that raises is not retried:
it fails alone, the others go on, and :class:`SweepFailed` lists every failure at the end.

Dask is imported inside the functions, so the in-process path (``jobs=1``) never loads it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from irem import store
from irem.experiments import plan, running
from irem.store import Record, RunSpec
from irem.validate import check_positive

ALLOWED_FAILURES = 2  # local cluster: a run whose worker dies is rerun at most this many times
CONNECT_TIMEOUT_S = 20  # how long to try to reach a user's scheduler before giving up
WORKER_START_TIMEOUT_S = 120  # how long the local cluster's workers may take to start (import torch) when busy

LOCAL_WORKER_CONFIG = {  # Dask settings of the local cluster
    "distributed.worker.daemon": False,  # a run that measures its training cost starts a child process
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # glibc's default (see _relax_malloc_trim)
    # diagnostics that wake each worker's event loop every 10-500 ms: with every core training, they cost ~5%
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
_ONE_RUN_AT_A_TIME = threading.Lock()  # a worker with several threads still trains one model at a time


@dataclass
class Summary:
    """What a sweep did: runs trained (``done``), found already stored (``reused``), ``failed``."""

    total: int
    where: str
    done: int = 0
    reused: int = 0
    failed: int = 0
    wall_s: float = 0.0

    def __str__(self) -> str:
        return (f"{self.total} runs: {self.done} done, {self.reused} reused, {self.failed} failed; "
                f"{self.wall_s:.1f} s on {self.where}")  # fmt: skip


class SweepFailed(RuntimeError):
    """Some runs of a sweep raised; every other run's record was written.

    Attributes:
        summary: the sweep's counts and wall time.
        failures: record file name -> the error its run raised.
    """

    def __init__(self, summary: Summary, failures: dict[str, str]):
        self.summary, self.failures = summary, failures
        lines = "\n".join(f"  {name}: {error}" for name, error in failures.items())
        super().__init__(
            f"{len(failures)} of {summary.total} runs failed ({summary}):\n{lines}\n"
            "Every other run's record is written; fix the cause and rerun (stored runs are reused)."
        )


def check_target(jobs: int, scheduler: str | None, scheduler_file: str | os.PathLike | None) -> None:
    """Check where a sweep would run; a bad choice is a ``ValueError`` that says what is allowed."""
    check_positive("jobs", jobs, integer=True)
    if scheduler is not None and scheduler_file is not None:
        raise ValueError("give a scheduler address or a scheduler file, not both")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ValueError(f"scheduler={scheduler!r}: expected an address like tcp://HOST:8786")
    if scheduler_file is not None and not Path(scheduler_file).is_file():
        raise ValueError(f"scheduler file {str(scheduler_file)!r} does not exist; a running `dask scheduler "
                         f"--scheduler-file {scheduler_file}` writes it")  # fmt: skip
    if (scheduler is not None or scheduler_file is not None) and jobs != 1:
        warnings.warn(f"jobs={jobs} is ignored with a scheduler: its workers set how many runs train at once",
                      stacklevel=3)  # fmt: skip


def check_device(device: str | torch.device) -> str:
    """A device name for workers elsewhere (checked here, resolved on the worker: ``auto`` is its GPU)."""
    return "auto" if str(device) == "auto" else str(running.parse_device(device))


def worker_envs(jobs: int, device: torch.device) -> tuple[list[dict[str, str]], str]:
    """The environment of each local worker, and the device its runs use there.

    On CUDA, worker ``i`` sees one GPU (``CUDA_VISIBLE_DEVICES``): the one ``cuda:N`` names,
    else the visible GPUs in turn, so ``jobs`` equal to the GPU count puts one worker on each.
    """
    if device.type != "cuda":
        return [{} for _ in range(jobs)], "cpu"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    gpus = [g.strip() for g in visible.split(",") if g.strip()] if visible else []
    if visible is None:
        gpus = [str(i) for i in range(torch.cuda.device_count())]
    if device.index is not None:
        if device.index >= len(gpus):
            raise ValueError(f"device={str(device)!r}: only {len(gpus)} GPU(s) are visible")
        gpus = [gpus[device.index]]
    if not gpus:
        raise ValueError(f"device={str(device)!r}: no GPU is visible (CUDA_VISIBLE_DEVICES={visible!r})")
    return [{"CUDA_VISIBLE_DEVICES": gpus[i % len(gpus)]} for i in range(jobs)], "cuda"


def start_local_cluster(jobs: int, device: torch.device):
    """An in-process ``LocalCluster`` on 127.0.0.1: ``jobs`` worker processes of one thread each.

    Returns:
        ``(cluster, client, device)``: the device name the workers' runs use.
    """
    from distributed import Client, LocalCluster, Nanny

    envs, worker_device = worker_envs(jobs, device)
    _start_quiet_resource_tracker()
    cluster = LocalCluster(n_workers=0, threads_per_worker=1, processes=True, host="127.0.0.1",
                           silence_logs=logging.ERROR, scheduler_kwargs={
                               "allowed_failures": ALLOWED_FAILURES,
                               "dashboard": False, "dashboard_address": "127.0.0.1:0",  # no dashboard, any port
                           })  # fmt: skip
    try:
        for i, env in enumerate(envs):  # one spec per worker, for its own environment
            cluster.worker_spec[i] = {"cls": Nanny, "options": {**cluster.new_spec["options"], "env": env}}
        cluster.scale(jobs)
        client = Client(cluster)
        try:
            client.wait_for_workers(jobs, timeout=WORKER_START_TIMEOUT_S)
        except TimeoutError as e:  # spawned workers re-import a script's main module
            raise RuntimeError(f"the local Dask workers did not start within {WORKER_START_TIMEOUT_S} s ({e}); a "
                               "script that runs a sweep needs `if __name__ == '__main__':`") from None  # fmt: skip
        client.run(_ignore_ctrl_c)  # Ctrl-C reaches the workers too; this process stops them
    except BaseException:
        cluster.close()
        raise
    return cluster, client, worker_device


def _start_quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (a process of its own) without its shutdown warning.

    After Ctrl-C the workers stop before releasing their semaphores; the tracker frees them and
    warns about "leaked semaphore objects", a line of noise under the sweep's own one-line message.
    """
    from multiprocessing import resource_tracker

    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [before, "ignore:resource_tracker:UserWarning"]))
    try:
        resource_tracker.ensure_running()  # the tracker reads its warning filters from this environment
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


def _ignore_ctrl_c() -> None:
    """Run on a local worker's event loop (its main thread): leave SIGINT to the sweep's own process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def connect(scheduler: str | None, scheduler_file: str | os.PathLike | None, timeout: float | None = None):
    """A client of the user's cluster; an unreachable scheduler is a ``ValueError`` naming it."""
    from distributed import Client

    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    where = f"scheduler {scheduler}" if scheduler is not None else f"the scheduler of file {scheduler_file}"
    try:
        if scheduler is not None:
            return Client(scheduler, timeout=timeout)
        return Client(scheduler_file=str(scheduler_file), timeout=timeout)
    except Exception as e:
        raise ValueError(f"cannot reach the Dask {where} within {timeout:g} s ({type(e).__name__}: {e}); "
                         "is it running, and is the address right?") from None  # fmt: skip


def train_and_evaluate(spec: RunSpec, device: str, runs_dir: str | None, threads: int, retrain: bool) -> dict:
    """The task a worker runs: train and evaluate ``spec``, and return its record as a dict.

    Args:
        spec: the run.
        device: ``cpu``, ``cuda[:N]`` or ``auto`` (resolved here, on the worker).
        runs_dir: whose ``weights/`` caches trained weights; None on a user's cluster: the
            worker's own local directory (workers need no shared filesystem).
        threads: torch threads of this run on the CPU.
        retrain: ignore cached weights.
    """
    with _ONE_RUN_AT_A_TIME:  # torch's seeds and thread count are per process
        torch.set_num_threads(threads)
        _relax_malloc_trim()
        if runs_dir is None:
            from distributed import get_worker

            runs_dir = str(Path(get_worker().local_directory) / "irem-runs")
        dev = running.resolve_device(device)
        try:
            record = running.run_spec(spec, dev, runs_dir, progress=False, retrain=retrain)
        except AssertionError as e:  # measuring the training cost starts a process
            if "daemonic" not in str(e):
                raise
            raise RuntimeError("this run measures its training cost in a child process, which a daemonic Dask "
                               "worker cannot start: start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False"
                               ) from None  # fmt: skip
        return record.to_dict()


def _relax_malloc_trim() -> None:
    """Undo, in this worker process, the ``MALLOC_TRIM_THRESHOLD_=65536`` that Dask's nanny sets.

    With it glibc hands every freed buffer of more than 64 KiB back to the system, and torch's
    training loop, which frees and allocates such buffers at every step, runs about 1.5x slower.
    The thresholds set here are glibc's own ceilings for its adaptive ones (32 MiB mmap, 64 MiB trim).
    """
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None)
            libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
            libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
        except (OSError, AttributeError):  # not glibc: nothing to undo
            pass


def _describe(error: BaseException) -> str:
    from distributed import KilledWorker

    if isinstance(error, KilledWorker):
        return f"its worker died on every try ({error})"
    return f"{type(error).__name__}: {error}"


def run_sweep(
    specs: Sequence[RunSpec],
    runs_dir: str | Path,
    device: str | torch.device,
    *,
    retrain: bool = False,
    jobs: int = 2,
    scheduler: str | None = None,
    scheduler_file: str | os.PathLike | None = None,
    progress: bool = True,
) -> list[Record]:
    """Run every spec whose record is missing (all with ``retrain``) on Dask; return all records.

    Args:
        specs: the runs (duplicates run once).
        runs_dir: where records are read and written (by this process only).
        device: where the runs train; with a scheduler, resolved on each worker (``auto``: its GPU).
        retrain: rerun specs that have a record, ignoring cached weights.
        jobs: worker processes of the local cluster (ignored with a scheduler).
        scheduler: address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        scheduler_file: the file a running ``dask scheduler --scheduler-file FILE`` wrote.
        progress: show a progress bar and print a summary (stderr).

    Returns:
        The records, in the order of ``specs``.

    Raises:
        SweepFailed: when some runs raised, after every other run's record is written.
        ValueError: bad arguments, or a scheduler that cannot be reached.
        KeyboardInterrupt: Ctrl-C; finished records stay, unfinished runs write nothing.
    """
    started = time.perf_counter()
    check_target(jobs, scheduler, scheduler_file)
    remote = scheduler is not None or scheduler_file is not None
    device = check_device(device) if remote else running.resolve_device(device)
    store.check_runs_dir(runs_dir, writable=True)
    paths = {store.record_path(runs_dir, s): s for s in specs}  # duplicates run once
    records = {} if retrain else {p: Record.load(p) for p in paths if p.exists()}
    kind = "cpu" if str(device).startswith("cpu") else "cuda"  # a remote "auto" is taken for GPUs
    missing = [s for p, s in paths.items() if p not in records]
    todo = {store.record_path(runs_dir, s): s for s in plan.longest_first(missing, runs_dir, kind, retrain)}
    where = (scheduler or f"the cluster of {scheduler_file}") if remote else f"a local cluster of {jobs} workers"
    summary = Summary(total=len(paths), where=where if todo else "no cluster", reused=len(records))
    failures: dict[str, str] = {}
    if todo:
        import dask
        import distributed  # noqa: F401  (loads its config defaults, which `dask.config.set` below must not drop)

        bar = tqdm(total=summary.total, initial=summary.reused, unit="run", desc="sweep", disable=not progress,
                   file=sys.stderr)  # fmt: skip
        with bar, dask.config.set(LOCAL_WORKER_CONFIG):
            if remote:
                cluster, client = None, connect(scheduler, scheduler_file)
                task_args = (device, None, 1, retrain)  # weights cached in each worker's own directory
            else:
                cluster, client, worker_device = start_local_cluster(jobs, device)
                threads = max(1, (os.cpu_count() or 1) // jobs)  # the CPU's cores shared among the workers
                task_args = (worker_device, str(Path(runs_dir).resolve()), threads, retrain)
            try:
                _collect(client, todo, task_args, bar, records, failures, summary)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    summary.wall_s = time.perf_counter() - started
    if failures:
        raise SweepFailed(summary, failures)
    if progress:
        print(f"sweep: {summary}", file=sys.stderr)
    return [records[p] for p in (store.record_path(runs_dir, s) for s in specs)]


def _collect(client, todo: dict[Path, RunSpec], task_args: tuple, bar: tqdm, records: dict[Path, Record],
             failures: dict[str, str], summary: Summary) -> None:  # fmt: skip
    """Submit ``todo`` and write each record as its run completes (the client's side of a sweep)."""
    from distributed import as_completed

    sweep_id = uuid.uuid4().hex[:8]  # task keys: unique per sweep, readable on a dashboard
    # ``todo`` is longest first (``plan.longest_first``): workers take the runs in that order
    futures = {client.submit(train_and_evaluate, spec, *task_args, key=f"irem-{path.stem}-{sweep_id}", pure=False,
                             priority=len(todo) - i): path for i, (path, spec) in enumerate(todo.items())}  # fmt: skip
    try:
        for future in as_completed(futures):
            path = futures[future]
            try:
                record = Record.from_dict(future.result(), f"the record of {path.name}")
                record.save(path)  # atomic: a temp file, then a rename
            except Exception as e:  # this run alone fails
                failures[f"{path.parent.name}/{path.name}"] = _describe(e)
                summary.failed += 1
            else:
                records[path] = record
                summary.done += 1
            future.release()
            bar.update(1)
            bar.set_postfix(failed=summary.failed)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        bar.close()
        unfinished = len(todo) - summary.done - summary.failed
        print(f"sweep interrupted: {summary.done} records written, {unfinished} runs unfinished (nothing written "
              "for them); rerun to resume", file=sys.stderr)  # fmt: skip
        raise


def run_all(specs: Sequence[RunSpec], runs_dir: str | Path, device: str | torch.device, *, retrain: bool = False,
            jobs: int = 1, progress: bool = True, scheduler: str | None = None,
            scheduler_file: str | os.PathLike | None = None) -> list[Record]:  # fmt: skip
    """``load_or_run`` every spec: one after another in this process, or as a Dask sweep.

    With ``jobs == 1`` and no scheduler the runs train here, in order, and Dask is never
    imported. Otherwise :func:`run_sweep` runs them: on a local cluster of
    ``jobs`` worker processes, or on the cluster of ``scheduler`` (an address such as
    ``tcp://HOST:8786``) or ``scheduler_file``, where ``jobs`` is ignored. There a run that
    raises fails alone, and :class:`SweepFailed` lists the failures after every other
    record is written.
    """
    check_positive("jobs", jobs, integer=True)
    store.check_runs_dir(runs_dir, writable=True)
    if jobs == 1 and scheduler is None and scheduler_file is None:
        device = running.resolve_device(device)
        return [store.load_or_run(s, runs_dir, lambda s: running.run_spec(s, device, runs_dir, progress=progress,
                                                                           retrain=retrain), retrain=retrain)
                for s in specs]  # fmt: skip
    return run_sweep(specs, runs_dir, device, retrain=retrain, jobs=jobs, scheduler=scheduler,
                     scheduler_file=scheduler_file, progress=progress)  # fmt: skip
