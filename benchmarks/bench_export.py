"""Export speed: a cold `wardmap run` with maps against the straightforward script, side by
side, and the export stage on England's wards with a year of records.

    .venv/bin/python benchmarks/bench_export.py [--rounds 3] [--no-england] [--no-cold]

Cold runs: the shared Maidstone months (two police.uk CSVs, 26 wards of 2013), each command
a fresh process, wardmap and straightforward_run.py (geopandas + esda + folium, the same
products) taking turns; wall-clock and CPU (user + system, children included) seconds per
process, and their ratios. The machine is shared: compare the ratios, not the seconds.

England: the 7,681 wards of 2013 with made-up counts and statistics and 1,000,000 made-up
records over 12 months (the export's cost depends on the shapes and the number of wards and
months, not on the values); `write_run` in a warm process, so the figure is the export stage
as a run's manifest reports it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BOUNDARIES = SHARED / "boundaries" / "maidstone_wards_2013.geojson"
POLICE = SHARED / "police"


def timed_process(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one process (and the children it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime


def cold_runs(rounds: int) -> None:
    python = sys.executable
    wardmap = [str(Path(python).with_name("wardmap")), "run", "--boundaries", str(BOUNDARIES),
               "--incidents", str(POLICE), "--area-name", "Maidstone"]
    script = [python, str(ROOT / "benchmarks" / "straightforward_run.py"), str(BOUNDARIES),
              str(POLICE)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            a = timed_process([*wardmap, "--out", f"{tmp}/w{i}"])
            b = timed_process([*script, f"{tmp}/s{i}"])
            rows.append((a, b))
            print(f"round {i + 1}: wardmap {a[0]:.2f} s wall / {a[1]:.2f} s CPU; "
                  f"script {b[0]:.2f} s wall / {b[1]:.2f} s CPU; "
                  f"ratio {a[0] / b[0]:.3f} wall, {a[1] / b[1]:.3f} CPU", flush=True)
    wall = statistics.median(a[0] for a, _ in rows)
    cpu = statistics.median(a[1] for a, _ in rows)
    ratio_wall = statistics.median(a[0] / b[0] for a, b in rows)
    ratio_cpu = statistics.median(a[1] / b[1] for a, b in rows)
    print(f"median: wardmap {wall:.2f} s wall, {cpu:.2f} s CPU; ratio to the script "
          f"{ratio_wall:.3f} wall, {ratio_cpu:.3f} CPU (load average "
          f"{os.getloadavg()[0]:.1f})")


def england_result():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_maps import result_for, ward_table

    wards = ward_table(SHARED / "boundaries" / "england_wards_2013.parquet", "WD13CD",
                       "WD13NM")
    wards["lisa_p_adj"] = np.minimum(wards["lisa_p"] * 2, 1)
    wards["gi_z"] = np.random.default_rng(2).normal(0, 2, len(wards))
    wards["gi_p"] = np.random.default_rng(3).uniform(0, 1, len(wards))
    wards["gi_p_adj"] = np.minimum(wards["gi_p"] * 2, 1)
    from dataclasses import replace

    result = result_for(wards, "England")
    rng = np.random.default_rng(4)
    n = 1_000_000
    months = np.array([f"2023-{m:02d}" for m in range(1, 13)])
    records = pd.DataFrame({
        "month": months[rng.integers(0, 12, n)],
        "ward_code": wards["ward_code"].to_numpy()[rng.integers(0, len(wards), n)],
        "type_match": True, "period_match": True, "status": "assigned",
    })
    return replace(result, records=records,
                   meta=replace(result.meta, period_label="Jan 2023 – Dec 2023"))


def england_export(rounds: int) -> None:
    from wardmap.export import write_run

    result = england_result()
    import matplotlib.backends.backend_agg  # noqa: F401 - imports are not the export's cost

    import wardmap.maps.interactive  # noqa: F401

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            start = time.perf_counter()
            write_run(result, Path(tmp) / f"england{i}")
            times.append(time.perf_counter() - start)
            print(f"England export round {i + 1}: {times[-1]:.2f} s", flush=True)
        files = sorted(p.name for p in (Path(tmp) / "england0").iterdir())
    print(f"England export (7,681 wards, 1,000,000 records, 12 months): median "
          f"{statistics.median(times):.2f} s; files: {', '.join(files)} (load average "
          f"{os.getloadavg()[0]:.1f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-england", action="store_true")
    parser.add_argument("--no-cold", action="store_true")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"real data not found at {SHARED}", file=sys.stderr)
        return 2
    if not args.no_cold:
        cold_runs(args.rounds)
    if not args.no_england:
        england_export(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
