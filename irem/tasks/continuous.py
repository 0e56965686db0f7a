"""Continuous algorithmic reasoning tasks (paper Section 4.3, App. C).

Every problem is a vector of 400 numbers (a 20x20 matrix) to compute from an input ``x``:

* ``addition``: x = [a, b], y = a + b, with a, b ~ U(-1, 1)^400 (harder: U(-2.5, 2.5)).
* ``matrix_completion``: M = U V^T + 0.1 N(0, 1) with U, V of shape 20x10 and entries of
  std 1/sqrt(20) (harder: 1/sqrt(5)); x = M with about half its entries zeroed (the mask is
  not given); y = M.
* ``matrix_inverse``: y = M^-1 for a symmetric M. ``variant="code"`` (default, the authors'
  release): A = R R^T, M = A + A^T + 0.5 I with R ~ U(-1, 1)^{20x20}; ``variant="paper"``
  (the paper's text): M = R + R^T + 0.5 I. Harder: 0.1 I instead of 0.5 I.

Problems are drawn in torch on the requested device from a ``torch.Generator``, so a seed
fixes the data and no host round-trip sits on the training path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from irem.config import TrainConfig
from irem.models.mlp import EnergyMLP, FeedforwardMLP, LandscapeEnergyMLP, PonderStep, RecurrentNet, StepMLP
from irem.tasks.base import pick_network
from irem.validate import check_choice, check_positive

DIFFICULTIES = ("same", "harder")
HARDER_SCALE = 2.5  # addition: the harder split's operands are U(-2.5, 2.5), the training ones U(-1, 1)
SIDE = 20  # problems are SIDE x SIDE matrices
RANK = 10  # rank of the low-rank factor in matrix completion


@dataclass(frozen=True)
class Batch:
    """A batch of problems: inputs ``x`` (B, x_dim) and solutions ``y`` (B, y_dim)."""

    x: Tensor
    y: Tensor

    starts_from_input = False  # reasoning starts from U(-1, 1) noise

    def __len__(self) -> int:
        return self.x.shape[0]

    def split(self, size: int) -> list[Batch]:
        """Chunks of at most ``size`` problems (for evaluating in memory-bounded pieces)."""
        return [Batch(x, y) for x, y in zip(self.x.split(size), self.y.split(size))]

    # The methods reason over rows of ``y``; here row i is problem i (graphs: one row per edge).
    row_problem = None

    def to_rows(self, per_problem: Tensor) -> Tensor:
        """Per-problem values (B, ...) as per-row values."""
        return per_problem

    def problem_mean(self, per_row: Tensor) -> Tensor:
        """The mean of per-row values (B, ...) over each problem's elements: (B,)."""
        return per_row.flatten(1).mean(-1)

    def replay_fields(self, y_hat: Tensor) -> dict[str, Tensor]:
        """The batch and candidate answers as tensors with one row per problem, for the replay buffer."""
        return {"x": self.x, "y": self.y, "y_hat": y_hat}

    @staticmethod
    def from_replay_fields(fields: dict[str, Tensor]) -> tuple[Batch, Tensor]:
        """Inverse of :meth:`replay_fields`: the batch and the candidate answers."""
        return Batch(fields["x"], fields["y"]), fields["y_hat"]


def _uniform(shape: tuple[int, ...], low: float, high: float, gen: torch.Generator) -> Tensor:
    return torch.rand(shape, generator=gen, device=gen.device) * (high - low) + low


class ContinuousTask(ABC):
    """A task over 400-dimensional outputs with a training and a harder test distribution."""

    name: str
    label: str
    x_dim: int
    y_dim: int = SIDE * SIDE
    train_split = "same"  # the difficulty training problems are drawn from
    test_splits = DIFFICULTIES

    def network(self, method: str, config: TrainConfig) -> nn.Module:
        """MLPs (App. D): the energy on [x; y] (SiLU), the baselines' maps (ReLU), an LSTM of 196."""
        x, y, h = self.x_dim, self.y_dim, config.hidden
        return pick_network(self.name, method, {
            "irem": lambda: EnergyMLP(x, y, config.scratchpad, h),
            "feedforward": lambda: FeedforwardMLP(x, y, h),
            "recurrent": lambda: RecurrentNet(x, y),  # App. D: LSTM 196, whatever the MLP width
            "programmatic": lambda: PonderStep(x, y, h),
            "iterative_feedforward": lambda: StepMLP(x, y, h),
            "ired": lambda: LandscapeEnergyMLP(x, y, h),
        })  # fmt: skip

    def sample(self, batch_size: int, difficulty: str, generator: torch.Generator) -> Batch:
        """Draw ``batch_size`` problems on ``generator.device``.

        Args:
            batch_size: number of problems, > 0.
            difficulty: ``"same"`` (the training distribution) or ``"harder"``.
            generator: the source of randomness; its device is where the batch lives.
        """
        check_positive("batch_size", batch_size, integer=True)
        check_choice("difficulty", difficulty, DIFFICULTIES)
        return self._sample(batch_size, difficulty == "harder", generator)

    @abstractmethod
    def _sample(self, n: int, harder: bool, gen: torch.Generator) -> Batch: ...


