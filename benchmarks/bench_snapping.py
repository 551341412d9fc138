"""place_records at national scale with many records outside the wards (snapping's worst case).

England's 7,681 wards (2013) and 500,000 points uniform in their bounding box (about 65% fall
outside every ward: sea, Wales, Scotland), placed once; prints the time, the snapped and the
outside counts. Run with another checkout's source first on PYTHONPATH to compare:

    .venv/bin/python benchmarks/bench_snapping.py
    PYTHONPATH=../main/src .venv/bin/python benchmarks/bench_snapping.py
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.aggregate import place_records
from wardmap.config import Config

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(n: int = 500_000) -> None:
    raw = gpd.read_parquet(SHARED / "boundaries" / "england_wards_2013.parquet").to_crs(27700)
    wards = gpd.GeoDataFrame({"ward_code": raw.iloc[:, 0].astype(str).to_numpy(),
                              "ward_name": raw.iloc[:, 1].astype(str).to_numpy()},
                             geometry=raw.geometry.to_numpy(), crs=raw.crs)
    wards = wards.sort_values("ward_code").reset_index(drop=True)
    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = wards.total_bounds
    records = pd.DataFrame({"month": "2024-01", "crime_type": "Burglary", "location": None,
                            "cx": rng.uniform(minx, maxx, n), "cy": rng.uniform(miny, maxy, n),
                            "unparsable": False, "source": "points"})
    records.attrs["crs"] = "EPSG:27700"
    start = time.perf_counter()
    placed = place_records(records, wards, Config())
    print(f"{n:,} records: {time.perf_counter() - start:.2f} s, snapped "
          f"{placed.accounting['snapped']:,}, outside {placed.accounting['outside']:,}")


if __name__ == "__main__":
    main()
