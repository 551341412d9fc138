"""Where in the ward: map points, place types, place groups and how concentrated records are.

police.uk publishes each record at an anonymised map point (a snap point) with a ``Location``
text: "On or near Dogwood Close" for a street, or a place type such as "On or near Hospital".
A hospital, shopping area or custody suite collects records that say little about a ward's
residents, so a ward whose count rests on one map point is flagged.

Every function here works on location rows, one per (ward_code, location, lon, lat,
crime_type, month) with a ``count`` column (``location_rows`` builds them from the records
table), so the same computations serve an already aggregated table of counts. A map point is
its exact coordinates (lon, lat).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ROW_COLUMNS = ["ward_code", "location", "lon", "lat", "crime_type", "month", "count"]
PREFIX = "on or near "
# The place types police.uk names instead of a street (its location anonymisation).
PLACE_TYPES = (
    "Airport/Airfield", "Bus/Coach Station", "Conference/Exhibition Centre",
    "Further/Higher Educational Building", "Hospital", "Nightclub", "Park/Open Space",
    "Parking Area", "Pedestrian Subway", "Petrol Station", "Police Station", "Prison",
    "Shopping Area", "Sports/Recreation Area", "Supermarket", "Theatre/Concert Hall",
    "Theme/Adventure Park",
)
_PLACE_KEYS = {p.casefold(): p for p in PLACE_TYPES}
STREET, UNKNOWN = "street", "unknown"
POINT = ["lon", "lat"]


@dataclass(frozen=True)
class Concentration:
    """How concentrated records are on map points (the "law of crime concentration").

    points: map points with at least one record; top5_share, top10_share: fraction of the
    records at the busiest 5% and 10% of those points (rounded up to whole points); gini:
    Gini coefficient of the records per point (0 when every point has as many).
    """

    points: int
    records: int
    top5_share: float
    top10_share: float
    gini: float

    def as_dict(self) -> dict[str, float | int]:
        return {"points": self.points, "records": self.records,
                "top5_share": self.top5_share, "top10_share": self.top10_share,
                "gini": self.gini}


def place_name(location: pd.Series) -> pd.Series:
    """The Location text without police.uk's "On or near " prefix, whitespace trimmed.

    Examples
    --------
    >>> place_name(pd.Series(["On or near Hospital", "High Street"])).tolist()
    ['Hospital', 'High Street']
    """
    return _per_text(location, _strip_prefix)


def place_type(location: pd.Series) -> pd.Series:
    """A police.uk place type ("Hospital", "Shopping Area"...) named by the Location text,
    "street" for any other text and "unknown" when there is none.

    Examples
    --------
    >>> place_type(pd.Series(["On or near Hospital", "On or near Week Street", None])).tolist()
    ['Hospital', 'street', 'unknown']
    """
    def kind(texts: pd.Series) -> pd.Series:
        name = _strip_prefix(texts)
        known = name.str.casefold().map(_PLACE_KEYS)
        return known.where(known.notna(), STREET).where(name != "", UNKNOWN)

    return _per_text(location, kind)


def _strip_prefix(texts: pd.Series) -> pd.Series:
    text = texts.astype(object).where(texts.notna(), "").astype(str).str.strip()
    starts = text.str.casefold().str.startswith(PREFIX)
    return text.where(~starts, text.str.slice(len(PREFIX))).str.strip()


def _per_text(location: pd.Series, fn) -> pd.Series:
    """``fn`` over the distinct texts only, spread back: a national year holds millions of
    records but only some hundred thousand Location texts."""
    codes, uniques = pd.factorize(location.to_numpy(dtype=object), use_na_sentinel=False)
    texts = pd.Series(np.asarray(uniques, dtype=object))
    done = np.asarray(fn(texts.where(texts.notna(), "")), dtype=object)
    return pd.Series(done[codes], index=location.index, dtype=object)


def location_rows(records: pd.DataFrame, lonlat: tuple[np.ndarray, np.ndarray],
                  mask: np.ndarray, counts: np.ndarray | None = None) -> pd.DataFrame:
    """Location rows (``ROW_COLUMNS``) counting the records chosen by ``mask``, in the order
    each first appears.

    records: the records table (ward_code, location, crime_type, month); lonlat: each record's
    WGS84 coordinates; mask: the records to count (placed and passing the filters).

    Examples
    --------
    >>> recs = pd.DataFrame({"ward_code": ["A", "A"], "location": ["On or near X"] * 2,
    ...                      "crime_type": ["Robbery"] * 2, "month": ["2017-11"] * 2})
    >>> location_rows(recs, (np.array([0.5, 0.5]), np.array([51.2, 51.2])),
    ...               np.array([True, True]))["count"].tolist()
    [2]
    """
    mask = np.asarray(mask, bool)
    lon = np.round(np.asarray(lonlat[0], float)[mask], 6)
    lat = np.round(np.asarray(lonlat[1], float)[mask], 6)
    # One integer key per (map point, location, ward, crime type, month), built by hashing
    # (pandas.factorize) one column at a time so it never overflows: no sort of the records.
    key = pd.factorize(lon + 1j * lat)[0].astype(np.int64)
    columns = {c: _codes(records[c], mask) for c in ("ward_code", "location", "crime_type",
                                                     "month")}
    for codes, uniques in columns.values():
        key = pd.factorize(key * (len(uniques) + 1) + codes + 1)[0].astype(np.int64)
    # factorize numbers keys in order of first appearance: first[k] is key k's first record.
    weight = None if counts is None else np.asarray(counts, np.int64)[mask]
    count = np.bincount(key, weights=weight).astype(np.int64)
    first = np.flatnonzero(np.r_[True, np.maximum.accumulate(key)[1:] > np.maximum.accumulate(
        key)[:-1]]) if len(key) else np.array([], np.int64)
    rows = pd.DataFrame({c: _texts(codes[first], uniques)
                         for c, (codes, uniques) in columns.items()})
    rows["lon"], rows["lat"], rows["count"] = lon[first], lat[first], count
    return rows[ROW_COLUMNS]


def _codes(column: pd.Series, mask: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and the distinct values of a text column's chosen rows;
    a Categorical's own codes when the reader gave one."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()[mask].astype(np.int64), column.cat.categories
    codes, uniques = pd.factorize(column.to_numpy(dtype=object)[mask])
    return codes.astype(np.int64), pd.Index(uniques)


def _texts(codes: np.ndarray, uniques: pd.Index) -> np.ndarray:
    """Texts for codes ("" for missing)."""
    values = np.append(np.asarray(uniques.astype(object), dtype=object), "")
    return values[np.where(codes >= 0, codes, len(values) - 1)]


def map_points(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per ward and map point: ward_code, location, place_type, lon, lat, count,
    share_of_ward (a fraction 0-1), sorted by ward then count (largest first).

    A point's location is its most frequent Location text (police.uk gives each point one).

    Examples
    --------
    >>> rows = pd.DataFrame({"ward_code": ["A", "A", "A"], "location": ["H", "H", "S"],
    ...     "lon": [0.1, 0.1, 0.2], "lat": [51.0, 51.0, 51.1], "crime_type": ["V"] * 3,
    ...     "month": ["2017-11", "2017-12", "2017-11"], "count": [3, 2, 5]})
    >>> map_points(rows)[["location", "count", "share_of_ward"]].values.tolist()
    [['H', 5, 0.5], ['S', 5, 0.5]]
    """
    if rows.empty:
        return pd.DataFrame({"ward_code": [], "location": [], "place_type": [], "lon": [],
                             "lat": [], "count": pd.Series(dtype="int64"),
                             "share_of_ward": []})
    by_text = rows.groupby(["ward_code", *POINT, "location"], sort=False)["count"].sum()
    by_text = by_text.reset_index().sort_values(["count", "location"],
                                                ascending=[False, True], kind="stable")
    points = by_text.groupby(["ward_code", *POINT], sort=False).agg(
        location=("location", "first"), count=("count", "sum")).reset_index()
    totals = points.groupby("ward_code")["count"].transform("sum")
    points["share_of_ward"] = points["count"] / totals
    points["place_type"] = place_type(points["location"])
    points["count"] = points["count"].astype("int64")
    order = points.sort_values(["ward_code", "count", "location", *POINT],
                               ascending=[True, False, True, True, True], kind="stable")
    return order.reset_index(drop=True)[["ward_code", "location", "place_type", *POINT,
                                         "count", "share_of_ward"]]


