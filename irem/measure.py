"""Training cost of a run: speed, arithmetic, and peak memory, measured in a fresh process.

A fresh process (spawned, one CPU thread) makes runs comparable: nothing allocated by earlier
runs counts, and two measurements made side by side on a 2-core machine do not share a core.
Peak memory is ``torch.cuda.max_memory_allocated`` on a GPU; on a CPU it is the growth of the
process's peak resident set (VmHWM) over its size just before training, which covers the
activations kept for backpropagation, the optimiser state and the replay buffer.

``training_cost`` is what run records store (iterations per second over a short run).
``bench`` is what ``irem bench`` prints: the median time of an iteration of the real training
loop after a warm-up, the matrix-multiply arithmetic of an iteration (``FlopCounterMode`` around
whole iterations: data, every reasoning step, the backward pass and the optimiser step), the
rate that achieves, and the rate ``torch.mm`` itself reaches on this machine at the same matrix
shapes in fp32 and bf16 (``matmul_peak``), so that each figure says how far from the hardware's
limit it is; and, from ``torch.profiler`` over a few more iterations, where the time goes
(``time_shares``: matrix multiplies, gathers and scatters, other operators, and the time outside
any operator: Python, the autograd engine, dispatch, and the profiler's own overhead).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from irem import store
from irem.compiled import WARMUP as COMPILE_WARMUP
from irem.graphed import WARMUP as GRAPH_WARMUP
from irem.graphed import check_graphable
from irem.validate import check_non_negative, check_positive

MEMORY_KINDS = {
    "cuda": "torch.cuda.max_memory_allocated during training",
    "cpu": "peak resident set (VmHWM) above the resident set before training, one thread",
}
MAX_PEAK_SHAPES = 8  # matmul_peak times the shapes that carry most of an iteration's FLOPs, at most this many

_aten = torch.ops.aten
_MATMULS = {_aten.mm.default, _aten.addmm.default, _aten.bmm.default, _aten.baddbmm.default}
# operator kinds of ``time_shares``, by the profiler's event names (any other aten operator is "other operators")
OP_KINDS = {
    "matrix multiply": {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"},
    "gather / scatter": {"aten::index_select", "aten::index_add", "aten::index_add_", "aten::scatter_add_",
                         "aten::scatter", "aten::scatter_", "aten::gather", "aten::index", "aten::index_put_",
                         "aten::scatter_reduce", "aten::scatter_reduce_"},
}  # fmt: skip
TIME_KINDS = (*OP_KINDS, "other operators", "outside operators")


def time_shares(events, wall_s: float) -> dict[str, float]:
    """Shares of ``wall_s`` by operator kind, from a profiler's ``key_averages()`` (self CPU times).

    "outside operators" is what the aten operators' self times leave of the wall time.
    """
    spent = dict.fromkeys(TIME_KINDS, 0.0)
    for e in events:
        if not e.key.startswith("aten::"):
            continue
        kind = next((k for k, names in OP_KINDS.items() if e.key in names), "other operators")
        spent[kind] += e.self_cpu_time_total / 1e6
    spent["outside operators"] = max(wall_s - sum(spent.values()), 0.0)
    return {k: v / wall_s for k, v in spent.items()}


def _status_kb(field: str) -> int:
    """A memory field of /proc/self/status (Linux) in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak_rss() -> None:
    """Start the peak resident set (VmHWM) afresh: Linux resets it on 5 into /proc/self/clear_refs.

    A run measured in a process that ran something larger before then reports its own peak;
    where the reset is refused, the old peak stays.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


class MatmulShapes(TorchDispatchMode):
    """Counts every matrix multiply by its shape ``(batch, m, k, n)`` while active.

    ``flops()`` is their arithmetic, 2 m k n per product (as ``FlopCounterMode`` counts it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[tuple[int, int, int, int]] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in _MATMULS:
            a, b = (args[1], args[2]) if func in (_aten.addmm.default, _aten.baddbmm.default) else args[:2]
            batch = a.shape[0] if a.dim() == 3 else 1
            self.counts[(batch, a.shape[-2], a.shape[-1], b.shape[-1])] += 1
        return func(*args, **(kwargs or {}))

    def flops(self) -> int:
        return sum(2 * bt * m * k * n * c for (bt, m, k, n), c in self.counts.items())

    def top(self, limit: int = MAX_PEAK_SHAPES) -> list[tuple[tuple[int, int, int, int], int]]:
        """The ``limit`` shapes with the most FLOPs, with their counts."""
        return sorted(self.counts.items(), key=lambda kv: -2 * kv[0][0] * kv[0][1] * kv[0][2] * kv[0][3] * kv[1])[
            :limit
        ]


class _GlobalOnly:
    """Stands in for ``FlopCounterMode``'s module tracker; every FLOP is counted under "Global".

    The tracker's backward hooks break ``torch.autograd.grad`` ("A leaf node was passed to
    _will_engine_execute_node ..."), which every reasoning step calls.
    """

    parents = frozenset({"Global"})

    def __enter__(self) -> _GlobalOnly:
        return self

    def __exit__(self, *exc) -> None:
        return None


def flop_counter() -> FlopCounterMode:
    """A ``FlopCounterMode`` that works around the reasoning steps' ``torch.autograd.grad`` (totals only)."""
    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _GlobalOnly()
    return counter


def matmul_peak(
    shapes: list[tuple[tuple[int, int, int, int], int]],
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    min_time_s: float = 0.05,
) -> dict:
    """The rate ``torch.mm`` (``torch.bmm`` when batched) reaches at these shapes on this machine.

    Each shape is timed alone, contiguous operands, best of repeated runs (a peak, not a
    typical rate); the mix's rate is the total FLOPs over the total time, each shape weighted by
    how often it occurs.

    Args:
        shapes: ``[((batch, m, k, n), count), ...]``, e.g. ``MatmulShapes.top()``.
        dtype: the operands' dtype (``torch.float32`` or ``torch.bfloat16``).
        device: where to multiply.
        min_time_s: how long each shape is timed at least.

    Returns:
        ``{"gflops": rate of the mix, "by_shape": [{"shape", "count", "gflops"}, ...]}``.
    """
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    total_flops = total_s = 0.0
    by_shape = []
    for (bt, m, k, n), count in shapes:
        lead = (bt,) if bt > 1 else ()
        a = torch.randn(*lead, m, k, device=dev).to(dtype)
        b = torch.randn(*lead, k, n, device=dev).to(dtype)
        mm = torch.bmm if lead else torch.mm
        for _ in range(3):  # warm-up: allocations, kernel selection
            mm(a, b)
        best, spent, reps = float("inf"), 0.0, 0
        while spent < min_time_s or reps < 5:
            sync()
            t0 = time.perf_counter()
            mm(a, b)
            sync()
            dt = time.perf_counter() - t0
            best, spent, reps = min(best, dt), spent + dt, reps + 1
        flops = 2 * bt * m * k * n
        by_shape.append({"shape": [bt, m, k, n], "count": count, "gflops": flops / best / 1e9})
        total_flops += flops * count
        total_s += best * count
    return {"gflops": total_flops / total_s / 1e9 if total_s else float("nan"), "by_shape": by_shape}


class FixedNodes:
    """A graph task whose training graphs all have ``nodes`` nodes (for cost against graph size).

    Everything else is the wrapped task's.
    """

    def __init__(self, task, nodes: int) -> None:
        self._task, self.nodes = task, nodes

    def __getattr__(self, name: str):
        return getattr(self._task, name)

    def sample(self, batch_size: int, difficulty: str, generator: torch.Generator):
        if difficulty == self._task.train_split:
            return self._task.sample_nodes(batch_size, self.nodes, generator)
        return self._task.sample(batch_size, difficulty, generator)


def _memory_baseline(dev: torch.device) -> int:
    """Bytes in use before training, with the peak reset: the GPU's allocated memory, or this process's RSS."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        return torch.cuda.memory_allocated(dev)
    _reset_peak_rss()
    return _status_kb("VmRSS") * 1024


def _arithmetic(flops: FlopCounterMode, shapes: MatmulShapes, iterations: int, ms_per_iter: float,
                peak_device: torch.device | None) -> dict:  # fmt: skip
    """GFLOP per iteration and the rate it runs at; with ``peak_device``, also ``torch.mm``'s own rate at its shapes."""
    gflop = flops.get_total_flops() / iterations / 1e9
    out = dict(
        flop_iterations=iterations,
        gflop_per_iter=gflop,
        matmul_gflop_check=shapes.flops() / iterations / 1e9,  # our own count, as a cross-check
        gflops=gflop / (ms_per_iter / 1e3),
    )
    if peak_device is not None:
        top = shapes.top()
        covered = sum(2 * bt * m * k * n * c for (bt, m, k, n), c in top) / max(shapes.flops(), 1)
        out["peak_fp32"] = matmul_peak(top, torch.float32, peak_device)
        out["peak_bf16"] = matmul_peak(top, torch.bfloat16, peak_device)
        out["peak_shapes_cover"] = covered  # share of the iteration's FLOPs at the timed shapes
        out["fraction_of_fp32_peak"] = out["gflops"] / out["peak_fp32"]["gflops"]
    return out


def _measure(
    spec: store.RunSpec,
    device: str,
    iterations: int,
    warmup: int = 0,
    flop_iterations: int = 0,
    peak: bool = False,
    nodes: int | None = None,
    summary_only: bool = False,
    profile_iterations: int = 0,
    threads: int = 1,
) -> dict:
    """Train ``spec``'s method with the real loop for ``warmup + iterations + flop_iterations + profile_iterations``.

    Times every iteration (the interval between optimiser steps; wall clock and this process's
    CPU time), then counts the FLOPs of the next ``flop_iterations`` iterations (untimed: counting
    slows them down), then profiles ``profile_iterations`` more, then, with ``peak``, times
    ``torch.mm`` at the shapes the FLOP-counted iterations used.
    ``summary_only``: return only what run records store (speed, peak memory). ``threads``: torch's
    CPU threads (records' speeds are taken at one).
    """
    from irem.train import train  # the spawned process imports what it needs

    torch.set_num_threads(threads)
    dev = torch.device(device)
    task, method = spec.build(dev)
    if nodes is not None:
        task = FixedNodes(task, nodes)
    gen = torch.Generator(device=dev).manual_seed(spec.seed)
    base = _memory_baseline(dev)
    load = os.getloadavg()  # how busy the machine was (1, 5, 15 minutes): a timing on a shared machine needs it
    timed = warmup + iterations
    ends: list[tuple[float, float]] = []  # (wall, process CPU time) when each iteration's optimiser step returned
    counting, profiling = contextlib.ExitStack(), contextlib.ExitStack()
    flops, shapes = flop_counter(), MatmulShapes()
    profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
    profiled: list[float] = []  # perf_counter when profiling began and ended
    counted = timed + flop_iterations

    def on_step(it: int) -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        if it <= timed:
            ends.append((time.perf_counter(), time.process_time()))
        if it == timed and flop_iterations:  # count the next iterations (enter in order, leave in reverse)
            counting.enter_context(flops)
            counting.enter_context(shapes)
        elif it == counted:
            counting.close()
        if it == counted and profile_iterations:
            profiling.enter_context(profiler)
            profiled.append(time.perf_counter())
        elif it == counted + profile_iterations and profiled:
            profiled.append(time.perf_counter())
            profiling.close()

    total = counted + profile_iterations
    start = (time.perf_counter(), time.process_time())
    config = replace(spec.train, iterations=total, log_every=total)
    try:
        train(method, task, config, gen, progress=False, on_step=on_step)
    finally:
        counting.close()
        profiling.close()
    peak_memory = (torch.cuda.max_memory_allocated(dev) if dev.type == "cuda" else _status_kb("VmHWM") * 1024) - base
    marks = [start, *ends]
    wall = [b[0] - a[0] for a, b in zip(marks[:-1], marks[1:])][warmup:]
    cpu = [b[1] - a[1] for a, b in zip(marks[:-1], marks[1:])][warmup:]
    out = {
        "iters_per_s": len(wall) / sum(wall),  # the timed iterations (all of them when there is no warm-up)
        "peak_memory_mb": peak_memory / 2**20,
        "memory_measure": MEMORY_KINDS[dev.type],
        "iterations": timed,
    }
    if summary_only:
        return out  # what run records store
    out.update(
        warmup=warmup,
        timed_iterations=iterations,
        ms_per_iter=1e3 * statistics.median(wall),
        ms_per_iter_min=1e3 * min(wall),
        cpu_ms_per_iter=1e3 * statistics.median(cpu),
        load_average=[round(v, 2) for v in load],
    )
    if flop_iterations:
        out.update(_arithmetic(flops, shapes, flop_iterations, out["ms_per_iter"], dev if peak else None))
    if profile_iterations:
        out["profile_iterations"] = profile_iterations
        out["time_shares"] = time_shares(profiler.key_averages(), profiled[1] - profiled[0])
    return out


def _in_fresh_process(fn, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def training_cost(spec: store.RunSpec, device: torch.device, iterations: int = 30, fresh_process: bool = True) -> dict:
    """Iterations per second and peak training memory of ``spec``'s method, from a fresh process.

    The first iterations fill the replay buffer, so both fresh and replayed problems count (with
    ``compiled=True``, ``COMPILE_WARMUP`` iterations more run first, untimed: they compile).
    ``fresh_process=False`` measures in this process: fast, but the memory figure then depends
    on what ran before (the smoke profile uses it, where numbers mean nothing anyway).
    """
    warmup = COMPILE_WARMUP if spec.train.compiled else 0  # not the compilation's minutes, the step's speed
    args = (spec, str(device), iterations, warmup, 0, False, None, True)
    return _in_fresh_process(_measure, *args) if fresh_process else _measure(*args)


def bench(
    spec: store.RunSpec,
    device: torch.device,
    *,
    iterations: int = 30,
    warmup: int = 10,
    flop_iterations: int = 3,
    peak: bool = True,
    nodes: int | None = None,
    profile_iterations: int = 0,
    fresh_process: bool = True,
    threads: int = 1,
) -> dict:
    """Speed, arithmetic and memory of ``spec``'s training, as ``irem bench`` reports them.

    Args:
        spec: the run to time (its training config, including ``precision``).
        device: where to train.
        iterations: iterations timed after the warm-up; ``ms_per_iter`` is their median.
        warmup: iterations run first and not timed (allocation, replay buffer filling).
        flop_iterations: iterations after the timed ones run under ``FlopCounterMode``;
            ``gflop_per_iter`` is their mean (graph sizes vary from one iteration to the next).
            0 skips counting (and the peak).
        peak: also time ``torch.mm`` in fp32 and bf16 at the shapes of those iterations.
        nodes: graph tasks only: train on graphs of exactly this many nodes.
        profile_iterations: iterations after those run under ``torch.profiler``; ``time_shares``
            splits their wall time by operator kind (``TIME_KINDS``). 0 skips profiling.
        fresh_process: measure in a spawned process (``False``: here, for tests).
        threads: torch's CPU threads while timing.

    Returns:
        A dict with ``ms_per_iter`` (median), ``ms_per_iter_min``, ``cpu_ms_per_iter`` (median of this
        process's CPU time per iteration: what a busy machine disturbs least), ``iters_per_s``,
        ``gflop_per_iter``, ``gflops``, ``peak_fp32`` and ``peak_bf16`` (``matmul_peak``),
        ``fraction_of_fp32_peak``, ``time_shares`` (with ``profile_iterations``), ``peak_memory_mb``
        and ``memory_measure``.
    """
    check_positive("iterations", iterations, integer=True)
    check_non_negative("warmup", warmup, integer=True)
    check_non_negative("flop_iterations", flop_iterations, integer=True)
    check_non_negative("profile_iterations", profile_iterations, integer=True)
    if nodes is not None:
        check_positive("nodes", nodes, integer=True)
    check_positive("threads", threads, integer=True)
    if spec.train.compiled and warmup < COMPILE_WARMUP:
        raise ValueError(f"compiled=True: warmup must be >= {COMPILE_WARMUP} (the first iterations compile, for the "
                         f"batch without replay and then with it); got {warmup}")  # fmt: skip
    if spec.train.cuda_graph:
        check_graphable(spec.method, spec.task, device, spec.train.lr_schedule)
        if flop_iterations or profile_iterations:  # a replayed graph dispatches no operator to count
            raise ValueError("cuda_graph=True: set flop_iterations and profile_iterations to 0 (--flop-iterations 0 "
                             "--profile-iterations 0); the eager run counts the same FLOPs")  # fmt: skip
        if warmup <= GRAPH_WARMUP:
            raise ValueError(f"cuda_graph=True: warmup must be > {GRAPH_WARMUP} (the eager steps and the capture "
                             f"are not what is timed); got {warmup}")  # fmt: skip
    args = (spec, str(device), iterations, warmup, flop_iterations, peak and flop_iterations > 0, nodes, False,
            profile_iterations, threads)  # fmt: skip
    return _in_fresh_process(_measure, *args) if fresh_process else _measure(*args)
