"""Profiles: named sets of defaults; explicit overrides win.

* ``smoke``: every code path runs in seconds on 2 CPU cores (tests, nbval).
* ``quick``: a CPU reader reruns an experiment in minutes, same dimensions, fewer iterations.
* ``paper``: the paper's settings (App. C); meant for a GPU.

Each experiment (``irem.experiments.<name>``) holds its own values per profile; the paper's
values are the defaults of ``TrainConfig`` and ``EvalConfig``. ``SMOKE`` is what "smoke" means
for the vector and graph experiments alike: tiny networks, a few iterations, a few test problems.
"""

from __future__ import annotations

PROFILES = ("smoke", "quick", "paper")
PROFILE_CHOICES = ("best", *PROFILES)  # "best": the most complete stored profile, never training

SMOKE = dict(
    iterations=30, batch_size=16, hidden=64, replay_capacity=256, log_every=10,
    test_problems=32, test_steps=12, eval_batch=32, landscape_problems=4,
)  # fmt: skip