def concentration(counts: np.ndarray | pd.Series) -> Concentration:
    """Share of records at the busiest 5% and 10% of map points, and the Gini coefficient.

    Only points holding records are known, so the shares are of points with at least one.
    Gini uses the sorted-values form G = 2 Σ i·x_(i) / (n Σ x) − (n + 1) / n.

    Examples
    --------
    >>> c = concentration([10, 0, 0, 0])
    >>> (c.points, c.top5_share, c.gini)
    (1, 1.0, 0.0)
    >>> round(concentration([1] * 19 + [81]).top5_share, 2)
    0.81
    """
    x = np.sort(np.asarray(counts, dtype=float))
    x = x[x > 0]
    n, total = len(x), float(x.sum())
    if n == 0:
        return Concentration(0, 0, math.nan, math.nan, math.nan)
    top = x[::-1]

    def share(fraction: float) -> float:
        return float(top[: math.ceil(fraction * n - 1e-9)].sum() / total)

    ranks = np.arange(1, n + 1)
    gini = float(2.0 * (ranks * x).sum() / (n * total) - (n + 1) / n)
    return Concentration(n, int(round(total)), share(0.05), share(0.10), max(gini, 0.0))


def ward_locations(points: pd.DataFrame, ward_codes: pd.Series | list[str], *,
                   flag_share: float = 0.25, flag_min_count: int = 10) -> pd.DataFrame:
    """Per ward (index ward_code, in the order given): top_location, top_location_count,
    top_location_share, location_flag, location_points, location_top5_share,
    location_top10_share, location_gini.

    ``location_flag`` is true when the busiest map point holds at least ``flag_share`` of the
    ward's records and at least ``flag_min_count`` of them. ``points`` is ``map_points``'s
    table (busiest point first within a ward). The concentration columns are
    ``concentration`` for each ward, worked out for every ward at once.

    Examples
    --------
    >>> points = pd.DataFrame({"ward_code": ["A", "A"], "location": ["H", "S"],
    ...     "lon": [0.1, 0.2], "lat": [51.0, 51.1], "count": [12, 4],
    ...     "share_of_ward": [0.75, 0.25]})
    >>> table = ward_locations(points, ["A", "B"])
    >>> table["location_flag"].tolist(), table["top_location_count"].tolist()
    ([True, False], [12, 0])
    """
    top = points.groupby("ward_code", sort=False).head(1).set_index("ward_code")
    table = pd.DataFrame(index=pd.Index(list(ward_codes), name="ward_code"))
    table["top_location"] = top["location"].reindex(table.index)
    table["top_location_count"] = top["count"].reindex(table.index).fillna(0).astype("int64")
    table["top_location_share"] = top["share_of_ward"].reindex(table.index)
    table["location_flag"] = ((table["top_location_share"] >= flag_share)
                              & (table["top_location_count"] >= flag_min_count))
    spread = _ward_concentration(points[points["count"] > 0])
    table["location_points"] = spread["points"].reindex(table.index).fillna(0).astype("int64")
    for column in ("top5_share", "top10_share", "gini"):
        table[f"location_{column}"] = spread[column].reindex(table.index)
    return table


