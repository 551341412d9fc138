"""Class breaks against mapclassify itself, legends, suppression and the conventional colours."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from wardmap.errors import ConfigError
from wardmap.maps import style


@pytest.fixture(scope="module")
def mapclassify():
    """mapclassify as the independent reference; numba hidden so that importing it does not
    spend seconds compiling (its pure-Python Fisher-Jenks is the same algorithm)."""
    saved = sys.modules.get("numba")
    if "mapclassify" not in sys.modules:
        sys.modules["numba"] = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mapclassify
    finally:
        if saved is None:
            sys.modules.pop("numba", None)
        else:
            sys.modules["numba"] = saved
    return mapclassify


@pytest.mark.filterwarnings("ignore:Numba not installed")
@pytest.mark.parametrize("n,k", [(12, 3), (26, 5), (150, 5), (150, 7)])
def test_natural_breaks_match_mapclassify_fisher_jenks(mapclassify, n, k):
    x = np.random.default_rng(n * k).gamma(2.0, 10.0, n)
    assert np.allclose(style.fisher_jenks(x, k), mapclassify.FisherJenks(x, k=k).bins)


@pytest.mark.parametrize("scheme,cls", [("quantiles", "Quantiles"),
                                        ("equal_interval", "EqualInterval")])
@pytest.mark.parametrize("k", [4, 5])
def test_quantiles_and_equal_interval_match_mapclassify(mapclassify, scheme, cls, k):
    x = np.random.default_rng(k).poisson(40, 300).astype(float)
    ref = getattr(mapclassify, cls)(x, k=k)
    classes = style.classify(pd.Series(x, name="incidents"), scheme, k)
    assert np.allclose(classes.bins, ref.bins)
    assert classes.counts == list(ref.counts)
    assert np.array_equal(classes.yb, ref.yb)


def test_user_breaks_match_mapclassify(mapclassify):
    x = np.random.default_rng(1).uniform(0, 30, 200)
    ref = mapclassify.UserDefined(x, [5, 10, 20])
    classes = style.classify(pd.Series(x, name="rate"), "user", breaks=[10, 5, 20])
    assert np.allclose(classes.bins, ref.bins)
    assert np.array_equal(classes.yb, ref.yb)


def test_sampled_natural_breaks_are_close_to_exact_and_deterministic():
    x = np.random.default_rng(5).gamma(2.0, 10.0, 3000)
    sampled = style.fisher_jenks(x, 5)
    assert sampled == style.fisher_jenks(x, 5)
    assert sampled[-1] == x.max()
    exact = style.fisher_jenks(np.sort(x)[:: 3], 5)  # 1,000 values: the exact programme
    assert np.allclose(sampled[:-1], exact[:-1], rtol=0.15)


def test_legend_rows_count_every_ward_and_no_data():
    values = pd.Series([0, 1, 2, 3, 10, 11, 12, 40, 41, np.nan], name="incidents")
    classes = style.classify(values, "natural_breaks", 3)
    rows = classes.legend_rows()
    assert sum(n for _, _, n in rows) == len(values)
    assert rows[-1][1:] == (style.NO_DATA_LABEL, 1)
    # Three obvious groups; integer ranges run on from the previous bound, leaving no gaps.
    assert [label for _, label, _ in rows[:-1]] == ["0–3", "4–12", "13–41"]
    assert classes.yb[-1] == -1


def test_constant_and_empty_columns():
    zero = style.classify(pd.Series([0, 0, 0], name="incidents"))
    assert zero.labels == ["0"] and zero.counts == [3]
    empty = style.classify(pd.Series([np.nan, np.nan], name="rate_per_1000"))
    assert empty.bins == [] and empty.no_data == 2


def test_public_counts_never_split_the_suppressed_range():
    values = pd.Series([0, 1, 2, 3, 4, 9, 30, 31, 60], name="incidents")
    classes = style.classify(values, "quantiles", 5, small_threshold=4)
    assert not any(1 <= b < 4 for b in classes.bins)
    small = classes.yb[1:5]
    assert len(set(small)) == 1  # 1..4 share one class: no range tells them apart


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="scheme"):
        style.classify(pd.Series([1.0, 2.0]), "jenks")
    with pytest.raises(ConfigError, match="breaks"):
        style.classify(pd.Series([1.0, 2.0]), "user")
    with pytest.raises(ConfigError, match="palette"):
        style.classify(pd.Series([1.0, 2.0]), palette="NotAPalette")


def test_diverging_palette_puts_falls_cool_and_rises_warm():
    values = pd.Series([-50, -40, -5, 0, 5, 40, 60], name="change_pct", dtype=float)
    classes = style.classify(values, "equal_interval", 4, palette="RdBu_r", diverging=True)
    first, last = classes.colours[0], classes.colours[-1]
    assert int(first[5:7], 16) > int(first[1:3], 16)  # blue > red for the biggest fall
    assert int(last[1:3], 16) > int(last[5:7], 16)  # red > blue for the biggest rise


def test_conventional_colours():
    assert style.LISA_COLOURS["High-High"] == "#ff0000"
    assert style.LISA_COLOURS["Low-Low"] == "#0000ff"
    assert set(style.GI_COLOURS) == set(range(-3, 4))
    wards = pd.DataFrame({"gi_bin": [3, -3, np.nan, 7], "lisa_label": ["High-High", None,
                                                                       "Island", "odd"]})
    assert style.gi_bins(wards).tolist() == [3, -3, 0, 3]
    assert style.lisa_labels(wards).tolist() == ["High-High", "Not significant", "Island",
                                                 "Not significant"]


def test_user_break_labels_for_change_read_in_order():
    values = pd.Series([-5.0, 3.0, 12.0, 18.0], name="change_pct")
    classes = style.classify(values, "user", breaks=[-25, -10, 0, 10, 25], palette="RdBu_r",
                             diverging=True)
    assert classes.labels == ["up to -25", "-25 to -10", "-10 to 0", "0–10", "10–25"]
    assert classes.counts == [0, 0, 1, 1, 2]
