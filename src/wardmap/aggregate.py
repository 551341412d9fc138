"""Points in polygons, with every input row accounted for.

Each record gets exactly one status: filtered_out (fails a crime-type or month filter),
excluded_location (at a map point left out with ``--exclude-location``), missing_coordinates,
invalid_coordinates (not a number, out of range, latitude/longitude swapped, or 0,0),
assigned (inside a ward), snapped (outside every ward but within the snap tolerance of one:
police.uk snap points and generalised boundaries shave the edges) or outside. The counts add
up to the input rows. Records that fail a filter still carry the ward they fall in, so a
comparison period can be counted from the same table; records at an excluded map point carry
none, so no period counts them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from pyproj.exceptions import CRSError

from wardmap.config import Config
from wardmap.errors import InputError
from wardmap.result import Placement

STATUSES = ("assigned", "snapped", "outside", "missing_coordinates", "invalid_coordinates",
            "filtered_out", "excluded_location")
PLACED = ("assigned", "snapped")
# Great Britain in WGS84, generously: used to spot swapped latitude/longitude.
_GB_LON = (-9.0, 3.0)
_GB_LAT = (49.0, 61.5)


def place_records(records: pd.DataFrame, wards: gpd.GeoDataFrame, config: Config) -> Placement:
    """Give each record a status, analysis-CRS coordinates and (when placed) a ward code.

    ``records`` is read_incidents' table (cx, cy, unparsable, month, crime_type); for any
    other table of points use ``wardmap.count_incidents``, which names the coordinate columns.
    """
    missing = [c for c in ("cx", "cy", "unparsable", "month", "crime_type")
               if c not in records.columns]
    if missing:
        raise InputError(f"records lack column(s) {', '.join(missing)}: read them with "
                         "wardmap.read_incidents, or use wardmap.count_incidents with "
                         "lon_col/lat_col or x_col/y_col")
    records = records.copy()
    records["type_match"] = _type_match(records, config)
    records["period_match"] = _period_match(records, config.filters.months)
    problem = _coordinate_problems(records, records.attrs.get("crs", "EPSG:4326"))
    x, y = _project(records, wards.crs, problem == "")
    records["x"], records["y"] = x, y
    records["lon"], records["lat"] = _lonlat(records, x, y, wards.crs)
    inside, snapped = _locate(x, y, wards, config.inputs.snap_tolerance)
    code = np.where(inside >= 0, inside, snapped)
    codes = wards["ward_code"].to_numpy(dtype=object)
    left_out = _excluded_locations(records, config.locations.exclude)
    # Left out of the run altogether, comparison periods included: no ward.
    code = np.where(left_out, -1, code)
    records["ward_code"] = np.where(code >= 0, codes[np.maximum(code, 0)], None)
    status = np.select(
        [~(records["type_match"] & records["period_match"]).to_numpy(), left_out,
         problem == "missing", problem != "", inside >= 0, snapped >= 0],
        ["filtered_out", "excluded_location", "missing_coordinates", "invalid_coordinates",
         "assigned", "snapped"],
        default="outside",
    )
    records["status"] = pd.Categorical(status, categories=STATUSES)
    counts = records["status"].value_counts()
    accounting = {"input_rows": len(records)} | {s: int(counts.get(s, 0)) for s in STATUSES}
    kept = status != "filtered_out"
    detail = pd.Series(problem[kept & (problem != "") & (problem != "missing")]).value_counts()
    return Placement(wards=None, records=records, accounting=accounting,
                     invalid_detail={str(k): int(v) for k, v in detail.items()})


def leave_out(records: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """The records with those ``chosen`` left out of the run, as ``--exclude-location`` leaves
    them: no ward (so no comparison period counts them either), status excluded_location
    unless a filter already left them out."""
    out = records.copy()
    chosen = np.asarray(chosen, bool)
    out["ward_code"] = out["ward_code"].astype(object).where(~chosen, None)
    status = out["status"].to_numpy(dtype=object, copy=True)
    status[chosen & (status != "filtered_out")] = "excluded_location"
    out["status"] = pd.Categorical(status, categories=STATUSES)
    return out


def _lonlat(records: pd.DataFrame, x: np.ndarray, y: np.ndarray, crs: object) -> tuple[
        np.ndarray, np.ndarray]:
    """WGS84 coordinates of each record: police.uk's own when given so (a map point is its
    exact coordinates), else projected from the analysis CRS."""
    if records.attrs.get("crs", "EPSG:4326") == "EPSG:4326":
        problem = np.isnan(x)
        lon = np.where(problem, np.nan, records["cx"].to_numpy(float))
        return lon, np.where(problem, np.nan, records["cy"].to_numpy(float))
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return transformer.transform(x, y)


def _excluded_locations(records: pd.DataFrame, excluded: list[str]) -> np.ndarray:
    """Records at the map points ``--exclude-location`` names; an entry matching no record is
    an error naming the closest Location texts."""
    from wardmap.locations import excluded_by, parse_point, place_name

    if not excluded:
        return np.zeros(len(records), bool)
    if records["location"].isna().all() and any(parse_point(e) is None for e in excluded):
        raise InputError("--exclude-location names a Location text but the incident files "
                         "have no Location column (give the map point as LON,LAT)")
    hit, matched = excluded_by(records["location"], (records["lon"], records["lat"]),
                               excluded)
    unmatched = [entry for entry, n in matched.items() if n == 0]
    if unmatched:
        from rapidfuzz import process

        names = place_name(records["location"].dropna().drop_duplicates()).unique().tolist()
        close = [c for c, _, _ in process.extract(unmatched[0], names, limit=3)]
        raise InputError(f"--exclude-location {unmatched[0]!r} matches no record "
                         f"(closest Location texts: {', '.join(map(repr, close))})")
    return hit


def count_by_ward(records: pd.DataFrame, wards: pd.DataFrame) -> pd.Series:
    """Placed records per ward (zero for wards with none), in ward-table order."""
    placed = records.loc[records["status"].isin(PLACED), "ward_code"]
    return placed.value_counts().reindex(wards["ward_code"], fill_value=0).astype("int64")


def monthly_counts(records: pd.DataFrame, wards: pd.DataFrame,
                   mask: pd.Series | None = None) -> pd.DataFrame:
    """Wards × months table of records with a ward; by default those passing the type filter.
    Every month present among the chosen records is a column, in order."""
    if mask is None:
        mask = records["type_match"]
    chosen = mask.to_numpy(dtype=bool) & records["month"].notna().to_numpy()
    months = sorted(records.loc[chosen, "month"].astype(str).unique())
    return ward_month_table(records, list(wards["ward_code"]), months, mask)


def ward_month_table(records: pd.DataFrame, ward_codes: list[str], months: list[str],
                     mask: pd.Series | None = None) -> pd.DataFrame:
    """Wards × months counts (index ward_code in the given order, one column per month) of
    the records in ``mask`` (by default those passing the crime-type filter).

    Counted with category codes and one bincount: pandas' crosstab takes seconds on a national
    records table.
    """
    keep = (records["type_match"] if mask is None else mask).to_numpy(dtype=bool, copy=True)
    # Positions in the given wards and months; -1 for anything outside them.
    ward = pd.Index(ward_codes).get_indexer(records["ward_code"].astype(object))
    month = pd.Index(months).get_indexer(records["month"].astype(object))
    keep &= (ward >= 0) & (month >= 0)
    cells = ward[keep].astype(np.int64) * len(months) + month[keep]
    counts = np.bincount(cells, minlength=len(ward_codes) * len(months))
    return pd.DataFrame(counts.reshape(len(ward_codes), len(months)),
                        index=pd.Index(ward_codes, name="ward_code"), columns=months)


def _type_match(records: pd.DataFrame, config: Config) -> pd.Series:
    wanted = config.filters.crime_types
    if not wanted:
        return pd.Series(True, index=records.index)
    if records["crime_type"].isna().all():
        raise InputError("a crime-type filter was given but the incident files have no crime "
                         "type column")
    types = expand_crime_types(wanted, config.crime_groups(), records["crime_type"])
    return records["crime_type"].isin(types).fillna(False).astype(bool)


def expand_crime_types(wanted: list[str], groups: dict[str, list[str]],
                       present: pd.Series) -> set[str]:
    """Crime types and group names (case-insensitive) → the set of crime types they mean."""
    from rapidfuzz import process

    known = {str(t).lower(): str(t) for t in present.dropna().unique()}
    group_keys = {g.lower(): members for g, members in groups.items()}
    types: set[str] = set()
    for name in wanted:
        key = name.lower().strip()
        if key in group_keys:
            types.update(group_keys[key])
        elif key in known:
            types.add(known[key])
        else:
            options = list(known.values()) + list(groups)
            close = [c for c, _, _ in process.extract(name, options, limit=3)]
            raise InputError(f"crime type {name!r} is neither in the data nor a group "
                             f"(closest: {', '.join(map(repr, close))})")
    return types


def _period_match(records: pd.DataFrame, months: str | None) -> pd.Series:
    if months is None:
        return pd.Series(True, index=records.index)
    from wardmap.periods.presets import parse_range  # here: wardmap.periods loads scipy

    wanted = parse_range(months, "months")
    if records["month"].isna().all():
        raise InputError("a month range was given but the incident files have no month column")
    return records["month"].isin(wanted) & records["month"].notna()


def _coordinate_problems(records: pd.DataFrame, crs: str) -> np.ndarray:
    """'' for usable coordinates, else missing / not_a_number / out_of_range / swapped / zero."""
    cx, cy = records["cx"].to_numpy(float), records["cy"].to_numpy(float)
    unparsable = records["unparsable"].to_numpy(bool)
    missing = (np.isnan(cx) | np.isnan(cy)) & ~unparsable
    if crs == "EPSG:4326":
        out = (np.abs(cx) > 180) | (np.abs(cy) > 90)
        swapped = _within(cy, _GB_LON) & _within(cx, _GB_LAT)
    else:  # British National Grid extents
        out = (cx < 0) | (cx > 700_000) | (cy < 0) | (cy > 1_300_000)
        swapped = np.zeros(len(cx), bool)
    zero = (cx == 0) & (cy == 0)
    return np.select([missing, unparsable, zero, swapped, out],
                     ["missing", "not_a_number", "zero", "swapped_lat_lon", "out_of_range"],
                     default="").astype(object)


def _within(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def _project(records: pd.DataFrame, target: object, usable: np.ndarray) -> tuple[
        np.ndarray, np.ndarray]:
    cx, cy = records["cx"].to_numpy(float), records["cy"].to_numpy(float)
    x, y = np.full(len(cx), np.nan), np.full(len(cy), np.nan)
    source = records.attrs.get("crs", "EPSG:4326")
    try:
        transformer = Transformer.from_crs(source, target, always_xy=True)
    except CRSError:
        raise InputError(f"unknown CRS {source!r} for the incident coordinates (give an EPSG "
                         "code such as EPSG:27700)") from None
    x[usable], y[usable] = transformer.transform(cx[usable], cy[usable])
    return x, y


def _locate(x: np.ndarray, y: np.ndarray, wards: gpd.GeoDataFrame, tolerance: float) -> tuple[
        np.ndarray, np.ndarray]:
    """Ward position for each point inside a ward (-1 if none), and for each point outside but
    within ``tolerance`` metres of a ward (-1 if none). A point on a shared edge goes to the
    first ward in code order, so each record lands in exactly one ward."""
    inside, snapped = np.full(len(x), -1), np.full(len(x), -1)
    usable = np.flatnonzero(~np.isnan(x))
    if usable.size == 0:
        return inside, snapped
    # police.uk records share anonymised map points: place each distinct point once.
    xy = np.ascontiguousarray(np.column_stack([x[usable], y[usable]]))
    unique, back = np.unique(xy.view(np.complex128).ravel(), return_inverse=True)
    points = shapely.points(unique.real, unique.imag)
    ward_of = _first_hit(*shapely.STRtree(points).query(wards.geometry.values,
                                                       predicate="intersects")[::-1],
                         len(points))
    inside[usable] = ward_of[back]
    outside = np.flatnonzero(ward_of < 0)
    if tolerance > 0 and outside.size:
        near_point, near_ward = shapely.STRtree(wards.geometry.values).query_nearest(
            points[outside], max_distance=tolerance)
        near = np.full(len(points), -1)
        near[outside] = _first_hit(near_point, near_ward, outside.size)
        snapped[usable] = near[back]
    return inside, snapped


def _first_hit(point: np.ndarray, ward: np.ndarray, n: int) -> np.ndarray:
    """For each of n points the lowest ward position among its hits, or -1."""
    first = np.full(n, -1)
    order = np.lexsort((ward, point))
    point, ward = point[order], ward[order]
    starts = np.unique(point, return_index=True)[1]
    first[point[starts]] = ward[starts]
    return first
