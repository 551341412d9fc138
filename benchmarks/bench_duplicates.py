"""The cost of duplicate detection when reading a year of police.uk records.

Writes twelve monthly police.uk-format files of 85,000 records each (1,020,000 records drawn
from the two shared Maidstone months, each crime given a distinct Crime ID, 5% moved 2 km east
so some fall outside the district), then reads and places them once and prints the timings.
Run it with this checkout and, for comparison, with another's source first on PYTHONPATH:

    .venv/bin/python benchmarks/bench_duplicates.py /tmp/bench-records
    PYTHONPATH=../main/src .venv/bin/python benchmarks/bench_duplicates.py /tmp/bench-records
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wardmap.aggregate import place_records
from wardmap.config import Config
from wardmap.load.boundaries import read_boundaries
from wardmap.load.incidents import read_incidents

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write_records(folder: Path) -> None:
    police = [pd.read_csv(p, dtype=str) for p in sorted((SHARED / "police").glob("*.csv"))]
    records = pd.concat(police, ignore_index=True)
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for month in range(1, 13):
        part = records.sample(85_000, replace=True, random_state=month).copy()
        part["Month"] = f"2018-{month:02d}"
        ids = rng.integers(0, 2**62, len(part))
        part["Crime ID"] = np.where(part["Crime type"] == "Anti-social behaviour", "",
                                    [f"{i:016x}" for i in ids])
        moved = rng.random(len(part)) < 0.05
        part.loc[moved, "Longitude"] = (part.loc[moved, "Longitude"].astype(float) + 0.03).map(
            "{:.6f}".format)
        part.to_csv(folder / f"2018-{month:02d}-kent-street.csv", index=False)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wardmap-bench-duplicates")
    if not any(folder.glob("*.csv")):
        write_records(folder)
    wards, _ = read_boundaries(SHARED / "boundaries" / "maidstone_wards_2013.geojson")
    start = time.perf_counter()
    records, _ = read_incidents([str(folder)], Config().inputs)
    read = time.perf_counter() - start
    placed = place_records(records, wards, Config())
    place = time.perf_counter() - start - read
    print(f"{len(records):,} records: read {read:.2f} s, place {place:.2f} s; "
          f"accounting {placed.accounting}")


if __name__ == "__main__":
    main()
