"""Mann–Kendall, Gi* and the emerging hot spot categories on constructed series."""

import numpy as np
import pytest
from scipy import stats

from tests.periods.lattice import lattice_result, months_between
from wardmap.periods import (
    analyse_periods,
    classify,
    emerging_hot_spots,
    gi_star_z,
    mann_kendall,
    monthly_table,
)
from wardmap.stats import build_weights

HOT, COLD, NONE = (3.0, 0.001), (-3.0, 0.001), (0.5, 0.6)


def test_mann_kendall_known_answer_for_a_rising_series() -> None:
    mk = mann_kendall(np.arange(10.0))
    # n = 10: S = 45, Var(S) = n(n-1)(2n+5)/18 = 125, z = (S-1)/sqrt(Var).
    assert mk.s == 45 and mk.var_s == 125.0 and mk.tau == 1.0
    assert mk.z == pytest.approx(44 / np.sqrt(125))
    assert mk.p == pytest.approx(8.3e-5, rel=0.01)


def test_mann_kendall_agrees_with_kendalls_tau_against_time() -> None:
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=20), 1)  # rounding makes ties
    mk = mann_kendall(x)
    tau_b = stats.kendalltau(np.arange(20), x, method="asymptotic")
    n0 = 20 * 19 / 2
    _, t = np.unique(x, return_counts=True)
    n1 = (t * (t - 1) / 2).sum()
    assert mk.s == pytest.approx(tau_b.statistic * np.sqrt(n0 * (n0 - n1)))
    # Without the continuity correction Mann–Kendall's z is Kendall's asymptotic z.
    z_plain = mk.s / np.sqrt(mk.var_s)
    assert 2 * stats.norm.sf(abs(z_plain)) == pytest.approx(tau_b.pvalue, rel=1e-6)


def test_gi_star_matches_esda() -> None:
    from esda.getisord import G_Local
    from libpysal.weights import lat2W

    rng = np.random.default_rng(3)
    y = rng.poisson(5, size=25).astype(float)
    w = lat2W(5, 5, rook=False)
    ref = G_Local(y, w, transform="B", permutations=0, star=True)
    binary = w.sparse
    assert gi_star_z(y, binary) == pytest.approx(ref.Zs, rel=1e-9)
    assert np.isnan(gi_star_z(np.full(25, 3.0), binary)).all()


def _series(*steps: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([s[0] for s in steps]), np.array([s[1] for s in steps])


def _with_z(z: list[float], sig: bool = True) -> tuple[np.ndarray, np.ndarray]:
    return np.array(z), np.full(len(z), 0.001 if sig else 0.6)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (_series(*[NONE] * 9, HOT), "New hot spot"),
        (_series(*[NONE] * 7, HOT, HOT, HOT), "Consecutive hot spot"),
        (_with_z([2.0 + 0.1 * i for i in range(10)]), "Intensifying hot spot"),
        (_with_z([4.0 - 0.2 * i for i in range(10)]), "Diminishing hot spot"),
        (_with_z([3.0, 2.5, 3.0, 2.6, 3.1, 2.4, 2.9, 2.7, 3.0, 2.5]), "Persistent hot spot"),
        (_series(HOT, NONE, HOT, NONE, NONE, HOT, NONE, NONE, NONE, HOT), "Sporadic hot spot"),
        (_series(COLD, NONE, NONE, HOT, NONE, NONE, COLD, NONE, NONE, HOT),
         "Oscillating hot spot"),
        (_series(*[HOT] * 9, NONE), "Historical hot spot"),
        (_series(*[NONE] * 9, COLD), "New cold spot"),
        (_series(*[NONE] * 8, COLD, COLD), "Consecutive cold spot"),
        (_with_z([-2.0 - 0.1 * i for i in range(10)]), "Intensifying cold spot"),
        (_with_z([-4.0 + 0.2 * i for i in range(10)]), "Diminishing cold spot"),
        (_series(*[COLD] * 10), "Persistent cold spot"),
        (_series(NONE, COLD, NONE, NONE, COLD, NONE, NONE, NONE, NONE, COLD),
         "Sporadic cold spot"),
        (_series(HOT, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE, COLD),
         "Oscillating cold spot"),
        (_series(*[COLD] * 9, NONE), "Historical cold spot"),
        (_series(*[NONE] * 10), "No pattern detected"),
        (_series(HOT, HOT, NONE, NONE, NONE, NONE, NONE, NONE, NONE, NONE),
         "No pattern detected"),
    ],
)
def test_categories_on_constructed_series(series, expected) -> None:
    z, p = series
    assert classify(z, p, alpha=0.05)[0] == expected


