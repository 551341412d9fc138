"""Awkward runs still give readable maps, and impossible ones a one-line reason."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest

from tests.maps.helpers import make_records, make_result
from wardmap.errors import WardmapError
from wardmap.maps import maps_writer, style, write_maps

pytestmark = pytest.mark.shared

HOSTILE = "<img src=x onerror=alert(1)>"


def _quick(result):
    result.config.maps.dpi = 40  # layout and content are what is tested here, not resolution
    return result


def _ward_data(html: str) -> dict:
    return json.loads(re.search(r"var ward_data_\w+ = (\{.*?\});\n", html).group(1))


def _html(tmp_path) -> str:
    return (tmp_path / "map.html").read_text(encoding="utf-8")


def test_run_with_no_incidents(maidstone_wards, tmp_path):
    wards = maidstone_wards.assign(incidents=0, value=0.0, rate_per_1000=0.0, rate_eb=0.0,
                                   lisa_label="Not significant", gi_bin=0)
    result = replace(_quick(make_result(wards, measure="incidents")),
                     records=make_records(wards, ["2017-11"]).head(0))
    paths = write_maps(result, tmp_path)
    assert {p.name for p in paths} >= {"map.html", "map.png", "map_panels.png"}
    assert "heatmap.png" not in {p.name for p in paths}  # no months to show


def test_one_ward(maidstone_wards, tmp_path):
    one = maidstone_wards.head(1).drop(columns=["lisa_label", "lisa_p", "gi_bin"])
    paths = write_maps(_quick(make_result(one)), tmp_path)
    assert {p.name for p in paths} == {"map.html", "map.png", "map_panels.png"}
    data = _ward_data(_html(tmp_path))
    assert len(data["geometries"]) == 1 and data["columns"]["c"] == [one["ward_code"].iloc[0]]


def test_ward_with_nan_rate_is_drawn_as_no_data(maidstone_wards, tmp_path):
    wards = maidstone_wards.copy()
    wards.loc[2, ["population", "rate_per_1000", "rate_eb"]] = np.nan
    wards.loc[2, "rate_note"] = "population unknown"
    write_maps(_quick(make_result(wards)), tmp_path)
    html = _html(tmp_path)
    columns = _ward_data(html)["columns"]
    assert columns["r"][2] is None and columns["r"][1] is not None  # the rate, left blank
    layers = [json.loads(m) for m in re.findall(r'_info, (\{"key".*?\})\);', html)]
    # Each rate layer puts the ward in its "No data" class, and its legend counts it.
    blank = [layer for layer in layers if columns[layer["key"]][2] == -1]
    assert blank and all([style.NO_DATA_COLOUR, "No data", 1] in layer["rows"]
                         for layer in blank)


def test_html_and_non_ascii_and_long_names(maidstone_wards, tmp_path):
    wards = maidstone_wards.copy()
    wards.loc[0, "ward_name"] = HOSTILE
    wards.loc[1, "ward_name"] = "Ynys Môn – Llanfair­pwll $x^2$ & Çelik " + "Very Long " * 20
    wards.loc[2, "ward_name"] = "</script><script>alert(2)</script>"
    result = _quick(make_result(wards, area_name="<b>Borough</b> & Co", period_label="2017"))
    write_maps(result, tmp_path)
    html = _html(tmp_path)
    assert HOSTILE not in html and "</script><script>alert(2)" not in html
    assert "<b>Borough</b>" not in html
    assert "Ynys Môn" in html  # non-ASCII kept as text, not mangled


def test_empty_ward_table_and_missing_columns(maidstone_wards, tmp_path):
    with pytest.raises(WardmapError, match="empty"):
        write_maps(make_result(maidstone_wards.head(0)), tmp_path)
    with pytest.raises(WardmapError, match="ward_name"):
        write_maps(make_result(maidstone_wards.drop(columns=["ward_name"])), tmp_path)


def test_nothing_to_map(maidstone_wards, tmp_path):
    bare = maidstone_wards[["ward_code", "ward_name", "geometry"]].copy()
    with pytest.raises(WardmapError, match="nothing to map"):
        write_maps(make_result(bare, measure="value"), tmp_path)


def test_wards_without_shapes_are_left_off_with_a_warning(maidstone_wards, tmp_path):
    import shapely

    wards = maidstone_wards.copy()
    wards.loc[3, "geometry"] = None
    wards.loc[4, "geometry"] = shapely.Polygon()
    result = maps_writer(_quick(make_result(wards)), tmp_path)
    assert any("2 ward(s) without a boundary shape" in w for w in result.warnings)
    data = _ward_data(_html(tmp_path))
    assert len(data["geometries"]) == len(wards) - 2
    assert set(data["columns"]["c"]) == set(wards["ward_code"].drop([3, 4]))
    with pytest.raises(WardmapError, match="no ward has a boundary"):
        write_maps(make_result(wards.assign(geometry=None).set_geometry("geometry", crs=27700)),
                   tmp_path)


@pytest.mark.parametrize(
    "setting,value,message",
    [("dpi", 5, "maps.dpi"), ("k", 0, "maps.k"), ("palette", "Rainbowz", "Rainbowz"),
     ("scheme", "user", "maps.breaks"), ("web_tolerance", -1.0, "web_tolerance")],
)
def test_bad_map_settings_are_named_before_writing(maidstone_wards, tmp_path, setting, value,
                                                   message):
    from wardmap.errors import ConfigError

    result = make_result(maidstone_wards)
    setattr(result.config.maps, setting, value)
    with pytest.raises(ConfigError, match=message):
        write_maps(result, tmp_path / "out")
    assert not (tmp_path / "out").exists()
