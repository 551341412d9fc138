"""Test-stage benchmark: wardmap vs esda vs pygeoda, each in a cold process.

Work per run: queen weights, global Moran's I, local Moran (LISA) and Gi* with 999
permutations, on England's 7,681 wards and 32,844 LSOAs (../shared/data). Every process
starts cold (imports, numba JIT for esda) and reads the same GeoParquet file; the table shows
the whole process's wall time and the statistics' own time. Also times a cold
`wardmap run` on Maidstone's wards and two months of police.uk records.

    .venv/bin/python benchmarks/bench_stats.py [--repeat N] [--only wards|lsoas|maidstone]
        [--tools wardmap,pygeoda,esda]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DATASETS = {
    "wards": ("england_wards_2013.parquet", "WD13CD"),
    "lsoas": ("england_lsoa_2011.parquet", "LSOA11CD"),
}
TOOLS = ("wardmap", "pygeoda", "esda")
PERMUTATIONS = 999


def worker(tool: str, dataset: str) -> None:
    """One cold run; prints a JSON line of phase timings."""
    start = time.perf_counter()
    import geopandas as gpd
    import numpy as np

    file, code = DATASETS[dataset]
    t_import = time.perf_counter()
    frame = gpd.read_parquet(SHARED / "boundaries" / file).to_crs(27700)
    frame = frame.rename(columns={code: "ward_code"}).sort_values("ward_code")
    frame = frame.reset_index(drop=True)
    frame["value"] = np.random.default_rng(0).poisson(20, len(frame))
    t_read = time.perf_counter()
    result = {"tool": tool, "dataset": dataset, "n": len(frame)}
    try:
        result.update(globals()[f"_run_{tool}"](frame))
    except Exception as exc:  # a tool failing on real data is a result worth recording
        result["error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
    end = time.perf_counter()
    result.update(imports=t_import - start, read=t_read - t_import, stats=end - t_read)
    print(json.dumps(result))


def _run_wardmap(frame) -> dict:
    from wardmap.config import StatsConfig
    from wardmap.stats import test_stage

    _, summary, weights = test_stage(frame, StatsConfig(permutations=PERMUTATIONS))
    return {"I": summary["moran"]["I"], "islands": len(weights.islands)}


def _run_pygeoda(frame) -> dict:
    import numpy as np
    import pygeoda

    geoda = pygeoda.open(frame[["ward_code", "value", "geometry"]])
    # England's LSOAs share no exact vertex: GeoDa needs a snapping tolerance (0.5 m) to find
    # any neighbour at all; the wards need none.
    threshold = 0.5 if len(frame) > 10_000 else 0.0
    queen = pygeoda.queen_weights(geoda, precision_threshold=threshold)
    values = geoda["value"]
    lisa = pygeoda.local_moran(queen, values, permutations=PERMUTATIONS, seed=1)
    pygeoda.local_gstar(queen, values, permutations=PERMUTATIONS, seed=1)
    # pygeoda 0.1 has no global Moran; GeoDa's is the mean of the local values.
    islands = sum(len(queen.get_neighbors(i)) == 0 for i in range(len(frame)))
    return {"I": float(np.mean(lisa.lisa_values())), "islands": islands}


def _run_esda(frame) -> dict:
    import warnings

    import esda
    import libpysal

    warnings.simplefilter("ignore")
    w = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    islands = len(w.islands)
    y = frame["value"].to_numpy(dtype=float)  # G_Local fails on int64 under numba
    w.transform = "r"
    moran = esda.Moran(y, w, permutations=PERMUTATIONS)
    esda.Moran_Local(y, w, permutations=PERMUTATIONS, seed=1)
    w.transform = "b"
    esda.G_Local(y, w, transform="B", star=True, permutations=PERMUTATIONS, seed=1)
    return {"I": float(moran.I), "islands": islands}


def cold(args: list[str]) -> tuple[float, dict | None, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    detail = json.loads(lines[-1]) if lines else None
    return wall, detail, done.stderr.strip()[-200:]


def run_comparison(dataset: str, repeat: int, tools: list[str]) -> None:
    print(f"\n{dataset}: queen weights + global Moran + LISA + Gi*, {PERMUTATIONS} permutations")
    print(f"{'tool':<9} {'run':>3} {'process s':>10} {'imports':>8} {'read':>6} {'stats':>7}"
          f" {'islands':>8}  I / note")
    walls: dict[str, list[float]] = {tool: [] for tool in TOOLS}
    stats: dict[str, list[float]] = {tool: [] for tool in TOOLS}
    for run in range(repeat):
        for tool in tools:  # interleaved so that machine noise hits every tool alike
            wall, detail, err = cold([sys.executable, __file__, "--worker", tool, dataset])
            if detail is None:
                print(f"{tool:<9} {run:>3} {wall:>10.2f}  crashed: {err}")
                continue
            note = detail.get("error") or f"{detail['I']:.6f}"
            print(f"{tool:<9} {run:>3} {wall:>10.2f} {detail['imports']:>8.2f} "
                  f"{detail['read']:>6.2f} {detail['stats']:>7.2f} "
                  f"{detail.get('islands', '-'):>8}  {note}")
            if "error" not in detail:
                walls[tool].append(wall)
                stats[tool].append(detail["stats"])
    for other in ("pygeoda", "esda"):
        if walls["wardmap"] and walls[other]:
            best = min(walls["wardmap"]) / min(walls[other])
            inner = min(stats["wardmap"]) / min(stats[other])
            print(f"wardmap / {other}: process {best:.2f}, statistics {inner:.2f} (best runs)")


def run_maidstone(repeat: int) -> None:
    print("\nMaidstone: cold `wardmap run`, 26 wards, two months of police.uk records")
    boundaries = SHARED / "boundaries" / "maidstone_wards_2013.geojson"
    wardmap = Path(sys.executable).with_name("wardmap")
    for maps in (False, True):
        for run in range(repeat):
            with tempfile.TemporaryDirectory() as out:
                args = [str(wardmap), "run", "--boundaries", str(boundaries),
                        "--incidents", str(SHARED / "police"), "--code-col", "WD13CD",
                        "--name-col", "WD13NM", "--out", out]
                wall, _, err = cold(args + ([] if maps else ["--no-maps"]))
                ok = (Path(out) / "summary.json").is_file()
            label = "with maps" if maps else "--no-maps"
            print(f"wardmap run {label:<10} run {run}: {wall:.2f} s" + ("" if ok else f" {err}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "DATASET"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=[*DATASETS, "maidstone"])
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help="comma-separated subset of wardmap,pygeoda,esda")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if not SHARED.is_dir():
        sys.exit(f"real data not found at {SHARED}")
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    for dataset in DATASETS:
        if args.only in (None, dataset):
            run_comparison(dataset, args.repeat, args.tools.split(","))
    if args.only in (None, "maidstone"):
        run_maidstone(args.repeat)


if __name__ == "__main__":
    main()
