"""wardmap: ward hotspot maps for Community Safety Partnerships.

Use it from Python as one uses geopandas or esda: each stage is a function over plain
GeoDataFrames with keyword arguments, returning new objects.

- ``read_boundaries(path, *, code_col, name_col, crs, layer) -> GeoDataFrame``
- ``read_incidents(paths, *, lon_col, lat_col, x_col, y_col, crs, ...) -> DataFrame``
- ``count_incidents(records, wards, *, ...) -> Placement``
- ``map_points(placement, *, places, flag_share, ...) -> (GeoDataFrame, Locations)``
- ``spatial_tests(wards, column, *, weights, permutations, seed, ...) -> SpatialTests``
- ``focus_areas(wards, indicators, *, size, exclude, ...) -> DataFrame``
- ``clusters(wards, variables, *, max_size) -> DataFrame``
- ``evaluate_counts(wards, counts, *, target, start, ...) -> dict``; ``wdd(...)``: did a
  task force work, and where did crime go (docs/evaluate.md)
- ``relate_columns(wards, x, y, *, weights, permutations, ...) -> Relation``
- ``rank_districts(wards, *, district_col, count_col, ...) -> (wards, districts)``
- ``Config``, ``load_config(path)``, ``analyse(config) -> RunResult``,
  ``run(config, out) -> RunResult``: a whole run, as the command line does it.
- ``fetch_district(FetchConfig(district=..., months=..., out=...)) -> FetchReport``: a
  district's boundaries, populations and police.uk records, as `wardmap fetch` does it.

Names are imported on first use, so that ``import wardmap`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "read_boundaries": "wardmap.api",
    "read_incidents": "wardmap.api",
    "count_incidents": "wardmap.api",
    "map_points": "wardmap.api",
    "spatial_tests": "wardmap.api",
    "focus_areas": "wardmap.api",
    "clusters": "wardmap.api",
    "WardmapWarning": "wardmap.api",
    "evaluate_counts": "wardmap.evaluate",
    "wdd": "wardmap.evaluate",
    "relate_columns": "wardmap.relate",
    "rank_districts": "wardmap.peers",
    "Config": "wardmap.config",
    "load_config": "wardmap.config",
    "analyse": "wardmap.pipeline",
    "run": "wardmap.pipeline",
    "FetchConfig": "wardmap.config",
    "fetch_district": "wardmap.fetch.stage",
    "Moran": "wardmap.result",
    "Placement": "wardmap.result",
    "RunResult": "wardmap.result",
    "SpatialTests": "wardmap.result",
    "significant": "wardmap.result",
    "WardmapError": "wardmap.errors",
    "InputError": "wardmap.errors",
    "ConfigError": "wardmap.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wardmap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
