"""Seed distributions (irem.book.stats): the median's bootstrap interval and the ranking rule built on it."""

import numpy as np
import pytest

from irem.spread import HIGHER, LOWER, TIED, compare, interval_ends, over_finite, over_seeds


def test_one_seed_is_its_own_median_and_interval():
    s = over_seeds([0.25])
    assert (s.median, s.low, s.high, s.seeds) == (0.25, 0.25, 0.25, 1)


def test_the_interval_holds_the_median_within_the_values_and_is_deterministic():
    values = [0.0298, 0.3147, 0.0469, 0.031, 0.12, 0.027, 0.05, 0.9, 0.033, 0.041]
    s = over_seeds(values)
    assert min(values) <= s.low <= s.median <= s.high <= max(values)
    assert s.median == pytest.approx(np.median(values)) and s.values == tuple(values)
    assert over_seeds(values) == s  # same resamples for the same seed
    # the interval narrows as seeds agree: ten equal-but-noisy draws give a tight one
    tight = over_seeds(list(np.random.default_rng(1).normal(1.0, 0.01, 10)))
    assert tight.high - tight.low < 0.05


def test_a_ranking_only_where_the_intervals_separate():
    low, high = over_seeds([0.01, 0.011, 0.012, 0.013]), over_seeds([0.1, 0.11, 0.12, 0.13])
    overlapping = over_seeds([0.005, 0.012, 0.5, 0.02])
    assert compare(low, high) == LOWER and compare(high, low) == HIGHER
    assert compare(overlapping, low) == TIED


@pytest.mark.parametrize("values", [[], [1.0, float("nan")], [float("inf")]])
def test_no_value_or_a_non_finite_one_is_an_error(values):
    with pytest.raises(ValueError, match="one finite value per seed"):
        over_seeds(values)


def test_an_interval_prints_with_the_digits_that_tell_its_ends_apart():
    assert interval_ends(0.047, 0.31) == ("0.047", "0.31")
    assert interval_ends(0.1181, 0.1234) == ("0.118", "0.123")  # "0.12, 0.12" would hide the interval's width
    assert interval_ends(0.20791, 0.20808) == ("0.2079", "0.2081")
    assert interval_ends(0.01, 0.01) == ("0.01", "0.01")  # every seed alike
    assert over_seeds([0.2079, 0.208, 0.2081]).brief() == "0.208 [0.2079, 0.2081]"


def test_a_spread_over_runs_leaves_out_the_diverged_ones():
    assert over_finite([0.1, None, float("nan"), 0.3]) == over_seeds([0.1, 0.3])
    assert over_finite([None, float("inf")]) is None
