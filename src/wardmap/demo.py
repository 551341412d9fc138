"""The demo borough: a synthetic place (not a real one) with a planted hot cluster.

About 25 wards are Voronoi cells of a jittered grid clipped to a rounded borough outline, built
deterministically by code. Incidents are drawn month by month at a background rate per
resident, with three neighbouring wards at ``rate_multiplier`` times that rate, placed
uniformly in their ward and snapped to a lattice of map points as police.uk does. A few
records lack coordinates, as in the real files.

Regenerate the files in boundaries/ and data/ with ``wardmap demo --regenerate``.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from wardmap.config import Config, FiltersConfig, InputsConfig

DEMO_SEED = 2024
LAYOUT_SEED = 7
MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
CENTRE = (585_000.0, 152_000.0)  # British National Grid, metres
CRS = "EPSG:27700"
BACKGROUND_RATE = 40.0  # incidents per 1,000 residents per year
MISSING_SHARE = 0.004  # records without a location, as police.uk publishes some
SNAP_SPACING = 150.0  # metres between anonymised map points
AREA_NAME = "Demo Borough (synthetic)"
REPO_FILES_NOTE = "the demo files are stale: regenerate them with `wardmap demo --regenerate`"

# police.uk crime types with their rough national shares.
CRIME_TYPES = {
    "Violence and sexual offences": 0.33, "Anti-social behaviour": 0.20,
    "Criminal damage and arson": 0.08, "Public order": 0.08, "Shoplifting": 0.06,
    "Other theft": 0.06, "Vehicle crime": 0.05, "Burglary": 0.045, "Drugs": 0.02,
    "Other crime": 0.015, "Robbery": 0.01, "Bicycle theft": 0.01,
    "Theft from the person": 0.01, "Possession of weapons": 0.01,
}
_FIRST = ["Alder", "Birch", "Cedar", "Damson", "Elder", "Fern", "Gorse", "Hazel", "Juniper",
          "Larch", "Maple", "Nettle", "Oak", "Poplar", "Quince", "Rowan", "Sorrel", "Thorn",
          "Willow", "Yew", "Aspen", "Bramble", "Clover", "Heather", "Linden", "Myrtle"]
_SECOND = ["field", "wood", "brook", "gate", "mead", "hill", "ford", "vale", "down"]


def demo_wards() -> gpd.GeoDataFrame:
    """25 ward polygons with codes, names and populations (fixed, whatever the seed)."""
    rng = np.random.default_rng(LAYOUT_SEED)
    grid = np.array([(i, j) for j in range(5) for i in range(5)], float)
    seeds = (grid - 2.0) * 2_000.0 + rng.uniform(-550, 550, grid.shape) + CENTRE
    outline = _outline()
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=outline.buffer(5_000)))
    order = [int(np.flatnonzero(shapely.contains(cells, shapely.points(s)))[0]) for s in seeds]
    polygons = [shapely.intersection(cells[i], outline) for i in order]
    polygons = [shapely.set_precision(p, 0.1) for p in polygons]
    names = [f"{_FIRST[i]}{_SECOND[(i * 4) % len(_SECOND)]}" for i in range(len(polygons))]
    wards = gpd.GeoDataFrame({
        "WD24CD": [f"DEMO{i + 1:04d}" for i in range(len(polygons))],
        "WD24NM": names,
        "population": rng.integers(4_500, 12_500, len(polygons)),
    }, geometry=polygons, crs=CRS)
    return wards


def hot_wards(wards: gpd.GeoDataFrame) -> list[str]:
    """The planted cluster: three mutually neighbouring wards with the fewest other neighbours
    between them (a compact cluster on the borough's edge, like a town's estates)."""
    geoms = wards.geometry.to_numpy()
    touching = shapely.intersects(geoms[:, None], geoms[None, :])
    np.fill_diagonal(touching, False)
    best: tuple[int, list[int]] | None = None
    for a, b, c in itertools.combinations(range(len(wards)), 3):
        if touching[a, b] and touching[a, c] and touching[b, c]:
            outside = int((touching[[a, b, c]].any(axis=0)).sum()) - 3
            if best is None or outside < best[0]:
                best = (outside, [a, b, c])
    if best is None:
        raise RuntimeError("demo layout has no three mutually neighbouring wards")
    return sorted(wards["WD24CD"].iloc[best[1]])


def synthetic_borough(seed: int = DEMO_SEED, rate_multiplier: float = 2.5) -> tuple[
        gpd.GeoDataFrame, pd.DataFrame, dict]:
    """Wards (ward_code, ward_name, population, geometry in EPSG:27700), incidents in police.uk
    columns, and the truth about the planted cluster."""
    wards = demo_wards()
    hot = hot_wards(wards)
    rng = np.random.default_rng(seed)
    incidents = _incidents(wards, hot, rate_multiplier, rng)
    truth = {"hot_wards": hot, "rate_multiplier": rate_multiplier, "seed": seed,
             "months": [MONTHS[0], MONTHS[-1]], "background_rate_per_1000": BACKGROUND_RATE}
    table = wards.rename(columns={"WD24CD": "ward_code", "WD24NM": "ward_name"})
    return table, incidents, truth


def write_demo_files(root: Path, seed: int = DEMO_SEED) -> dict[str, Path]:
    """Write boundaries/, data/ files of the demo under ``root``; returns their paths."""
    wards, incidents, truth = synthetic_borough(seed)
    paths = demo_paths(root)
    paths["incidents"].mkdir(parents=True, exist_ok=True)
    paths["boundaries"].parent.mkdir(parents=True, exist_ok=True)
    for old in paths["incidents"].glob("*-demo-street.csv"):
        old.unlink()
    out = wards.rename(columns={"ward_code": "WD24CD", "ward_name": "WD24NM"})
    out[["WD24CD", "WD24NM", "geometry"]].to_crs("EPSG:4326").to_file(
        paths["boundaries"], driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6)
    population = out[["WD24CD", "WD24NM", "population"]].rename(columns={
        "WD24CD": "Ward Code", "WD24NM": "Ward Name", "population": "All Ages"})
    population.to_csv(paths["population"], index=False, lineterminator="\n")
    for month, rows in incidents.groupby("Month", sort=True):
        rows.to_csv(paths["incidents"] / f"{month}-demo-street.csv", index=False,
                    lineterminator="\n")
    paths["truth"].write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return paths


def repo_root() -> Path:
    """The source checkout holding boundaries/ and data/, or the working folder."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else Path.cwd()


