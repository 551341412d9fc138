"""Small builders for test inputs."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pytest
import shapely


def need(condition: bool, reason: str) -> None:
    """Skip the test when ``condition`` is false, or fail it in CI (WARDMAP_REQUIRE_SHARED=1),
    where every tool and file the suite needs is installed."""
    if condition:
        return
    if os.environ.get("WARDMAP_REQUIRE_SHARED") == "1":
        pytest.fail(f"WARDMAP_REQUIRE_SHARED=1 but {reason}")
    pytest.skip(reason)


POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                 "LSOA code,LSOA name,Crime type,Last outcome category,Context")


def grid_wards(n_cols: int = 3, n_rows: int = 2, size: float = 1000.0,
               origin: tuple[float, float] = (570_000.0, 150_000.0)) -> gpd.GeoDataFrame:
    """Square wards in British National Grid, codes W01.., names 'Ward 1'.."""
    boxes, codes, names = [], [], []
    for r in range(n_rows):
        for c in range(n_cols):
            i = r * n_cols + c + 1
            x0, y0 = origin[0] + c * size, origin[1] + r * size
            boxes.append(shapely.box(x0, y0, x0 + size, y0 + size))
            codes.append(f"W{i:02d}")
            names.append(f"Ward {i}")
    return gpd.GeoDataFrame({"WD23CD": codes, "WD23NM": names}, geometry=boxes,
                            crs="EPSG:27700")


def police_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """rows: (month, longitude, latitude, crime type)."""
    lines = [POLICE_HEADER] + [f",{m},Kent Police,Kent Police,{lon},{lat},On or near Here,,,"
                               f"{t},," for m, lon, lat, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
