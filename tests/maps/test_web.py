"""Web geometry: simplified without gaps or overlaps between neighbours, small enough to ship."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from wardmap.maps import web

pytestmark = pytest.mark.shared


def _bad_edges(geoms: np.ndarray, gap: float = 50.0) -> int:
    """Ward edges GEOS finds not matched by a neighbour (overlaps, or gaps narrower than
    `gap` metres): shapely.coverage_invalid_edges, the library's own coverage check."""
    edges = shapely.coverage_invalid_edges(geoms, gap_width=gap)
    return int((~shapely.is_empty(edges) & ~shapely.is_missing(edges)).sum())


def _overlap_share(geoms: np.ndarray) -> float:
    geoms = shapely.make_valid(geoms)
    union = float(shapely.area(shapely.union_all(geoms)))
    return (float(shapely.area(geoms).sum()) - union) / union


@pytest.fixture(scope="module")
def england(england_wards):
    return england_wards


def test_maidstone_wards_keep_shared_edges(maidstone_wards):
    original = maidstone_wards.geometry.values
    # The published boundaries are not a perfect coverage themselves (3 edges on Maidstone's):
    # simplification must not make them worse.
    simplified = web.web_geometry(maidstone_wards.geometry, tolerance=200).to_crs(27700)
    assert _bad_edges(simplified.values) <= _bad_edges(original) <= 3
    assert abs(_overlap_share(simplified.values)) < 1e-6
    assert shapely.get_num_coordinates(simplified.values).sum() < 0.5 * shapely.get_num_coordinates(
        original).sum()
    # The same tolerance polygon by polygon opens slivers the check sees.
    assert _bad_edges(shapely.simplify(original, 200)) > 10 + _bad_edges(original)


@pytest.mark.slow
def test_england_at_national_tolerance_has_no_gaps_or_overlaps(england):
    tolerance = web.default_tolerance(england.geometry)
    assert 300 < tolerance < 1500  # about a pixel of the national view
    simplified = web.web_geometry(england.geometry, tolerance=tolerance)
    assert shapely.get_num_coordinates(simplified.values).sum() < 0.2 * shapely.get_num_coordinates(
        england.geometry.values
    ).sum()
    # South-east districts (~1,100 wards), back in metres.
    region = england["LAD13CD"].str.startswith("E07") & (england.geometry.centroid.x > 540000)
    original = england.geometry[region].values
    back = simplified[region].to_crs(27700).values
    assert region.sum() > 1000
    assert _bad_edges(back) <= _bad_edges(original)
    assert abs(_overlap_share(back)) < 1e-5
    assert _bad_edges(shapely.simplify(original, tolerance)) > 5 * _bad_edges(original)


@pytest.mark.slow
def test_england_map_html_is_small(england_map):
    path, wards = england_map
    n = len(wards)
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size <= 3_000_000
    data = json.loads(re.search(r"var ward_data_\w+ = (\{.*?\});\n", text).group(1))
    assert len(data["geometries"]) == n == 7681
    assert all(len(values) == n for values in data["columns"].values())
    # One copy of the geometry, whatever the number of layers.
    assert text.count('"coordinates"') == n


def test_script_json_cannot_close_the_script_block():
    text = web.script_json({"n": "</script><script>alert(1)</script>", "m": "a & b"})
    assert "</" not in text and "<" not in text and "&" not in text
    assert json.loads(text)["n"] == "</script><script>alert(1)</script>"


def test_ward_data_writes_nulls_not_nan():
    geo = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    props = pd.DataFrame({"n": ["a", "b"], "r": [np.nan, 1.5], "k": [np.int64(2), 3]})
    data = json.loads(web.ward_data(geo, props))
    assert data["columns"] == {"n": ["a", "b"], "r": [None, 1.5], "k": [2, 3]}
    assert [g["type"] for g in data["geometries"]] == ["Polygon", "Polygon"]


def test_wards_without_crs_are_refused():
    from wardmap.errors import WardmapError

    with pytest.raises(WardmapError, match="coordinate reference system"):
        web.web_geometry(gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))
