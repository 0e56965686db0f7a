"""Training cost of a run: speed and peak memory, measured in a fresh process.

A fresh process (spawned, one CPU thread) makes runs comparable: nothing allocated by earlier
runs counts, and two measurements made side by side on a 2-core machine do not share a core.
Peak memory is ``torch.cuda.max_memory_allocated`` on a GPU; on a CPU it is the growth of the
process's peak resident set (VmHWM) over its size just before training, which covers the
activations kept for backpropagation, the optimiser state and the replay buffer.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import torch

from irem import runs

MEMORY_KINDS = {
    "cuda": "torch.cuda.max_memory_allocated during training",
    "cpu": "peak resident set (VmHWM) above the resident set before training, one thread",
}


def _status_kb(field: str) -> int:
    """A memory field of /proc/self/status (Linux) in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _measure(spec: runs.RunSpec, device: str, iterations: int) -> dict:
    """Train ``spec``'s method for ``iterations`` iterations with the real loop; time and measure it."""
    from irem.train import train  # the spawned process imports what it needs

    torch.set_num_threads(1)
    dev = torch.device(device)
    task, method = spec.build(dev)
    gen = torch.Generator(device=dev).manual_seed(spec.seed)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev)
    else:
        base = _status_kb("VmRSS") * 1024
    ends: list[float] = []  # when each iteration's optimiser step returned

    def on_step(_: int) -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        ends.append(time.perf_counter())

    start = time.perf_counter()
    config = replace(spec.train, iterations=iterations, log_every=iterations)
    train(method, task, config, gen, progress=False, on_step=on_step)
    if dev.type == "cuda":
        peak = torch.cuda.max_memory_allocated(dev) - base
    else:
        peak = _status_kb("VmHWM") * 1024 - base
    return {
        "iters_per_s": iterations / (ends[-1] - start),
        "peak_memory_mb": peak / 2**20,
        "memory_measure": MEMORY_KINDS[dev.type],
        "iterations": iterations,
    }


def training_cost(spec: runs.RunSpec, device: torch.device, iterations: int = 30, fresh_process: bool = True) -> dict:
    """Iterations per second and peak training memory of ``spec``'s method, from a fresh process.

    The first iterations fill the replay buffer, so both fresh and replayed problems count.
    ``fresh_process=False`` measures in this process: fast, but the memory figure then depends
    on what ran before (the smoke profile uses it, where numbers mean nothing anyway).
    """
    if not fresh_process:
        return _measure(spec, str(device), iterations)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measure, spec, str(device), iterations).result()
