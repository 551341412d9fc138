"""police.uk fetch by polygon parts against a local stand-in: requests, bytes and time.

    .venv/bin/python benchmarks/bench_fetch.py [--records 40000] [--limit 10000]
    .venv/bin/python benchmarks/bench_fetch.py --archive   # a national archive month
    .venv/bin/python benchmarks/bench_fetch.py --workers   # months fetched at once


Kent's 2013 wards (13 districts, from ../shared/data) are one area; one month of synthetic
records spread over it is served by the test suite's fake police.uk, which refuses (HTTP 503)
any polygon holding more than --limit records. Reports the requests made against the fewest
possible (records / limit), the polygon text sent, and the wall time of the whole fetch
(splitting, merging by id, cutting to the area) with the network being local.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

KENT = [f"E070001{n:02d}" for n in range(5, 17)] + ["E06000035"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--archive", action="store_true")
    parser.add_argument("--workers", action="store_true")
    parser.add_argument("--latency", type=float, default=0.25)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.archive:
        return archive()
    if args.workers:
        return workers(args.latency)

    from pytest_httpserver import HTTPServer

    from tests.fetch.fakes import FakePolice, api_record
    from wardmap.fetch import police
    from wardmap.fetch.http import Client
    from wardmap.fetch.parts import covering_parts, poly_param

    shared = HERE.parent.parent / "shared" / "data" / "boundaries"
    table = pq.read_table(shared / "england_wards_2013.parquet").to_pandas()
    wards = shapely.from_wkb(table.loc[table["LAD13CD"].isin(KENT), "geometry"])
    area = shapely.make_valid(shapely.union_all(wards))
    rng = random.Random(1)
    minx, miny, maxx, maxy = area.bounds
    records = []
    while len(records) < args.records:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        records.append(api_record({"Month": "2024-01", "Longitude": f"{lon:.6f}",
                                   "Latitude": f"{lat:.6f}", "Location": "On or near X",
                                   "Crime type": "Burglary", "Last outcome category": "",
                                   "Context": ""}, len(records)))
    fake = FakePolice(records, ["2024-01"], limit=args.limit)
    server = HTTPServer()
    server.start()
    try:
        url = fake.install(server)
        parts = covering_parts(area)
        start = time.perf_counter()
        got = police.month_records(Client(rate=1000, burst=100), url, parts, area, "2024-01")
        seconds = time.perf_counter() - start
    finally:
        server.stop()
    expected = len(fake.within(area, "2024-01"))
    street = fake.street_requests()
    raw = sum(len(p.exterior.coords) for p in getattr(area, "geoms", [area]))
    print(f"records in area {expected}, fetched {len(got.records)}, "
          f"duplicates dropped {got.duplicates}, outside {got.outside}")
    print(f"requests {len(street)} (answered {got.parts}, refused {len(street) - got.parts}); "
          f"fewest possible {-(-expected // args.limit)}")
    print(f"outline vertices {raw}, sent {sum(len(p.exterior.coords) for p in parts)}; "
          f"poly text {sum(len(poly_param(p)) for p in parts)} characters")
    print(f"seconds {seconds:.2f}")


def workers(latency: float) -> None:
    """`wardmap fetch` of 12 months of Maidstone (its two real months' records repeated) from
    stand-ins answering after ``latency`` seconds, as a distant service does; months fetched
    one at a time against four at once (the rate limit of 15 a second applies to both)."""
    import tempfile

    from pytest_httpserver import HTTPServer

    from tests.fetch.fakes import FakeNomis, FakeONS, FakePolice, api_records
    from wardmap.config import FetchConfig
    from wardmap.fetch.stage import fetch_district

    shared = HERE.parent.parent / "shared" / "data"
    real = api_records(sorted((shared / "police").glob("*-street.csv")))
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    records = [{**r, "id": i * 100_000 + j, "month": month}
               for i, month in enumerate(months) for j, r in enumerate(real[i % 2::2])]
    server = HTTPServer(threaded=True)
    server.start()
    try:
        ons = FakeONS(shared)
        nomis = FakeNomis(dict(zip(ons.wards["WD24CD"], ons.wards["WD24NM"], strict=True)))
        police = FakePolice(records, months, latency=latency)
        urls = {"ons_url": ons.install(server), "nomis_url": nomis.install(server),
                "police_url": police.install(server)}
        for _ in range(2):
            for count in (1, 4):
                with tempfile.TemporaryDirectory() as tmp:
                    config = FetchConfig(district="Maidstone", months="2024-01:2024-12",
                                         out=tmp, workers=count, **urls)
                    start = time.perf_counter()
                    report = fetch_district(config, show=False)
                    print(f"workers {count}: {time.perf_counter() - start:.2f} s, "
                          f"{sum(report.records.values())} records, "
                          f"{len(police.street_requests())} crimes-street requests so far")
    finally:
        server.stop()


def archive(forces: int = 43, rows: int = 12_000) -> None:
    """`--source archive`: one month of a national archive (43 forces x 12,000 rows of real
    Maidstone rows moved over England) cut to Maidstone; wardmap's pyarrow reader against
    pandas.read_csv, interleaved."""
    import io
    import tempfile
    import zipfile

    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    import wardmap.fetch.archive as archive_module

    shared = HERE.parent.parent / "shared" / "data"
    source = pd.read_csv(shared / "police" / "2017-11-maidstone-street.csv", dtype=str,
                         keep_default_na=False)
    rng = np.random.default_rng(1)
    wards = gpd.read_file(shared / "boundaries" / "maidstone_wards_2013.geojson")
    area = shapely.union_all(wards.geometry.array)
    readers = {"pyarrow (wardmap)": archive_module._read,
               "pandas.read_csv": lambda zf, name, path: pa.Table.from_pandas(pd.read_csv(
                   io.BytesIO(zf.read(name)), dtype=str, keep_default_na=False))}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "2024-01.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for force in range(forces):
                table = source.sample(rows, replace=True, random_state=force)
                table["Longitude"] = rng.uniform(-3, 1.5, rows).round(6).astype(str)
                table["Latitude"] = rng.uniform(50.5, 53.5, rows).round(6).astype(str)
                zf.writestr(f"2024-01/2024-01-force{force}-street.csv",
                            table.to_csv(index=False))
        for _ in range(2):
            for name, reader in readers.items():
                archive_module._read = reader
                start = time.perf_counter()
                found, _ = archive_module.archive_months(path, ["2024-01"], area)
                print(f"{name}: {time.perf_counter() - start:.2f} s, "
                      f"{found['2024-01'].rows_read} rows read, "
                      f"{len(found['2024-01'].table)} in Maidstone")


if __name__ == "__main__":
    main()
