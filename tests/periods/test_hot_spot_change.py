"""Hot spot comparison: Gi* bins in both periods and the change category of each ward."""

import dataclasses

import numpy as np
import pytest

from tests.periods.lattice import lattice_result, months_between
from wardmap.hotspot_change import (
    CATEGORIES,
    add_hot_spot_change,
    classify,
    hot_spot_change_paragraphs,
)
from wardmap.periods import analyse_periods
from wardmap.stats import test_stage
from wardmap.stats.getis import confidence_bins, gi_star

SIDE = 7


def _block(r0, c0):
    return [r * SIDE + c for r in range(r0, r0 + 3) for c in range(c0, c0 + 3)]


@pytest.fixture(scope="module")
def moved():
    """A hot cluster top-left last year that moved bottom-right this year."""
    months = months_between("2019-01", 24)
    rng = np.random.default_rng(2)
    monthly = rng.poisson(10, (SIDE * SIDE, 24))
    before, now = _block(0, 0), _block(4, 4)
    monthly[before, :12] += rng.poisson(30, (9, 12))
    monthly[now, 12:] += rng.poisson(30, (9, 12))
    result = lattice_result(monthly, months, months[12:], SIDE)
    wards, summary, _ = test_stage(result.wards, result.config.stats)
    result = dataclasses.replace(result, wards=wards, summary={**result.summary, **summary})
    return add_hot_spot_change(analyse_periods(result)), monthly


def test_every_category():
    now = np.array([3, 2, 0, -3, -2, 0, 1, 0])
    before = np.array([2, 1, 3, -2, 0, -3, -1, 0])
    assert classify(now, before).tolist() == [
        "persistent hot", "new hot", "no longer hot", "persistent cold", "new cold",
        "no longer cold", "never", "never"]


def test_moved_cluster_is_new_hot_and_no_longer_hot(moved):
    result, monthly = moved
    wards = result.wards
    change = wards.set_index("ward_code")["hot_spot_change"]
    centre_now, centre_before = f"W{5 * SIDE + 5:02d}", f"W{1 * SIDE + 1:02d}"
    assert change[centre_now] == "new hot"
    assert change[centre_before] == "no longer hot"
    assert "persistent hot" not in set(change)
    assert sum(result.summary["hot_spot_change"].values()) == SIDE * SIDE
    assert set(result.summary["hot_spot_change"]) == set(CATEGORIES)


def test_previous_bins_are_gi_star_of_the_previous_counts(moved):
    # Independent of the test stage: Gi* of last year's counts with the lattice's queen
    # neighbours, FDR-adjusted, binned.
    import scipy.sparse as sp

    from wardmap.stats.correction import adjust

    result, monthly = moved
    rows, cols = [], []
    for i in range(SIDE * SIDE):
        r, c = divmod(i, SIDE)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr or dc) and 0 <= rr < SIDE and 0 <= cc < SIDE:
                    rows.append(i)
                    cols.append(rr * SIDE + cc)
    binary = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(SIDE ** 2, SIDE ** 2))
    z, p = gi_star(monthly[:, :12].sum(axis=1).astype(float), binary)
    expected = confidence_bins(z, adjust(p, "fdr"))
    assert result.wards["gi_bin_prev"].tolist() == expected.tolist()


def test_briefing_sentence_names_the_wards(moved):
    result, _ = moved
    text = hot_spot_change_paragraphs(result)[0]
    assert text.startswith("Compared with January 2019 to December 2019")
    assert "new hot spots: " in text and "no longer hot spots: " in text
    assert "Ward 40" in text  # W40: the moved cluster's centre (row 5, column 5)


def test_without_a_comparison_nothing_is_added(moved):
    result, _ = moved
    plain = dataclasses.replace(result, summary={**result.summary,
                                                 "change": {"available": False}})
    plain = dataclasses.replace(plain, wards=plain.wards.drop(
        columns=["gi_bin_prev", "hot_spot_change"]))
    assert "hot_spot_change" not in add_hot_spot_change(plain).wards
    assert hot_spot_change_paragraphs(plain) == []