def _ward_concentration(points: pd.DataFrame) -> pd.DataFrame:
    """``concentration`` of every ward's map point counts, vectorised over wards."""
    x = points[["ward_code", "count"]].astype({"count": float})
    x = x.sort_values(["ward_code", "count"], ascending=[True, False], kind="stable")
    by_ward = x.groupby("ward_code", sort=False)["count"]
    n = by_ward.transform("size")
    rank_desc = by_ward.cumcount() + 1  # 1 = busiest
    table = pd.DataFrame({"points": by_ward.size()})
    for name, fraction in (("top5_share", 0.05), ("top10_share", 0.10)):
        within = rank_desc <= np.ceil(fraction * n - 1e-9)
        table[name] = x["count"].where(within, 0).groupby(x["ward_code"], sort=False).sum() \
            / by_ward.sum()
    rank_asc = n - rank_desc + 1
    weighted = (rank_asc * x["count"]).groupby(x["ward_code"], sort=False).sum()
    size, sums = table["points"], by_ward.sum()
    table["gini"] = (2.0 * weighted / (size * sums) - (size + 1) / size).clip(lower=0.0)
    return table


def group_member(rows: pd.DataFrame, members: list[str]) -> np.ndarray:
    """True for rows whose place type or place name is one of a place group's ``members``
    (compared without case; "High Street" matches "On or near High Street").

    Examples
    --------
    >>> rows = pd.DataFrame({"location": ["On or near Nightclub", "On or near High Street",
    ...                                   "On or near Mill Lane"]})
    >>> group_member(rows, ["nightclub", "High Street"]).tolist()
    [True, True, False]
    """
    wanted = {m.strip().casefold() for m in members}

    def member(texts: pd.Series) -> pd.Series:
        kind = place_type(texts).astype(str).str.casefold()
        name = _strip_prefix(texts).str.casefold()
        return kind.isin(wanted) | name.isin(wanted)

    return _per_text(rows["location"], member).to_numpy(bool)


