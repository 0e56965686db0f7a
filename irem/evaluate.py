"""Evaluation: error against reasoning steps, error at the halting step, energy landscapes.

All functions run a trained method on freshly drawn test problems from a fixed generator
and return plain Python numbers and lists, ready for a run record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import torch
from torch import Tensor

from irem import eval_stages, minimize
from irem.config import EvalConfig
from irem.curves import ENERGY_BY_STEP, MSE_BY_STEP
from irem.methods import IREM, Method
from irem.minimize import Trajectory
from irem.tasks import DIFFICULTIES, Batch, Task
from irem.tasks.continuous import Addition, ContinuousTask
from irem.tasks.images import TEST_SIGMAS, Denoising, psnr
from irem.validate import check_positive

REPORT_STEPS = (1, 5, 10, 20, 40, 80)  # steps at which metrics.<split>.mse_by_steps is kept
DENOISING_STEPS = (5, 30, 100)  # steps at which denoising PSNR is reported (App. A)


def _round(values: Tensor | list[float], digits: int = 6) -> list[float]:
    """Floats for JSON: significant digits, not fixed decimals, so small errors survive."""
    if isinstance(values, Tensor):
        values = values.tolist()
    return [float(f"{v:.{digits}g}") for v in values]


def evaluate_split(
    method: Method,
    task: Task,
    difficulty: str,
    options: EvalConfig,
    generator: torch.Generator,
) -> tuple[dict, dict]:
    """Error of ``method`` on ``options.test_problems`` problems of one difficulty.

    Returns:
        ``(metrics, curves)``. ``metrics`` holds the headline ``mse`` (at each problem's
        halting step for methods that halt, else after the method's computation),
        ``mse_by_steps`` at ``REPORT_STEPS``, ``mean_halt_step`` and ``label_variance``
        (the MSE of always predicting the mean answer, a reference every table shows).
        ``curves`` holds the full error and mean energy at every step.
    """
    test = task.sample(options.test_problems, difficulty, generator)
    return evaluate_batch(method, test, options, generator)


def evaluate_batch(method: Method, test: Batch, options: EvalConfig, generator: torch.Generator) -> tuple[dict, dict]:
    """As :func:`evaluate_split`, on the given test problems."""
    steps = options.test_steps if method.iterative else 1
    err_sum = None  # (S+1,) summed squared error per step
    energy_sum = None
    halt_err, halt_steps = 0.0, 0.0
    for chunk in test.split(options.eval_batch):
        traj = method.predict(chunk, steps, generator, options)
        per_step = ((traj.ys - chunk.y) ** 2).flatten(1).sum(-1)  # (S+1,) summed over answer elements
        err_sum = per_step if err_sum is None else err_sum + per_step
        if traj.energies is not None:
            e = traj.energies.sum(-1)
            energy_sum = e if energy_sum is None else energy_sum + e
        halt_err += ((traj.at_halt(chunk.row_problem) - chunk.y) ** 2).sum().item()
        halt_steps += traj.halt_step.float().sum().item()
    n, elements = len(test), test.y.numel()  # the MSE is over all answer elements (graphs: edges)
    mse_curve = err_sum / elements
    metrics = {
        "mse": halt_err / elements,
        "mse_final": mse_curve[-1].item(),
        "mse_by_steps": {str(s): mse_curve[s].item() for s in REPORT_STEPS if s <= steps},
        "mean_halt_step": halt_steps / n,
        "label_variance": test.y.var(dim=0).mean().item(),
    }
    curves = {MSE_BY_STEP: _round(mse_curve)}
    if energy_sum is not None:
        curves[ENERGY_BY_STEP] = _round(energy_sum / n)
    return metrics, curves


def error_by_element(
    method: Method, problem: Batch, options: EvalConfig, generator: torch.Generator, at_steps: list[int]
) -> dict:
    """Squared error of every answer element of one problem at ``at_steps`` (Fig. 4)."""
    traj = method.predict(problem, max(at_steps), generator, options)
    err = (traj.ys[at_steps, 0] - problem.y[0]) ** 2  # (len(at_steps), y_dim)
    return {"steps": list(at_steps), "sq_error": [_round(row, 4) for row in err]}


@torch.no_grad()
def energy_landscape(
    method: Method, task: ContinuousTask, difficulty: str, options: EvalConfig, generator: torch.Generator
) -> dict:
    """Energy of candidates at growing distance from the solution (Fig. 5).

    For each of ``options.landscape_problems`` problems, candidates y* + s * eps with
    eps ~ N(0, I) and s on a log grid; returns each candidate's MSE from y* and its energy
    relative to the energy of y* itself (energies of different problems have different
    offsets, so only differences are comparable).
    """
    energy = getattr(method, "energy", None)
    if energy is None or options.landscape_problems == 0:
        return {}
    batch = task.sample(options.landscape_problems, difficulty, generator)
    scales = torch.logspace(-2, 0.5, 16, device=batch.y.device)
    base = energy(batch.x, batch.y)  # (P,)
    mse, rel_energy = [], []
    for s in scales:
        eps = torch.randn(batch.y.shape, generator=generator, device=batch.y.device)
        cand = batch.y + s * eps
        mse.append(((cand - batch.y) ** 2).mean(-1))
        rel_energy.append(energy(batch.x, cand) - base)
    return {"mse": _round(torch.cat(mse), 4), "energy": _round(torch.cat(rel_energy), 4)}


def composition(
    method: Method, task: Addition, options: EvalConfig, generator: torch.Generator
) -> tuple[list[float], dict]:
    """Nest the learned addition (Section 4.4): y^k = Alg(y^{k-1}, v_k), truth v_0 + ... + v_k.

    Each of ``options.test_problems`` problems draws ``compose_max + 1`` operands as the
    training inputs are drawn (U(-1, 1)); every method answers each nested addition with its own final
    answer (at halting for IREM).

    Returns:
        ``(mse, example)``: the MSE after k = 1 .. compose_max operations, and the first 3x3
        corner of the inputs, prediction and truth of one problem after three operations
        (the paper's Fig. 6).
    """
    n, k_max = options.test_problems, options.compose_max
    # every operand is drawn as a training input is (U(-1, 1)), not as an answer a + b
    vs = task.operands(n * (k_max + 1), generator).view(k_max + 1, n, -1)  # (K+1, n, D)
    sq_err = torch.zeros(k_max, device=vs.device)
    example = {}
    steps = options.test_steps if method.iterative else 1
    for chunk in range(0, n, options.eval_batch):
        v = vs[:, chunk : chunk + options.eval_batch]
        estimate, truth = v[0], v[0]
        for k in range(1, k_max + 1):
            truth = truth + v[k]
            problem = task.problem(estimate, v[k])  # the model's own last answer plus the next operand
            estimate = method.predict(problem, steps, generator, options).at_halt()
            sq_err[k - 1] += ((estimate - truth) ** 2).mean(-1).sum()
            if chunk == 0 and k == 3:
                corner = [t[0].view(20, 20)[:3, :3] for t in (v[0], v[1], v[2], v[3], estimate, truth)]
                example = {
                    "inputs": [_round(c.flatten(), 4) for c in corner[:4]],
                    "prediction": _round(corner[4].flatten(), 4),
                    "truth": _round(corner[5].flatten(), 4),
                }
    return _round(sq_err / n), example


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
        "input": _round(problem.x.edge_attr.flatten(), 4),
        "truth": _round(problem.y.flatten(), 4),
        "prediction": _round(prediction.flatten(), 4),
    }


def _uint8(image: Tensor) -> list[list[int]]:
    """An image in [0, 1] as 8-bit rows, for a compact run record."""
    return (image.clamp(0, 1) * 255).round().to(torch.uint8).tolist()


def denoising(
    method: Method, task: Denoising, options: EvalConfig, device: torch.device, seed: int, crop: int = 96
) -> tuple[dict, dict]:
    """PSNR on every test image at each test noise level, after every reasoning step.

    Each (image, sigma) pair has its own fixed noise seed. Returns ``(metrics, curves)``:
    per sigma the mean PSNR of the answer (at halting for IREM), at ``DENOISING_STEPS`` and of
    the noisy input, for an energy also after as many steps started from the clean image
    (``psnr_from_clean``: below the clean image's infinite PSNR when its minimum is elsewhere), and the
    PSNR-by-step curve; and, at the largest sigma, a ``crop``-pixel
    centre of the first test image: noisy, the answers, clean (8-bit, for Fig. 8).
    """
    steps = options.test_steps if method.iterative else 1
    from_clean = isinstance(method, IREM)  # an energy: also descend from the clean image
    metrics, curves = {}, {"psnr_by_step": {}}
    for sigma in TEST_SIGMAS:
        by_step, at_halt, sq_err, noisy, halt_steps, clean_end = [], [], [], [], [], []
        for i in range(len(task.test_images)):
            gen = torch.Generator(device=device).manual_seed(seed + 1000 * sigma + i)
            batch = task.test_batch(i, sigma, gen)
            traj = method.predict(batch, steps, gen, options)
            by_step.append(psnr(traj.ys[:, 0], batch.y.expand_as(traj.ys[:, 0])))  # (S+1,)
            answer = traj.at_halt()
            at_halt.append(psnr(answer, batch.y).item())
            sq_err.append(((answer.clamp(0, 1) - batch.y) ** 2).mean().item())
            noisy.append(psnr(batch.x, batch.y).item())
            halt_steps.append(traj.halt_step.float().item())
            if from_clean:  # where the energy's minimum lies: a descent from the answer stays there if it is one
                end = method.predict_from(batch, batch.y.clone(), steps, gen, options).ys[-1]
                clean_end.append(psnr(end, batch.y).item())
            if i == 0 and sigma == max(TEST_SIGMAS):
                h, w = batch.y.shape[-2:]
                rows, cols = slice(max(0, (h - crop) // 2), None), slice(max(0, (w - crop) // 2), None)

                def window(image: Tensor, rows=rows, cols=cols) -> list[list[int]]:
                    return _uint8(image[0, 0, rows, cols][:crop, :crop])

                answers = {str(s): window(traj.ys[s]) for s in DENOISING_STEPS if s <= steps}
                if not method.iterative:
                    answers = {"answer": window(answer)}
                curves["example"] = {"sigma": sigma, "noisy": window(batch.x), "answers": answers,
                                     "clean": window(batch.y)}  # fmt: skip
        curve = torch.stack(by_step).mean(0)  # mean over test images
        n = len(at_halt)
        metrics[str(sigma)] = {
            "psnr": sum(at_halt) / n,
            "mse": sum(sq_err) / n,
            "psnr_noisy": sum(noisy) / n,
            "psnr_by_steps": {str(s): curve[s].item() for s in DENOISING_STEPS if s <= steps},
            "mean_halt_step": sum(halt_steps) / n,
        }
        if from_clean:
            metrics[str(sigma)]["psnr_from_clean"] = sum(clean_end) / n
        curves["psnr_by_step"][str(sigma)] = _round(curve)
    return metrics, curves


def step_size_sweep(method: Method, task: Task, options: EvalConfig, step_sizes: tuple[float, ...], seed: int) -> dict:
    """Test-time reasoning with other step sizes than the training one.

    For each lambda and difficulty: the error at every step, at halting, and the mean halting
    step, on the same test problems for every lambda.
    """
    out: dict = {}
    for lam in step_sizes:
        for i, difficulty in enumerate(DIFFICULTIES):
            gen = torch.Generator(device=next(method.parameters()).device).manual_seed(seed + i)
            metrics, curves = evaluate_split(method, task, difficulty, replace(options, test_step_size=lam), gen)
            out.setdefault(str(lam), {})[difficulty] = {
                "mse": metrics["mse"],
                "mean_halt_step": metrics["mean_halt_step"],
                "mse_by_step": curves["mse_by_step"],
            }
    return out


def _stacked(trajectories: list[Trajectory]) -> tuple[Tensor, Tensor]:
    """The answers (S+1, P, ...) and energies (S+1, P) of chunks of problems, joined along problems."""
    return torch.cat([t.ys for t in trajectories], 1), torch.cat([t.energies for t in trajectories], 1)


def difficulty(
    method: IREM,
    levels: Sequence[float],
    problems: Callable[[float], Batch],
    options: EvalConfig,
    generator: torch.Generator,
    step_sizes: tuple[float, ...],
    halt_tols: tuple[float, ...],
    steps: int,
    at_steps: tuple[int, ...],
) -> dict:
    """What IREM's descent does as problems get harder: ``problems(level)`` for each of ``levels``.

    A level is how hard its problems are: an operand range s (addition, a, b ~ U(-s, s)) or a
    number of nodes (graphs); ``problems`` is called in the order of ``levels``. Per level: for
    each test-time step size of ``step_sizes``, the MSE after each step of ``at_steps`` (up to
    ``steps``) and, for each relative halting tolerance of ``halt_tols``, the mean halting step
    and the MSE there. With the training step size also two checks of the energy itself: how
    often the true answer has lower energy than where the descent from noise ends (then the
    descent, not the energy, is at fault), and the MSE of a descent that starts at the true
    answer (if it drifts away, the energy's minimum is not at the answer). Results are keyed by
    ``str(level)`` under ``"scales"``.
    """
    at = [s for s in at_steps if s <= steps]
    out: dict = {"steps": at, "scales": {}}
    for level in levels:  # each level is a resumable stage (irem.eval_stages)
        level_entry = partial(_difficulty_level, method, level, problems, options, generator, step_sizes, halt_tols,
                              steps, at)  # fmt: skip
        out["scales"][str(level)] = eval_stages.stage(f"level {level}", level_entry, generator)
    return out


def _difficulty_level(method: IREM, level: float, problems: Callable[[float], Batch], options: EvalConfig,
                      generator: torch.Generator, step_sizes: tuple[float, ...], halt_tols: tuple[float, ...],
                      steps: int, at: list[int]) -> dict:  # fmt: skip
    """One level of :func:`difficulty`."""
    test = problems(level)
    entry: dict = {"label_variance": test.y.var(0, unbiased=False).mean().item(), "step_size": {}}
    for lam in step_sizes:
        opts = replace(options, test_step_size=lam)
        ys, energies = _stacked([method.predict(c, steps, generator, opts) for c in test.split(options.eval_batch)])
        sq_err = ((ys - test.y) ** 2).flatten(2).mean(-1)  # (S+1, rows): per problem, or per edge of a graph
        halting = {}
        for tol in halt_tols:
            stop = test.to_rows(minimize.halting_steps(energies, tol, options.halt_patience))  # each row's
            halting[str(tol)] = {"mean_halt_step": stop.float().mean().item(),
                                 "mse": sq_err.gather(0, stop[None]).mean().item()}  # fmt: skip
        entry["step_size"][str(lam)] = {"mse_by_step": _round(sq_err.mean(1)[at]), "halting": halting}
        if lam == method.config.step_size:
            from_answer = [method.predict_from(c, c.y.clone(), steps, generator, opts)
                           for c in test.split(options.eval_batch)]  # fmt: skip
            ys_a, energies_a = _stacked(from_answer)
            entry["answer_lower"] = (energies_a[0] < energies[-1]).float().mean().item()
            entry["mse_from_answer"] = _round(((ys_a - test.y) ** 2).flatten(2).mean(-1).mean(1)[at])
    return entry


def scratchpad_trajectory(method: Method, problem: Batch, options: EvalConfig, generator: torch.Generator) -> dict:
    """How one problem's answer and scratchpad evolve over the reasoning steps (App. B).

    Returns the answer's MSE and the energy at every step and, with a scratchpad, its first
    (up to 8) entries at every step.
    """
    traj = method.predict(problem, options.test_steps, generator, options)
    out = {
        "y_mse": _round(((traj.ys - problem.y) ** 2).flatten(1).mean(-1)),
        "energy": _round(traj.energies[:, 0]),
    }
    if traj.zs is not None:
        out["z"] = [_round(z[0, :8], 4) for z in traj.zs]
    return out


@torch.no_grad()
def restarts(method: Method, test: Batch, options: EvalConfig, generator: torch.Generator, counts: tuple[int, ...],
             label: str = "restarts") -> dict[str, list[float]]:  # fmt: skip
    """Error against reasoning steps when each problem starts from k random answers and keeps one.

    Test-time compute beyond more steps (as the energy-diffusion follow-up, IRED, selects among
    samples): run ``max(counts)`` descents from independent U(-1, 1) starts; after every step,
    each problem answers with the descent whose energy is lowest there. Returns the MSE after
    every step for each k of ``counts`` (the first k descents). Each descent is a resumable
    stage (:mod:`irem.eval_stages`) named after ``label``.
    """
    if not counts:
        raise ValueError("counts: give at least one number of restarts, e.g. (1, 4, 16)")
    for k in counts:
        check_positive("restarts", k, integer=True)
    descent = partial(_descent, method, test.split(options.eval_batch), options, generator)
    descents = [eval_stages.stage(f"{label}: descent {i}", descent, generator) for i in range(max(counts))]
    energies = torch.stack([e for e, _ in descents])  # (K, S+1, P)
    sq_err = torch.stack([err for _, err in descents])  # (K, S+1, P): each problem's summed squared error
    out = {}
    for k in counts:
        best = energies[:k].argmin(0, keepdim=True)  # (1, S+1, P): the lowest-energy descent, per step and problem
        out[str(k)] = _round(sq_err[:k].gather(0, best).squeeze(0).sum(-1) / test.y.numel())
    return out


def _descent(method: Method, chunks: list[Batch], options: EvalConfig, generator: torch.Generator
             ) -> tuple[Tensor, Tensor]:  # fmt: skip
    """One descent of every problem from a random start: its energy and its summed squared error, (S+1, P) each.

    Kept per problem, not per answer element, so that many descents fit in memory (and on disk).
    """
    energies, sq_err = [], []
    for chunk in chunks:
        traj = method.predict(chunk, options.test_steps, generator, options)
        per_row = ((traj.ys - chunk.y) ** 2).flatten(2).sum(-1)  # (S+1, rows)
        rows = chunk.row_problem  # a property that indexes every edge: read it once
        if rows is not None:  # a graph's rows are its edges: sum them per graph
            per_row = per_row.new_zeros(len(per_row), len(chunk)).index_add_(1, rows, per_row)
        energies.append(traj.energies.cpu())
        sq_err.append(per_row.cpu())
    return torch.cat(energies, 1), torch.cat(sq_err, 1)
