import pytest
from scipy import stats

from bench.ocr_conditions import interval


def test_the_interval_over_pages_is_the_exact_one_for_pages_read_right_or_wrong():
    # 400 pages, 360 read right: a mean of pages drawn from them with replacement is Binomial(400, 0.9) / 400,
    # whose 2.5th and 97.5th percentiles are known exactly (within a count: the bootstrap draws 2,000 such means;
    # a 90% or 98% interval's low end is two counts off or more).
    pages = [1.0] * 360 + [0.0] * 40
    low, high = interval(pages)
    assert low == pytest.approx(stats.binom.ppf(0.025, 400, 0.9) / 400, abs=1.5 / 400)
    assert high == pytest.approx(stats.binom.ppf(0.975, 400, 0.9) / 400, abs=1.5 / 400)
    assert interval([0.9] * 30) == pytest.approx((0.9, 0.9))
    assert interval(pages) == (low, high)                 # seeded: a run repeats
    with pytest.raises(ValueError, match="pages"):
        interval([])
