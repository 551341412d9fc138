"""Incident records: police.uk street-level CSVs (files, folders, the download zip) or any
point CSV with longitude/latitude or easting/northing columns.

Read with pyarrow's multi-threaded CSV parser, not row by row. The reader does not judge
coordinates; it parses them (NaN when empty, flagged when not a number) and the aggregate stage
accounts for every row.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wardmap.config import InputsConfig
from wardmap.errors import InputError
from wardmap.load.files import check_encoding, existing_file, sha256

_LON_NAMES = ("longitude", "lon", "lng", "long")
_LAT_NAMES = ("latitude", "lat")
_X_NAMES = ("easting", "x", "eastings")
_Y_NAMES = ("northing", "y", "northings")


@dataclass
class Source:
    """One CSV to read: a file on disk or a member of a zip."""

    name: str
    data: bytes
    origin: Path


@dataclass
class Layout:
    """Which columns of a CSV hold what."""

    cx: str
    cy: str
    crs: str
    month: str | None
    crime_type: str | None
    location: str | None
    police: bool


def read_incidents(
    paths: list[str], inputs: InputsConfig
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """All records from the given CSVs, folders and zips, and a manifest entry per file.

    Columns: month, crime_type, location, cx, cy (source coordinates), unparsable (a
    coordinate that is present but not a number), source (file name). ``df.attrs["crs"]``
    holds the coordinates' CRS.
    """
    frames, manifest, crs_seen = [], [], set()
    for source in _sources(paths):
        frame, layout = _read_one(source, inputs)
        crs_seen.add(layout.crs)
        frames.append(frame)
        manifest.append({"path": source.name, "rows": len(frame), "format":
                         "police.uk" if layout.police else "points"})
    if len(crs_seen) > 1:
        raise InputError("incident files mix longitude/latitude and easting/northing columns; "
                         "read them in separate runs or convert them first")
    records = _concat(frames) if frames else _empty()
    records.attrs["crs"] = crs_seen.pop() if crs_seen else "EPSG:4326"
    _add_hashes(paths, manifest)
    return records, manifest


def _sources(paths: list[str]) -> list[Source]:
    sources: list[Source] = []
    for raw in paths:
        path = existing_file(raw, "incident file")
        if path.is_dir():
            sources.extend(_folder_sources(path))
        elif path.suffix.lower() == ".zip":
            sources.extend(_zip_sources(path))
        else:
            sources.append(Source(str(path), path.read_bytes(), path))
    return sources


def _folder_sources(folder: Path) -> list[Source]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".csv")
    street = [p for p in files if p.name.lower().endswith("-street.csv")]
    chosen = street or files
    if not chosen:
        raise InputError(f"incident folder holds no CSV files: {folder}")
    return [Source(str(p), p.read_bytes(), p) for p in chosen]


def _zip_sources(path: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".csv"))
            street = [n for n in names if n.lower().endswith("-street.csv")]
            chosen = street or names
            if not chosen:
                raise InputError(f"zip holds no CSV files: {path}")
            return [Source(f"{path}!{n}", archive.read(n), path) for n in chosen]
    except zipfile.BadZipFile:
        raise InputError(f"not a readable zip file: {path}") from None


def _read_one(source: Source, inputs: InputsConfig) -> tuple[pd.DataFrame, Layout]:
    if not source.data.strip():
        raise InputError(f"{source.name}: empty file")
    check_encoding(source.data, source.name, inputs.encoding)
    header = _header(source, inputs.encoding)
    layout = _layout(header, inputs, source.name)
    table = _parse(source, inputs.encoding, layout, header)
    frame = pd.DataFrame({
        "month": _months(table, layout, source.name),
        "crime_type": _text(table, layout.crime_type),
        "location": _text(table, layout.location),
    })
    frame["cx"], bad_x = _numbers(table.column(layout.cx))
    frame["cy"], bad_y = _numbers(table.column(layout.cy))
    frame["unparsable"] = bad_x | bad_y
    frame["source"] = Path(source.name.split("!")[-1]).name
    if len(frame) and frame["unparsable"].all():
        raise InputError(f"{source.name}: no row has numeric coordinates in "
                         f"{layout.cx!r}/{layout.cy!r} (first value: "
                         f"{table.column(layout.cx)[0].as_py()!r})")
    return frame, layout


def _header(source: Source, encoding: str) -> list[str]:
    first = source.data.split(b"\n", 1)[0].decode(encoding).lstrip("\ufeff")
    return [h.strip() for h in next(csv.reader([first]))]


def _layout(header: list[str], inputs: InputsConfig, name: str) -> Layout:
    lower = {h.lower().strip(): h for h in header}

    def find(given: str | None, names: tuple[str, ...]) -> str | None:
        if given is not None:
            if given not in header:
                raise InputError(f"{name}: no column {given!r} (columns: {', '.join(header)})")
            return given
        return next((lower[n] for n in names if n in lower), None)

    police = "crime type" in lower and "month" in lower
    month = find(inputs.date_col, ("month", "date"))
    crime = find(inputs.crime_type_col, ("crime type", "crime_type", "category", "type"))
    location = lower.get("location")
    lon, lat = find(inputs.lon_col, _LON_NAMES), find(inputs.lat_col, _LAT_NAMES)
    if inputs.x_col or inputs.y_col or not (lon or lat):
        x, y = find(inputs.x_col, _X_NAMES), find(inputs.y_col, _Y_NAMES)
        if x and y:
            return Layout(x, y, inputs.points_crs, month, crime, location, police)
    if lon and lat:
        return Layout(lon, lat, "EPSG:4326", month, crime, location, police)
    missing = "Longitude" if not lon else "Latitude"
    if police:
        raise InputError(f"{name}: police.uk file has no {missing} column "
                         f"(columns: {', '.join(header)})")
    raise InputError(f"{name}: no coordinate columns found (looked for Longitude/Latitude and "
                     "Easting/Northing); name them with --lon-col/--lat-col or --x-col/--y-col")


def _parse(source: Source, encoding: str, layout: Layout, header: list[str]) -> pa.Table:
    wanted = [c for c in (layout.cx, layout.cy, layout.month, layout.crime_type,
                          layout.location) if c]
    types = {c: pa.string() for c in wanted}
    try:
        return pacsv.read_csv(
            io.BytesIO(source.data),
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(dict.fromkeys(wanted)), column_types=types,
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(f"{source.name}: cannot parse CSV: {str(exc).splitlines()[0]}") from None


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Parse coordinate text: NaN for empty cells, flagged NaN for text that is not a number."""
    trimmed = pc.utf8_trim_whitespace(column)
    empty = pc.or_kleene(pc.is_null(trimmed), pc.equal(trimmed, "")).to_numpy(
        zero_copy_only=False)
    try:
        values = pc.cast(pc.if_else(empty, None, trimmed), pa.float64())
        return values.to_numpy(zero_copy_only=False).astype(float), np.zeros(len(column), bool)
    except pa.ArrowInvalid:  # some cells are not numbers: fall back to a tolerant parse
        parsed = pd.to_numeric(pd.Series(trimmed.to_pylist()), errors="coerce").to_numpy(float)
        return parsed, np.isnan(parsed) & ~empty


