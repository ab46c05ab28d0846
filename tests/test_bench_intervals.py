import numpy as np
import pytest

from bench.ocr_conditions import interval


def test_the_interval_over_pages_is_the_normal_one_for_many_pages_and_none_for_equal_ones():
    pages = np.random.default_rng(1).uniform(0.85, 1.0, size=400)
    half = 1.96 * pages.std() / np.sqrt(len(pages))      # the mean's 95% interval, by the central limit
    low, high = interval(pages.tolist())
    assert low == pytest.approx(pages.mean() - half, abs=0.2 * half)
    assert high == pytest.approx(pages.mean() + half, abs=0.2 * half)
    assert interval([0.9] * 30) == pytest.approx((0.9, 0.9))
    assert interval(pages.tolist()) == (low, high)       # seeded: a run repeats
