"""Hand-made runs over the real Maidstone wards for the map tests.

Values are made up (seeded) but shaped like a real run; the real pipeline is exercised in
test_end_to_end.py.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.config import Config
from wardmap.result import BOUNDARY_ATTRIBUTION, POLICE_ATTRIBUTION, RunMeta, RunResult

LISA = ["High-High", "Low-Low", "Low-High", "High-Low", "Not significant", "Island"]


def make_wards(boundaries: Path, seed: int = 7) -> gpd.GeoDataFrame:
    """Maidstone's 26 wards (EPSG:27700) with made-up counts, rates and statistics."""
    raw = gpd.read_file(boundaries / "maidstone_wards_2013.geojson").to_crs(27700)
    rng = np.random.default_rng(seed)
    n = len(raw)
    wards = gpd.GeoDataFrame(
        {
            "ward_code": raw["WD13CD"].astype(str),
            "ward_name": raw["WD13NM"].astype(str),
        },
        geometry=raw.geometry.values,
        crs=27700,
    )
    incidents = rng.poisson(60, n)
    incidents[:3] = [2, 0, 4]  # small counts for suppression tests
    population = rng.integers(2500, 11000, n).astype(float)
    wards["value"] = incidents.astype(float)
    wards["incidents"] = incidents
    wards["population"] = population
    wards["rate_per_1000"] = 1000 * incidents / population
    wards["rate_note"] = ""
    wards["rate_eb"] = wards["rate_per_1000"] * 0.8 + 2
    wards["lisa_I"] = rng.normal(0, 1, n)
    wards["lisa_q"] = rng.integers(1, 5, n)
    wards["lisa_p"] = rng.uniform(0.001, 0.5, n)
    wards["lisa_label"] = [LISA[i % 5] for i in range(n)]
    wards["gi_z"] = rng.normal(0, 2, n)
    wards["gi_p"] = rng.uniform(0.001, 0.5, n)
    wards["gi_bin"] = [(i % 7) - 3 for i in range(n)]
    return wards.sort_values("ward_code").reset_index(drop=True)


def make_result(wards: gpd.GeoDataFrame, config: Config | None = None, **meta) -> RunResult:
    meta_kw = dict(
        area_name="Maidstone",
        measure="rate_per_1000",
        measure_label="Rate per 1,000 residents",
        period_label="November–December 2017",
        crime_types_label="All crime types",
        attributions=[BOUNDARY_ATTRIBUTION, POLICE_ATTRIBUTION],
    )
    meta_kw.update(meta)
    return RunResult(
        config=config or Config(),
        wards=wards,
        summary={},
        meta=RunMeta(**meta_kw),
    )


def make_records(wards: gpd.GeoDataFrame, months: list[str], seed: int = 3) -> pd.DataFrame:
    """Incident records placed inside the wards, spread over `months`."""
    rng = np.random.default_rng(seed)
    pts = wards.geometry.representative_point()
    rows = []
    for code, p, n in zip(wards["ward_code"], pts, wards["incidents"], strict=True):
        for j in range(int(n)):
            rows.append((months[j % len(months)], code, p.x + rng.normal(0, 50),
                         p.y + rng.normal(0, 50)))
    df = pd.DataFrame(rows, columns=["month", "ward_code", "x", "y"])
    ll = gpd.GeoSeries(gpd.points_from_xy(df.x, df.y), crs=27700).to_crs(4326)
    df["longitude"], df["latitude"] = ll.x, ll.y
    df["crime_type"] = "Violence and sexual offences"
    df["location"] = "On or near <b>High Street</b>"
    df["status"] = "assigned"
    df["type_match"] = True
    df["period_match"] = True
    return df


def national_wards(england: gpd.GeoDataFrame, seed: int = 0) -> gpd.GeoDataFrame:
    """England's wards with made-up counts, rates and statistics."""
    rng = np.random.default_rng(seed)
    n = len(england)
    wards = gpd.GeoDataFrame(
        {"ward_code": england["WD13CD"], "ward_name": england["WD13NM"],
         "incidents": rng.poisson(80, n), "population": rng.integers(2000, 15000, n) * 1.0},
        geometry=england.geometry.values, crs=england.crs,
    )
    wards["value"] = wards["incidents"] * 1.0
    wards["rate_per_1000"] = 1000 * wards["incidents"] / wards["population"]
    wards["rate_eb"] = wards["rate_per_1000"]
    wards["lisa_label"] = rng.choice(["High-High", "Low-Low", "Not significant"], n)
    wards["lisa_p"] = rng.uniform(0, 1, n)
    wards["gi_bin"] = rng.integers(-3, 4, n)
    return wards.sort_values("ward_code").reset_index(drop=True)
