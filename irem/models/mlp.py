r"""Multi-layer perceptrons for the continuous tasks (paper App. D, Table 10).

The IREM energy is an MLP on the concatenation of the problem and the candidate answer,

.. math::
    E_\theta(x, y) = W_4\, \sigma(W_3\, \sigma(W_2\, \sigma(W_1 [x; y])))

with SiLU (Swish) activations :math:`\sigma` and hidden width 512; with a scratchpad
(App. B) the input is :math:`[x; y; z]`.

The first layer is applied in two parts, :math:`W_1 [x; y] = W_1^x x + W_1^y y` (one weight
matrix, two column blocks): the problem's part does not change while ``y`` descends, so
``EnergyMLP.bind`` computes it once per descent, and a gradient in ``y`` then multiplies by the
``y`` columns only, instead of by all of :math:`W_1` and discarding the ``x`` part. Energies
match the one-matrix form to float rounding (the sum is the same, in another order).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, cat, nn


def mlp(sizes: list[int], activation: type[nn.Module]) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none at the end)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class EnergyMLP(nn.Module):
    """The IREM energy E_theta(x, y[, z]) -> one scalar per problem.

    Args:
        x_dim: size of a problem's input.
        y_dim: size of its answer.
        z_dim: size of the scratchpad (0: none).
        hidden: width of the three hidden layers.

    Shapes:
        x: (B, x_dim), y: (B, y_dim), z: (B, z_dim) -> (B,)
    """

    def __init__(self, x_dim: int, y_dim: int, z_dim: int = 0, hidden: int = 512) -> None:
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        self.net = mlp([x_dim + y_dim + z_dim, hidden, hidden, hidden, 1], nn.SiLU)

    def forward(self, x: Tensor, y: Tensor, z: Tensor | None = None) -> Tensor:
        return self.bind(x)(y, z)

    def bind(self, x: Tensor) -> Callable[[Tensor, Tensor | None], Tensor]:
        """``E(x, .)``: the energy of candidates ``(y, z)`` for the fixed problems ``x`` (B, x_dim).

        The problems' part of the first layer (with its bias) is computed here, once; every call
        adds the candidates' part and runs the rest of the network.
        """
        first, rest = self.net[0], self.net[1:]
        # one split (not two slices): its backward concatenates the blocks' gradients, with no zero fill
        w_x, w_yz = first.weight.split([self.x_dim, first.in_features - self.x_dim], dim=1)
        if torch.is_autocast_enabled(x.device.type):  # cast once per descent (autocast caches leaves only)
            w_yz = w_yz.to(torch.get_autocast_dtype(x.device.type))
        hx = torch.nn.functional.linear(x, w_x, first.bias)  # (B, hidden)

        def energy(y: Tensor, z: Tensor | None = None) -> Tensor:
            yz = y if z is None else cat([y, z], dim=-1)
            h = torch.addmm(hx, yz, w_yz.t()) if yz.dim() == 2 else hx + torch.nn.functional.linear(yz, w_yz)
            return rest(h).squeeze(-1)

        return energy


class FeedforwardMLP(nn.Module):
    """The feedforward baseline's network: the same MLP with ReLU, mapping x to y.

    Shapes:
        x: (B, in_dim) -> (B, out_dim)
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 512) -> None:
        super().__init__()
        self.net = mlp([in_dim, hidden, hidden, hidden, out_dim], nn.ReLU)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class StepMLP(FeedforwardMLP):
    """The iterative feedforward baseline's step f(x, y): the feedforward MLP on [x; y].

    Shapes:
        x: (B, x_dim), y: (B, y_dim) -> (B, y_dim)
    """

    def __init__(self, x_dim: int, y_dim: int, hidden: int = 512) -> None:
        super().__init__(x_dim + y_dim, y_dim, hidden)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:  # type: ignore[override]
        return self.net(cat([x, y], dim=-1))


class RecurrentNet(nn.Module):
    """The recurrent baseline's network (App. D): Linear 196 -> LSTM 196 -> Linear.

    The problem is embedded once and fed to the LSTM at every step; the answer is read
    from the hidden state after each step.

    Shapes:
        x: (B, in_dim) -> steps x (B, out_dim)
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 196) -> None:
        super().__init__()
        self.embed = nn.Linear(in_dim, hidden)
        self.cell = nn.LSTMCell(hidden, hidden)
        self.readout = nn.Linear(hidden, out_dim)

    def forward(self, x: Tensor, steps: int) -> list[Tensor]:
        inp = self.embed(x).relu()
        state = None
        outputs = []
        for _ in range(steps):
            state = self.cell(inp, state)
            outputs.append(self.readout(state[0]))
        return outputs


class PonderStep(nn.Module):
    """One step of the programmatic (PonderNet) baseline: [y; x] -> (new y, halting logit).

    Shapes:
        x: (B, x_dim), y: (B, y_dim) -> (B, y_dim), (B,)
    """

    def __init__(self, x_dim: int, y_dim: int, hidden: int = 512) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(x_dim + y_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.answer = nn.Linear(hidden, y_dim)
        self.halt = nn.Linear(hidden, 1)

    def forward(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(cat([y, x], dim=-1))
        return self.answer(h), self.halt(h).squeeze(-1)


def sinusoidal(k: Tensor, dim: int) -> Tensor:
    """The transformer's sinusoidal embedding (B, dim) of integer positions ``k`` (B,).

    IRED's release embeds its landscape index so.
    """
    half = dim // 2
    freq = torch.exp(-math.log(10_000) * torch.arange(half, device=k.device, dtype=torch.float32) / (half - 1))
    angle = k.float().unsqueeze(-1) * freq
    return cat([angle.sin(), angle.cos()], dim=-1)


class LandscapeEnergyMLP(nn.Module):
    r"""IRED's energy on continuous answers, one landscape per noise level: :math:`E_\theta(x, y, k) \ge 0`.

    As the authors' release: an MLP on :math:`[x; y]` whose second and third layers are modulated by
    the landscape k (FiLM: :math:`h \leftarrow \sigma(W h \cdot (1 + g_k) + b_k)`, with :math:`g_k, b_k`
    from a sinusoidal embedding of k), and an energy that is the squared norm of a ``y_dim``-wide
    output, :math:`E = \lVert f_\theta(x, y, k) \rVert^2`; its gradient in y is IRED's noise prediction.

    Shapes:
        x: (B, x_dim), y: (B, y_dim), k: (B,) integer landscapes -> (B,)
    """

    EMBED = 128  # the release's width of the landscape embedding

    def __init__(self, x_dim: int, y_dim: int, hidden: int = 512) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(self.EMBED, self.EMBED), nn.GELU(), nn.Linear(self.EMBED, self.EMBED))
        self.fc1, self.fc2, self.fc3 = (
            nn.Linear(x_dim + y_dim, hidden),
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, hidden),
        )
        self.film2, self.film3 = nn.Linear(self.EMBED, 2 * hidden), nn.Linear(self.EMBED, 2 * hidden)
        self.out = nn.Linear(hidden, y_dim)

    def forward(self, x: Tensor, y: Tensor, k: Tensor) -> Tensor:
        e = self.embed(sinusoidal(k, self.EMBED))
        h = nn.functional.silu(self.fc1(cat([x, y], dim=-1)))
        for fc, film in ((self.fc2, self.film2), (self.fc3, self.film3)):
            gain, bias = film(e).chunk(2, dim=-1)
            h = nn.functional.silu(fc(h) * (1 + gain) + bias)
        return self.out(h).pow(2).sum(-1)
