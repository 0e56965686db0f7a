"""The image-denoising task and its networks: image loading, noise, PSNR, the conv energies and DnCNN.

The denoising chapter's evaluation and analysis are tested in ``tests/experiments/test_denoising.py``.
"""

import numpy as np
import pytest
import torch
from conftest import gen
from skimage.io import imsave
from skimage.metrics import peak_signal_noise_ratio

from irem.config import TrainConfig, stored
from irem.methods import make_method
from irem.tasks import make_task
from irem.tasks.images import SKIMAGE_TEST, SKIMAGE_TRAIN, TRAIN_SIGMAS, psnr
from irem.train import train


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        imsave(tmp_path / f"im{i}.png", (rng.random((40, 48)) * 255).astype(np.uint8), check_contrast=False)
    return tmp_path


def test_default_images_split_by_whole_image():
    assert not set(SKIMAGE_TRAIN) & set(SKIMAGE_TEST)
    task = make_task("denoising", patch=16, test_crop=32)
    assert len(task.train_images) == len(SKIMAGE_TRAIN) and len(task.test_images) == len(SKIMAGE_TEST)
    assert all(t.shape == (32, 32) for t in task.test_images)
    assert all(0 <= float(t.min()) and float(t.max()) <= 1 for t in task.train_images)


def test_image_dir_holds_out_every_fourth_image(image_dir):
    task = make_task("denoising", image_dir=str(image_dir), patch=16)
    assert len(task.test_images) == 1 and len(task.train_images) == 4
    assert task.test_images[0].shape == (40, 48)  # whole image when test_crop is 0


def test_training_patches_carry_training_noise():
    task = make_task("denoising", patch=24)
    b = task.sample(64, "train", gen(0))
    assert b.x.shape == b.y.shape == (64, 1, 24, 24)
    assert set(b.sigma.tolist()) == set(TRAIN_SIGMAS)
    for s in TRAIN_SIGMAS:
        noise = (b.x - b.y)[b.sigma == s]
        assert noise.std().item() == pytest.approx(s / 255, rel=0.05)
    again = task.sample(64, "train", gen(0))
    assert torch.equal(again.x, b.x)  # same seed, same patches and noise


def test_psnr_matches_skimage():
    clean = torch.rand(1, 1, 20, 20, generator=gen(1))
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=gen(2))
    ours = psnr(noisy, clean).item()
    ref = peak_signal_noise_ratio(clean[0, 0].numpy(), noisy.clamp(0, 1)[0, 0].numpy(), data_range=1.0)
    assert ours == pytest.approx(ref, rel=1e-4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_dir": "/nonexistent/folder"}, "image_dir"),
        ({"patch": 0}, "patch"),
        ({"test_crop": -1}, "test_crop"),
    ],
)
def test_bad_options_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_task("denoising", **kwargs)


def test_empty_folder_and_undecodable_image_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="holds no image"):
        make_task("denoising", image_dir=str(tmp_path))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot decode"):
        make_task("denoising", image_dir=str(tmp_path))


def test_sigma_must_be_positive():
    task = make_task("denoising", patch=16, test_crop=16)
    with pytest.raises(ValueError, match="sigma"):
        task.test_batch(0, 0, gen())


@pytest.mark.parametrize("name", ["irem", "feedforward"])
def test_denoisers_reduce_their_loss(name):
    task = make_task("denoising", patch=16)
    torch.manual_seed(0)
    config = TrainConfig(iterations=40, batch_size=8, hidden=8, lr=1e-3, step_size=1.0, replay_capacity=64,
                         log_every=10)  # fmt: skip
    method = make_method(name, task, config)
    log = train(method, task, config, gen(0), progress=False)
    assert log.train_loss[-1][1] < 0.8 * log.train_loss[0][1]


def test_baselines_without_an_image_network_are_refused():
    with pytest.raises(ValueError, match="denoising"):
        make_method("recurrent", make_task("denoising", patch=16), TrainConfig(hidden=8))


def test_the_prior_energy_reads_the_candidate_alone():
    task = make_task("denoising", patch=16)
    torch.manual_seed(0)
    prior = make_method("irem", task, TrainConfig(hidden=8, image_energy="prior")).energy
    pair = make_method("irem", task, TrainConfig(hidden=8)).energy
    assert prior.net[0].in_channels == 1 and pair.net[0].in_channels == 2
    x, y = torch.rand(2, 1, 12, 12), torch.rand(2, 1, 12, 12)
    assert torch.equal(prior(x, y), prior(torch.zeros_like(x), y))  # the noisy image only starts the descent
    assert not torch.equal(pair(x, y), pair(torch.zeros_like(x), y))
    with pytest.raises(ValueError, match="image_energy.*'pair', 'prior'"):
        TrainConfig(image_energy="joint")
    # records made before the option existed keep their names; the prior's name differs
    assert "image_energy" not in stored(TrainConfig()) and stored(TrainConfig(image_energy="prior"))["image_energy"]
