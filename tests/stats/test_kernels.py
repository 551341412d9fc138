"""Permutation kernels and multiple-testing control, against plain-loop definitions."""

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from wardmap.stats.correction import adjust
from wardmap.stats.getis import confidence_bins
from wardmap.stats.permutation import (
    folded_p,
    generator,
    neighbour_draws,
    random_neighbour_sums,
)


def test_draws_are_distinct_positions_among_the_others():
    draws = neighbour_draws(30, 7, 500, generator(1, 1))
    assert draws.shape == (500, 7)
    assert draws.min() >= 0 and draws.max() <= 28
    assert all(len(set(row)) == 7 for row in draws)
    # Every position is drawn about equally often (uniform sampling).
    counts = np.bincount(draws.ravel(), minlength=29)
    expected = 500 * 7 / 29
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)


def test_neighbour_sums_equal_a_plain_loop(monkeypatch):
    rng = np.random.default_rng(3)
    z = rng.normal(size=40)
    card = rng.integers(0, 6, size=40)
    draws = neighbour_draws(40, int(card.max()), 99, generator(2, 1))
    # A tiny chunk size exercises the chunking.
    monkeypatch.setattr("wardmap.stats.permutation.CHUNK_VALUES", 300)
    seen = np.zeros(40, bool)
    for wards, sums in random_neighbour_sums(z, card, draws):
        for row, i in enumerate(wards):
            others = np.delete(z, i)  # ward i can never be its own random neighbour
            expected = others[draws[:, : card[i]]].sum(axis=1)
            np.testing.assert_allclose(sums[row], expected, rtol=1e-12)
            seen[i] = True
    assert (seen == (card > 0)).all()


def test_folded_p_is_esdas_directed_definition():
    # 999 simulations: 10 at or above the observed value -> (10 + 1) / 1000.
    assert folded_p(np.array([10]), 999)[0] == pytest.approx(0.011)
    # 990 at or above: the observed value sits in the lower tail; 9 below -> 0.010.
    assert folded_p(np.array([990]), 999)[0] == pytest.approx(0.010)
    assert folded_p(np.array([500]), 999)[0] == pytest.approx(0.5)


def benjamini_hochberg_rejections(p: np.ndarray, alpha: float) -> np.ndarray:
    """The textbook step-up rule: reject the k smallest, k the largest i with p_(i) <= i a/m."""
    order = np.argsort(p)
    m = len(p)
    passing = np.flatnonzero(p[order] <= alpha * np.arange(1, m + 1) / m)
    rejected = np.zeros(m, bool)
    if len(passing):
        rejected[order[: passing[-1] + 1]] = True
    return rejected


@pytest.mark.parametrize("seed", range(5))
def test_fdr_matches_the_step_up_rule_and_scipy(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 0.01, 5), rng.uniform(0, 1, 40), [0.002, 0.002]])
    for alpha in (0.01, 0.05, 0.10):
        assert ((adjust(p, "fdr") <= alpha) == benjamini_hochberg_rejections(p, alpha)).all()
    np.testing.assert_allclose(adjust(p, "fdr"), false_discovery_control(p), rtol=1e-12)


def test_bonferroni_none_and_untested_wards():
    p = np.array([0.001, 0.02, np.nan, 0.5])
    np.testing.assert_allclose(adjust(p, "bonferroni"), [0.003, 0.06, np.nan, 1.0])
    np.testing.assert_allclose(adjust(p, "none"), p)
    fdr = adjust(p, "fdr")
    assert np.isnan(fdr[2]) and fdr[0] == pytest.approx(0.003)  # m counts tested wards only
    with pytest.raises(ValueError, match="unknown correction"):
        adjust(p, "holm")


def test_arcgis_confidence_bins():
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0, np.nan])
    p = np.array([0.005, 0.03, 0.09, 0.6, 0.09, 0.03, 0.005, np.nan])
    assert list(confidence_bins(z, p)) == [3, 2, 1, 0, -1, -2, -3, 0]
