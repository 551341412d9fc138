"""Bivariate statistics benchmark: wardmap.relate's numpy kernels against esda, cold processes.

Work per run: queen weights, bivariate Moran's I and bivariate LISA (999 permutations) of two
correlated synthetic measures on England's 7,681 wards (../shared/data). Each tool runs in its
own cold process (imports and, for esda, numba's compile step included); "stats" is the
statistics after the data is in memory, including importing the tool.

    .venv/bin/python benchmarks/bench_relate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PERMUTATIONS = 999


def worker(tool: str) -> None:
    start = time.perf_counter()
    import geopandas as gpd
    import numpy as np

    frame = gpd.read_parquet(SHARED / "boundaries" / "england_wards_2013.parquet").to_crs(27700)
    frame = frame.rename(columns={"WD13CD": "ward_code"}).sort_values("ward_code")
    frame = frame.reset_index(drop=True)
    rng = np.random.default_rng(0)
    x = rng.poisson(20, len(frame)).astype(float)
    y = x + rng.poisson(10, len(frame))
    loaded = time.perf_counter()
    result = {"tool": tool, "n": len(frame), **globals()[f"_run_{tool}"](frame, x, y)}
    result.update(read=loaded - start, stats=time.perf_counter() - loaded)
    print(json.dumps(result))


def _run_wardmap(frame, x, y) -> dict:
    from wardmap.relate import bivariate_local, bivariate_moran
    from wardmap.stats.permutation import generator
    from wardmap.stats.weights import build_weights

    binary = build_weights(frame, islands="label").binary  # as libpysal: islands unlinked
    moran = bivariate_moran(x, y, binary, PERMUTATIONS, generator(1, 0))
    local = bivariate_local(x, y, binary, PERMUTATIONS, generator(1, 1))
    return {"I": moran["I"], "significant": int((local.p_sim < 0.05).sum())}


def _run_esda(frame, x, y) -> dict:
    import warnings

    import esda
    import libpysal

    warnings.simplefilter("ignore")
    w = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    w.transform = "r"
    moran = esda.Moran_BV(x, y, w, permutations=PERMUTATIONS)
    local = esda.Moran_Local_BV(x, y, w, permutations=PERMUTATIONS, seed=1)
    return {"I": float(moran.I), "significant": int((local.p_sim < 0.05).sum())}


def cold(tool: str) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--worker", tool], capture_output=True,
                          text=True, cwd=REPO, check=True)
    wall = time.perf_counter() - start
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    print(f"England wards: queen weights + bivariate Moran's I + bivariate LISA, "
          f"{PERMUTATIONS} permutations")
    print("| tool | process s | stats s | I | wards p<0.05 |")
    print("|---|---|---|---|---|")
    for _ in range(args.repeat):
        for tool in ("wardmap", "esda"):
            wall, detail = cold(tool)
            print(f"| {tool} | {wall:.2f} | {detail['stats']:.2f} | {detail['I']:.6f} | "
                  f"{detail['significant']} |", flush=True)


if __name__ == "__main__":
    main()
