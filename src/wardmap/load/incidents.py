"""Incident records: police.uk street-level CSVs (files, folders, the download zip), any
point CSV with longitude/latitude or easting/northing columns, or a force's extract as a
spreadsheet (xlsx, xls, ods: its first sheet, read by python-calamine).

Read with pyarrow's multi-threaded CSV parser, not row by row. The reader does not judge
coordinates; it parses them (NaN when empty, flagged when not a number) and the aggregate stage
accounts for every row.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
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
from wardmap.load import duplicates
from wardmap.load.files import (
    check_encoding,
    columns_note,
    existing_file,
    sha256,
    sheet_with_header,
    sniff_delimiter,
)

dt_types = (datetime.date, datetime.datetime, pd.Timestamp)
_LON_NAMES = ("longitude", "lon", "lng", "long")
_LAT_NAMES = ("latitude", "lat")
_X_NAMES = ("easting", "x", "eastings")
_Y_NAMES = ("northing", "y", "northings")
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
# police.uk's crime types as published: variants in case and spacing ("BURGLARY",
# "Burglary ") are read as these.
POLICE_CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery",
    "Shoplifting", "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)


@dataclass
class Source:
    """One CSV to read: a file on disk or a member of a zip."""

    name: str
    data: bytes
    origin: Path
    modified: float = 0.0  # file (or zip member) date: the newer of two overlapping files wins
    digest: str = ""  # sha256 of the file's bytes as given (a zip member: its own bytes)

    def __post_init__(self) -> None:
        self.digest = self.digest or duplicates.content_hash(self.data)


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
    crime_id: str | None = None
    force: str | None = None


def read_incidents(
    paths: list[str], inputs: InputsConfig
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """All records from the given CSVs, folders and zips, and a manifest entry per file.

    Columns: month, crime_type, location, cx, cy (source coordinates), unparsable (a
    coordinate that is present but not a number), source (file name). ``df.attrs["crs"]``
    holds the coordinates' CRS.
    """
    sources, skipped = _sources(paths)
    seen = duplicates.SeenFiles()
    frames, manifest, crs_seen, rows_by_name, read = [], [], set(), {}, []
    for source in sources:
        first = seen.first_name(source.digest, source.name)
        if first is not None:  # the same content again: counted, not read again
            rows = rows_by_name[first]
            manifest.append({"path": source.name, "sha256": source.digest, "rows": rows,
                             "format": "duplicate", "duplicates": rows, "duplicate_of": first,
                             "warning": f"{source.name} was given twice: read once"
                             if first == source.name else f"{source.name} is the same file "
                             f"as {first}: read once"})
            continue
        frame, layout = _read_one(source, inputs)
        crs_seen.add(layout.crs)
        frames.append(frame)
        rows_by_name[source.name] = len(frame)
        read.append(source)
        manifest.append({"path": source.name, "sha256": source.digest, "rows": len(frame),
                         "format":
                         "police.uk" if layout.police else "points", "duplicates": 0})
    if len(crs_seen) > 1:
        raise InputError("incident files mix longitude/latitude and easting/northing columns; "
                         "read them in separate runs or convert them first")
    entries = [e for e in manifest if e["format"] != "duplicate"]
    frames = _drop_duplicates(frames, entries, read)
    records = _concat(frames) if frames else _empty()
    records["crime_type"] = normalise_crime_types(records["crime_type"])
    records.attrs["crs"] = crs_seen.pop() if crs_seen else "EPSG:4326"
    manifest += [{"path": name, "rows": 0, "format": "skipped", "skipped": reason}
                 for name, reason in skipped]
    _add_hashes(paths, manifest)
    return records, manifest


def _drop_duplicates(frames: list[pd.DataFrame], entries: list[dict[str, object]],
                     sources: list[Source]) -> list[pd.DataFrame]:
    """Overlapping force-months read from the newer file; repeated Crime IDs counted once.

    Each file's entry gets ``duplicates`` (its rows not counted) and any ``warning``.
    """
    names = [str(e["path"]) for e in entries]
    held = [duplicates.blocks(f["force"], f["month"]) if f["force"].notna().any() else set()
            for f in frames]
    chosen = duplicates.newest_sources(held, [s.modified for s in sources])
    overlaps = [duplicates.overlap_mask(f["force"], f["month"], i, chosen, held[i])
                for i, f in enumerate(frames)]
    dropped = [int(m.sum()) for m in overlaps]
    warnings = duplicates.overlap_warnings(names, held, chosen, dropped)
    kept = []
    for entry, frame, overlap in zip(entries, frames, overlaps, strict=True):
        repeated = duplicates.repeated_ids(frame["crime_id"], frame["force"], frame["month"])
        repeated = repeated & ~overlap
        entry["duplicates"] = int(overlap.sum() + repeated.sum())
        lines = [w for w in warnings if w.startswith(f"{entry['path']} and ")]
        if repeated.any():
            lines.append(f"{entry['path']}: {int(repeated.sum()):,} records repeat a Crime ID "
                         "already read for the same force and month: counted once")
        if lines:
            entry["warning"] = "; ".join(lines)
        keep = ~(overlap | repeated)
        kept.append(frame.loc[keep].drop(columns=["crime_id", "force"]).reset_index(drop=True))
    return kept


def normalise_crime_types(types: pd.Series) -> pd.Series:
    """Crime types with spaces trimmed and collapsed, and police.uk's types in their
    published case ("BURGLARY", "Burglary " → "Burglary"); other types keep their first
    spelling, so "Fly tipping" and "FLY TIPPING" are one type."""
    values = pd.Series(types, copy=False).astype("category")
    if values.isna().all():
        return values
    canonical = {t.casefold(): t for t in POLICE_CRIME_TYPES}
    spelled = []
    for raw in values.cat.categories.astype(str):
        key = crime_type_key(raw)
        canonical.setdefault(key, " ".join(raw.split()))
        spelled.append(canonical[key])
    # Recode the categories only: the rows' codes are remapped in one array operation.
    names = pd.Index(pd.unique(pd.Series(spelled, dtype=object)), dtype=object)
    remap = names.get_indexer(spelled)
    codes = values.cat.codes.to_numpy()
    return pd.Series(pd.Categorical.from_codes(np.where(codes >= 0, remap[codes], -1), names),
                     index=values.index)


def crime_type_key(text: str) -> str:
    """How crime types are compared: case-insensitive, spaces trimmed and collapsed.

    Examples
    --------
    >>> crime_type_key(" BURGLARY ") == crime_type_key("Burglary") == "burglary"
    True
    """
    return " ".join(str(text).split()).casefold()


def _sources(paths: list[str]) -> tuple[list[Source], list[tuple[str, str]]]:
    """The files to read, and the entries skipped (macOS resource forks: ``._*`` files and
    ``__MACOSX/`` folders that copying or zipping on a Mac adds) with the reason."""
    sources: list[Source] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        path = existing_file(raw, "incident file")
        if path.is_dir():
            sources.extend(_folder_sources(path, skipped))
        elif path.suffix.lower() == ".zip":
            sources.extend(_zip_sources(path, skipped))
        elif _resource_fork(str(path)):
            skipped.append((str(path), _FORK_REASON))
        else:
            sources.append(_file_source(path))
    return sources, skipped


_FORK_REASON = "macOS resource fork (not data)"


def _resource_fork(name: str) -> bool:
    parts = Path(name).parts
    return "__MACOSX" in parts or (bool(parts) and parts[-1].startswith("._"))


def _file_source(path: Path) -> Source:
    data = path.read_bytes()
    digest = duplicates.content_hash(data)  # of the file itself, for the manifest too
    if data[:2] == b"\x1f\x8b":  # gzip (.csv.gz)
        import gzip

        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: damaged gzip file ({exc})") from None
    if path.suffix.lower() in SPREADSHEETS:
        data = _spreadsheet_csv(data, str(path))
    return Source(str(path), data, path, path.stat().st_mtime, digest)


def _folder_sources(folder: Path, skipped: list[tuple[str, str]]) -> list[Source]:
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.suffix.lower() in (".csv", *SPREADSHEETS))
    skipped += [(str(p), _FORK_REASON) for p in files if _resource_fork(str(p.relative_to(
        folder)))]
    files = [p for p in files if not _resource_fork(str(p.relative_to(folder)))]
    street = [p for p in files if p.name.lower().endswith("-street.csv")]
    chosen = street or files
    if not chosen:
        raise InputError(f"incident folder holds no CSV or spreadsheet files: {folder}")
    return [_file_source(p) for p in chosen]


def _zip_sources(path: Path, skipped: list[tuple[str, str]]) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".csv"))
            skipped += [(f"{path}!{n}", _FORK_REASON) for n in names if _resource_fork(n)]
            names = [n for n in names if not _resource_fork(n)]
            street = [n for n in names if n.lower().endswith("-street.csv")]
            chosen = street or names
            if not chosen:
                raise InputError(f"zip holds no CSV files: {path}")
            return [Source(f"{path}!{n}", archive.read(n), path,
                           datetime.datetime(*archive.getinfo(n).date_time).timestamp())
                    for n in chosen]
    except zipfile.BadZipFile:
        raise InputError(f"not a readable zip file: {path}") from None


def _spreadsheet_csv(data: bytes, name: str) -> bytes:
    """A force extract's first non-empty sheet as UTF-8 CSV, read by the CSV path.

    Title rows above the header are skipped (the header is the first row naming a month or
    date and coordinate columns); date cells in a Month column become YYYY-MM.
    """
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None,
                               engine="calamine")
    except Exception as exc:  # calamine raises its own error types for damaged files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read spreadsheet {name}: {reason}") from None
    sheet = next((s.dropna(how="all") for s in sheets.values() if not s.dropna(how="all")
                  .empty), None)
    if sheet is None:
        raise InputError(f"{name}: every sheet is empty")
    table = sheet_with_header(sheet, _header_row(sheet))
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]) or table[column].map(
                lambda v: isinstance(v, dt_types)).any():
            fmt = "%Y-%m" if column.lower() == "month" else "%Y-%m-%d"
            table[column] = table[column].map(
                lambda v, f=fmt: v.strftime(f) if isinstance(v, dt_types) else v)
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _header_row(sheet: pd.DataFrame) -> int:
    wanted = {"month", "date", *_LON_NAMES, *_LAT_NAMES, *_X_NAMES, *_Y_NAMES}
    for position, (_, row) in enumerate(sheet.head(30).iterrows()):
        cells = {str(v).strip().lower() for v in row.dropna()}
        if len(cells & wanted) >= 2:
            return position
    return 0


def _read_one(source: Source, inputs: InputsConfig) -> tuple[pd.DataFrame, Layout]:
    if not source.data.strip():
        raise InputError(f"{source.name}: empty file")
    check_encoding(source.data, source.name, inputs.encoding)
    # Blank lines above the header (an export's habit) are not the header.
    source = dataclasses.replace(source, data=re.sub(rb"\A(?:\xef\xbb\xbf)?(?:[ \t]*\r?\n)+",
                                                     b"", source.data))
    delimiter = sniff_delimiter(source.data, inputs.encoding)
    header = _header(source, inputs.encoding, delimiter)
    layout = layout_of(header, inputs, source.name)
    table = _parse(source, inputs.encoding, layout, delimiter)
    frame = pd.DataFrame({
        "month": _months(table, layout, source.name),
        "crime_type": _text(table, layout.crime_type),
        "location": _text(table, layout.location),
        # For duplicate detection only (dropped after it): police.uk's Crime ID and force.
        "crime_id": _repeated_id_text(table, layout.crime_id),
        "force": _text(table, layout.force),
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


def _header(source: Source, encoding: str, delimiter: str = ",") -> list[str]:
    first = source.data.split(b"\n", 1)[0].decode(encoding).lstrip("\ufeff")
    return [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]


def layout_of(header: list[str], inputs: InputsConfig, name: str) -> Layout:
    """Which columns of a record file hold what (also the streaming reader's)."""
    lower = {h.lower().strip(): h for h in header}

    def find(given: str | None, names: tuple[str, ...]) -> str | None:
        if given is not None:
            if given not in header:
                raise InputError(f"{name}: no column {given!r} {columns_note(header)}")
            return given
        return next((lower[n] for n in names if n in lower), None)

    police = "crime type" in lower and "month" in lower
    month = find(inputs.date_col, ("month", "date"))
    crime = find(inputs.crime_type_col, ("crime type", "crime_type", "category", "type"))
    location = lower.get("location")
    crime_id = lower.get("crime id")
    # The force that published the record: a British Transport Police file's rows "fall
    # within" the territorial force, so that column would make Kent's and BTP's files of a
    # month look like one download given twice.
    # police.uk layout only: a force's own extract may be split into parts of one month.
    force = (lower.get("reported by") or lower.get("falls within")) if police else None
    ids = {"crime_id": crime_id, "force": force}
    lon, lat = find(inputs.lon_col, _LON_NAMES), find(inputs.lat_col, _LAT_NAMES)
    if inputs.x_col or inputs.y_col or not (lon or lat):
        x, y = find(inputs.x_col, _X_NAMES), find(inputs.y_col, _Y_NAMES)
        if x and y:
            return Layout(x, y, inputs.points_crs, month, crime, location, police, **ids)
    if lon and lat:
        return Layout(lon, lat, "EPSG:4326", month, crime, location, police, **ids)
    missing = "Longitude" if not lon else "Latitude"
    if police:
        raise InputError(f"{name}: police.uk file has no {missing} column "
                         f"{columns_note(header)}")
    raise InputError(f"{name}: no coordinate columns found (looked for Longitude/Latitude and "
                     "Easting/Northing); name them with --lon-col/--lat-col or --x-col/--y-col")


def _parse(source: Source, encoding: str, layout: Layout, delimiter: str = ",") -> pa.Table:
    wanted = [c for c in (layout.cx, layout.cy, layout.month, layout.crime_type,
                          layout.location, layout.crime_id, layout.force) if c]
    types = {c: pa.string() for c in wanted}
    try:
        return pacsv.read_csv(
            io.BytesIO(source.data),
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
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
        resaved = _excel_months(column)
        if resaved is not None:
            return resaved
        row = int(pc.index(good, False).as_py())
        raise InputError(f"{name}: Month {column[row].as_py()!r} is not YYYY-MM (row {row + 2})")
    return _text(table, layout.month)


# How Excel shows police.uk's "2017-11" after a file is opened and saved again.
_EXCEL_MONTHS = ("%b-%y", "%b-%Y", "%B %Y", "%Y/%m", "%m/%Y", "%d/%m/%Y", "%Y-%m-%d",
                 "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S")


def _excel_months(column: pa.ChunkedArray) -> pd.Series | None:
    """Months written by Excel ("Nov-17", "01/11/2017", ...) as YYYY-MM, when every month of
    the file reads with one of those formats; None otherwise. Only the distinct values are
    parsed: a file holds a handful of months."""
    codes = column.dictionary_encode().combine_chunks()
    distinct = pd.Series(codes.dictionary.to_pylist(), dtype=object).str.strip()
    if distinct.empty:
        return None
    for fmt in _EXCEL_MONTHS:
        parsed = pd.to_datetime(distinct.where(distinct != ""), format=fmt, errors="coerce")
        if parsed.notna().sum() == (distinct != "").sum():
            months = parsed.dt.strftime("%Y-%m").where(parsed.notna(), None)
            index = pc.fill_null(codes.indices, -1).to_numpy(zero_copy_only=False)
            values = np.append(months.to_numpy(dtype=object), None)  # -1 (no month): None
            return pd.Series(values[index], dtype=object).astype("category")
    return None


def _repeated_id_text(table: pa.Table, column: str | None) -> pd.Series:
    """The Crime IDs when some non-empty ID appears twice in the file, else all missing.

    Checked with arrow's hash kernel first: IDs are nearly always unique, and turning a
    million distinct IDs into Python text only to find no repeat costs seconds.
    """
    if column is not None:
        ids = pc.utf8_trim_whitespace(table.column(column))
        ids = pc.filter(ids, pc.fill_null(pc.not_equal(ids, ""), False))
        if len(pc.unique(ids)) < len(ids):
            return _text(table, column)
    return pd.Series(pd.Categorical.from_codes(np.full(table.num_rows, -1), categories=[]))


def _text(table: pa.Table, column: str | None) -> pd.Series:
    """Repeated text (months, crime types, locations) as a pandas Categorical, built by arrow."""
    if column is None:
        return pd.Series([None] * table.num_rows, dtype=object)
    return table.column(column).dictionary_encode().to_pandas()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, keeping text columns categorical (unioning the categories)."""
    from pandas.api.types import union_categoricals

    text = ("month", "crime_type", "location", "source")
    # A header-only file (an empty month) has categories of another dtype: leave it out.
    frames = [f for f in frames if len(f)] or frames[:1]
    records = pd.concat([f.drop(columns=list(text)) for f in frames], ignore_index=True)
    for column in text:
        parts = [_object_categories(pd.Categorical(f[column])) for f in frames]
        records[column] = union_categoricals(parts) if parts else pd.Categorical([])
    return records[["month", "crime_type", "location", "cx", "cy", "unparsable", "source"]]


def _object_categories(values: pd.Categorical) -> pd.Categorical:
    """Categories as plain objects: an empty or all-blank file's (no categories) and a full
    file's (text) then union without a dtype clash."""
    return values.set_categories(pd.Index(values.categories, dtype=object))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in
                         ("month", "crime_type", "location", "source")}
                        | {"cx": pd.Series(dtype=float), "cy": pd.Series(dtype=float),
                           "unparsable": pd.Series(dtype=bool)})


def _add_hashes(paths: list[str], manifest: list[dict[str, object]]) -> None:
    """sha256 per file on disk (zip members share their archive's hash; files read from disk
    already have theirs)."""
    hashes = {}
    for entry in manifest:
        if "!" not in str(entry["path"]) and entry.get("sha256"):
            continue
        on_disk = Path(str(entry["path"]).split("!")[0])
        if on_disk not in hashes:
            hashes[on_disk] = sha256(on_disk)
        entry["sha256"] = hashes[on_disk]
