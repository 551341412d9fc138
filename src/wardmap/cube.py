"""The cube: incident records reduced to counts by map point × crime type × month.

Everything after placement works on wards, not records, so the records are reduced as they are
read, a block at a time, and never need to be whole in memory:

- ``reduce_block`` places one block's distinct map points (``aggregate.place_points``, the one
  placement rule) and counts its records by map point, location text, crime type and month: a
  partial cube.
- ``CubeBuilder`` sums partial cubes (from blocks of one file, from files, or from dask
  workers) into the run's cube, keeping each distinct map point's placement once.
- ``tally`` turns the cube into the run's counts table: records counted by ward, status,
  crime type and month, with the filters applied (``type_match``, ``period_match``), the
  records table's columns plus ``count``. Downstream stages read it (``counted``).

A map point is its exact source coordinates; the cube keeps the location text with it (the
location outputs need both). Records without usable coordinates share one point per kind
(missing, not a number), with NaN coordinates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.aggregate import (
    PLACED,
    STATUSES,
    _period_match,
    _type_match,
    member,
    place_points,
    sum_by_code,
    sum_where,
    weights,
)
from wardmap.config import Config
from wardmap.errors import InputError
from wardmap.load.incidents import spellings

# Placement statuses a map point can have (filtered_out depends on the run's filters, not on
# the point) and the invalid-coordinate problems, as small integer codes.
POINT_STATUSES = ("assigned", "snapped", "outside", "missing_coordinates",
                  "invalid_coordinates")
PROBLEMS = ("", "not_a_number", "out_of_range", "swapped_lat_lon", "zero")
CUBE_VERSION = 1


@dataclass
class Cube:
    """Counts of records by map point, location text, crime type and month.

    points: one row per map point: cx, cy (source coordinates, NaN when missing or not a
        number), x, y (analysis CRS), ward (position in the ward table, -1 when not placed),
        status (code into POINT_STATUSES), problem (code into PROBLEMS).
    locations, crime_types: the texts the cells' codes point to.
    cells: point, location (-1: none), crime_type (-1: none), month (year × 12 + month − 1;
        -1: none) and count; one row per distinct combination.
    ward_codes: the ward table's codes, in its order; crs: the source coordinates' CRS.
    """

    points: pd.DataFrame
    locations: pd.Index
    crime_types: pd.Index
    cells: pd.DataFrame
    ward_codes: np.ndarray
    crs: str = "EPSG:4326"

    @property
    def records(self) -> int:
        """Input rows counted in the cube."""
        return int(self.cells["count"].sum())

    def rows(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """One row per map point, location, crime type and month with its count: ward_code,
        status, problem, location, lon, lat (source coordinates), x, y, crime_type, month,
        count. ``start``/``stop`` take a slice of the cells (to write a large cube in parts)."""
        cells, points = self.cells.iloc[start:stop], self.points
        point = cells["point"].to_numpy()
        ward = points["ward"].to_numpy()[point]
        codes = np.asarray(self.ward_codes, dtype=object)
        return pd.DataFrame({
            "ward_code": pd.Categorical.from_codes(ward, categories=pd.Index(codes)),
            "status": pd.Categorical.from_codes(points["status"].to_numpy()[point],
                                                categories=list(POINT_STATUSES)),
            "problem": pd.Categorical.from_codes(points["problem"].to_numpy()[point],
                                                 categories=list(PROBLEMS)),
            "location": _decode(cells["location"].to_numpy(), self.locations),
            "lon": points["cx"].to_numpy()[point],
            "lat": points["cy"].to_numpy()[point],
            "x": points["x"].to_numpy()[point],
            "y": points["y"].to_numpy()[point],
            "crime_type": _decode(cells["crime_type"].to_numpy(), self.crime_types),
            "month": month_text(cells["month"].to_numpy()),
            "count": cells["count"].to_numpy(np.int64),
        })

    def months(self) -> list[str]:
        """The months present in the records (any crime type, placed or not)."""
        present = np.unique(self.cells["month"].to_numpy())
        return list(month_text(present[present >= 0]).astype(str))


# -- months as integers ----------------------------------------------------------------------
def month_number(months: pd.Series) -> np.ndarray:
    """"YYYY-MM" text (or None) → year × 12 + month − 1 (or -1), computed per distinct value."""
    cat = pd.Categorical(months)
    names = pd.Series(cat.categories.astype(str))
    parsed = names.str.extract(r"^(\d{4})-(\d{2})$")
    number = (parsed[0].astype(float) * 12 + parsed[1].astype(float) - 1).fillna(-1)
    table = np.append(number.to_numpy(np.int32), np.int32(-1))
    return table[np.where(cat.codes < 0, len(names), cat.codes)]


def month_text(numbers: np.ndarray) -> pd.Categorical:
    """The inverse of month_number: -1 becomes a missing value."""
    numbers = np.asarray(numbers)
    valid = numbers[numbers >= 0]
    low = int(valid.min()) if valid.size else 0
    span = int(valid.max()) - low + 1 if valid.size else 0
    # A lookup table over the span of months (four-digit years: at most 120,000 of them)
    # rather than a sort of a national tally's millions of cells.
    present = np.zeros(span + 1, bool)
    present[valid - low] = True
    del valid
    distinct = np.flatnonzero(present) + low
    table = (np.cumsum(present) - 1).astype(np.int32)
    table[-1] = -1  # the slot of numbers below 0
    codes = (numbers - low).astype(np.int32)
    codes[numbers < 0] = span
    names = [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in distinct]
    return pd.Categorical.from_codes(table[codes], categories=names)


def _decode(codes: np.ndarray, names: pd.Index) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int32), categories=names.astype(object))


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and the distinct texts of a text column."""
    cat = column if isinstance(column.dtype, pd.CategoricalDtype) else pd.Categorical(column)
    cat = pd.Series(cat).cat.remove_unused_categories()
    return cat.cat.codes.to_numpy(np.int32), pd.Index(cat.cat.categories.astype(str))


