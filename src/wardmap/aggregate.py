"""Points in polygons, with every input row accounted for.

Each record gets exactly one status: filtered_out (fails a crime-type or month filter),
excluded_location (at a map point left out with ``--exclude-location``), missing_coordinates,
invalid_coordinates (not a number, out of range, latitude/longitude swapped, or 0,0), assigned
(inside a ward), snapped (outside every ward but within the snap tolerance of one and inside the
study area's outer edge: generalised boundaries leave slivers between wards) or outside (a
neighbouring district's records are never snapped in). The counts add up to the input rows.
Records that fail a filter still carry the ward they fall in, so a comparison period can be
counted from the same table; records at an excluded map point carry none, so no period counts
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


@dataclass
class PointPlacement:
    """Where each point lands: analysis-CRS x, y, the ward's position in the ward table (-1
    when none), its status (assigned, snapped, outside, missing_coordinates,
    invalid_coordinates) and, for invalid coordinates, the problem (not_a_number,
    out_of_range, swapped_lat_lon, zero; '' otherwise)."""

    x: np.ndarray
    y: np.ndarray
    ward: np.ndarray
    status: np.ndarray
    problem: np.ndarray
    overlapping: dict[tuple[int, int], int]


def place_points(cx: np.ndarray, cy: np.ndarray, unparsable: np.ndarray, crs: str,
                 wards: gpd.GeoDataFrame, tolerance: float) -> PointPlacement:
    """Place points given in ``crs`` in the wards: the one placement rule of every engine."""
    cx, cy = np.asarray(cx, float), np.asarray(cy, float)
    problem = _coordinate_problems(cx, cy, np.asarray(unparsable, bool), crs)
    x, y = _project(cx, cy, crs, wards.crs, problem == "")
    inside, snapped, overlapping = _locate(x, y, wards, tolerance)
    ward = np.where(inside >= 0, inside, snapped)
    status = np.select(
        [problem == "missing", problem != "", inside >= 0, snapped >= 0],
        ["missing_coordinates", "invalid_coordinates", "assigned", "snapped"],
        default="outside",
    )
    detail = np.where(np.isin(problem, ["", "missing"]), "", problem)
    return PointPlacement(x, y, ward, status.astype(object), detail.astype(object), overlapping)


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
    placed = place_points(records["cx"].to_numpy(float), records["cy"].to_numpy(float),
                          records["unparsable"].to_numpy(bool),
                          records.attrs.get("crs", "EPSG:4326"), wards,
                          config.inputs.snap_tolerance)
    records["x"], records["y"] = placed.x, placed.y
    records["lon"], records["lat"] = _lonlat(records, placed.x, placed.y, wards.crs)
    codes = wards["ward_code"].to_numpy(dtype=object)
    left_out = _excluded_locations(records, config.locations.exclude)
    # Left out of the run altogether, comparison periods included: no ward.
    ward = np.where(left_out, -1, placed.ward)
    records["ward_code"] = np.where(ward >= 0, codes[np.maximum(ward, 0)], None)
    kept = (records["type_match"] & records["period_match"]).to_numpy()
    status = np.where(kept, np.where(left_out, "excluded_location", placed.status),
                      "filtered_out")
    kept = kept & ~left_out
    records["status"] = pd.Categorical(status, categories=STATUSES)
    counts = records["status"].value_counts()
    accounting = {"input_rows": len(records)} | {s: int(counts.get(s, 0)) for s in STATUSES}
    detail = pd.Series(placed.problem[kept & (placed.problem != "")]).value_counts()
    return Placement(wards=None, records=records, accounting=accounting,
                     invalid_detail={str(k): int(v) for k, v in detail.items()},
                     overlaps=tuple(_overlap_notes(placed.overlapping, wards)))


def _overlap_notes(overlapping: dict[tuple[int, int], int], wards: gpd.GeoDataFrame) -> list[
        str]:
    codes = wards["ward_code"].to_numpy(dtype=object)
    names = wards["ward_name"].to_numpy(dtype=object) if "ward_name" in wards else codes
    label = [f"{n} ({c})" if n != c else str(c) for n, c in zip(names, codes, strict=True)]
    return [f"wards {label[a]} and {label[b]} overlap: {n:,} records inside both are counted "
            f"once, in {names[a]}; check the boundary file"
            for (a, b), n in sorted(overlapping.items())]


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
    month = records["month"]
    if isinstance(month.dtype, pd.CategoricalDtype):  # a tally: its codes, not its texts
        used = np.unique(month.cat.codes.to_numpy()[chosen])
        months = sorted(month.cat.categories.astype(str)[used[used >= 0]])
    else:
        months = sorted(month[chosen].astype(str).unique())
    return ward_month_table(records, list(wards["ward_code"]), months, mask)


def ward_month_table(records: pd.DataFrame, ward_codes: list[str], months: list[str],
                     mask: pd.Series | None = None) -> pd.DataFrame:
    """Wards × months counts (index ward_code in the given order, one column per month) of
    the records in ``mask`` (by default those passing the crime-type filter).

    A tally's rows (wardmap.cube) count ``count`` records each. Counted with category codes
    and bincounts, a slice of rows at a time: pandas' crosstab takes seconds on a national
    records table, and whole-table temporaries would take a national tally's size again.
    """
    keep = (records["type_match"] if mask is None else mask).to_numpy(dtype=bool)
    wards_index, months_index = pd.Index(ward_codes), pd.Index(months)
    cells = len(ward_codes) * len(months)

    def slice_cells(start: int, stop: int) -> np.ndarray:
        # Positions in the given wards and months; -1 for anything outside them.
        ward = positions(records["ward_code"].iloc[start:stop], wards_index)
        month = positions(records["month"].iloc[start:stop], months_index)
        return np.where(keep[start:stop] & (ward >= 0) & (month >= 0),
                        ward * len(months) + month, -1)

    counts = sum_by_code(slice_cells, weights(records), cells)
    return pd.DataFrame(counts.reshape(len(ward_codes), len(months)),
                        index=pd.Index(ward_codes, name="ward_code"), columns=months)


# Rows of a tally counted at a time: bounds the temporaries of a national ten-year tally
# (millions of rows) to a few tens of MB.
SLICE_ROWS = 1 << 20


def sum_by_code(codes_of: Callable[[int, int], np.ndarray], counts: np.ndarray,
                size: int) -> np.ndarray:
    """Sums of ``counts`` by code (0 to size − 1; rows with code -1 left out), taking the
    codes of a slice of rows at a time from ``codes_of(start, stop)``.

    Examples
    --------
    >>> codes = np.array([1, -1, 1, 0])
    >>> sum_by_code(lambda a, b: codes[a:b], np.array([2, 5, 3, 4]), 3).tolist()
    [4, 5, 0]
    """
    total = np.zeros(size, np.int64)
    for start in range(0, len(counts), SLICE_ROWS):
        stop = start + SLICE_ROWS
        code = codes_of(start, stop)
        chosen = code >= 0
        # Float weights are exact for whole numbers up to 2**53 records per code.
        total += np.bincount(code[chosen], weights=counts[start:stop][chosen],
                             minlength=size).astype(np.int64)
    return total


def sum_where(codes: np.ndarray, keep: np.ndarray, counts: np.ndarray,
              size: int) -> np.ndarray:
    """Sums of ``counts`` by code over the rows ``keep`` selects (``sum_by_code``).

    Examples
    --------
    >>> sum_where(np.array([1, 0, 1]), np.array([True, True, False]), np.array([2, 5, 3]),
    ...           2).tolist()
    [5, 2]
    """
    return sum_by_code(lambda a, b: np.where(keep[a:b], codes[a:b], -1), counts, size)


def positions(column: pd.Series, index: pd.Index) -> np.ndarray:
    """Each value's position in ``index`` (-1 when absent), looked up once per category for
    a categorical column (a national tally has millions of rows, a few thousand codes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        table = np.append(index.get_indexer(column.cat.categories.astype(object)), -1)
        codes = column.cat.codes.to_numpy()
        return table.astype(np.int64)[np.where(codes < 0, len(table) - 1, codes)]
    return index.get_indexer(column.astype(object)).astype(np.int64, copy=False)


def weights(table: pd.DataFrame) -> np.ndarray:
    """Records per row: a tally's ``count`` (wardmap.cube), 1 for each row of a records table."""
    if "count" in table:
        return table["count"].to_numpy(np.int64)
    return np.ones(len(table), np.int64)


def _type_match(records: pd.DataFrame, config: Config) -> pd.Series:
    if config.groups and records["crime_type"].notna().any():
        check_groups(config.groups, records["crime_type"])
    wanted = config.filters.crime_types
    if not wanted:
        return pd.Series(True, index=records.index)
    if records["crime_type"].isna().all():
        raise InputError("a crime-type filter was given but the incident files have no crime "
                         "type column")
    types = expand_crime_types(wanted, config.crime_groups(), records["crime_type"])
    return pd.Series(member(records["crime_type"], types), index=records.index)


def expand_crime_types(wanted: list[str], groups: dict[str, list[str]],
                       present: pd.Series) -> set[str]:
    """Crime types and group names → the crime types of the data they mean.

    Compared without regard to case or spacing ("BURGLARY", "Burglary " and "burglary" are
    one type), as the readers normalise the data's types.
    """
    from rapidfuzz import process

    from wardmap.load.incidents import crime_type_key

    known = {crime_type_key(t): str(t) for t in present.dropna().unique()}
    group_keys = {crime_type_key(g): members for g, members in groups.items()}
    types: set[str] = set()
    for name in wanted:
        key = crime_type_key(name)
        if key in group_keys:
            types.update(known.get(crime_type_key(m), m) for m in group_keys[key])
        elif key in known:
            types.add(known[key])
        else:
            options = list(known.values()) + list(groups)
            close = [c for c, _, _ in process.extract(name, options, limit=3)]
            raise InputError(f"crime type {name!r} is neither in the data nor a group "
                             f"(closest: {', '.join(map(repr, close))})")
    return types


def check_groups(groups: dict[str, list[str]], present: pd.Series) -> None:
    """Every member of a configured group is a police.uk crime type or a type in the data.

    A typo ("Pubic order") would otherwise drop that type from the group without a word.
    """
    from rapidfuzz import process

    from wardmap.load.incidents import POLICE_CRIME_TYPES, crime_type_key

    known = {crime_type_key(t): str(t) for t in (*POLICE_CRIME_TYPES,
                                                  *present.dropna().unique())}
    for group, members in groups.items():
        for member in members:
            if crime_type_key(member) not in known:
                close = [c for c, _, _ in process.extract(member, list(known.values()),
                                                          limit=3)]
                raise InputError(f"[groups] {group!r}: {member!r} is neither a police.uk crime "
                                 f"type nor in the data (closest: "
                                 f"{', '.join(map(repr, close))})")


def _period_match(records: pd.DataFrame, months: str | None) -> pd.Series:
    if months is None:
        return pd.Series(True, index=records.index)
    from wardmap.periods.presets import parse_range  # here: wardmap.periods loads scipy

    wanted = parse_range(months, "months")
    if records["month"].isna().all():
        raise InputError("a month range was given but the incident files have no month column")
    return pd.Series(member(records["month"], wanted) & records["month"].notna().to_numpy(),
                     index=records.index)


def member(column: pd.Series, values: Iterable[object]) -> np.ndarray:
    """``column.isin(values)`` as a bool array (missing values: False), looked up once per
    category for a categorical column: pandas' isin widens a national tally's millions of
    category codes to 64-bit integers first.

    Examples
    --------
    >>> member(pd.Series(["a", "b", None, "a"], dtype="category"), {"a"}).tolist()
    [True, False, False, True]
    """
    values = list(values)
    if isinstance(column.dtype, pd.CategoricalDtype):
        table = np.append(np.asarray(column.cat.categories.isin(values), bool), False)
        return table[column.cat.codes.to_numpy()]  # code -1 (missing): the last, False
    return column.isin(values).to_numpy(dtype=bool) & column.notna().to_numpy()


def _coordinate_problems(cx: np.ndarray, cy: np.ndarray, unparsable: np.ndarray,
                         crs: str) -> np.ndarray:
    """'' for usable coordinates, else missing / not_a_number / out_of_range / swapped / zero."""
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


def metres_hint(records: pd.DataFrame) -> str | None:
    """A hint when the coordinate columns hold the other kind of coordinates: eastings and
    northings under longitude/latitude headers, or degrees under easting/northing ones."""
    if "status" not in records:
        return None
    degrees = records.attrs.get("crs", "EPSG:4326") == "EPSG:4326"
    bad = records["status"] == ("invalid_coordinates" if degrees else "outside")
    cx, cy = records.loc[bad, "cx"], records.loc[bad, "cy"]
    if degrees:
        other = cx.between(1_000, 700_000) & cy.between(1_000, 1_300_000)
        found, use = "eastings/northings in metres", "--x-col/--y-col (and --points-crs if "
        use += "not British National Grid)"
    else:
        other = cx.between(-9, 3) & cy.between(49, 61.5)
        found, use = "longitude/latitude in degrees", "--lon-col/--lat-col"
    if not bad.any() or other.sum() < max(1, 0.5 * bad.sum()):
        return None
    return (f"{int(other.sum()):,} records have coordinates like {cx[other].iat[0]:g}, "
            f"{cy[other].iat[0]:g}: these look like {found}; name the columns with {use}")


def _within(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def _project(cx: np.ndarray, cy: np.ndarray, source: str, target: object,
             usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.full(len(cx), np.nan), np.full(len(cy), np.nan)
    try:
        transformer = Transformer.from_crs(source, target, always_xy=True)
    except CRSError:
        raise InputError(f"unknown CRS {source!r} for the incident coordinates (give an EPSG "
                         "code such as EPSG:27700)") from None
    x[usable], y[usable] = transformer.transform(cx[usable], cy[usable])
    return x, y


def _locate(x: np.ndarray, y: np.ndarray, wards: gpd.GeoDataFrame, tolerance: float) -> tuple[
        np.ndarray, np.ndarray, dict[tuple[int, int], int]]:
    """Ward position for each point inside a ward (-1 if none), and for each point outside but
    within ``tolerance`` metres of a ward (-1 if none). A point on a shared edge goes to the
    first ward in code order, so each record lands in exactly one ward. Also the records inside
    two wards at once, per pair of ward positions (overlapping polygons)."""
    inside, snapped = np.full(len(x), -1), np.full(len(x), -1)
    usable = np.flatnonzero(~np.isnan(x))
    if usable.size == 0:
        return inside, snapped, {}
    # police.uk records share anonymised map points: place each distinct point once.
    xy = np.ascontiguousarray(np.column_stack([x[usable], y[usable]]))
    unique, back = np.unique(xy.view(np.complex128).ravel(), return_inverse=True)
    points = shapely.points(unique.real, unique.imag)
    hit_ward, hit_point = shapely.STRtree(points).query(wards.geometry.values,
                                                         predicate="intersects")
    ward_of = _first_hit(hit_point, hit_ward, len(points))
    inside[usable] = ward_of[back]
    overlapping = _overlaps(hit_point, hit_ward, points, wards.geometry.values,
                            np.bincount(back, minlength=len(points)))
    outside = np.flatnonzero(ward_of < 0)
    if tolerance > 0 and outside.size:
        near_point, near_ward = shapely.STRtree(wards.geometry.values).query_nearest(
            points[outside], max_distance=tolerance)
        near = np.full(len(points), -1)
        near[outside] = _first_hit(near_point, near_ward, outside.size)
        candidates = np.flatnonzero(near >= 0)
        enclosed = within_outer_edge(points[candidates], wards.geometry.values, tolerance,
                                     near[candidates])
        near[candidates[~enclosed]] = -1
        snapped[usable] = near[back]
    return inside, snapped, overlapping


def _overlaps(hit_point: np.ndarray, hit_ward: np.ndarray, points: np.ndarray,
              geoms: np.ndarray, records_at: np.ndarray) -> dict[tuple[int, int], int]:
    """Records strictly inside two or more wards, per pair (first two wards by position).

    A point on a shared edge touches two wards but lies inside neither's interior, so only
    points that several wards contain properly count: only those few points are tested.
    """
    multi = np.flatnonzero(np.bincount(hit_point, minlength=len(points)) > 1)
    if multi.size == 0:
        return {}
    pairs = np.isin(hit_point, multi)
    p, w = hit_point[pairs], hit_ward[pairs]
    proper = shapely.contains_properly(geoms[w], points[p])
    p, w = p[proper], w[proper]
    found: dict[tuple[int, int], int] = {}
    for point in np.unique(p):
        wards_here = np.sort(w[p == point])
        if wards_here.size > 1:
            key = (int(wards_here[0]), int(wards_here[1]))
            found[key] = found.get(key, 0) + int(records_at[point])
    return found


def within_outer_edge(points: np.ndarray, geoms: np.ndarray, tolerance: float,
                      nearest: np.ndarray) -> np.ndarray:
    """True for points (outside every ward) that lie inside the study area's outer edge.

    Snapping is for the slivers that generalised boundaries leave between wards and for holes
    inside the area, not for a neighbouring district's records just over the border. A point
    is inside when it is within ``tolerance`` of two or more wards (a sliver between them) or
    inside the outer ring of its nearest ward (a hole in it). Both tests are local: a national
    run need not union 7,681 wards (seconds), which an exact outer edge would.
    """
    if points.size == 0:
        return np.zeros(0, bool)
    point, _ = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=tolerance)
    between = np.bincount(point, minlength=len(points)) >= 2
    rest = np.flatnonzero(~between)
    if rest.size:
        wards = np.unique(nearest[rest])
        filled = np.empty(len(geoms), dtype=object)
        filled[wards] = [_filled(g) for g in geoms[wards]]
        between[rest] = shapely.intersects(filled[nearest[rest]].astype(object), points[rest])
    return between


def _filled(geom: shapely.Geometry) -> shapely.Geometry:
    """A polygon with its holes filled (each part of a multipolygon)."""
    parts = shapely.get_parts(geom)
    return shapely.union_all(shapely.polygons(shapely.get_exterior_ring(parts)))


def _first_hit(point: np.ndarray, ward: np.ndarray, n: int) -> np.ndarray:
    """For each of n points the lowest ward position among its hits, or -1."""
    first = np.full(n, -1)
    order = np.lexsort((ward, point))
    point, ward = point[order], ward[order]
    starts = np.unique(point, return_index=True)[1]
    first[point[starts]] = ward[starts]
    return first
