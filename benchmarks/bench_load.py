"""Loading and aggregation at national scale: police.uk CSVs → records placed in wards.

Writes a year of synthetic police.uk-format records (points drawn inside England's 7,681
wards from ../shared/data) into a temporary folder, then times, side by side in one process:
  - wardmap: read_incidents (pyarrow) + place_records (STRtree, snapping, accounting)
  - baseline: pandas.read_csv + geopandas.sjoin (the usual hand-written approach)
and checks that both put the same records in the same wards.

    .venv/bin/python benchmarks/bench_load.py [--rows 2000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from wardmap.aggregate import count_by_ward, place_records
from wardmap.config import Config
from wardmap.load.boundaries import read_boundaries
from wardmap.load.incidents import read_incidents

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
          "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
          "Context"]


def write_records(wards: gpd.GeoDataFrame, rows: int, folder: Path) -> None:
    """`rows` records in 12 monthly files, uniformly at random in England's wards' extent,
    kept where they fall in a ward (so the sample follows ward areas)."""
    rng = np.random.default_rng(1)
    minx, miny, maxx, maxy = wards.total_bounds
    england = wards.union_all()
    shapely.prepare(england)
    points = []
    while sum(len(p) for p in points) < rows:
        xy = rng.uniform((minx, miny), (maxx, maxy), (rows, 2))
        inside = shapely.contains_xy(england, xy[:, 0], xy[:, 1])
        points.append(xy[inside])
    xy = np.vstack(points)[:rows]
    lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700).to_crs(4326)
    months = rng.integers(1, 13, rows)
    frame = pd.DataFrame({h: "" for h in HEADER}, index=range(rows))
    frame["Month"] = [f"2024-{m:02d}" for m in months]
    frame["Longitude"] = np.char.mod("%.6f", lonlat.x.to_numpy())
    frame["Latitude"] = np.char.mod("%.6f", lonlat.y.to_numpy())
    frame["Crime type"] = rng.choice(["Burglary", "Anti-social behaviour", "Drugs"], rows)
    frame["Location"] = "On or near Somewhere"
    for month, part in frame.groupby("Month"):
        part.to_csv(folder / f"{month}-england-street.csv", index=False)


def time_wardmap(wards: gpd.GeoDataFrame, folder: Path) -> tuple[float, float, pd.Series]:
    start = time.perf_counter()
    records, _ = read_incidents([str(folder)], Config().inputs)
    read = time.perf_counter() - start
    placed = place_records(records, wards, Config())
    counts = count_by_ward(placed.records.assign(status=placed.records["status"].where(
        placed.records["status"] == "assigned")), wards)
    return read, time.perf_counter() - start - read, counts


def time_baseline(wards: gpd.GeoDataFrame, folder: Path) -> tuple[float, float, pd.Series]:
    start = time.perf_counter()
    frame = pd.concat([pd.read_csv(p) for p in sorted(folder.glob("*.csv"))], ignore_index=True)
    read = time.perf_counter() - start
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(
        frame["Longitude"], frame["Latitude"]), crs=4326).to_crs(wards.crs)
    joined = gpd.sjoin(points, wards, predicate="within")
    joined = joined[~joined.index.duplicated()]
    counts = joined.groupby("ward_code").size().reindex(wards["ward_code"], fill_value=0)
    return read, time.perf_counter() - start - read, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    wards, _ = read_boundaries(SHARED / "boundaries" / "england_wards_2013.parquet")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_records(wards, args.rows, folder)
        size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
        w_read, w_place, w_counts = time_wardmap(wards, folder)
        b_read, b_place, b_counts = time_baseline(wards, folder)
    same = bool((w_counts.to_numpy() == b_counts.to_numpy()).all())
    print(f"{args.rows:,} records in 12 files ({size:.0f} MB), {len(wards):,} England wards")
    print(f"{'step':<22}{'wardmap s':>11}{'pandas+sjoin s':>16}{'ratio':>8}")
    for name, w, b in (("read CSVs", w_read, b_read), ("place in wards", w_place, b_place),
                       ("total", w_read + w_place, b_read + b_place)):
        print(f"{name:<22}{w:>11.2f}{b:>16.2f}{w / b:>8.2f}")
    print(f"same ward counts for records inside a ward: {same}")


if __name__ == "__main__":
    main()
