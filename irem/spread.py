"""One number over training seeds as a distribution: every seed's value, the median and its interval.

Below the experiments (numpy and scipy only), so a result's table, the book's verdict rules and its
figures share one definition: a ranking is called only where intervals separate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95  # of the bootstrap interval of the median
RESAMPLES = 10_000  # bootstrap resamples


@dataclass(frozen=True)
class SeedSpread:
    """One number over training seeds, as a distribution: every seed's value, their median and its interval.

    Where trainings of one configuration disagree by far more than methods do (graphs larger than in
    training), a mean and standard deviation hide that; this keeps every value and says how sure the
    median is: ``low`` and ``high`` bound a percentile-bootstrap interval of the median (``CONFIDENCE``).

    Attributes:
        values: every seed's value, in the order given.
        median: their median.
        low: the interval's lower end (the value itself with one seed).
        high: the interval's upper end.
    """

    values: tuple[float, ...]
    median: float
    low: float
    high: float

    @property
    def seeds(self) -> int:
        return len(self.values)

    def brief(self) -> str:
        """The median and its interval for prose, "0.254 [0.047, 0.31]" (the value alone from one seed)."""
        if self.seeds == 1:
            return f"{self.median:.3g}"
        return f"{self.median:.3g} [{', '.join(interval_ends(self.low, self.high))}]"


def interval_ends(low: float, high: float) -> tuple[str, str]:
    """An interval's ends to two significant digits, or up to four where two print them alike ("0.12, 0.12")."""
    for digits in (2, 3, 4):
        ends = f"{low:.{digits}g}", f"{high:.{digits}g}"
        if ends[0] != ends[1]:
            break
    return ends


def over_seeds(values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = RESAMPLES,
                seed: int = 0) -> SeedSpread:  # fmt: skip
    """The :class:`SeedSpread` of ``values``: the median and a percentile-bootstrap interval of it.

    Deterministic for a given ``seed``. Raises ``ValueError`` on no values or a non-finite one.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"over_seeds needs one finite value per seed at least, got {list(values)!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    rng = np.random.default_rng(seed)
    medians = np.median(x[rng.integers(0, x.size, size=(resamples, x.size))], axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return SeedSpread(tuple(float(v) for v in x), float(np.median(x)), float(low), float(high))


def over_finite(values: Sequence[float | None]) -> SeedSpread | None:
    """:func:`over_seeds` of the finite ``values`` (a diverged run's error is stored as null); ``None`` without any."""
    finite = [float(v) for v in values if v is not None and np.isfinite(v)]
    return over_seeds(finite) if finite else None


LOWER, HIGHER, TIED = "lower", "higher", "tied"


def compare(a: SeedSpread, b: SeedSpread) -> str:
    """``"lower"`` or ``"higher"`` where ``a``'s interval lies wholly below or above ``b``'s, else ``"tied"``."""
    return LOWER if a.high < b.low else HIGHER if a.low > b.high else TIED


def rank_test(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sided p-value of a Mann-Whitney U test that ``a`` and ``b`` are draws of one distribution.

    Rank-based, so one training far off (the 10-30x swings of errors on larger graphs) weighs as
    any other; exact for small samples without ties. Raises ``ValueError`` on an empty sample.
    """
    from scipy.stats import mannwhitneyu

    if not len(a) or not len(b):
        raise ValueError(f"rank_test needs a value in each sample, got {list(a)!r} and {list(b)!r}")
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