# -- one block ---------------------------------------------------------------------------------
def point_keys(frame: pd.DataFrame) -> np.ndarray:
    """One complex number per record naming its map point: its exact source coordinates, or
    (inf, 0) without coordinates and (inf, 1) when a coordinate is not a number."""
    cx, cy = frame["cx"].to_numpy(float), frame["cy"].to_numpy(float)
    bad = frame["unparsable"].to_numpy(bool)
    lost = np.isnan(cx) | np.isnan(cy) | bad
    real = np.where(lost, np.inf, cx)
    imag = np.where(lost, bad.astype(float), cy)
    return real + 1j * imag


def place_keys(keys: np.ndarray, crs: str, wards: gpd.GeoDataFrame,
               tolerance: float) -> pd.DataFrame:
    """The points table for distinct point keys: placed with ``aggregate.place_points``."""
    lost = np.isinf(keys.real)
    cx = np.where(lost, np.nan, keys.real)
    cy = np.where(lost, np.nan, keys.imag)
    placed = place_points(cx, cy, lost & (keys.imag == 1), crs, wards, tolerance)
    return pd.DataFrame({
        "key": keys, "cx": cx, "cy": cy, "x": placed.x, "y": placed.y,
        "ward": placed.ward.astype(np.int32),
        "status": pd.Index(POINT_STATUSES).get_indexer(placed.status).astype(np.int8),
        "problem": pd.Index(PROBLEMS).get_indexer(placed.problem).astype(np.int8),
    })


def reduce_block(frame: pd.DataFrame, wards: gpd.GeoDataFrame, crs: str, tolerance: float,
                 known: CubeBuilder | None = None, detail: str = "points") -> Cube:
    """A block of records (read_incidents' columns) as a partial cube.

    Each distinct map point is placed once; with ``known`` (the run's builder) only points it
    has not placed yet are placed. detail "points" keeps the map points and location texts;
    "wards" keeps one row per ward and placement instead (``ward_points``): what the ward
    table and the periods need, in memory that does not grow with the records.
    """
    keys, point = np.unique(point_keys(frame), return_inverse=True)
    points = known.placements(keys, crs, wards, tolerance) if known is not None else \
        place_keys(keys, crs, wards, tolerance)
    point = point.ravel()
    if detail == "wards":
        points, back = ward_points(points)
        point = back[point]
        location, locations = np.full(len(frame), -1, np.int32), pd.Index([], dtype="str")
    else:
        location, locations = _codes(frame["location"])
    crime_type, crime_types = _codes(frame["crime_type"])
    cells = sum_cells(pd.DataFrame({
        "point": point.astype(np.int32), "location": location,
        "crime_type": crime_type.astype(np.int16), "month": month_number(frame["month"]),
        "count": np.ones(len(frame), np.int32),
    }))
    return Cube(points, locations, crime_types, cells,
                wards["ward_code"].to_numpy(dtype=object), crs)