def _growing_cluster() -> tuple[np.ndarray, list[str]]:
    """7×7 wards, 12 months: a 3×3 block in one corner whose counts climb month by month."""
    rng = np.random.default_rng(11)
    months = months_between("2017-01", 12)
    monthly = rng.poisson(4, size=(49, 12))
    block = [r * 7 + c for r in range(3) for c in range(3)]
    monthly[block] = 12 + 2 * np.arange(12)
    return monthly, months


def test_planted_growing_cluster_is_found_as_intensifying() -> None:
    monthly, months = _growing_cluster()
    result = lattice_result(monthly, months, months, side=7)
    weights = build_weights(result.wards)
    table = monthly_table(result.records, result.wards["ward_code"].tolist(), months)
    found = emerging_hot_spots(table, weights.binary, alpha=0.05)
    centre = "W08"  # row 1, column 1: inside the block, all its neighbours in the block
    assert found.loc[centre, "emerging_pattern"] == "Intensifying hot spot"
    assert found.loc[centre, "hot_months"] == 12
    far = [f"W{i:02d}" for i in (36, 37, 43, 44, 48)]
    assert not found.loc[far, "emerging_pattern"].str.contains("hot").any()


def test_analyse_periods_adds_spc_and_emerging_columns() -> None:
    monthly, months = _growing_cluster()
    out = analyse_periods(lattice_result(monthly, months, months, side=7, population=49000))
    assert out.summary["spc"]["chart"] == "u"
    assert out.summary["spc"]["months"] == months
    assert out.summary["emerging"]["available"] is True
    assert out.summary["change"]["available"] is False
    assert {"spc_signal", "spc_note", "emerging_pattern"} <= set(out.wards.columns)
    counted = sum(out.summary["emerging"]["categories"].values())
    assert counted == 49


def test_mann_kendall_of_many_rows_agrees_with_one_at_a_time() -> None:
    from wardmap.periods.emerging import mann_kendall_rows

    rng = np.random.default_rng(4)
    rows = np.round(rng.normal(size=(50, 12)), 1)  # rounded: ties within rows
    rows[3] = 2.0  # constant: no trend
    for got, row in zip(mann_kendall_rows(rows), rows, strict=True):
        assert got == mann_kendall(row)


def test_mann_kendall_of_many_rows_agrees_with_pymannkendall() -> None:
    import pymannkendall

    from wardmap.periods.emerging import mann_kendall_rows

    rng = np.random.default_rng(11)
    rows = rng.normal(size=(40, 120))  # ten years of monthly z scores, as a national run
    rows[:20] = np.round(rows[:20], 1)  # ties within rows
    rows[5, :60] = 0.0  # a long tie (months without any record)
    for got, row in zip(mann_kendall_rows(rows), rows, strict=True):
        ref = pymannkendall.original_test(row)
        assert got.s == ref.s
        assert got.var_s == pytest.approx(ref.var_s, rel=1e-12)
        assert got.z == pytest.approx(ref.z, rel=1e-12)
        assert got.p == pytest.approx(ref.p, rel=1e-9)
        assert got.tau == pytest.approx(ref.Tau, rel=1e-12)


def test_mann_kendall_of_many_rows_stays_small_for_a_national_decade() -> None:
    import tracemalloc

    from wardmap.periods.emerging import mann_kendall_rows

    rows = np.random.default_rng(2).normal(size=(7681, 120))
    tracemalloc.start()
    try:
        mann_kendall_rows(rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # wards x months x months would be 1.1 GB; a few wards x months arrays are ~7 MB each.
    assert peak < 100e6
