"""Fixtures for the map tests (helpers.py builds them)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from tests.maps.helpers import make_result, make_wards, national_wards
from wardmap.result import RunResult


@pytest.fixture(scope="session")
def maidstone_wards(shared_data: Path) -> gpd.GeoDataFrame:
    return make_wards(shared_data / "boundaries")


@pytest.fixture
def maidstone_result(maidstone_wards: gpd.GeoDataFrame) -> RunResult:
    return make_result(maidstone_wards.copy())


@pytest.fixture(scope="session")
def england_wards(shared_data: Path) -> gpd.GeoDataFrame:
    """England's 7,681 wards of 2013 in EPSG:27700, as published (with LAD13CD)."""
    path = shared_data / "boundaries" / "england_wards_2013.parquet"
    return gpd.read_parquet(path).to_crs(27700)


@pytest.fixture(scope="session")
def england_map(england_wards: gpd.GeoDataFrame, tmp_path_factory) -> tuple[Path, gpd.GeoDataFrame]:
    """map.html for every ward in England with made-up values: built once, checked for size
    (test_web.py) and opened in the browser (test_browser.py)."""
    from wardmap.maps import interactive

    wards = national_wards(england_wards)
    result = make_result(wards, area_name="England", measure="rate_per_1000")
    path = interactive.write_html(result, tmp_path_factory.mktemp("england") / "map.html")
    return path, wards
