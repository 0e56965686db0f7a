"""Image denoising (paper Appendix A): grayscale natural images with Gaussian noise.

The paper uses the BSD benchmark of Chen et al. (2020), which cannot be downloaded here. By
default the images come from scikit-image's ``skimage.data``, which ships them inside the
package (no download); ``image_dir`` reads any folder of PNG/JPEG images instead (for example
BSD400 for training and BSD68 for testing, as two runs). Images are split into training and
test sets by whole image, so no test pixel is ever trained on.

Training draws random square patches of the training images with noise of standard deviation
sigma in {45, 55} (of 255); testing uses the test images (centre-cropped to ``test_crop``
pixels when it is set, to bound CPU time) at sigma in {45, 55, 65, 75}, with fixed noise seeds.
Pixel values are in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from irem.config import TrainConfig
from irem.models.conv import DnCNN, EnergyConv
from irem.tasks.base import pick_network
from irem.validate import check_choice, check_non_negative, check_positive

TRAIN_SIGMAS = (45, 55)  # noise levels seen in training (of 255)
TEST_SIGMAS = (45, 55, 65, 75)  # 65 and 75 are unseen
# natural images that skimage.data ships in its package directory (no download)
SKIMAGE_TRAIN = (
    "astronaut", "brick", "coffee", "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "retina",
    "rocket", "clock", "cell",
)  # fmt: skip
SKIMAGE_TEST = ("camera", "chelsea", "coins", "moon")
CONV_LAYERS = 6  # depth of the denoising networks (our choice; width is config.hidden)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _gray(image: np.ndarray, name: str) -> np.ndarray:
    """A float32 grayscale image in [0, 1]."""
    from skimage.color import rgb2gray
    from skimage.util import img_as_float32

    if image.ndim == 3:
        image = rgb2gray(image[..., :3])
    if image.ndim != 2:
        raise ValueError(f"image {name}: expected a grayscale or RGB image, got shape {image.shape}")
    return img_as_float32(image)


def skimage_images(names: tuple[str, ...]) -> list[np.ndarray]:
    """The named ``skimage.data`` images, grayscale."""
    import skimage.data

    return [_gray(getattr(skimage.data, n)(), n) for n in names]


def folder_images(image_dir: str | Path) -> list[np.ndarray]:
    """Every PNG/JPEG/BMP/TIFF image in ``image_dir`` (sorted by name), grayscale.

    Raises:
        ValueError: when the folder is missing, holds no image, or an image cannot be decoded.
    """
    from skimage.io import imread

    folder = Path(image_dir)
    if not folder.is_dir():
        raise ValueError(f"image_dir={str(image_dir)!r} is not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"image_dir={str(image_dir)!r} holds no image ({', '.join(IMAGE_SUFFIXES)})")
    images = []
    for f in files:
        try:
            images.append(_gray(imread(f), f.name))
        except ValueError:
            raise
        except Exception as e:  # imageio / PIL raise many types for a corrupt file
            raise ValueError(f"image_dir: cannot decode {f}: {e}") from e
    return images


@dataclass(frozen=True)
class ImageBatch:
    """Noisy images ``x`` and clean images ``y``, both (B, 1, H, W); ``sigma`` (B,) of 255."""

    x: Tensor
    y: Tensor
    sigma: Tensor

    starts_from_input = True  # reasoning starts from the noisy image, not from random noise
    row_problem = None

    def __len__(self) -> int:
        return self.x.shape[0]

    def to_rows(self, per_problem: Tensor) -> Tensor:
        return per_problem

    def problem_mean(self, per_row: Tensor) -> Tensor:
        return per_row.flatten(1).mean(-1)

    def split(self, size: int) -> list[ImageBatch]:
        return [ImageBatch(x, y, s) for x, y, s in zip(self.x.split(size), self.y.split(size), self.sigma.split(size))]

    def replay_fields(self, y_hat: Tensor) -> dict[str, Tensor]:
        return {"x": self.x, "y": self.y, "sigma": self.sigma, "y_hat": y_hat}

    @staticmethod
    def from_replay_fields(fields: dict[str, Tensor]) -> tuple[ImageBatch, Tensor]:
        return ImageBatch(fields["x"], fields["y"], fields["sigma"]), fields["y_hat"]


def add_noise(clean: Tensor, sigma: Tensor, generator: torch.Generator) -> Tensor:
    """``clean`` plus Gaussian noise of standard deviation ``sigma / 255`` per image."""
    noise = torch.randn(clean.shape, generator=generator, device=clean.device)
    return clean + noise * (sigma.float() / 255).view(-1, 1, 1, 1)


class Denoising:
    """Gaussian denoising of grayscale natural images.

    Args:
        image_dir: a folder of images to use instead of ``skimage.data``; its images are split
            by name order, every ``test_every``-th image going to the test set.
        patch: side of the square training patches.
        test_crop: centre-crop test images to this side (0: whole images).
        test_every: with ``image_dir``, which images are held out for testing.
    """

    name = "denoising"
    label = "Denoising"
    train_split = "train"
    test_splits = tuple(str(s) for s in TEST_SIGMAS)  # PSNR at each noise level

    def network(self, method: str, config: TrainConfig) -> nn.Module:
        """Conv nets: the IREM energy, and a DnCNN for the feedforward baseline (the only two with one)."""
        h = config.hidden
        return pick_network(self.name, method, {
            "irem": lambda: EnergyConv(h, CONV_LAYERS, sees_noisy=config.image_energy == "pair"),
            "feedforward": lambda: DnCNN(h, CONV_LAYERS),
        })  # fmt: skip

    def __init__(self, image_dir: str | None = None, patch: int = 40, test_crop: int = 0, test_every: int = 4) -> None:
        self.patch = int(check_positive("patch", patch, integer=True))
        self.test_crop = int(check_non_negative("test_crop", test_crop, integer=True))
        check_positive("test_every", test_every, integer=True)
        if image_dir is None:
            train, test = skimage_images(SKIMAGE_TRAIN), skimage_images(SKIMAGE_TEST)
        else:
            images = folder_images(image_dir)
            if len(images) < 2:
                raise ValueError(f"image_dir={image_dir!r}: need at least 2 images (one to train, one to test)")
            held_out = set(range(test_every - 1, len(images), test_every)) or {len(images) - 1}
            test = [im for i, im in enumerate(images) if i in held_out]
            train = [im for i, im in enumerate(images) if i not in held_out]
        small = [im.shape for im in train if min(im.shape) < self.patch]
        if small:
            raise ValueError(f"patch={patch}: larger than training image(s) of shape {small}")
        self.train_images = [torch.from_numpy(im) for im in train]
        self.test_images = [torch.from_numpy(self._crop(im)) for im in test]

    def _crop(self, image: np.ndarray) -> np.ndarray:
        if not self.test_crop:
            return image
        h, w = image.shape
        s = min(self.test_crop, h, w)
        top, left = (h - s) // 2, (w - s) // 2
        return image[top : top + s, left : left + s]

    def sample(self, batch_size: int, difficulty: str, generator: torch.Generator) -> ImageBatch:
        """``batch_size`` random noisy training patches (``difficulty="train"``)."""
        check_positive("batch_size", batch_size, integer=True)
        check_choice("difficulty", difficulty, ("train",))
        dev = generator.device
        # which image and where, drawn on the CPU (the images live there), then moved
        cpu = torch.Generator().manual_seed(int(torch.randint(2**62, (1,), generator=generator, device=dev)))
        which = torch.randint(len(self.train_images), (batch_size,), generator=cpu)
        patches = []
        for i in which.tolist():
            im = self.train_images[i]
            top = int(torch.randint(im.shape[0] - self.patch + 1, (1,), generator=cpu))
            left = int(torch.randint(im.shape[1] - self.patch + 1, (1,), generator=cpu))
            patches.append(im[top : top + self.patch, left : left + self.patch])
        clean = torch.stack(patches).unsqueeze(1).to(dev)
        sigmas = torch.tensor(TRAIN_SIGMAS, device=dev)
        sigma = sigmas[torch.randint(len(sigmas), (batch_size,), generator=generator, device=dev)]
        return ImageBatch(add_noise(clean, sigma, generator), clean, sigma)

    def test_batch(self, index: int, sigma: int, generator: torch.Generator) -> ImageBatch:
        """Test image ``index`` with noise ``sigma`` (of 255), as a batch of one."""
        if sigma <= 0:
            raise ValueError(f"sigma must be > 0 (of 255), got {sigma!r}")
        clean = self.test_images[index].to(generator.device)[None, None]
        s = torch.tensor([sigma], device=generator.device)
        return ImageBatch(add_noise(clean, s, generator), clean, s)


def psnr(estimate: Tensor, clean: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB per image, the estimate clipped to [0, 1]."""
    mse = ((estimate.clamp(0, 1) - clean) ** 2).flatten(1).mean(-1)
    return 10 * torch.log10(1 / mse)
