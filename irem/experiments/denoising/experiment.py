"""Image denoising (App. A): Table 5 and Fig. 8, IREM against a DnCNN-style feedforward network.

The splits are the test noise levels (45 and 55 seen in training, 65 and 75 unseen); the
paper's Table 5 is on BSD68, a different data set, so it is shown apart (``paper.TABLE5``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from irem.config import EvalConfig
from irem.evaluate import rounded
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.methods import IREM, Method
from irem.store import RunSpec
from irem.tasks import Denoising
from irem.tasks.images import TEST_SIGMAS, psnr

# conv nets of width 64 (quick: 32), energy summed over pixels, so a step size of order 1;
# test-time reasoning up to 100 steps
PAPER = dict(batch_size=64, hidden=64, step_size=1.0, test_steps=100, landscape_problems=0)
QUICK = {**PAPER, "iterations": 400, "batch_size": 16, "hidden": 32, "lr": 1e-3, "replay_capacity": 2000,
         "log_every": 20}  # fmt: skip
SMOKE = dict(iterations=10, batch_size=4, hidden=8, step_size=1.0, replay_capacity=64, log_every=5, test_steps=6,
             landscape_problems=0)  # fmt: skip

DENOISING_STEPS = (5, 30, 100)  # steps at which denoising PSNR is reported (App. A)
# the record curves: per sigma the mean PSNR after every step, and Fig. 8's crop of one test image
PSNR_BY_STEP = "psnr_by_step"
EXAMPLE = "example"


def _uint8(image: Tensor) -> list[list[int]]:
    """An image in [0, 1] as 8-bit rows, for a compact run record."""
    return (image.clamp(0, 1) * 255).round().to(torch.uint8).tolist()


def _example(batch, traj, answer: Tensor, iterative: bool, steps: int, sigma: int, crop: int) -> dict:
    """A ``crop``-pixel centre of one test image: noisy, the answers after ``DENOISING_STEPS``, clean (8-bit)."""
    h, w = batch.y.shape[-2:]
    rows, cols = slice(max(0, (h - crop) // 2), None), slice(max(0, (w - crop) // 2), None)

    def window(image: Tensor) -> list[list[int]]:
        return _uint8(image[0, 0, rows, cols][:crop, :crop])

    answers = {str(s): window(traj.ys[s]) for s in DENOISING_STEPS if s <= steps}
    if not iterative:
        answers = {"answer": window(answer)}
    return {"sigma": sigma, "noisy": window(batch.x), "answers": answers, "clean": window(batch.y)}


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
    metrics, curves = {}, {PSNR_BY_STEP: {}}
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
                curves[EXAMPLE] = _example(batch, traj, answer, method.iterative, steps, sigma, crop)
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
        curves[PSNR_BY_STEP][str(sigma)] = rounded(curve)
    return metrics, curves


def evaluate_denoising(method: Method, task: Denoising, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """PSNR on every test image at every noise level, after every reasoning step."""
    return denoising(method, task, spec.eval, device, TEST_SEED)


DENOISING = register(Experiment(
    name="denoising",
    title="Image denoising (App. A, Table 5, Fig. 8)",
    tasks=("denoising",),
    methods=("irem", "feedforward"),  # the baselines without an image network are left out
    evaluate=evaluate_denoising,
    profiles={"smoke": SMOKE, "quick": QUICK, "paper": PAPER},
    # patch size and test crop (0: whole test images)
    task_options={"smoke": {"patch": 16, "test_crop": 24}, "quick": {"patch": 32, "test_crop": 128},
                  "paper": {"patch": 40, "test_crop": 0}},  # fmt: skip
    seeds=3,
    version=2,  # 2: IREM also descends from the clean image (where its energy's minimum lies)
))  # fmt: skip