def group_masks(rows: pd.DataFrame, groups: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """``group_member`` for each place group."""
    return {group: group_member(rows, members) for group, members in groups.items()}


def group_shares(rows: pd.DataFrame, groups: dict[str, list[str]],
                 ward_codes: pd.Series | list[str],
                 masks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """``share_<group>`` per ward (index ward_code): the fraction 0-1 of the ward's records at
    the group's places (NaN for a ward without records). ``masks``: ``group_masks``, when
    already worked out.

    Examples
    --------
    >>> rows = pd.DataFrame({"ward_code": ["A", "A"], "location": ["On or near Nightclub",
    ...     "On or near Mill Lane"], "month": ["2017-11"] * 2, "count": [1, 3]})
    >>> group_shares(rows, {"nte": ["Nightclub"]}, ["A"])["share_nte"].tolist()
    [0.25]
    """
    masks = masks if masks is not None else group_masks(rows, groups)
    index = pd.Index(list(ward_codes), name="ward_code")
    totals = rows.groupby("ward_code")["count"].sum().reindex(index)
    table = pd.DataFrame(index=index)
    for group in groups:
        inside = rows[masks[group]]
        counts = inside.groupby("ward_code")["count"].sum().reindex(index, fill_value=0)
        table[f"share_{group}"] = (counts / totals.where(totals > 0)).astype(float)
    return table


def group_months(rows: pd.DataFrame, groups: dict[str, list[str]], wards: pd.DataFrame,
                 masks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Records per ward, place group and month: ward_code, ward_name, place_group, one column
    per month and total. A row "other places" holds the records at no group's places; a place
    in two groups counts in both. ``masks``: ``group_masks``, when already worked out.

    Examples
    --------
    >>> rows = pd.DataFrame({"ward_code": ["A", "A"], "location": ["On or near Nightclub",
    ...     "On or near Mill Lane"], "month": ["2017-11", "2017-12"], "count": [1, 3]})
    >>> wards = pd.DataFrame({"ward_code": ["A"], "ward_name": ["Ay"]})
    >>> group_months(rows, {"nte": ["Nightclub"]}, wards).values.tolist()
    [['A', 'Ay', 'nte', 1, 0, 1], ['A', 'Ay', 'other places', 0, 3, 3]]
    """
    masks = masks if masks is not None else group_masks(rows, groups)
    months = sorted(m for m in rows["month"].astype(str).unique() if m)
    other = np.ones(len(rows), bool)
    parts = []
    for group in groups:
        other &= ~masks[group]
        parts.append(rows.loc[masks[group], ["ward_code", "month", "count"]].assign(
            place_group=group))
    parts.append(rows.loc[other, ["ward_code", "month", "count"]].assign(
        place_group="other places"))
    long = pd.concat(parts, ignore_index=True)
    keys = ["ward_code", "place_group"]
    full = pd.MultiIndex.from_product([list(wards["ward_code"]), [*groups, "other places"]],
                                      names=keys)
    by_month = long.pivot_table(index=keys, columns="month", values="count", aggfunc="sum",
                                fill_value=0)
    table = by_month.reindex(index=full, columns=months, fill_value=0).astype("int64")
    table.columns = [str(c) for c in table.columns]
    # The total counts records without a month too.
    total = long.groupby(keys)["count"].sum()
    table["total"] = total.reindex(full, fill_value=0).astype("int64").to_numpy()
    table = table.reset_index()
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    table.insert(1, "ward_name", table["ward_code"].map(names))
    return table


def excluded_by(location: pd.Series, lonlat: tuple[np.ndarray, np.ndarray],
                excluded: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Which records an ``--exclude-location`` list leaves out, and how many each entry matches.

    An entry is a Location text (with or without "On or near ", any case), matching every map
    point with that text, or "LON,LAT" for one map point.

    Examples
    --------
    >>> hit, matched = excluded_by(pd.Series(["On or near Hospital", "On or near Mill Lane"]),
    ...                            (np.array([0.1, 0.2]), np.array([51.0, 51.1])),
    ...                            ["hospital", "0.2,51.1"])
    >>> hit.tolist(), matched
    ([True, True], {'hospital': 1, '0.2,51.1': 1})
    """
    out = np.zeros(len(location), bool)
    matched = {}
    names = place_name(location).str.casefold().to_numpy(object)
    lon = np.round(np.asarray(lonlat[0], float), 6)
    lat = np.round(np.asarray(lonlat[1], float), 6)
    for entry in excluded:
        point = parse_point(entry)
        if point is not None:
            hit = (lon == round(point[0], 6)) & (lat == round(point[1], 6))
        else:
            key = place_name(pd.Series([entry])).iloc[0].casefold()
            hit = names == key
        matched[entry] = int(hit.sum())
        out |= hit
    return out, matched


def parse_point(text: str) -> tuple[float, float] | None:
    """ "0.5123,51.2667" → (0.5123, 51.2667); None when the text is not two numbers."""
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None


@dataclass
class Locations:
    """A run's map points: the location rows, ``map_points``'s table (with ward names), the
    area's concentration, records by place group and month, and the flagged wards' points
    (largest share first)."""

    rows: pd.DataFrame
    points: pd.DataFrame
    concentration: Concentration
    by_month: pd.DataFrame
    flagged: pd.DataFrame  # ward_code, ward_name, location, lon, lat, count, incidents, share


def analyse_locations(rows: pd.DataFrame, wards: pd.DataFrame, groups: dict[str, list[str]],
                      *, flag_share: float = 0.25, flag_min_count: int = 10
                      ) -> tuple[pd.DataFrame, Locations]:
    """The ward table's location columns (index ward_code, wards' order) and the run's
    ``Locations``, from location rows.

    Examples
    --------
    >>> wards = pd.DataFrame({"ward_code": ["A", "B"], "ward_name": ["Ay", "Bee"]})
    >>> rows = pd.DataFrame({"ward_code": ["A", "A"], "location": ["On or near Hospital", "S"],
    ...     "lon": [0.1, 0.2], "lat": [51.0, 51.1], "crime_type": ["V", "V"],
    ...     "month": ["2017-11", "2017-11"], "count": [12, 3]})
    >>> columns, found = analyse_locations(rows, wards, {})
    >>> a = columns.loc["A"]
    >>> (a["top_location"], int(a["top_location_count"]), bool(a["location_flag"]))
    ('On or near Hospital', 12, True)
    """
    points = map_points(rows)
    columns = ward_locations(points, wards["ward_code"], flag_share=flag_share,
                             flag_min_count=flag_min_count)
    masks = group_masks(rows, groups)
    columns = columns.join(group_shares(rows, groups, wards["ward_code"], masks))
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    points.insert(1, "ward_name", points["ward_code"].map(names))
    top = points.groupby("ward_code", sort=False).head(1)
    flagged = top[top["ward_code"].map(columns["location_flag"]).fillna(False).astype(bool)]
    flagged = flagged.assign(incidents=(flagged["count"] / flagged["share_of_ward"]).round()
                             .astype("int64"), location=point_labels(flagged)
                             ).rename(columns={"share_of_ward": "share"})
    found = Locations(rows, points, concentration(points["count"]),
                      group_months(rows, groups, wards, masks),
                      flagged.sort_values(["share", "count", "ward_code"],
                                          ascending=[False, False, True], kind="stable")
                      [["ward_code", "ward_name", "location", *POINT, "count", "incidents",
                        "share"]].reset_index(drop=True))
    return columns, found


def point_labels(points: pd.DataFrame) -> list[str]:
    """How sentences name map points: the Location text, or "LON,LAT" (as
    ``--exclude-location`` takes it) for a point without one."""
    return [str(loc) if isinstance(loc, str) and loc.strip() else f"{lon:.6f},{lat:.6f}"
            for loc, lon, lat in zip(points["location"], points["lon"], points["lat"],
                                     strict=True)]


def flag_sentence(flag: pd.Series, what: str = "records") -> str:
    """ "53 of Heath's 105 records were recorded at one map point, On or near Hospital (50%)"."""
    return (f"{flag['count']:,} of {flag['ward_name']}'s {flag['incidents']:,} {what} were "
            f"recorded at one map point, {flag['location']} ({flag['share']:.0%})")


def flag_meaning(flag: pd.Series) -> str:
    """Why a flagged point matters: a place type draws people from beyond the ward."""
    kind = place_type(pd.Series([flag["location"]])).iloc[0]
    if kind in (STREET, UNKNOWN):
        return "the ward's count rests on one map point"
    return (f"a {kind.lower()} draws people from beyond the ward, so its records say little "
            "about the ward's residents")
