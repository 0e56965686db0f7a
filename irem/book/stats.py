"""Statistics over training seeds: records grouped by run, curves averaged and bounded, means and spreads.

Shared by every chapter; knows no chapter. Numbers in, numbers out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from irem.store import Record


def group(records: Sequence[Record]) -> dict[tuple[str, str], list[Record]]:
    """Records by (task, method), in order of first appearance."""
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for r in records:
        groups[(r.task, r.method)].append(r)
    return groups


def curve_spread(records: Sequence[Record], *path: str, center: Callable = np.mean
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """``center`` (the mean, or e.g. ``np.median``), lowest and highest over records of ``curves[path[0]]...``.

    ``null`` is NaN (so is any step where a record has one); curves of different lengths are cut to
    the shortest. With one record the three are the same curve; with several seeds, low and high
    bound the band a figure shades.
    """
    curves = []
    for r in records:
        curve = r.curves
        for key in path:
            curve = curve[key]
        curves.append(np.asarray([np.nan if v is None else v for v in curve], dtype=float))
    n = min(len(c) for c in curves)
    stacked = np.stack([c[:n] for c in curves])
    return center(stacked, axis=0), stacked.min(axis=0), stacked.max(axis=0)


def mean_curve(records: Sequence[Record], *path: str) -> np.ndarray:
    """The mean over records of the curve at ``curves[path[0]][path[1]]...`` (see :func:`curve_spread`)."""
    return curve_spread(records, *path)[0]


def mean_of(records: Sequence[Record], get: Callable[[Record], float]) -> float:
    return float(np.mean([get(r) for r in records])) if records else float("nan")


def sample_std(values: Sequence[float]) -> float:
    """The sample standard deviation over seeds (0 for one seed, as pandas' ``std().fillna(0)``)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def mean_and_std(name: str, values: Sequence[float]) -> dict[str, float]:
    """``{name: mean, "name (std)": std}`` over seeds: the pair :func:`merge_std` shows as "mean ± std"."""
    return {name: float(np.mean(values)), f"{name} (std)": sample_std(values)}


def seed_spread(a: Mapping, b: Mapping, name: str) -> float:
    """The spread two rows of a :func:`mean_and_std` table allow ``name`` to differ by: their stds summed."""
    return a[f"{name} (std)"] + b[f"{name} (std)"]


def split_changes(variant: Mapping, base: Mapping) -> list[tuple[str, float, float, bool]]:
    """Per split of two :func:`_variant_row` rows: (split, mean difference, seed spread, beyond the spread)."""
    out = []
    for split in ("same", "harder"):
        diff, spread = variant[split] - base[split], seed_spread(variant, base, split)
        out.append((split, diff, spread, abs(diff) > spread))
    return out
