"""Small-number suppression: counts 1..threshold hidden, rates from them blanked."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from wardmap.disclosure import format_count, is_small, mask_small_counts, suppression_label
from wardmap.errors import WardmapError


def _wards() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ward_code": ["A", "B", "C", "D", "E"],
            "incidents": [0, 1, 4, 5, 120],
            "incidents_prev": [3, 10, 6, 2, 100],
            "rate_per_1000": [0.0, 0.2, 0.8, 1.0, 24.0],
            "change_pct": [-100.0, -90.0, -33.3, 150.0, 20.0],
            "change_sig": [True, True, False, True, False],
            "lisa_p": [0.5, 0.1, 0.2, 0.3, 0.01],
        }
    )


def test_label_mode_shows_small_counts_as_less_than_five() -> None:
    out = mask_small_counts(_wards())
    assert list(out["incidents"]) == [0, "<5", "<5", 5, 120]
    assert list(out["incidents_prev"]) == ["<5", 10, 6, "<5", 100]
    # A rate is blanked where the current count was suppressed (not last year's); a change
    # where either count was.
    assert out["rate_per_1000"].isna().tolist() == [False, True, True, False, False]
    assert out["change_pct"].isna().tolist() == [True, True, True, True, False]
    assert out["change_sig"].tolist() == [None, None, None, None, False]
    # Columns not worked out from counts are untouched.
    assert out["lisa_p"].tolist() == _wards()["lisa_p"].tolist()


def test_hide_mode_leaves_cells_missing() -> None:
    out = mask_small_counts(_wards(), mode="hide")
    assert out["incidents"].isna().tolist() == [False, True, True, False, False]
    assert out["incidents"].dropna().tolist() == [0, 5, 120]


def test_input_is_not_changed_and_geodataframe_kept() -> None:
    gdf = gpd.GeoDataFrame(_wards(), geometry=[Point(i, i) for i in range(5)], crs=27700)
    before = gdf.copy()
    out = mask_small_counts(gdf, threshold=9)
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before))
    assert isinstance(out, gpd.GeoDataFrame)
    assert list(out["incidents"]) == [0, "<10", "<10", "<10", 120]


def test_rate_mapping_ties_rates_to_named_counts() -> None:
    out = mask_small_counts(
        _wards(),
        count_columns=["incidents"],
        rate_columns={"rate_per_1000": "incidents"},
    )
    assert out["rate_per_1000"].isna().tolist() == [False, True, True, False, False]
    assert list(out["incidents_prev"]) == [3, 10, 6, 2, 100]  # not named: untouched


def test_missing_named_column_is_an_error() -> None:
    with pytest.raises(WardmapError, match="not in the table"):
        mask_small_counts(_wards(), count_columns=["crimes"])
    with pytest.raises(WardmapError, match="threshold"):
        mask_small_counts(_wards(), threshold=0)


def test_missing_counts_stay_missing() -> None:
    df = pd.DataFrame({"incidents": [np.nan, 2.0, 7.0]})
    out = mask_small_counts(df)
    assert out["incidents"].tolist() == [None, "<5", 7]


def test_format_count_and_helpers() -> None:
    assert format_count(3) == "<5"
    assert format_count(3, public=False) == "3"
    assert format_count(0) == "0"
    assert format_count(1204) == "1,204"
    assert suppression_label(9) == "<10"
    assert is_small([0, 1, 4, 5, None]).tolist() == [False, True, True, False, False]
