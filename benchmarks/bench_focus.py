"""Focus-area selection on England's 7,681 wards (../shared/data), k = 2, 3, 4.

Ward scores (z-scores) come in three kinds, because the search's pruning depends on them:
  - independent: lognormal rates, no spatial pattern;
  - clustered: the same rates averaged over each ward and its neighbours twice (strong
    spatial autocorrelation: high wards sit together, so many areas score nearly the best);
  - rank: the clustered rates standardised by rank (flat top, the hardest case for a bound).
For each, side by side in one process:
  - pruned: wardmap's search (best-first ESU with the score bound), exact;
  - full: every connected area enumerated and scored (the exhaustive count);
  - budget: the pruned search with a 200-step budget, reporting its quality bound.
The pruned and full top-10 lists are checked to be identical. Also times find_focus_areas end
to end (weights, indicators, search) on the clustered rates. With --clusters, also times the
size-capped SKATER ward clusters on the 250, 500 and 1,000 wards nearest a point in Kent.

    .venv/bin/python benchmarks/bench_focus.py [--no-full] [--clusters]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from wardmap.config import Config, FocusConfig
from wardmap.result import RunMeta, RunResult
from wardmap.select.areas import top_areas
from wardmap.select.focus import find_focus_areas
from wardmap.stats.weights import build_weights

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOP = 10


def england_wards() -> gpd.GeoDataFrame:
    wards = gpd.read_parquet(SHARED / "boundaries" / "england_wards_2013.parquet")
    wards = wards.rename(columns={"WD13CD": "ward_code", "WD13NM": "ward_name"})
    return wards.to_crs(27700).sort_values("ward_code").reset_index(drop=True)


def score_kinds(neighbors: list[np.ndarray], n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    rates = rng.lognormal(0.0, 0.6, n)
    smooth = rates.copy()
    for _ in range(2):
        smooth = np.array([(smooth[i] + smooth[nb].sum()) / (1 + len(nb))
                           for i, nb in enumerate(neighbors)])
    ranks = smooth.argsort().argsort().astype(float)
    return {"independent": _z(rates), "clustered": _z(smooth), "rank": _z(ranks)}


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-full", action="store_true", help="skip exhaustive enumeration")
    parser.add_argument("--clusters", action="store_true", help="also time ward clusters")
    args = parser.parse_args()
    wards = england_wards()
    weights, seconds = timed(build_weights, wards, kind="queen", islands="label")
    n = len(wards)
    print(f"{n} wards, queen weights in {seconds:.2f} s, {len(weights.islands)} islands\n")
    print(f"{'scores':<12}{'k':>2}{'pruned s':>10}{'examined':>10}{'full s':>9}"
          f"{'all areas':>11}{'speed-up':>9}{'same':>6}{'budget bound gap':>18}")
    for kind, scores in score_kinds(weights.neighbors, n).items():
        for k in (2, 3, 4):
            _row(kind, k, weights.neighbors, scores, args.no_full)
    _end_to_end(wards, score_kinds(weights.neighbors, n)["clustered"])
    if args.clusters:
        _clusters(wards)


def _row(kind: str, k: int, neighbors, scores, no_full: bool) -> None:
    pruned, t_pruned = timed(top_areas, neighbors, scores, k, TOP)
    budget = top_areas(neighbors, scores, k, TOP, max_steps=200)
    gap = budget.bound - pruned.areas[0][0] if np.isfinite(budget.bound) else 0.0
    gap_text = "exact" if budget.exact else f"{gap:+.3f}"
    if no_full:
        full_text, count_text, ratio, same = "-", "-", "-", "-"
    else:
        full, t_full = timed(top_areas, neighbors, scores, k, TOP, prune=False,
                             max_steps=10**9)
        same = "yes" if [m for _, m in full.areas] == [m for _, m in pruned.areas] else "NO"
        full_text, count_text = f"{t_full:.2f}", f"{full.examined:,}"
        ratio = f"{t_full / t_pruned:.0f}x"
    print(f"{kind:<12}{k:>2}{t_pruned:>10.3f}{pruned.examined:>10,}{full_text:>9}"
          f"{count_text:>11}{ratio:>9}{same:>6}{gap_text:>18}")


def _end_to_end(wards: gpd.GeoDataFrame, scores: np.ndarray) -> None:
    table = wards.assign(value=scores, population=np.nan)
    result = RunResult(config=Config(), wards=table, summary={}, meta=RunMeta(measure="value"))
    print("\nfind_focus_areas end to end (weights + indicators + search), clustered scores:")
    for k in (2, 3, 4):
        focus, seconds = timed(find_focus_areas, result, FocusConfig(size=k, top=TOP))
        print(f"  k={k}: {seconds:.2f} s, {focus.attrs['examined']:,} areas examined, "
              f"exact={focus.attrs['exact']}")


def _clusters(wards: gpd.GeoDataFrame) -> None:
    from wardmap.select.clusters import capped_skater

    centroids = wards.geometry.centroid
    nearest = ((centroids.x - 550_000) ** 2 + (centroids.y - 150_000) ** 2).to_numpy().argsort()
    print("\nward clusters (capped SKATER, max 4 wards, 3 random variables):")
    for size in (250, 500, 1000):
        part = wards.iloc[nearest[:size]].reset_index(drop=True)
        neighbors = build_weights(part, kind="queen", islands="label").neighbors
        data = np.random.default_rng(0).normal(size=(size, 3))
        labels, seconds = timed(capped_skater, data, neighbors, 4)
        print(f"  {size:>5} wards: {seconds:.1f} s, {labels.max() + 1} clusters")


if __name__ == "__main__":
    main()
