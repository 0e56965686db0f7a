"""A replay buffer of past optimisation results, kept on the device (paper Section 3.2).

IREM trains on fresh problems started from noise together with problems drawn from this
buffer, started where an earlier descent left them, so the energy learns to keep improving
answers that are already close (and to stay put at the solution). The buffer is a ring of
preallocated tensors: writing and sampling are index operations on the device, with no
Python lists and no host copies.

For a training step captured in a CUDA graph (``irem.graphed``), ``keep_counters_on_device``
moves the write position and the fill level into device tensors as well: a captured step runs
no Python, so a counter kept in Python would stay where it was at capture time.
"""

from __future__ import annotations

import torch
from torch import Tensor

from irem.validate import check_positive


class ReplayBuffer:
    """A fixed-capacity ring buffer of named tensors sharing their first (sample) dimension.

    Storage is allocated on the first ``add`` from the shapes and dtypes it sees; every
    later ``add`` must use the same names and per-sample shapes.

    Example:
        >>> buf = ReplayBuffer(capacity=4)
        >>> buf.add(x=torch.zeros(3, 2), y=torch.ones(3, 1))
        >>> len(buf)
        3
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(check_positive("replay_capacity", capacity, integer=True))
        self._store: dict[str, Tensor] = {}
        self._next = 0  # where the next write starts, as Python last saw it
        self._size = 0  # how many slots hold data, as Python last saw it
        self._device: tuple[Tensor, Tensor] | None = None  # (next, size) on the device, once moved there

    def __len__(self) -> int:
        """How many samples it holds; with device counters, as of the last add Python ran (a lower bound)."""
        return self._size

    @property
    def counters_on_device(self) -> bool:
        return self._device is not None

    def _counters(self) -> tuple[int | Tensor, int | Tensor]:
        """The exact (next, size): the device tensors once moved there, else Python's."""
        return self._device if self._device is not None else (self._next, self._size)

    def keep_counters_on_device(self) -> None:
        """Keep the write position and fill level in device tensors from now on (for CUDA-graph capture).

        Sampling then draws its index as ``floor(U(0, 1) * size)`` on the device instead of
        ``randint(size)``, so the random stream differs from the host-counter form (not its law).
        """
        if not self._store:
            raise RuntimeError("replay: add a batch before moving the counters to the device")
        if self._device is None:
            device = next(iter(self._store.values())).device
            self._device = (torch.tensor(self._next, device=device), torch.tensor(self._size, device=device))

    def add(self, **tensors: Tensor) -> None:
        """Write a batch (detached); the oldest entries are overwritten once full."""
        n = next(iter(tensors.values())).shape[0]
        if not self._store:
            self._store = {
                k: torch.empty((self.capacity, *v.shape[1:]), dtype=v.dtype, device=v.device)
                for k, v in tensors.items()
            }
        if tensors.keys() != self._store.keys():
            raise ValueError(f"replay add: expected fields {sorted(self._store)}, got {sorted(tensors)}")
        if n > self.capacity:  # only the newest `capacity` samples would survive
            tensors = {k: v[-self.capacity :] for k, v in tensors.items()}
            n = self.capacity
        device = next(iter(self._store.values())).device
        index = (torch.arange(n, device=device) + self._counters()[0]) % self.capacity
        for k, v in tensors.items():
            self._store[k].index_copy_(0, index, v.detach())
        self._next, self._size = (self._next + n) % self.capacity, min(self._size + n, self.capacity)
        if self._device is not None:  # in place: a captured graph keeps updating the same tensors
            self._device[0].add_(n).remainder_(self.capacity)
            self._device[1].add_(n).clamp_(max=self.capacity)

    def state_dict(self) -> dict:
        """What a training checkpoint needs to restore the buffer exactly: contents, size, write position."""
        nxt, size = self._counters()
        return {"capacity": self.capacity, "next": int(nxt), "size": int(size), "store": dict(self._store)}

    def load_state_dict(self, state: dict, device: torch.device | str | None = None) -> None:
        """Restore the buffer from ``state_dict()``, its tensors on ``device`` (default: where they are)."""
        if state["capacity"] != self.capacity:
            raise ValueError(f"replay load: capacity {state['capacity']} saved, {self.capacity} here")
        self._store = {k: v.to(device, copy=True) for k, v in state["store"].items()}
        self._next, self._size = int(state["next"]), int(state["size"])
        self._device = None  # on the host until moved again

    def sample(self, n: int, generator: torch.Generator) -> dict[str, Tensor]:
        """Draw ``n`` stored samples uniformly with replacement."""
        if self._size == 0:
            raise RuntimeError("replay sample: the buffer is empty")
        if self._device is not None:
            u = torch.rand(n, generator=generator, device=generator.device)
            index = (u * self._device[1]).long().clamp_(max=self.capacity - 1)
        else:
            index = torch.randint(self._size, (n,), generator=generator, device=generator.device)
        return {k: v[index.to(v.device)] for k, v in self._store.items()}
