"""A replay buffer of past optimisation results, kept on the device (paper Section 3.2).

IREM trains on fresh problems started from noise together with problems drawn from this
buffer, started where an earlier descent left them, so the energy learns to keep improving
answers that are already close (and to stay put at the solution). The buffer is a ring of
preallocated tensors: writing and sampling are index operations on the device, with no
Python lists and no host copies.
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
        self._next = 0  # where the next write starts
        self._size = 0  # how many slots hold data

    def __len__(self) -> int:
        return self._size

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
        index = (torch.arange(n, device=device) + self._next) % self.capacity
        for k, v in tensors.items():
            self._store[k].index_copy_(0, index, v.detach())
        self._next = (self._next + n) % self.capacity
        self._size = min(self._size + n, self.capacity)

    def state_dict(self) -> dict:
        """What a training checkpoint needs to restore the buffer exactly: contents, size, write position."""
        return {"capacity": self.capacity, "next": self._next, "size": self._size, "store": dict(self._store)}

    def load_state_dict(self, state: dict, device: torch.device | str | None = None) -> None:
        """Restore the buffer from ``state_dict()``, its tensors on ``device`` (default: where they are)."""
        if state["capacity"] != self.capacity:
            raise ValueError(f"replay load: capacity {state['capacity']} saved, {self.capacity} here")
        self._store = {k: v.to(device, copy=True) for k, v in state["store"].items()}
        self._next, self._size = int(state["next"]), int(state["size"])

    def sample(self, n: int, generator: torch.Generator) -> dict[str, Tensor]:
        """Draw ``n`` stored samples uniformly with replacement."""
        if self._size == 0:
            raise RuntimeError("replay sample: the buffer is empty")
        index = torch.randint(self._size, (n,), generator=generator, device=generator.device)
        return {k: v[index.to(v.device)] for k, v in self._store.items()}
