"""SPC charts on constructed series with known limits and signals."""

import numpy as np
import pytest

from wardmap.errors import WardmapError
from wardmap.periods import c_chart, run_flags, u_chart
from wardmap.periods.spc import describe_signals, ward_signals


def test_c_chart_limits_and_points_outside() -> None:
    counts = [25] * 10 + [41, 9]  # mean 25: limits 25 ± 3·5 = 10 and 40
    chart = c_chart(counts, labels=[f"m{i}" for i in range(12)])
    assert chart["centre"].iloc[0] == 25
    assert chart["lcl"].iloc[0] == 10 and chart["ucl"].iloc[0] == 40
    assert chart["above_ucl"].tolist() == [False] * 10 + [True, False]
    assert chart["below_lcl"].tolist() == [False] * 11 + [True]
    assert not chart["run"].any()  # points on the centre line end runs
    assert describe_signals(chart) == ["m10 above the upper control limit",
                                       "m11 below the lower control limit"]


def test_lower_limit_clipped_at_zero() -> None:
    chart = c_chart([1, 2, 0, 1])
    assert (chart["lcl"] == 0).all()
    assert chart["ucl"].iloc[0] == pytest.approx(1 + 3 * 1)


def test_runs_of_eight_on_one_side() -> None:
    chart = c_chart([20] * 8 + [30] * 8)
    assert chart["run"].all()
    assert describe_signals(chart) == ["8 months in a row below the centre line (1 to 8)",
                                       "8 months in a row above the centre line (9 to 16)"]
    assert not run_flags([20] * 7 + [30] * 7, 25).any()
    flags = run_flags([1, 30, 30, 30, 30, 30, 30, 30, 30, 25, 1], 25)
    assert flags.tolist() == [False] + [True] * 8 + [False, False]


def test_u_chart_limits_vary_with_exposure() -> None:
    counts, exposure = np.array([10, 20, 45]), np.array([1000, 2000, 3000])
    chart = u_chart(counts, exposure, per=1000)
    u_bar = counts.sum() / exposure.sum()
    assert chart["centre"].tolist() == pytest.approx([u_bar * 1000] * 3)
    expected_ucl = (u_bar + 3 * np.sqrt(u_bar / exposure)) * 1000
    assert chart["ucl"].to_numpy() == pytest.approx(expected_ucl)
    assert chart["value"].tolist() == pytest.approx([10.0, 10.0, 15.0])
    assert chart["above_ucl"].tolist() == [False, False, False]


def test_bad_series_are_errors() -> None:
    with pytest.raises(WardmapError):
        c_chart([])
    with pytest.raises(WardmapError):
        c_chart([1, -2])
    with pytest.raises(WardmapError, match="exposure"):
        u_chart([1, 2], [100, 0])


def test_ward_signals_agree_with_single_charts() -> None:
    rng = np.random.default_rng(5)
    table = rng.poisson(6, size=(200, 14)).astype(float)
    table[3, -1] = 40  # far above its limit
    table[7] = [2] * 7 + [9] * 7  # seven each side: no run of eight
    table[9] = [2] * 8 + [9] * 6
    labels = [f"m{i}" for i in range(14)]
    vectorised = ward_signals(table, labels)
    one_by_one = [describe_signals(c_chart(row, labels)) for row in table]
    assert vectorised == one_by_one
    assert vectorised[3][-1] == "m13 above the upper control limit"
    assert vectorised[7] == []
    assert vectorised[9] == ["8 months in a row below the centre line (m0 to m7)"]


def test_run_flags_of_many_series_agree_with_one_at_a_time() -> None:
    from wardmap.periods.spc import _run_matrix

    rng = np.random.default_rng(9)
    # Values of 1 or 9 around a centre of 5, long stretches on one side, some on the line.
    table = np.where(rng.random((300, 30)) < 0.85, 9.0, 1.0)
    table[rng.random((300, 30)) < 0.05] = 5.0
    sides = np.sign(table - 5.0)
    expected = np.array([run_flags(row, 5.0) for row in table])
    assert expected.any()
    assert (_run_matrix(sides) == expected).all()
