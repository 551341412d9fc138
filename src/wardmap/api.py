"""wardmap as a library: each stage as a function over plain (Geo)DataFrames.

Column names are parameters, options are keyword arguments, and every function returns new
objects: its inputs are never modified. ``wardmap.analyse`` and ``wardmap.run`` chain the same
stages for a whole run described by a ``Config``.

The examples use ``wardmap.demo.example_grid()``: nine square wards with a hot corner.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.config import (
    ClustersConfig,
    Config,
    FiltersConfig,
    FocusConfig,
    InputsConfig,
    StatsConfig,
)
from wardmap.errors import InputError, WardmapError
from wardmap.locations import Locations
from wardmap.result import Placement, RunMeta, RunResult, SpatialTests

# The columns spatial_tests adds to the caller's table (docs/ARCHITECTURE.md).
STATS_COLUMNS = ("lisa_I", "lisa_q", "lisa_p", "lisa_p_adj", "lisa_label", "gi_z", "gi_p",
                 "gi_p_adj", "gi_bin", "stats_note")


class WardmapWarning(UserWarning):
    """Something the analyst should know about an input that did not stop the stage."""


def read_boundaries(
    path: str | Path,
    *,
    code_col: str | None = None,
    name_col: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read ward boundaries into a table keyed by ward code.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, Shapefile (or its zip) or GeoParquet.
    code_col, name_col : str, optional
        Columns holding ward codes and names; ONS names (WD23CD, WD23NM...) are detected.
    crs : str, optional
        Projected CRS in metres for analysis; EPSG:27700 (British National Grid) by default.
    layer : str, optional
        Layer of a multi-layer file such as a GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ward_code, ward_name, geometry, sorted by ward_code. Invalid geometries are
        repaired; a ``WardmapWarning`` says how many.

    Examples
    --------
    >>> import tempfile, pathlib, wardmap
    >>> from wardmap.demo import example_grid
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "wards.geojson"
    >>> example_grid().rename(columns={"ward_code": "WD23CD"}).to_file(path)
    >>> wards = wardmap.read_boundaries(path)
    >>> list(wards.columns), len(wards), wards.crs.to_epsg()
    (['ward_code', 'ward_name', 'geometry'], 9, 27700)
    """
    from wardmap.load.boundaries import read_boundaries as read

    wards, report = read(path, code_col, name_col, crs or "EPSG:27700", layer)
    _warn(report.warnings)
    return wards