def ward_points(points: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Map points merged into one pseudo-point per ward and placement (status, problem), and
    each point's pseudo-point. Pseudo-points have no coordinates; their key is (-inf, n)."""
    place = (points["ward"].to_numpy(np.int64) + 1) * len(POINT_STATUSES) * len(PROBLEMS) \
        + points["status"].to_numpy(np.int64) * len(PROBLEMS) + points["problem"].to_numpy()
    distinct, first, back = np.unique(place, return_index=True, return_inverse=True)
    merged = points.iloc[first].reset_index(drop=True).assign(
        key=-np.inf + 1j * distinct.astype(float), cx=np.nan, cy=np.nan, x=np.nan, y=np.nan)
    return merged, back.ravel()


_KEYS = ["point", "location", "crime_type", "month"]


def sum_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells with the same point, location, crime type and month added together."""
    if len(cells) == 0:
        return cells.reset_index(drop=True)
    # One int64 key from the four codes (each shifted to start at 0), then a sort: faster
    # than a four-column groupby. Sizes are checked so the key cannot overflow.
    lows = [int(cells[k].min()) for k in _KEYS]
    sizes = [int(cells[k].max()) - low + 1 for k, low in zip(_KEYS, lows, strict=True)]
    if float(np.prod([float(s) for s in sizes])) >= 2.0 ** 62:
        summed = cells.groupby(_KEYS, sort=True, as_index=False)["count"].sum()
        return summed.astype({"point": np.int32, "location": np.int32,
                              "crime_type": np.int16, "month": np.int32}).assign(
            count=_narrow(summed["count"].to_numpy(np.int64)))
    key = np.zeros(len(cells), np.int64)
    for name, low, size in zip(_KEYS, lows, sizes, strict=True):  # one column at a time
        key *= size
        key += cells[name].to_numpy()
        key -= low
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    count = _narrow(np.add.reduceat(cells["count"].to_numpy(np.int64)[order], starts))
    del key
    first = order[starts]
    del order
    out = {k: cells[k].to_numpy()[first] for k in _KEYS}
    return pd.DataFrame({"point": out["point"].astype(np.int32, copy=False),
                         "location": out["location"].astype(np.int32, copy=False),
                         "crime_type": out["crime_type"].astype(np.int16, copy=False),
                         "month": out["month"].astype(np.int32, copy=False), "count": count})


def _narrow(count: np.ndarray) -> np.ndarray:
    """Counts as int32 when they fit (a national cube has millions of cells), else int64."""
    if count.size and count.max() > np.iinfo(np.int32).max:
        return count.astype(np.int64, copy=False)
    return count.astype(np.int32)


# -- summing partial cubes --------------------------------------------------------------------
@dataclass
class CubeBuilder:
    """Adds partial cubes into one. Holds each distinct map point once (and its placement),
    and the cells by month, summed when a month's parts pile up and at the end."""

    ward_codes: np.ndarray
    crs: str | None = None
    _keys: pd.Index = field(default_factory=lambda: pd.Index([], dtype=np.complex128))
    _points: list[pd.DataFrame] = field(default_factory=list)
    # Every map point placed so far (when the builder places for reduce_block): its key and
    # placement, whatever the cube keeps.
    _placed_keys: pd.Index = field(default_factory=lambda: pd.Index([], dtype=np.complex128))
    _placed: list[pd.DataFrame] = field(default_factory=list)
    _locations: list[pd.Index] = field(default_factory=list)
    _types: list[pd.Index] = field(default_factory=list)
    _cells: dict[int, list[pd.DataFrame]] = field(default_factory=dict)
    # Each map point's location text (code; -1 none, -2 not yet seen): police.uk gives a map
    # point one text, so most cells take it from their point without comparing any text.
    _point_location: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    # Crime types by key (case and spacing aside): police.uk's spelling, else the first met.
    _spelling: dict[str, str] = field(default_factory=dict)

    def placements(self, keys: np.ndarray, crs: str, wards: gpd.GeoDataFrame,
                   tolerance: float) -> pd.DataFrame:
        """Points table for ``keys``: known points from the builder, new ones placed now."""
        self._check_crs(crs)
        if not len(keys):  # a header-only file, or a block whose rows were all duplicates
            return place_keys(keys, crs, wards, tolerance)
        known = self._placed_keys.get_indexer(keys)
        new = np.flatnonzero(known < 0)
        if new.size:
            start = len(self._placed_keys)
            self._placed_keys = self._placed_keys.append(pd.Index(keys[new]))
            self._placed.append(place_keys(keys[new], crs, wards, tolerance))
            known[new] = np.arange(start, start + new.size)
        if len(self._placed) > 1:
            self._placed = [pd.concat(self._placed, ignore_index=True)]
        return self._placed[0].iloc[known].reset_index(drop=True)

    def add(self, part: Cube) -> None:
        """Add a partial cube's counts (its points are placed already)."""
        self._check_crs(part.crs)
        keys = part.points["key"].to_numpy()
        where = self._keys.get_indexer(keys)
        new = np.flatnonzero(where < 0)
        if new.size:
            start = len(self._keys)
            self._append_points(keys[new], part.points.iloc[new].reset_index(drop=True))
            where[new] = np.arange(start, start + new.size)
        point = where[part.cells["point"].to_numpy()].astype(np.int32)
        cells = part.cells.assign(
            point=point,
            location=self._location_codes(point, part.cells["location"].to_numpy(),
                                          part.locations),
            crime_type=_remap(part.cells["crime_type"].to_numpy(),
                              pd.Index(spellings(part.crime_types, self._spelling),
                                       dtype=object),
                              self._types).astype(np.int16),
        )
        for month, piece in cells.groupby("month", sort=False):
            parts = self._cells.setdefault(int(month), [])
            parts.append(piece)
            # A month's pieces are summed as soon as the newest is at least half the size of
            # the one before (a month's second block, usually): memory stays near the cube's
            # size, and each cell is summed a few times only, however the months are spread
            # over the blocks.
            while len(parts) >= 2 and (2 * len(parts[-1]) >= len(parts[-2]) or len(parts) >= 8):
                parts[-2:] = [sum_cells(pd.concat(parts[-2:], ignore_index=True))]

    def _location_codes(self, point: np.ndarray, local: np.ndarray,
                        names: pd.Index) -> np.ndarray:
        """The builder's location codes for cells at (global) ``point`` with ``local`` codes
        into ``names``: the point's own text where it is the same, else looked up."""
        import pyarrow as pa
        import pyarrow.compute as pc

        stored = self._point_location[point]
        code = np.full(len(point), -3, np.int32)
        both_none = (stored == -1) & (local < 0)
        code[both_none] = -1
        check = np.flatnonzero((stored >= 0) & (local >= 0))
        if check.size:
            mine = pc.take(pa.array(names, pa.large_string()), pa.array(local[check]))
            theirs = pc.take(pa.array(_names(self._locations), pa.large_string()),
                             pa.array(stored[check]))
            equal = pc.fill_null(pc.equal(mine, theirs), False).to_numpy(zero_copy_only=False)
            code[check[equal]] = stored[check[equal]]
        rest = np.flatnonzero(code == -3)
        if rest.size:
            used, back = np.unique(local[rest], return_inverse=True)
            known = used >= 0
            table = np.full(len(used), -1, np.int32)
            table[known] = _remap(np.arange(known.sum()), names[used[known]], self._locations)
            code[rest] = table[back.ravel()]
            unset = rest[stored[rest] == -2]
            self._point_location[point[unset]] = code[unset]
        return code

    def cube(self) -> Cube:
        """The sum of everything added, cells ordered by month.

        Each month's parts are summed and let go in turn, and the columns are joined one at
        a time: a ten-year national cube is never held twice over (the builder is spent).
        """
        pieces: dict[str, list[np.ndarray]] = {k: [] for k in (*_KEYS, "count")}
        for month in sorted(self._cells):
            summed = sum_cells(pd.concat(self._cells.pop(month), ignore_index=True))
            for name, parts in pieces.items():
                parts.append(summed[name].to_numpy())
        # Counts stay int32 unless a month's needed int64 (sum_cells): the widest is kept.
        types = {"point": np.int32, "location": np.int32, "crime_type": np.int16,
                 "month": np.int32, "count": np.result_type(np.int32, *pieces["count"])}
        columns = {}
        for name, parts in pieces.items():
            columns[name] = np.concatenate(parts).astype(types[name], copy=False) if parts \
                else np.zeros(0, types[name])
            parts.clear()
        return Cube(self._point_table(), _names(self._locations), _names(self._types),
                    pd.DataFrame(columns, copy=False), self.ward_codes, self.crs or "EPSG:4326")

    def _point_table(self) -> pd.DataFrame:
        if len(self._points) > 1:
            self._points = [pd.concat(self._points, ignore_index=True)]
        if not self._points:
            return place_keys(np.zeros(0, np.complex128), "EPSG:4326",
                              gpd.GeoDataFrame(geometry=[], crs="EPSG:27700"), 0.0)
        return self._points[0]

    def _append_points(self, keys: np.ndarray, table: pd.DataFrame) -> None:
        self._keys = self._keys.append(pd.Index(keys, dtype=np.complex128))
        self._points.append(table)
        self._point_location = np.append(self._point_location,
                                         np.full(len(keys), -2, np.int32))

    def _check_crs(self, crs: str) -> None:
        if self.crs is None:
            self.crs = crs
        elif crs != self.crs:
            raise InputError("incident files mix longitude/latitude and easting/northing "
                             "columns; read them in separate runs or convert them first")


def _remap(codes: np.ndarray, names: pd.Index, registry: list[pd.Index]) -> np.ndarray:
    """Local text codes → the builder's codes (registering new texts); -1 stays -1. Two
    local codes may share a text (two spellings of one crime type).

    ``registry`` holds one Index of every text seen so far (a list, so it can be replaced).
    """
    known = _names(registry)
    new = pd.unique(np.asarray(names[known.get_indexer(names) < 0], dtype=object))
    if len(new):
        registry[:] = [known.append(pd.Index(new, dtype=known.dtype))]
        known = registry[0]
    table = np.append(known.get_indexer(names), -1).astype(np.int32)
    return table[np.where(codes < 0, len(names), codes)]


def _names(registry: list[pd.Index]) -> pd.Index:
    return registry[0] if registry else pd.Index([], dtype="str")


# -- the counts table downstream stages read --------------------------------------------------
# Cells turned into ward counts at a time: bounds the temporary arrays on a national cube.
_TALLY_CHUNK = 4_000_000


def tally(cube: Cube, config: Config) -> pd.DataFrame:
    """Records counted by ward, status, crime type and month, with the run's filters.

    Columns: ward_code (None when not placed), status (STATUSES, filtered_out included),
    problem (the invalid-coordinate detail), crime_type, month, type_match, period_match,
    count: the records table's columns with one row per distinct combination.
    """
    month = cube.cells["month"].to_numpy()
    if len(month) and np.all(month[1:] >= month[:-1]):
        # Cells in month order (as CubeBuilder gives them): months never share a ward cell,
        # so each slice of whole months is reduced on its own, with small temporaries.
        cuts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
        bounds = [int(b) for b in cuts[np.r_[0, np.flatnonzero(np.diff(
            cuts // (_TALLY_CHUNK // 4)) > 0) + 1]]] + [len(month)]
        bounds = sorted(set(bounds))
        parts = [_narrow_cells(_ward_cells(cube, a, b))
                 for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    else:
        parts = [_ward_cells(cube, start, start + _TALLY_CHUNK)
                 for start in range(0, max(len(cube.cells), 1), _TALLY_CHUNK)]
        parts = [_narrow_cells(sum_cells(pd.concat(parts, ignore_index=True)))]
    # Each column is joined from the slices and its slices dropped before the next: a
    # national ten-year tally has millions of rows; categorical columns throughout.
    place = _join(parts, "place")
    status = np.asarray([STATUSES.index(s) for s in POINT_STATUSES], np.int8)[
        place // len(PROBLEMS)]
    problem = pd.Categorical.from_codes(place % len(PROBLEMS), categories=list(PROBLEMS))
    del place
    codes = pd.Index(np.asarray(cube.ward_codes, dtype=object).astype(str))
    out = pd.DataFrame({
        "ward_code": pd.Categorical.from_codes(_join(parts, "ward"), categories=codes),
        "crime_type": _decode(_join(parts, "crime_type"), cube.crime_types),
        "month": month_text(_join(parts, "month")),
        "count": _join(parts, "count", np.int64),
    }, copy=False)
    out["type_match"] = _type_match(out, config)
    out["period_match"] = _period_match(out, config.filters.months)
    kept = (out["type_match"] & out["period_match"]).to_numpy()
    status[~kept] = STATUSES.index("filtered_out")
    out["status"] = pd.Categorical.from_codes(status, categories=list(STATUSES))
    out["problem"] = problem
    return out


def _ward_cells(cube: Cube, start: int, stop: int) -> pd.DataFrame:
    """A slice of the cells counted by ward, placement (status × problem), type and month, in
    sum_cells' columns (point: the ward position, location: the placement code)."""
    cells, points = cube.cells.iloc[start:stop], cube.points
    point = cells["point"].to_numpy()
    place = (points["status"].to_numpy().astype(np.int32) * len(PROBLEMS)
             + points["problem"].to_numpy())
    return sum_cells(pd.DataFrame({
        "point": points["ward"].to_numpy()[point], "location": place[point],
        "crime_type": cells["crime_type"].to_numpy(), "month": cells["month"].to_numpy(),
        "count": cells["count"].to_numpy(),
    }))


def _narrow_cells(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """_ward_cells' table as the tally's narrowest arrays (ward and place codes, counts)."""
    ward = table["point"].to_numpy()
    return {"ward": ward.astype(np.int16 if ward.size == 0 or ward.max() < 2 ** 15
                                else np.int32),
            "place": table["location"].to_numpy().astype(np.int8),
            "crime_type": table["crime_type"].to_numpy(),
            "month": table["month"].to_numpy(),
            "count": table["count"].to_numpy()}


def _join(parts: list[dict[str, np.ndarray]], name: str, dtype: type | None = None
          ) -> np.ndarray:
    """One column of the slices joined; the slices' pieces of it are dropped."""
    return np.concatenate([part.pop(name) for part in parts], dtype=dtype)


def accounting(table: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """accounting.json's counts (input_rows and one per status, adding up to it) and the
    invalid-coordinate detail of records that passed the filters, from a tally."""
    count = table["count"].to_numpy(np.int64)
    status = table["status"].cat.codes.to_numpy()
    by_status = sum_by_code(lambda a, b: status[a:b], count, len(STATUSES))
    result = {"input_rows": int(count.sum())}
    result |= {s: int(n) for s, n in zip(STATUSES, by_status, strict=True)}
    problem = pd.Categorical(table["problem"])  # a tally's is categorical already
    names = problem.categories.astype(str)
    codes, detailed = problem.codes, np.asarray(names != "")
    left_out = STATUSES.index("filtered_out")

    def kept(start: int, stop: int) -> np.ndarray:
        code = codes[start:stop]
        chosen = (status[start:stop] != left_out) & (code >= 0)
        chosen[chosen] = detailed[code[chosen]]
        return np.where(chosen, code, -1)

    detail = sum_by_code(kept, count, len(names))
    found = [(str(names[i]), int(n)) for i, n in enumerate(detail) if n > 0]
    return result, dict(sorted(found, key=lambda kv: (-kv[1], kv[0])))


def counted(result: object) -> pd.DataFrame | None:
    """The run's counts table (``result.tally``), or its records table, each row counting once."""
    table = getattr(result, "tally", None)
    if table is None:
        table = getattr(result, "records", None)
    return table


def placed_counts(table: pd.DataFrame, wards: pd.DataFrame) -> pd.Series:
    """Placed records (assigned or snapped, filters passed) per ward, in ward-table order."""
    keep = member(table["status"], PLACED)
    ward = table["ward_code"]
    if isinstance(ward.dtype, pd.CategoricalDtype):  # sum on codes, not millions of texts
        codes = ward.cat.codes.to_numpy()
        names = ward.cat.categories.astype(object)
        sums = sum_where(codes, keep, weights(table), len(names))
        count = pd.Series(sums, index=names)
    else:
        count = pd.Series(weights(table)[keep]).groupby(ward[keep].to_numpy(dtype=object)).sum()
    return count.reindex(wards["ward_code"], fill_value=0).astype("int64")


def from_records(records: pd.DataFrame, wards: gpd.GeoDataFrame, crs: str,
                 tolerance: float) -> Cube:
    """The cube of a records table as read_incidents gives it (the in-memory path)."""
    return reduce_block(records, wards, crs, tolerance)


# -- cube.parquet ------------------------------------------------------------------------------
def write_cube(cube: Cube, path: Path, about: dict[str, object]) -> None:
    """cube.parquet: Cube.rows()'s columns with the run's facts (boundaries, CRS, tolerance)
    attached, written a slice of cells at a time with arrow dictionary columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {"version": CUBE_VERSION, "crs": cube.crs, **about}
    text = pa.dictionary(pa.int32(), pa.string())
    schema = pa.schema(
        [(name, text) for name in ("ward_code", "status", "problem", "location")]
        + [(name, pa.float64()) for name in ("lon", "lat", "x", "y")]
        + [("crime_type", text), ("month", text), ("count", pa.int64())],
        metadata={b"wardmap.cube": json.dumps(meta).encode()})
    points = cube.points
    wards = pa.array(np.asarray(cube.ward_codes, dtype=object).astype(str), pa.string())

    def column(codes: np.ndarray, names: pa.Array) -> pa.DictionaryArray:
        codes = np.asarray(codes, np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), names)

    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, max(len(cube.cells), 1), _TALLY_CHUNK):
            cells = cube.cells.iloc[start:start + _TALLY_CHUNK]
            point = cells["point"].to_numpy()
            months = np.unique(cells["month"].to_numpy())
            month_names = [f"{m // 12:04d}-{m % 12 + 1:02d}" if m >= 0 else "" for m in months]
            month_codes = np.searchsorted(months, cells["month"].to_numpy())
            month_codes = np.where(cells["month"].to_numpy() < 0, -1, month_codes)
            arrays = [
                column(points["ward"].to_numpy()[point], wards),
                column(points["status"].to_numpy()[point], pa.array(POINT_STATUSES)),
                column(points["problem"].to_numpy()[point], pa.array(PROBLEMS)),
                column(cells["location"].to_numpy(),
                       pa.array(cube.locations.astype(str), pa.string())),
                *(pa.array(points[c].to_numpy()[point]) for c in ("cx", "cy", "x", "y")),
                column(cells["crime_type"].to_numpy(),
                       pa.array(cube.crime_types.astype(str), pa.string())),
                column(month_codes, pa.array(month_names, pa.string())),
                pa.array(cells["count"].to_numpy(np.int64)),
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema),
                               row_group_size=1 << 20)


def read_cube(path: str | Path, wards: gpd.GeoDataFrame) -> tuple[Cube, dict[str, object]]:
    """A cube.parquet written by an earlier run, for the run's ward table."""
    import pyarrow.parquet as pq

    from wardmap.load.files import existing_file

    path = existing_file(path, "cube file")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same sentence
        raise InputError(f"{path}: not a cube.parquet written by wardmap ({exc})") from None
    raw = (parquet.schema_arrow.metadata or {}).get(b"wardmap.cube")
    if raw is None:
        raise InputError(f"{path}: not a cube.parquet written by wardmap (no cube metadata)")
    about = json.loads(raw)
    rows = parquet.read().to_pandas()
    codes = wards["ward_code"].to_numpy(dtype=object)
    given = rows["ward_code"].dropna().astype(str).unique()
    unknown = sorted(set(given) - set(codes))
    if unknown:
        raise InputError(f"{path}: the cube's wards are not the boundaries' ({len(unknown)} "
                         f"codes unknown, e.g. {unknown[0]}); use the boundaries it was made "
                         "with")
    lon, lat = rows["lon"].to_numpy(float), rows["lat"].to_numpy(float)
    problem = pd.Index(PROBLEMS).get_indexer(rows["problem"].astype(str))
    status = pd.Index(POINT_STATUSES).get_indexer(rows["status"].astype(str))
    lost = np.isnan(lon)
    keys = np.where(lost, np.inf + 1j * (problem == 1).astype(float), lon + 1j * lat)
    distinct, first, point = np.unique(keys, return_index=True, return_inverse=True)
    ward = pd.Index(codes).get_indexer(rows["ward_code"].astype(object))
    points = pd.DataFrame({
        "key": distinct, "cx": lon[first], "cy": lat[first], "x": rows["x"].to_numpy(float)[first],
        "y": rows["y"].to_numpy(float)[first], "ward": ward[first].astype(np.int32),
        "status": status[first].astype(np.int8), "problem": problem[first].astype(np.int8),
    })
    location, locations = _codes(rows["location"])
    crime_type, crime_types = _codes(rows["crime_type"])
    cells = sum_cells(pd.DataFrame({
        "point": point.ravel().astype(np.int32), "location": location,
        "crime_type": crime_type.astype(np.int16), "month": month_number(rows["month"]),
        "count": rows["count"].to_numpy(np.int64),
    }))
    return Cube(points, locations, crime_types, cells, codes, str(about.get("crs"))), about
