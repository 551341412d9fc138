"""Map building: map.html size and build time against geopandas.explore, and static PNG time.

    .venv/bin/python benchmarks/bench_maps.py [--no-explore]

Ward tables are the real Maidstone (26) and England (7,681) 2013 wards from ../shared/data
with seeded made-up counts and statistics (the maps' cost does not depend on the values).
Times are wall-clock seconds in a warm process (imports done before timing).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from wardmap.config import Config
from wardmap.result import BOUNDARY_ATTRIBUTION, RunMeta, RunResult

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"


def ward_table(path: Path, code: str, name: str) -> gpd.GeoDataFrame:
    raw = gpd.read_file(path) if path.suffix != ".parquet" else gpd.read_parquet(path)
    raw = raw.to_crs(27700)
    rng = np.random.default_rng(1)
    n = len(raw)
    wards = gpd.GeoDataFrame({"ward_code": raw[code], "ward_name": raw[name]},
                             geometry=raw.geometry.values, crs=27700)
    wards["incidents"] = rng.poisson(80, n)
    wards["value"] = wards["incidents"].astype(float)
    wards["population"] = rng.integers(2000, 15000, n).astype(float)
    wards["rate_per_1000"] = 1000 * wards["incidents"] / wards["population"]
    wards["rate_eb"] = wards["rate_per_1000"] * 0.9 + 1
    wards["lisa_label"] = rng.choice(["High-High", "Low-Low", "Low-High", "High-Low",
                                      "Not significant"], n)
    wards["lisa_p"] = rng.uniform(0, 1, n)
    wards["gi_bin"] = rng.integers(-3, 4, n)
    return wards.sort_values("ward_code").reset_index(drop=True)


def result_for(wards: gpd.GeoDataFrame, area: str) -> RunResult:
    meta = RunMeta(area_name=area, measure="rate_per_1000", measure_label="Rate per 1,000",
                   attributions=[BOUNDARY_ATTRIBUTION])
    return RunResult(Config(), wards, {}, meta)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench(area: str, wards: gpd.GeoDataFrame, out: Path, explore: bool) -> list[tuple]:
    from wardmap.maps import interactive, static

    result = result_for(wards, area)
    rows = []
    path, secs = timed(lambda: interactive.write_html(result, out / f"{area}_wardmap.html"))
    rows.append((area, len(wards), "wardmap map.html", secs, path.stat().st_size))
    if explore:
        explore_path = out / f"{area}_explore.html"
        _, secs = timed(lambda: wards.explore().save(str(explore_path)))
        rows.append((area, len(wards), "geopandas.explore", secs, explore_path.stat().st_size))
    png = out / f"{area}_map.png"

    def draw():
        fig = static.choropleth_figure(wards, "rate_per_1000", title=area,
                                       labels=len(wards) <= static.MAX_LABELS)
        fig.savefig(png, dpi=300)

    _, secs = timed(draw)
    rows.append((area, len(wards), "wardmap map.png, 300 dpi A4", secs, png.stat().st_size))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-explore", action="store_true", help="skip geopandas.explore")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"real data not found at {SHARED}", file=sys.stderr)
        return 2
    # Warm the imports so that the timings are of the work, not of loading libraries.
    import folium  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401

    import wardmap.maps.interactive  # noqa: F401
    import wardmap.maps.static  # noqa: F401

    areas = [
        ("Maidstone", ward_table(SHARED / "maidstone_wards_2013.geojson", "WD13CD", "WD13NM")),
        ("England", ward_table(SHARED / "england_wards_2013.parquet", "WD13CD", "WD13NM")),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for area, wards in areas:
            rows += bench(area, wards, Path(tmp), explore=not args.no_explore)
    print(f"{'area':<10} {'wards':>6}  {'product':<30} {'seconds':>8} {'size MB':>8}")
    for area, n, what, secs, size in rows:
        print(f"{area:<10} {n:>6}  {what:<30} {secs:>8.2f} {size / 1e6:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
