"""Change against the comparison period: exact test, FDR, per ward and in total."""

import math
from fractions import Fraction

import numpy as np
import pytest

from tests.periods.lattice import lattice_result, months_between
from wardmap.config import PeriodsConfig
from wardmap.errors import WardmapError
from wardmap.periods import add_change, adjust_p, poisson_change_p
from wardmap.periods.change import NO_BASE_NOTE


def exact_two_sided(k: int, n: int, p: Fraction) -> float:
    """Two-sided exact binomial p in exact arithmetic: outcomes no more likely than the observed."""
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, float(sum(x for x in pmf if x <= pmf[k])))


@pytest.mark.parametrize(("n1", "n0"), [(863, 607), (12, 3), (5, 5), (0, 7), (40, 61)])
def test_exact_test_matches_hand_summed_binomial(n1: int, n0: int) -> None:
    assert poisson_change_p(n1, n0) == pytest.approx(exact_two_sided(n1, n1 + n0, Fraction(1, 2)),
                                                     rel=1e-6)


def test_unequal_exposure_weights_the_null_proportion() -> None:
    # 10 incidents in 3 months now against 20 in 6 months then: the same monthly rate.
    assert poisson_change_p(10, 20, t1=3, t0=6) == pytest.approx(
        exact_two_sided(10, 30, Fraction(1, 3)), rel=1e-6)
    assert poisson_change_p(10, 20, 3, 6) > 0.99
    assert poisson_change_p(0, 0) == 1.0


def test_benjamini_hochberg_known_answer() -> None:
    # All five p values ranked i/m × 0.05: BH adjusts every one to 0.05.
    q = adjust_p(np.array([0.01, 0.02, 0.03, 0.04, 0.05]), "fdr")
    assert np.allclose(q, 0.05)
    q = adjust_p(np.array([0.001, 0.2, 0.04]), "fdr")
    assert np.allclose(q, [0.003, 0.2, 0.06])
    assert np.allclose(adjust_p(np.array([0.01, 0.5]), "bonferroni"), [0.02, 1.0])


def _two_years(then: list[int], now: list[int]) -> tuple:
    months = months_between("2016-01", 24)
    monthly = np.zeros((4, 24), dtype=int)
    for w in range(4):
        # Spread each period's total over its 12 months.
        monthly[w, :12] = np.bincount(np.arange(then[w]) % 12, minlength=12)
        monthly[w, 12:] = np.bincount(np.arange(now[w]) % 12, minlength=12)
    return lattice_result(monthly, months, months[12:], side=2), months


def test_ward_change_columns_and_totals() -> None:
    then, now = [100, 0, 30, 50], [160, 9, 28, 50]
    result, months = _two_years(then, now)
    out = add_change(result)
    wards = out.wards.set_index("ward_code")
    assert wards["incidents_prev"].tolist() == then
    assert wards["change"].tolist() == [60, 9, -2, 0]
    assert wards.loc["W00", "change_pct"] == pytest.approx(60.0)
    assert np.isnan(wards.loc["W01", "change_pct"])
    assert wards.loc["W01", "change_note"] == NO_BASE_NOTE
    expected_p = [exact_two_sided(a, a + b, Fraction(1, 2)) for a, b in zip(now, then, strict=True)]
    assert np.allclose(wards["change_p"], expected_p, rtol=1e-6)
    # BH by hand: sort, scale by m/rank, take the running minimum from the top.
    p = np.array(expected_p)
    order = np.argsort(p)
    scaled = p[order] * 4 / np.arange(1, 5)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    assert np.allclose(wards["change_q"].to_numpy()[order], np.minimum(q, 1))
    assert wards["change_sig"].tolist() == [True, True, False, False]
    total = out.summary["change"]
    assert total["incidents"] == sum(now) and total["incidents_prev"] == sum(then)
    assert total["change_pct"] == pytest.approx(100 * (sum(now) - sum(then)) / sum(then))
    assert total["comparison_label"] == "January 2016 to December 2016"
    assert total["wards_up_sig"] == 2 and total["wards_down_sig"] == 0
    assert "change_pct" not in result.wards.columns  # the input run is not changed


def test_no_comparison_when_data_does_not_cover_it() -> None:
    months = months_between("2017-11", 2)
    result = lattice_result(np.ones((4, 2), dtype=int), months, months, side=2)
    out = add_change(result)
    assert "change_pct" not in out.wards.columns
    assert out.summary["change"]["available"] is False
    assert "does not cover the same months a year earlier" in out.summary["change"]["reason"]


def test_mismatched_month_filter_is_an_error() -> None:
    result, _ = _two_years([10, 10, 10, 10], [20, 20, 20, 20])
    with pytest.raises(WardmapError, match="not those of"):
        add_change(result, PeriodsConfig(period="custom", months="2017-01:2017-06"))


def test_vectorised_exact_test_equals_binomtest_per_pair() -> None:
    from wardmap.periods.change import poisson_change_ps

    n1, n0 = np.meshgrid(np.arange(0, 40, 3), np.arange(0, 40, 4))
    n1, n0 = n1.ravel(), n0.ravel()
    expected = [poisson_change_p(a, b) for a, b in zip(n1, n0, strict=True)]
    assert np.allclose(poisson_change_ps(n1, n0), expected, rtol=1e-9, atol=1e-15)
    assert np.allclose(poisson_change_ps(n1, n0, 2, 3),
                       [poisson_change_p(a, b, 2, 3) for a, b in zip(n1, n0, strict=True)])


def test_comparison_of_another_length_compares_monthly_rates() -> None:
    # 2017 (12 months) against January-March 2016 (3 months) at 10, 0, 3 and 5 a month then.
    result, _ = _two_years([120, 0, 36, 60], [240, 9, 36, 48])
    out = add_change(result, PeriodsConfig(period="custom", months="2017-01:2017-12",
                                           compare="2016-01:2016-03"))
    wards = out.wards.set_index("ward_code")
    assert wards["incidents_prev"].tolist() == [30, 0, 9, 15]
    # The same 12 months at the earlier monthly rate would have been 120, 0, 36 and 60.
    assert wards.loc["W00", "change_pct"] == pytest.approx(100.0)
    assert wards.loc["W02", "change_pct"] == pytest.approx(0.0)
    assert wards.loc["W03", "change_pct"] == pytest.approx(-20.0)
    total = out.summary["change"]
    assert total["change_pct"] == pytest.approx(100 * (333 - 216) / 216)
    assert total["year_earlier"] is False
    assert total["wards_down_sig"] == 0  # W03: fewer a month, though more in all
    assert add_change(result).summary["change"]["year_earlier"] is True
