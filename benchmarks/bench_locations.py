"""Map points at national scale: records → location rows → locations.csv, flags, concentration.

Synthetic records in the records-table layout: `--rows` records (default 2,000,000, about a
year of England's police.uk crimes) on `--points` map points (default 300,000) spread over
7,681 ward codes, 12 months, 14 crime types, Location texts with police.uk place types. Times,
side by side in one process:
  - wardmap: location_rows (records → rows) and analyse_locations (map points, ward columns,
    concentration, place groups by month)
  - reference: the straightforward pandas way on the records (value_counts per ward and
    point, a groupby-apply per ward for the top point and Gini)
and checks that both give the same top points, counts and Gini.

    .venv/bin/python benchmarks/bench_locations.py [--rows 2000000] [--points 300000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from wardmap.locations import PLACE_TYPES, analyse_locations, location_rows

TYPES = ["Anti-social behaviour", "Violence and sexual offences", "Burglary", "Robbery",
         "Shoplifting", "Vehicle crime", "Criminal damage and arson", "Other theft", "Drugs",
         "Public order", "Bicycle theft", "Theft from the person", "Possession of weapons",
         "Other crime"]


def records(rows: int, points: int, wards: int) -> tuple[pd.DataFrame, pd.DataFrame,
                                                         np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    point_ward = rng.integers(0, wards, points)
    names = np.array([f"On or near Street {i}" for i in range(points)], dtype=object)
    place = rng.random(points) < 0.05
    names[place] = [f"On or near {t}" for t in rng.choice(PLACE_TYPES, place.sum())]
    lon = rng.uniform(-5, 1.7, points).round(6)
    lat = rng.uniform(50, 55.8, points).round(6)
    # Skewed use of points, as crime concentrates: a Zipf-like draw.
    which = np.minimum(rng.zipf(1.3, rows) - 1, points - 1)
    which = rng.permutation(points)[which]
    codes = np.array([f"E05{i:06d}" for i in range(wards)], dtype=object)
    table = pd.DataFrame({
        "ward_code": pd.Categorical(codes[point_ward[which]]),
        "location": pd.Categorical(names[which]),
        "crime_type": pd.Categorical(rng.choice(TYPES, rows)),
        "month": pd.Categorical([f"2024-{m:02d}" for m in rng.integers(1, 13, rows)]),
    })
    wards_table = pd.DataFrame({"ward_code": codes, "ward_name": codes})
    return table, wards_table, lon[which], lat[which]


def reference(recs: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    frame = recs.assign(lon=lon, lat=lat)
    per_point = frame.groupby(["ward_code", "lon", "lat"], observed=True).size()

    def ward(group: pd.Series) -> pd.Series:
        x = np.sort(group.to_numpy(float))
        n = len(x)
        diffs = np.abs(x[:, None] - x[None, :]).sum() if n < 3000 else np.nan
        return pd.Series({"top": x[-1], "total": x.sum(), "gini": diffs / (2 * n * n * x.mean())})

    return per_point.groupby(level="ward_code", observed=True).apply(ward).unstack()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--points", type=int, default=300_000)
    parser.add_argument("--wards", type=int, default=7_681)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    recs, wards, lon, lat = records(args.rows, args.points, args.wards)
    recs["ward_code"] = recs["ward_code"].astype(object)  # as place_records leaves it
    mask = np.ones(len(recs), bool)
    groups = {"night_time_economy": ["Nightclub", "Theatre/Concert Hall"]}

    t_rows = t_analyse = t_ref = float("inf")
    for _ in range(args.repeat):  # the fastest of a few: the machine is shared and noisy
        started = time.perf_counter()
        rows = location_rows(recs, (lon, lat), mask)
        t_rows = min(t_rows, time.perf_counter() - started)
        started = time.perf_counter()
        columns, found = analyse_locations(rows, wards, groups)
        t_analyse = min(t_analyse, time.perf_counter() - started)
        started = time.perf_counter()
        ref = reference(recs, lon, lat)
        t_ref = min(t_ref, time.perf_counter() - started)

    ref = ref.reindex(columns.index)
    assert (columns["top_location_count"].to_numpy() == ref["top"].fillna(0).to_numpy()).all()
    assert np.allclose(columns["location_gini"], ref["gini"], atol=1e-9, equal_nan=True)
    assert found.concentration.records == len(recs)
    print(f"{len(recs):,} records, {len(rows):,} location rows, {len(found.points):,} map "
          f"points, {len(wards):,} wards")
    print(f"wardmap location_rows     {t_rows:7.2f} s")
    print(f"wardmap analyse_locations {t_analyse:7.2f} s")
    print(f"wardmap total             {t_rows + t_analyse:7.2f} s")
    print(f"reference (pandas apply)  {t_ref:7.2f} s  ratio {(t_rows + t_analyse) / t_ref:.2f}"
          "  (same top counts and Gini)")


if __name__ == "__main__":
    main()