def _months(table: pa.Table, layout: Layout, name: str) -> pd.Series:
    if layout.month is None:
        return pd.Series([None] * table.num_rows, dtype=object)
    column = table.column(layout.month)
    if not layout.police:  # a date column: keep its month (ISO first, else UK day-first)
        text = pd.Series(column.to_pylist(), dtype=object)
        iso = text.astype(str).str.extract(r"^(\d{4}-\d{2})", expand=False)
        dates = pd.to_datetime(text.where(iso.isna()), errors="coerce", dayfirst=True,
                               format="mixed")
        return iso.fillna(dates.dt.strftime("%Y-%m")).where(iso.notna() | dates.notna(), None)
    good = pc.fill_null(pc.match_substring_regex(column, r"^\d{4}-(0[1-9]|1[0-2])$"), True)
    if len(column) and not pc.all(good).as_py():
        row = int(pc.index(good, False).as_py())
        raise InputError(f"{name}: Month {column[row].as_py()!r} is not YYYY-MM (row {row + 2})")
    return _text(table, layout.month)


def _text(table: pa.Table, column: str | None) -> pd.Series:
    """Repeated text (months, crime types, locations) as a pandas Categorical, built by arrow."""
    if column is None:
        return pd.Series([None] * table.num_rows, dtype=object)
    return table.column(column).dictionary_encode().to_pandas()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, keeping text columns categorical (unioning the categories)."""
    from pandas.api.types import union_categoricals

    text = ("month", "crime_type", "location", "source")
    records = pd.concat([f.drop(columns=list(text)) for f in frames], ignore_index=True)
    for column in text:
        parts = [pd.Categorical(f[column]) for f in frames]
        records[column] = union_categoricals(parts) if parts else pd.Categorical([])
    return records[["month", "crime_type", "location", "cx", "cy", "unparsable", "source"]]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in
                         ("month", "crime_type", "location", "source")}
                        | {"cx": pd.Series(dtype=float), "cy": pd.Series(dtype=float),
                           "unparsable": pd.Series(dtype=bool)})


def _add_hashes(paths: list[str], manifest: list[dict[str, object]]) -> None:
    """sha256 per file on disk (zip members share their archive's hash)."""
    hashes = {}
    for entry in manifest:
        on_disk = Path(str(entry["path"]).split("!")[0])
        if on_disk not in hashes:
            hashes[on_disk] = sha256(on_disk)
        entry["sha256"] = hashes[on_disk]
