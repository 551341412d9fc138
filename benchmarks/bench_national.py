"""National, multi-year records: throughput and peak memory of `wardmap run`, by engine.

Generates synthetic police.uk-format monthly CSVs for England (500,000 records a month, as
police.uk publishes about 6 million a year) into a folder under /tmp (never the repository):
map points drawn inside England's 7,681 wards (2013, ../shared/data), 700,000 of them shared
by all months with a skewed popularity (a few points collect many records, as police.uk's
anonymised snap points do), 14 police.uk crime types in their usual proportions, and a small
share of rows without coordinates. Then runs each engine in its own cold process, sampling the
resident memory of the whole process tree (dask workers included) every 0.1 s:

    .venv/bin/python benchmarks/bench_national.py [--records 12000000] [--engines local dask]
        [--reference-src DIR] [--permutations 99] [--keep] [--crime-ids] [--outputs DIR]

``--reference-src`` runs an older wardmap (its src/ folder, e.g. from `git archive`) the
same way: the in-memory path side by side. Every run's wards.csv is compared with the first.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOUNDARIES = SHARED / "boundaries" / "england_wards_2013.parquet"
PER_MONTH = 500_000
POINTS = 700_000
# police.uk crime types with roughly their national shares.
CRIME_TYPES = {
    "Violence and sexual offences": 0.33, "Anti-social behaviour": 0.17,
    "Criminal damage and arson": 0.09, "Other theft": 0.08, "Public order": 0.08,
    "Shoplifting": 0.06, "Vehicle crime": 0.06, "Burglary": 0.04, "Drugs": 0.03,
    "Theft from the person": 0.015, "Other crime": 0.015, "Bicycle theft": 0.01,
    "Robbery": 0.01, "Possession of weapons": 0.01,
}
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
          "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
          "Context"]


def generate(records: int, folder: Path, crime_ids: bool = False) -> None:
    """`records` rows in monthly files of PER_MONTH rows from January 2015 on; with
    ``crime_ids`` every crime but anti-social behaviour gets a distinct 64-character Crime ID,
    as police.uk gives them (the Crime ID rule then has IDs to compare)."""
    import geopandas as gpd
    import shapely

    stamp = folder / ".complete"
    if stamp.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    wards = gpd.read_parquet(BOUNDARIES).to_crs(27700)
    # Points: a ward chosen uniformly, then a point uniformly inside it (dense towns get as
    # many points as rural wards, as police.uk's snap points roughly do).
    xy = np.empty((0, 2))
    geoms = wards.geometry.to_numpy()
    bounds = shapely.bounds(geoms)
    while len(xy) < POINTS:
        ward = rng.integers(0, len(geoms), POINTS)
        p = rng.uniform(bounds[ward, :2], bounds[ward, 2:])
        inside = shapely.contains_xy(geoms[ward], p[:, 0], p[:, 1])
        xy = np.vstack([xy, p[inside]])
    xy = xy[:POINTS]
    lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700).to_crs(4326)
    lon = pa.array(np.char.mod("%.6f", lonlat.x.to_numpy()))
    lat = pa.array(np.char.mod("%.6f", lonlat.y.to_numpy()))
    location = pa.array([f"On or near Street {i}" for i in range(POINTS)])
    popularity = rng.pareto(1.5, POINTS) + 1
    popularity /= popularity.sum()
    types = pa.array(list(CRIME_TYPES))
    shares = np.array(list(CRIME_TYPES.values()))
    shares /= shares.sum()
    months = -(-records // PER_MONTH)
    for m in range(months):
        n = min(PER_MONTH, records - m * PER_MONTH)
        month = f"{2015 + m // 12}-{m % 12 + 1:02d}"
        point = pa.array(rng.choice(POINTS, n, p=popularity))
        lost = pa.array(rng.random(n) < 0.004)  # police.uk publishes some without a location
        crime = pc.take(types, pa.array(rng.choice(len(types), n, p=shares)))
        ids = pa.nulls(n, pa.string())
        if crime_ids:
            text = rng.bytes(32 * n).hex().encode()  # 64 hexadecimal characters each
            hexes = pa.StringArray.from_buffers(
                n, pa.py_buffer(np.arange(0, 64 * (n + 1), 64, dtype=np.int32)),
                pa.py_buffer(text))
            ids = pc.if_else(pc.equal(crime, "Anti-social behaviour"), "", hexes)
        table = pa.table({
            "Crime ID": ids,
            "Month": pa.array([month] * n),
            "Reported by": pa.array(["Synthetic Police"] * n),
            "Falls within": pa.array(["Synthetic Police"] * n),
            "Longitude": pc.if_else(lost, pa.scalar(None, pa.string()), pc.take(lon, point)),
            "Latitude": pc.if_else(lost, pa.scalar(None, pa.string()), pc.take(lat, point)),
            "Location": pc.if_else(lost, "No location", pc.take(location, point)),
            "LSOA code": pa.nulls(n, pa.string()),
            "LSOA name": pa.nulls(n, pa.string()),
            "Crime type": crime,
            "Last outcome category": pa.nulls(n, pa.string()),
            "Context": pa.nulls(n, pa.string()),
        })
        pacsv.write_csv(table, folder / f"{month}-synthetic-street.csv",
                        pacsv.WriteOptions(quoting_style="none"))
    stamp.write_text(f"{records}\n")


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak resident MB of the process tree, exit code."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - start
    if proc.returncode:
        print(proc.stderr.read()[-2000:], file=sys.stderr)
    return wall, peak / 1e6, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=12_000_000)
    parser.add_argument("--engines", nargs="+", default=["local", "dask"])
    parser.add_argument("--reference-src", help="src/ folder of an older wardmap to run too")
    parser.add_argument("--permutations", type=int, default=99)
    parser.add_argument("--folder", help="where the CSVs go (default /tmp/wardmap-national-N)")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSVs")
    parser.add_argument("--outputs", help="keep each run's output folder here (to compare "
                        "with other runs); by default they are deleted")
    parser.add_argument("--crime-ids", action="store_true",
                        help="give crimes police.uk-style Crime IDs (default: none)")
    args = parser.parse_args()
    folder = Path(args.folder or f"/tmp/wardmap-national-{args.records}")
    started = time.perf_counter()
    generate(args.records, folder, args.crime_ids)
    files = sorted(folder.glob("*.csv"))
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"{args.records:,} records in {len(files)} monthly CSVs ({size:,.0f} MB), "
          f"generated or found in {time.perf_counter() - started:.0f} s; "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f}")
    runs = [(engine, None) for engine in args.engines]
    if args.reference_src:
        runs.insert(0, ("in-memory (reference)", args.reference_src))
    print(f"{'engine':<24}{'wall s':>8}{'records/s':>12}{'peak MB':>9}  wards.csv")
    first = None
    with tempfile.TemporaryDirectory(prefix="wardmap-bench-") as tmp:
        for name, src in runs:
            out = Path(args.outputs or tmp) / name.split()[0]
            command = [sys.executable, "-m", "wardmap", "run", "--boundaries", str(BOUNDARIES),
                       "--incidents", str(folder), "--no-maps", "--permutations",
                       str(args.permutations), "--out", str(out)]
            env = dict(os.environ)
            if src:
                env["PYTHONPATH"] = src
            else:
                command += ["--engine", name]
            wall, peak, code = measure(command, env)
            same = "failed" if code else "-"
            if not code:
                first = first or out / "wards.csv"
                same = "same" if filecmp.cmp(first, out / "wards.csv", shallow=False) else \
                    "DIFFERENT"
            print(f"{name:<24}{wall:>8.1f}{args.records / wall:>12,.0f}{peak:>9,.0f}  {same}",
                  flush=True)
    if not args.keep:
        for p in files:
            p.unlink()
        (folder / ".complete").unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    main()