def demo_paths(root: Path) -> dict[str, Path]:
    return {
        "boundaries": root / "boundaries" / "demo_wards.geojson",
        "population": root / "data" / "demo_population.csv",
        "incidents": root / "data" / "demo_incidents",
        "truth": root / "data" / "demo_truth.json",
    }


def _outline() -> shapely.Polygon:
    """A rounded, slightly irregular borough outline."""
    angles = np.linspace(0, 2 * np.pi, 73)[:-1]
    radius = 5_600 + 500 * np.sin(3 * angles) + 250 * np.cos(5 * angles)
    xs = CENTRE[0] + radius * np.cos(angles) * 1.05
    ys = CENTRE[1] + radius * np.sin(angles) * 0.95
    return shapely.Polygon(np.column_stack([xs, ys]))


def _incidents(wards: gpd.GeoDataFrame, hot: list[str], multiplier: float,
               rng: np.random.Generator) -> pd.DataFrame:
    rate = np.where(wards["WD24CD"].isin(hot), multiplier, 1.0) * BACKGROUND_RATE
    expected = wards["population"].to_numpy() / 1000.0 * rate / 12.0
    season = 1.0 + 0.12 * np.sin(2 * np.pi * (np.arange(len(MONTHS)) - 3) / 12)
    counts = rng.poisson(np.outer(season, expected))  # months × wards
    months = np.repeat(np.tile(np.arange(len(MONTHS)), 1), counts.sum(axis=1))
    ward_idx = np.concatenate([np.repeat(np.arange(len(wards)), row) for row in counts])
    x, y = _points_in_wards(wards, ward_idx, rng)
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)
    missing = rng.random(len(x)) < MISSING_SHARE
    types = rng.choice(list(CRIME_TYPES), len(x), p=_shares())
    return pd.DataFrame({
        "Crime ID": "",
        "Month": np.array(MONTHS)[months],
        "Reported by": "Demo Constabulary",
        "Falls within": "Demo Constabulary",
        "Longitude": np.where(missing, "", np.char.mod("%.6f", lon)),
        "Latitude": np.where(missing, "", np.char.mod("%.6f", lat)),
        "Location": np.where(missing, "No location",
                             [f"On or near Demo Street {int(v) % 97 + 1}" for v in x + y]),
        "LSOA code": "",
        "LSOA name": "",
        "Crime type": types,
        "Last outcome category": np.where(types == "Anti-social behaviour", "",
                                          "Investigation complete; no suspect identified"),
        "Context": "",
    })


