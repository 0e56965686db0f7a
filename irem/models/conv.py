"""Convolutional networks for image denoising (paper Appendix A).

The IREM energy reads the noisy image and the candidate clean image as two channels and sums
a per-pixel score over the image, so its gradient in the candidate (one reasoning step) is a
local, image-sized correction that works on any image size. The baseline is DnCNN-style
(Zhang et al., 2017): it predicts the noise and subtracts it.
"""

from __future__ import annotations

from torch import Tensor, cat, nn


def conv_stack(in_ch: int, width: int, layers: int, act: type[nn.Module], norm: bool) -> nn.Sequential:
    """3x3 convolutions in_ch -> width -> ... -> 1 channel (``layers`` in all), padding kept."""
    mods: list[nn.Module] = [nn.Conv2d(in_ch, width, 3, padding=1), act()]
    for _ in range(layers - 2):
        mods += [nn.Conv2d(width, width, 3, padding=1, bias=not norm)]
        mods += [nn.BatchNorm2d(width)] if norm else []
        mods += [act()]
    mods.append(nn.Conv2d(width, 1, 3, padding=1))
    return nn.Sequential(*mods)


class EnergyConv(nn.Module):
    """E_theta(noisy, candidate) -> one scalar per image: a conv net's per-pixel score, summed.

    With ``sees_noisy=False`` the energy is E_theta(candidate), a learned prior over clean images
    (beyond the paper): the noisy image then enters only as the descent's starting point, so the
    number of steps decides how much noise is removed.

    Shapes:
        x: (B, 1, H, W), y: (B, 1, H, W) -> (B,)
    """

    def __init__(self, width: int = 32, layers: int = 6, sees_noisy: bool = True) -> None:
        super().__init__()
        self.sees_noisy = sees_noisy
        # smooth (SiLU): its gradient is the step
        self.net = conv_stack(2 if sees_noisy else 1, width, layers, nn.SiLU, norm=False)

    def forward(self, x: Tensor, y: Tensor, z: Tensor | None = None) -> Tensor:
        if z is not None:
            raise ValueError("scratchpad: the image energy has none; use scratchpad=0 for denoising")
        return self.net(cat([x, y], dim=1) if self.sees_noisy else y).flatten(1).sum(-1)


class DnCNN(nn.Module):
    """DnCNN-style denoiser: the clean image is the input minus the predicted noise.

    Shapes:
        x: (B, 1, H, W) -> (B, 1, H, W)
    """

    def __init__(self, width: int = 32, layers: int = 6) -> None:
        super().__init__()
        self.net = conv_stack(1, width, layers, nn.ReLU, norm=True)

    def forward(self, x: Tensor) -> Tensor:
        return x - self.net(x)