class Addition(ContinuousTask):
    """y = a + b for x = [a, b]; ``size`` entries per vector (400 in the paper)."""

    name = "addition"
    label = "Addition"

    def __init__(self, size: int = SIDE * SIDE) -> None:
        self.y_dim = int(check_positive("size", size, integer=True))
        self.x_dim = 2 * self.y_dim

    def operands(self, n: int, generator: torch.Generator, harder: bool = False) -> Tensor:
        """``n`` operands drawn as the inputs a, b are: U(-1, 1)^size (harder: U(-2.5, 2.5)); (n, size)."""
        return self.scaled_operands(n, HARDER_SCALE if harder else 1.0, generator)

    def scaled_operands(self, n: int, scale: float, generator: torch.Generator) -> Tensor:
        """``n`` operands from U(-scale, scale)^size, (n, size): a continuum of difficulties."""
        check_positive("scale", scale)
        return _uniform((n, self.y_dim), -scale, scale, generator)

    def sample_scale(self, n: int, scale: float, generator: torch.Generator) -> Batch:
        """``n`` problems whose operands are drawn from U(-scale, scale) (training: 1; ``harder``: 2.5)."""
        check_positive("n", n, integer=True)
        return self.problem(self.scaled_operands(n, scale, generator), self.scaled_operands(n, scale, generator))

    def _sample(self, n: int, harder: bool, gen: torch.Generator) -> Batch:
        return self.sample_scale(n, HARDER_SCALE if harder else 1.0, gen)

    @staticmethod
    def problem(a: Tensor, b: Tensor) -> Batch:
        """The problems a + b for given operands (B, size) each (composition nests these)."""
        return Batch(torch.cat([a, b], dim=1), a + b)


class MatrixCompletion(ContinuousTask):
    """Recover a noisy rank-10 matrix from its entries with about half of them zeroed."""

    name = "matrix_completion"
    label = "Matrix completion"
    x_dim = SIDE * SIDE

    def _sample(self, n: int, harder: bool, gen: torch.Generator) -> Batch:
        std = (1 / 5) ** 0.5 if harder else (1 / 20) ** 0.5
        dev = gen.device
        u = torch.randn((n, SIDE, RANK), generator=gen, device=dev) * std
        v = torch.randn((n, SIDE, RANK), generator=gen, device=dev) * std
        noise = 0.1 * torch.randn((n, SIDE, SIDE), generator=gen, device=dev)
        m = (u @ v.transpose(1, 2) + noise).reshape(n, -1)
        keep = torch.rand((n, self.y_dim), generator=gen, device=dev) < 0.5
        return Batch(m * keep, m)


class MatrixInverse(ContinuousTask):
    """y = M^-1 for a random symmetric, well-conditioned M (see the module docstring)."""

    name = "matrix_inverse"
    label = "Matrix inverse"
    x_dim = SIDE * SIDE
    VARIANTS = ("code", "paper")

    def __init__(self, variant: str = "code") -> None:
        self.variant = check_choice("variant", variant, self.VARIANTS)

    def _sample(self, n: int, harder: bool, gen: torch.Generator) -> Batch:
        r = _uniform((n, SIDE, SIDE), -1.0, 1.0, gen).double()
        a = r @ r.transpose(1, 2) if self.variant == "code" else r
        shift = 0.1 if harder else 0.5
        eye = torch.eye(SIDE, dtype=a.dtype, device=a.device)
        m = a + a.transpose(1, 2) + shift * eye
        # in float64: the harder matrices are ill-conditioned; inv_ex: the same inverse without the error check,
        # which would wait on the device (a CUDA-graph-captured step cannot)
        inv = torch.linalg.inv_ex(m).inverse
        return Batch(m.float().reshape(n, -1), inv.float().reshape(n, -1))


CONTINUOUS_TASKS: dict[str, type[ContinuousTask]] = {t.name: t for t in (Addition, MatrixCompletion, MatrixInverse)}