def _shares() -> np.ndarray:
    shares = np.array(list(CRIME_TYPES.values()))
    return shares / shares.sum()


def _points_in_wards(wards: gpd.GeoDataFrame, ward_idx: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in each record's ward, snapped to the nearest map point inside it."""
    x, y = np.empty(len(ward_idx)), np.empty(len(ward_idx))
    for i, geom in enumerate(wards.geometry):
        rows = np.flatnonzero(ward_idx == i)
        lattice = _map_points(geom)
        minx, miny, maxx, maxy = geom.bounds
        found = np.empty((0, 2))
        while len(found) < len(rows):
            cand = rng.uniform((minx, miny), (maxx, maxy), (2 * len(rows) + 10, 2))
            found = np.vstack([found, cand[shapely.contains_xy(geom, cand[:, 0], cand[:, 1])]])
        found = found[: len(rows)]
        nearest = np.argmin(((found[:, None, :] - lattice[None]) ** 2).sum(axis=2), axis=1)
        x[rows], y[rows] = lattice[nearest, 0], lattice[nearest, 1]
    return x, y


def _map_points(geom: shapely.Geometry) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, SNAP_SPACING), np.arange(miny, maxy, SNAP_SPACING))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inside = grid[shapely.contains_xy(geom.buffer(-10), grid[:, 0], grid[:, 1])]
    return inside if len(inside) else np.array([shapely.get_coordinates(
        geom.representative_point())[0]])


def demo_config() -> Config:
    """The demo run: the repository's demo files (or a fresh copy when installed elsewhere),
    analysing the latest 12 months."""
    paths = demo_paths(repo_root())
    if not all(p.exists() for p in paths.values()):
        root = Path(tempfile.gettempdir()) / f"wardmap-demo-{DEMO_SEED}"
        paths = demo_paths(root)
        if not all(p.exists() for p in paths.values()):
            write_demo_files(root)
    return Config(
        inputs=InputsConfig(boundaries=str(paths["boundaries"]),
                            incidents=[str(paths["incidents"])],
                            population=str(paths["population"]), area_name=AREA_NAME,
                            synthetic=True),
        filters=FiltersConfig(months=f"{MONTHS[-12]}:{MONTHS[-1]}"),
    )


def example_grid() -> gpd.GeoDataFrame:
    """Nine 1 km square wards (W0..W8, three rows of three) with a ``crimes`` column that is
    high in one corner: the examples in the docstrings use it.

    Examples
    --------
    >>> example_grid()[["ward_code", "crimes"]].head(3).values.tolist()
    [['W0', 9], ['W1', 8], ['W2', 2]]
    """
    from shapely.geometry import box

    cells = [box(i % 3 * 1000, i // 3 * 1000, i % 3 * 1000 + 1000, i // 3 * 1000 + 1000)
             for i in range(9)]
    return gpd.GeoDataFrame({"ward_code": [f"W{i}" for i in range(9)],
                             "ward_name": [f"Ward {i}" for i in range(9)],
                             "crimes": [9, 8, 2, 8, 7, 1, 2, 1, 0]},
                            geometry=cells, crs="EPSG:27700")
