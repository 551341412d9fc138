"""Ward geometry for the web: simplified as a coverage, rounded, embedded once as GeoJSON.

Simplifying each ward on its own opens slivers between neighbours; GEOS's coverage
simplification (shapely.coverage_simplify) simplifies shared edges once, so neighbours keep
identical edges. Rounding is pointwise, so a vertex shared by two wards rounds the same way in
both and no gap appears.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from wardmap.errors import WardmapError

# Above this many wards the map is a regional or national overview: simplify to about a
# pixel of the default view (extent / 1000) instead of a fifth of one.
OVERVIEW_WARDS = 1000


def default_tolerance(wards: gpd.GeoSeries) -> float:
    """Simplification tolerance in metres, from the area's extent and the number of wards."""
    minx, miny, maxx, maxy = wards.total_bounds
    extent = max(maxx - minx, maxy - miny)
    return float(extent / (1000 if len(wards) > OVERVIEW_WARDS else 5000))


def default_decimals(tolerance: float) -> int:
    """Decimal places of degrees: 4 (about 10 m) for overviews, 5 (about 1 m) otherwise."""
    return 4 if tolerance >= 100 else 5


def web_geometry(
    geometry: gpd.GeoSeries, tolerance: float | None = None, decimals: int | None = None
) -> gpd.GeoSeries:
    """Ward polygons simplified as a coverage (metres), in WGS84, rounded to `decimals`."""
    if geometry.crs is None:
        raise WardmapError("ward boundaries have no coordinate reference system")
    metric = geometry if geometry.crs.is_projected else geometry.to_crs(geometry.estimate_utm_crs())
    tol = default_tolerance(metric) if tolerance is None else float(tolerance)
    simplified = _coverage_simplify(metric.values, tol) if tol > 0 else metric.values
    wgs84 = gpd.GeoSeries(simplified, index=geometry.index, crs=metric.crs).to_crs(4326)
    step = 10.0 ** -(default_decimals(tol) if decimals is None else decimals)
    rounded = shapely.set_precision(wgs84.values, step, mode="pointwise")
    return gpd.GeoSeries(rounded, index=geometry.index, crs=4326)


def _coverage_simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    try:
        return shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:
        # Published boundaries sometimes hold a self-touching ring; repair and try again.
        return shapely.coverage_simplify(shapely.make_valid(geoms), tolerance)


def script_json(value: Any) -> str:
    """JSON safe to place inside <script>: no "</script>" or "<!--" can end the block early."""
    return _safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def ward_data(geometry: gpd.GeoSeries, properties: pd.DataFrame) -> str:
    """Script-safe JSON {"geometries": [GeoJSON geometry per ward], "columns": {key: [value
    per ward]}}: column-wise properties and bare geometries, which the page turns into a
    FeatureCollection. Per-ward keys and Feature wrappers would add ~100 bytes a ward (0.8 MB
    on the England map). Geometry text is written by GEOS and columns by pandas (fast)."""
    geoms = shapely.to_geojson(geometry.values)
    columns = ",".join(
        script_json(str(key)) + ":" + _safe(
            properties[key].to_json(orient="values", force_ascii=False, double_precision=6))
        for key in properties.columns
    )
    return '{"geometries":[' + ",".join(geoms) + '],"columns":{' + columns + "}}"


def _safe(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
