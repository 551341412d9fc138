"""Fixtures for the map tests (helpers.py builds them)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from tests.maps.helpers import make_result, make_wards
from wardmap.result import RunResult


@pytest.fixture(scope="session")
def maidstone_wards(shared_data: Path) -> gpd.GeoDataFrame:
    return make_wards(shared_data / "boundaries")


@pytest.fixture
def maidstone_result(maidstone_wards: gpd.GeoDataFrame) -> RunResult:
    return make_result(maidstone_wards.copy())