def read_incidents(
    paths: str | Path | Sequence[str | Path],
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    crs: str = "EPSG:27700",
    date_col: str | None = None,
    crime_type_col: str | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Read incident records: police.uk CSVs, folders of them, the download zip, any point
    CSV, a force's extract as a spreadsheet, or Parquet record files.

    Parameters
    ----------
    paths : path or sequence of paths
        CSV (also gzip-compressed), spreadsheet (xlsx, xls, ods) or Parquet files, folders of
        them, or police.uk zips.
    lon_col, lat_col : str, optional
        Longitude/latitude columns (WGS84); police.uk's are detected.
    x_col, y_col : str, optional
        Easting/northing columns, in ``crs``.
    crs : str
        CRS of ``x_col``/``y_col`` (default EPSG:27700).
    date_col, crime_type_col : str, optional
        Month (or date) and crime type columns; police.uk's are detected.
    encoding : str
        Text encoding of the CSVs (Excel on Windows often writes "cp1252").

    Returns
    -------
    pandas.DataFrame
        One row per record: month ("YYYY-MM"), crime_type, location, cx, cy (coordinates as
        read), unparsable, source. ``df.attrs["crs"]`` is the coordinates' CRS. Coordinates
        are judged by ``count_incidents``, which accounts for every row. Records given twice
        (the same file, overlapping police.uk downloads, a repeated Crime ID) are read once,
        with a ``WardmapWarning``.

    Examples
    --------
    >>> import tempfile, pathlib, wardmap
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "points.csv"
    >>> _ = path.write_text("Easting,Northing,Month\\n500,500,2024-01\\n2500,2500,2024-02\\n")
    >>> records = wardmap.read_incidents(path)
    >>> records[["month", "cx", "cy"]].values.tolist()
    [['2024-01', 500.0, 500.0], ['2024-02', 2500.0, 2500.0]]
    """
    from wardmap.load.incidents import read_incidents as read

    given = [paths] if isinstance(paths, str | Path) else list(paths)
    inputs = InputsConfig(lon_col=lon_col, lat_col=lat_col, x_col=x_col, y_col=y_col,
                          points_crs=crs, date_col=date_col, crime_type_col=crime_type_col,
                          encoding=encoding)
    records, files = read([str(p) for p in given], inputs)
    # Records given twice are read once (wardmap.load.duplicates): say so, as the CLI does.
    _warn([str(f["warning"]) for f in files if f.get("warning")])
    return records


def count_incidents(
    records: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    *,
    lon_col: str | None = None,
    lat_col: str | None = None,
    x_col: str | None = None,
    y_col: str | None = None,
    crs: str = "EPSG:27700",
    month_col: str | None = None,
    crime_type_col: str | None = None,
    location_col: str | None = None,
    months: str | None = None,
    crime_types: Sequence[str] = (),
    groups: Mapping[str, Sequence[str]] | None = None,
    snap_tolerance: float = 100.0,
    code_col: str = "ward_code",
) -> Placement:
    """Place each record in a ward and count the records per ward.

    Parameters
    ----------
    records : DataFrame or GeoDataFrame
        Points: the output of ``read_incidents``, a GeoDataFrame of points, or a table with
        ``lon_col``/``lat_col`` (WGS84) or ``x_col``/``y_col`` (in ``crs``) columns.
    wards : GeoDataFrame
        Ward polygons with a ``code_col`` column, in a projected CRS (records are projected
        to it).
    month_col, crime_type_col : str, optional
        Columns of ``records`` holding dates/months and crime types, for the filters.
    location_col : str, optional
        Column of ``records`` holding police.uk's Location text ("On or near Hospital"), for
        ``map_points``.
    months : str, optional
        Only records in "YYYY-MM:YYYY-MM" count.
    crime_types : sequence of str
        Only these crime types or group names count ("violent crime", "asb"...).
    groups : mapping, optional
        More named groups of crime types.
    snap_tolerance : float
        Records outside every ward but within this distance (units of the wards' CRS, metres
        for British National Grid) go to the nearest ward.
    code_col : str
        The wards' code column.

    Returns
    -------
    Placement
        ``wards`` (a copy with an ``incidents`` column), ``records`` (status, x, y and
        ward_code per record) and ``accounting`` (rows per status, adding up to
        ``input_rows``).

    Examples
    --------
    >>> import pandas as pd, wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid()
    >>> points = pd.DataFrame({"x": [500, 520, 2500, 9000], "y": [500, 480, 2500, 9000]})
    >>> placed = wardmap.count_incidents(points, grid, x_col="x", y_col="y")
    >>> placed.wards["incidents"].tolist()
    [2, 0, 0, 0, 0, 0, 0, 0, 1]
    >>> placed.accounting["assigned"], placed.accounting["outside"]
    (3, 1)
    """
    from wardmap.aggregate import count_by_ward, place_records

    _need_columns(wards, [code_col], "wards")
    if wards.crs is None:
        raise InputError("wards: no CRS; set one (GeoDataFrame.set_crs) before counting")
    raw = _points(records, lon_col, lat_col, x_col, y_col, crs, month_col, crime_type_col,
                  location_col)
    keyed = gpd.GeoDataFrame({"ward_code": wards[code_col].astype(str).to_numpy()},
                             geometry=wards.geometry.to_numpy(), crs=wards.crs)
    config = Config(inputs=InputsConfig(snap_tolerance=float(snap_tolerance)),
                    filters=FiltersConfig(months=months, crime_types=list(crime_types)),
                    groups={k: list(v) for k, v in (groups or {}).items()})
    placement = place_records(raw, keyed, config)
    _warn(placement.overlaps)
    counts = count_by_ward(placement.records, keyed).to_numpy()
    return replace(placement, wards=wards.assign(incidents=counts))


def map_points(
    placement: Placement,
    *,
    code_col: str = "ward_code",
    name_col: str | None = None,
    places: Mapping[str, Sequence[str]] | None = None,
    flag_share: float = 0.25,
    flag_min_count: int = 10,
) -> tuple[gpd.GeoDataFrame, Locations]:
    """Where in each ward: its map points, the busiest one, place groups and concentration.

    Parameters
    ----------
    placement : Placement
        What ``count_incidents`` returned (give it ``location_col`` for place types).
    code_col, name_col : str
        The wards' code and (optional) name columns.
    places : mapping, optional
        Place groups: name -> police.uk place types or Location texts, for ``share_<name>``.
    flag_share, flag_min_count : float, int
        A ward is flagged when one map point holds at least this share of its records and
        at least this many.

    Returns
    -------
    (GeoDataFrame, Locations)
        A copy of ``placement.wards`` with top_location, top_location_count,
        top_location_share, location_flag, location_points, location_top5_share,
        location_top10_share, location_gini and share_<group> columns; and the map points
        (``points``: locations.csv's rows), ``flagged``, ``concentration`` and ``by_month``.

    Examples
    --------
    >>> import pandas as pd, wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid()
    >>> where = ["On or near Hospital"] * 12 + ["On or near Mill Lane"] * 2
    >>> points = pd.DataFrame({"x": [500] * 12 + [700, 2500], "y": [500] * 12 + [700, 2500],
    ...                        "where": where})
    >>> placed = wardmap.count_incidents(points, grid, x_col="x", y_col="y", location_col="where")
    >>> wards, found = wardmap.map_points(placed)
    >>> first = wards.iloc[0]
    >>> first["top_location"], int(first["top_location_count"]), bool(first["location_flag"])
    ('On or near Hospital', 12, True)
    >>> found.concentration.points
    3
    """
    from wardmap.aggregate import PLACED
    from wardmap.locations import analyse_locations, location_rows

    wards = placement.wards
    _need_columns(wards, [code_col, *([name_col] if name_col else [])], "wards")
    records = placement.records
    if "location" not in records:
        records = records.assign(location=None)
    rows = location_rows(records, (records["lon"], records["lat"]),
                         records["status"].isin(PLACED).to_numpy())
    keyed = pd.DataFrame({"ward_code": wards[code_col].astype(str).to_numpy(),
                          "ward_name": wards[name_col or code_col].astype(str).to_numpy()})
    columns, found = analyse_locations(rows, keyed, {k: list(v) for k, v in
                                                      (places or {}).items()},
                                       flag_share=flag_share, flag_min_count=flag_min_count)
    return wards.join(columns.set_axis(wards.index)), found


def spatial_tests(
    wards: gpd.GeoDataFrame,
    column: str,
    *,
    weights: str = "queen",
    k: int = 6,
    distance: float | None = None,
    islands: str = "nearest",
    permutations: int = 999,
    seed: int = 12345,
    correction: str = "fdr",
    alpha: float = 0.05,
) -> SpatialTests:
    """Global Moran's I, local Moran (LISA) and Getis-Ord Gi* of one column.

    Parameters
    ----------
    wards : GeoDataFrame
        Polygons; any CRS (distance bands are in its units). Rows without a value in
        ``column`` are left out of the statistics and named in a warning.
    column : str
        The numeric column to test.
    weights : {"queen", "rook", "knn", "distance"}
        Spatial weights: shared vertex, shared edge, k nearest centroids, or centroids
        within ``distance``.
    k : int
        Neighbours per ward for ``weights="knn"``.
    distance : float, optional
        Band for ``weights="distance"``.
    islands : {"nearest", "label"}
        Wards without a neighbour: joined to the nearest ward, or labelled "Island".
    permutations : int
        Conditional permutations for pseudo p-values (0: none, ``p_sim`` is None).
    seed : int
        Random seed: same seed, same results.
    correction : {"fdr", "bonferroni", "none"}
        Multiple-testing correction of the local p-values (``*_p_adj``).
    alpha : float
        Significance level for the LISA labels and Gi* bins (p_adj < alpha).

    Returns
    -------
    SpatialTests
        ``wards``: a new GeoDataFrame, the input's rows, order and index, with lisa_I,
        lisa_q (quadrant: 1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low), lisa_p,
        lisa_p_adj, lisa_label, gi_z, gi_p, gi_p_adj, gi_bin (-3..3) and stats_note added;
        ``moran``: I, EI, z_norm, p_norm, p_sim, permutations (as esda.Moran);
        ``weights``, ``summary`` and ``warnings``.

    Examples
    --------
    >>> import wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid()
    >>> tests = wardmap.spatial_tests(grid, "crimes", permutations=99, seed=1)
    >>> round(tests.moran.I, 4), round(tests.moran.EI, 4), tests.moran.permutations
    (0.2661, -0.125, 99)
    >>> tests.wards["lisa_q"].tolist()
    [1, 1, 2, 1, 4, 3, 2, 3, 3]
    >>> "lisa_I" in grid.columns  # the input is left as it was
    False
    """
    from wardmap.stats.stage import run_tests

    _need_columns(wards, [column], "wards")
    codes = (wards["ward_code"].astype(str).to_numpy() if "ward_code" in wards.columns
             else np.array([str(i) for i in wards.index]))
    table = gpd.GeoDataFrame({"ward_code": codes, "value": wards[column].to_numpy()},
                             geometry=wards.geometry.to_numpy(), crs=wards.crs)
    config = StatsConfig(measure="value", weights=weights, k=k, distance=distance,
                         islands=islands, permutations=permutations, seed=seed,
                         correction=correction, alpha=alpha)
    tests = run_tests(table, config)
    out = wards.copy()
    for name in STATS_COLUMNS:
        out[name] = tests.wards[name].to_numpy()
    return replace(tests, wards=out, measure=column, summary={**tests.summary, "measure": column})


def focus_areas(
    wards: gpd.GeoDataFrame,
    indicators: str | Sequence[str],
    *,
    size: int = 2,
    exclude: Sequence[str] = (),
    max_population: float | None = None,
    top: int = 10,
    standardise: str = "z",
    contiguity: str = "queen",
) -> pd.DataFrame:
    """Candidate task-force focus areas: connected groups of ``size`` wards ranked by the
    combined score of the indicators (method: docs/focus.md).

    Parameters
    ----------
    wards : GeoDataFrame
        Ward polygons with ward_code (and ward_name) and the indicator columns; a
        ``population`` column for ``max_population``.
    indicators : str or sequence of str
        Numeric columns, each "NAME" or "NAME:WEIGHT" (weight 1 by default).
    size : int
        Wards per area (1-6).
    exclude : sequence of str
        Wards left out, by code or name.
    max_population : float, optional
        Largest total population of an area.
    top : int
        Areas listed.
    standardise : {"z", "rank"}
        How indicators are put on one scale.
    contiguity : {"queen", "rook"}
        What makes wards neighbours.

    Returns
    -------
    pandas.DataFrame
        rank, ward_codes, ward_names, score, population, ``<indicator>_contribution``,
        reason; ``df.attrs`` describes the search (exhaustive, exact, bound, warnings...).

    Examples
    --------
    >>> import wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid()
    >>> areas = wardmap.focus_areas(grid, "crimes", size=2, top=3)
    >>> areas["ward_codes"].tolist()[0]
    'W0;W1'
    """
    specs = [indicators] if isinstance(indicators, str) else list(indicators)
    config = FocusConfig(size=size, exclude=list(exclude), max_population=max_population,
                         top=top, indicators=specs, standardise=standardise,
                         contiguity=contiguity)
    from wardmap.select.focus import find_focus_areas

    return find_focus_areas(_select_run(wards, specs, focus=config), config)


def clusters(
    wards: gpd.GeoDataFrame,
    variables: str | Sequence[str],
    *,
    max_size: int = 4,
    contiguity: str = "queen",
) -> pd.DataFrame:
    """Group the wards into contiguous clusters of at most ``max_size`` similar wards
    (a capped SKATER regionalisation).

    Parameters
    ----------
    wards : GeoDataFrame
        Ward polygons with ward_code (and ward_name) and the variable columns.
    variables : str or sequence of str
        Numeric columns to group on, each "NAME" or "NAME:WEIGHT".
    max_size : int
        Most wards in a cluster.
    contiguity : {"queen", "rook"}
        What makes wards neighbours.

    Returns
    -------
    pandas.DataFrame
        One row per ward: ward_code, ward_name, cluster, cluster_size, cluster_wards, each
        variable and its cluster mean, within_distance; ``df.attrs`` n_clusters,
        within_share...

    Examples
    --------
    >>> import wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid()
    >>> groups = wardmap.clusters(grid, "crimes", max_size=3)
    >>> int(groups["cluster_size"].max()) <= 3, len(groups)
    (True, 9)
    """
    specs = [variables] if isinstance(variables, str) else list(variables)
    config = ClustersConfig(max_size=max_size, variables=specs, contiguity=contiguity)
    from wardmap.select.clusters import find_clusters

    return find_clusters(_select_run(wards, specs, clusters=config), config)


def _select_run(wards: gpd.GeoDataFrame, specs: list[str], **sections: object) -> RunResult:
    """A run holding only the caller's ward table, for the select stage's functions."""
    from wardmap.select.indicators import parse_indicator

    _need_columns(wards, ["ward_code", *(parse_indicator(s).name for s in specs)], "wards")
    table = wards if "ward_name" in wards.columns else wards.assign(ward_name=wards["ward_code"])
    return RunResult(config=Config(**sections), wards=table, summary={},
                     meta=RunMeta(measure=parse_indicator(specs[0]).name if specs else "value"))


def _points(records: pd.DataFrame, lon_col: str | None, lat_col: str | None,
            x_col: str | None, y_col: str | None, crs: str, month_col: str | None,
            crime_type_col: str | None, location_col: str | None = None) -> pd.DataFrame:
    """The records in the aggregate stage's shape: month, crime_type, location, cx, cy,
    unparsable."""
    named = lon_col or lat_col or x_col or y_col
    if {"cx", "cy", "unparsable"} <= set(records.columns) and not named:
        return records.copy()  # read_incidents' output, attrs["crs"] included
    if isinstance(records, gpd.GeoDataFrame) and not named:
        if records.crs is None:
            raise InputError("records: the points have no CRS; set one before counting")
        geometry = records.geometry
        cx = np.where(geometry.isna(), np.nan, geometry.x)
        cy = np.where(geometry.isna(), np.nan, geometry.y)
        source_crs = records.crs.to_string()
    else:
        if lon_col or lat_col:
            cols, source_crs = (lon_col, lat_col), "EPSG:4326"
        elif x_col or y_col:
            cols, source_crs = (x_col, y_col), crs
        else:
            raise InputError("records: name the coordinate columns (lon_col/lat_col or "
                             "x_col/y_col), or pass a GeoDataFrame of points")
        if None in cols:
            raise InputError("records: give both coordinate columns (lon_col and lat_col, or "
                             "x_col and y_col)")
        _need_columns(records, list(cols), "records")
        cx, cy = (pd.to_numeric(records[c], errors="coerce").to_numpy(float) for c in cols)
    unparsable = np.zeros(len(records), bool)
    if not isinstance(records, gpd.GeoDataFrame) or named:
        given = records[list(cols)].notna().all(axis=1).to_numpy()
        unparsable = given & (np.isnan(cx) | np.isnan(cy))
    raw = pd.DataFrame({"month": _months(records, month_col), "crime_type": _column(
        records, crime_type_col), "location": _column(records, location_col), "cx": cx,
        "cy": cy, "unparsable": unparsable}, index=records.index)
    raw.attrs["crs"] = "EPSG:4326" if source_crs in ("EPSG:4326", "OGC:CRS84") else source_crs
    return raw.reset_index(drop=True)


def _months(records: pd.DataFrame, month_col: str | None) -> pd.Series:
    if month_col is None:
        return pd.Series(None, index=records.index, dtype=object)
    _need_columns(records, [month_col], "records")
    dates = pd.to_datetime(records[month_col].astype(str), errors="coerce", format="mixed")
    return dates.dt.strftime("%Y-%m").where(dates.notna(), None)


def _column(records: pd.DataFrame, name: str | None) -> pd.Series:
    if name is None:
        return pd.Series(None, index=records.index, dtype=object)
    _need_columns(records, [name], "records")
    return records[name].astype(object).where(records[name].notna(), None)


def _need_columns(frame: pd.DataFrame, names: list[str], what: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise WardmapError(f"{what}: no column {missing[0]!r} (columns: {shown})")


def _warn(messages: Sequence[str]) -> None:
    for message in messages:
        warnings.warn(message, WardmapWarning, stacklevel=3)
