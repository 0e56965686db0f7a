"""Image denoising (App. A): Table 5 and Fig. 8, IREM against a DnCNN-style feedforward network.

The splits are the test noise levels (45 and 55 seen in training, 65 and 75 unseen); the
paper's Table 5 is on BSD68, a different data set, so it is shown apart (``paper.TABLE5``).
"""

from __future__ import annotations

import torch

from irem import evaluate
from irem.experiments.experiment import TEST_SEED, Experiment, register
from irem.methods import Method
from irem.store import RunSpec
from irem.tasks import Denoising

# conv nets of width 64 (quick: 32), energy summed over pixels, so a step size of order 1;
# test-time reasoning up to 100 steps
PAPER = dict(batch_size=64, hidden=64, step_size=1.0, test_steps=100, landscape_problems=0)
QUICK = {**PAPER, "iterations": 400, "batch_size": 16, "hidden": 32, "lr": 1e-3, "replay_capacity": 2000,
         "log_every": 20}  # fmt: skip
SMOKE = dict(iterations=10, batch_size=4, hidden=8, step_size=1.0, replay_capacity=64, log_every=5, test_steps=6,
             landscape_problems=0)  # fmt: skip


def evaluate_denoising(method: Method, task: Denoising, spec: RunSpec, device: torch.device) -> tuple[dict, dict]:
    """PSNR on every test image at every noise level, after every reasoning step."""
    return evaluate.denoising(method, task, spec.eval, device, TEST_SEED)


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
