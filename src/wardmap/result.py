"""What an analysis produces: the ward table and all the export stage needs to describe it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from wardmap.config import Config

BOUNDARY_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; "
    "contains National Statistics data © Crown copyright and database right"
)
POLICE_ATTRIBUTION = "Crime data: police.uk, Open Government Licence v3.0"
SYNTHETIC_NOTICE = "Synthetic demo data: not a real place"


@dataclass
class RunMeta:
    """Words for titles, legends and notes."""

    area_name: str = "Study area"
    measure: str = "incidents"  # the column analysed: incidents, rate_per_1000, rate_eb, value
    measure_label: str = "Recorded incidents"
    period_label: str = ""
    crime_types_label: str = "All crime types"
    attributions: list[str] = field(default_factory=list)
    synthetic: bool = False


@dataclass
class RunResult:
    """The ward table and its companions after load → align → aggregate → normalise → test.

    wards: one row per ward, projected CRS (EPSG:27700 by default), sorted by ward_code,
        columns per docs/ARCHITECTURE.md (ward_code, ward_name, value, incidents, population,
        rate_per_1000, ..., geometry).
    records: one row per incident input row (None for ward-level tables): month ("YYYY-MM" or
        None), crime_type, location, x, y (analysis CRS), lon, lat (WGS84: the map point),
        ward_code (None when not placed or left out), status (assigned, snapped, outside,
        missing_coordinates, invalid_coordinates, filtered_out, excluded_location),
        type_match and period_match (the filters, evaluated separately so that comparison
        periods can be drawn from the same records).
    """

    config: Config
    wards: gpd.GeoDataFrame
    summary: dict[str, Any]
    meta: RunMeta
    records: pd.DataFrame | None = None
    accounting: dict[str, int] | None = None
    weights: Any = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Filled by the select stage when asked: ranked candidate focus areas and ward clusters.
    focus: pd.DataFrame | None = None
    clusters: pd.DataFrame | None = None
    # Map points, place groups and concentration (wardmap.locations), when records were given.
    locations: Any = None
