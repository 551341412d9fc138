"""Streaming reads of incident records for large inputs (wardmap.engine): police.uk
street-level CSVs (files, folders, the download zip), any point CSV with longitude/latitude
or easting/northing columns, and Parquet record files.

wardmap.load.incidents reads small inputs whole, with the checks that compare files
(duplicates, spreadsheets); this module reads a block of rows at a time.

Read with pyarrow's multi-threaded CSV parser, not row by row, a block of rows at a time
(``read_blocks``): a national download never has to fit in memory as text. Parquet record
files (``wardmap convert`` writes them) are read a row group at a time. The reader does not
judge coordinates; it parses them (NaN when empty, flagged when not a number) and the aggregate
stage accounts for every row.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wardmap.config import InputsConfig
from wardmap.errors import InputError
from wardmap.load.files import check_encoding, existing_file, sha256
from wardmap.load.incidents import Layout, layout_of

# Bytes of CSV text parsed at a time: a block of about 300,000 police.uk rows.
BLOCK_BYTES = 1 << 25


@dataclass
class Source:
    """One record file to read: a CSV or Parquet file on disk or a CSV member of a zip."""

    name: str
    opener: Callable[[], IO[bytes]]
    origin: Path

    @property
    def parquet(self) -> bool:
        return self.name.lower().endswith((".parquet", ".geoparquet"))

    def read_bytes(self) -> bytes:
        with self.opener() as handle:
            return handle.read()


@dataclass
class FileReport:
    """What was read from one file: its manifest entry and its coordinates' CRS."""

    name: str
    rows: int
    police: bool
    crs: str

    def manifest(self) -> dict[str, object]:
        return {"path": self.name, "rows": self.rows,
                "format": "police.uk" if self.police else "points"}



def read_incidents(
    paths: list[str], inputs: InputsConfig
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """All records from the given CSVs, folders and zips, and a manifest entry per file.

    Columns: month, crime_type, location, cx, cy (source coordinates), unparsable (a
    coordinate that is present but not a number), source (file name). ``df.attrs["crs"]``
    holds the coordinates' CRS. The whole table is in memory: ``read_blocks`` streams it.
    """
    frames, reports = [], []
    for source in sources(paths):
        report = FileReport(source.name, 0, False, "EPSG:4326")
        frames.extend(read_blocks(source, inputs, report))
        reports.append(report)
    crs = check_crs(reports)
    records = concat_frames(frames)
    records.attrs["crs"] = crs
    manifest = [r.manifest() for r in reports]
    add_hashes(manifest)
    return records, manifest


def check_crs(reports: list[FileReport]) -> str:
    """The records' one coordinate CRS; files mixing lon/lat and easting/northing are an error."""
    seen = {r.crs for r in reports}
    if len(seen) > 1:
        raise InputError("incident files mix longitude/latitude and easting/northing columns; "
                         "read them in separate runs or convert them first")
    return seen.pop() if seen else "EPSG:4326"


def sources(paths: list[str]) -> list[Source]:
    """The record files named by paths: files, folders of CSVs (their street files when a
    police.uk download) and police.uk zips."""
    found: list[Source] = []
    for raw in paths:
        path = existing_file(raw, "incident file")
        if path.is_dir():
            found.extend(_folder_sources(path))
        elif path.suffix.lower() == ".zip":
            found.extend(_zip_sources(path))
        else:
            found.append(_file_source(path))
    return found


def _file_source(path: Path) -> Source:
    return Source(str(path), lambda: path.open("rb"), path)


def _folder_sources(folder: Path) -> list[Source]:
    files = sorted(p for p in folder.rglob("*")
                   if p.suffix.lower() in (".csv", ".parquet", ".geoparquet"))
    street = [p for p in files if p.name.lower().endswith("-street.csv")]
    chosen = street or files
    if not chosen:
        raise InputError(f"incident folder holds no CSV or Parquet files: {folder}")
    return [_file_source(p) for p in chosen]


def _zip_sources(path: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".csv"))
    except zipfile.BadZipFile:
        raise InputError(f"not a readable zip file: {path}") from None
    street = [n for n in names if n.lower().endswith("-street.csv")]
    chosen = street or names
    if not chosen:
        raise InputError(f"zip holds no CSV files: {path}")
    return [Source(f"{path}!{n}", _member_opener(path, n), path) for n in chosen]


def _member_opener(path: Path, member: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        archive = zipfile.ZipFile(path)
        handle = archive.open(member)
        close = handle.close

        def close_both() -> None:  # the member's stream and its archive close together
            close()
            archive.close()

        handle.close = close_both  # type: ignore[method-assign]
        return handle

    return opener


def read_blocks(source: Source, inputs: InputsConfig, report: FileReport | None = None,
                row_groups: list[int] | None = None) -> Iterator[pd.DataFrame]:
    """The records of one file, a block of rows at a time, in read_incidents' columns.

    ``report`` (when given) is filled in as the file is read: rows, format and CRS.
    ``row_groups`` reads only those row groups of a Parquet file.
    """
    report = report or FileReport(source.name, 0, False, "EPSG:4326")
    if source.parquet:
        from wardmap.load.columnar import parquet_blocks

        yield from parquet_blocks(source, inputs, report, row_groups)
        return
    head = first_line(source)
    header = header_of(head, source.name, inputs.encoding)
    layout = layout_of(header, inputs, source.name)
    report.police, report.crs = layout.police, layout.crs
    unparsable = 0
    first_value = None
    for table in _parse(source, inputs.encoding, layout):
        frame = frame_of(table, layout, source.name, report.rows)
        if first_value is None and len(frame):
            first_value = table.column(layout.cx)[0].as_py()
        report.rows += len(frame)
        unparsable += int(frame["unparsable"].sum())
        yield frame
    if report.rows and unparsable == report.rows:
        raise InputError(f"{source.name}: no row has numeric coordinates in "
                         f"{layout.cx!r}/{layout.cy!r} (first value: {first_value!r})")


def frame_of(table: pa.Table, layout: Layout, name: str, offset: int = 0) -> pd.DataFrame:
    """An arrow block of records as read_incidents' columns (text as Categoricals)."""
    frame = pd.DataFrame({
        "month": _months(table, layout, name, offset),
        "crime_type": _text(table, layout.crime_type),
        "location": _text(table, layout.location),
    })
    frame["cx"], bad_x = _numbers(table.column(layout.cx))
    frame["cy"], bad_y = _numbers(table.column(layout.cy))
    frame["unparsable"] = bad_x | bad_y
    frame["source"] = pd.Categorical([Path(name.split("!")[-1]).name] * len(frame))
    return frame


def first_line(source: Source) -> bytes:
    """The first line of a file (enough to read its header)."""
    with source.opener() as handle:
        head = handle.read(1 << 16)
        while head.strip() and b"\n" not in head:
            more = handle.read(1 << 16)
            if not more:
                break
            head += more
    if not head.strip():
        raise InputError(f"{source.name}: empty file")
    return head


def header_of(head: bytes, name: str, encoding: str) -> list[str]:
    first = head.split(b"\n", 1)[0]
    check_encoding(first, name, encoding)
    first_text = first.decode(encoding).lstrip("\ufeff")
    return [h.strip() for h in next(csv.reader([first_text]))]


def _parse(source: Source, encoding: str, layout: Layout) -> Iterator[pa.Table]:
    """The file's wanted columns as text, a block at a time."""
    wanted = [c for c in (layout.cx, layout.cy, layout.month, layout.crime_type,
                          layout.location) if c]
    types = {c: pa.string() for c in wanted}
    handle = source.opener()
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=BLOCK_BYTES),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(dict.fromkeys(wanted)), column_types=types,
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
        for batch in reader:
            yield pa.Table.from_batches([batch])
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            check_encoding(source.read_bytes(), source.name, encoding)  # names the line
        raise InputError(f"{source.name}: cannot parse CSV: {str(exc).splitlines()[0]}") from None
    finally:
        handle.close()


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Parse coordinate text: NaN for empty cells, flagged NaN for text that is not a number."""
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):  # Parquet
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=float), np.zeros(len(column), bool)
    trimmed = pc.utf8_trim_whitespace(column)
    empty = pc.or_kleene(pc.is_null(trimmed), pc.equal(trimmed, "")).to_numpy(
        zero_copy_only=False)
    try:
        values = pc.cast(pc.if_else(empty, None, trimmed), pa.float64())
        return values.to_numpy(zero_copy_only=False).astype(float), np.zeros(len(column), bool)
    except pa.ArrowInvalid:  # some cells are not numbers: fall back to a tolerant parse
        parsed = pd.to_numeric(pd.Series(trimmed.to_pylist()), errors="coerce").to_numpy(float)
        return parsed, np.isnan(parsed) & ~empty


def _months(table: pa.Table, layout: Layout, name: str, offset: int = 0) -> pd.Series:
    if layout.month is None:
        return pd.Series([None] * table.num_rows, dtype=object)
    column = table.column(layout.month)
    if not layout.police:  # a date column: keep its month (ISO first, else UK day-first)
        text = pd.Series(column.to_pylist(), dtype=object)
        iso = text.astype(str).str.extract(r"^(\d{4}-\d{2})", expand=False)
        dates = pd.to_datetime(text.where(iso.isna()), errors="coerce", dayfirst=True,
                               format="mixed")
        return iso.fillna(dates.dt.strftime("%Y-%m")).where(iso.notna() | dates.notna(), None)
    # Checked on the distinct values: a file holds a month or two, in a million rows.
    distinct = pc.unique(column)
    good = pc.fill_null(pc.match_substring_regex(distinct, r"^\d{4}-(0[1-9]|1[0-2])$"), True)
    if len(distinct) and not pc.all(good).as_py():
        bad = distinct[int(pc.index(good, False).as_py())]
        row = int(pc.index(column, bad).as_py())
        raise InputError(f"{name}: Month {bad.as_py()!r} is not YYYY-MM "
                         f"(row {offset + row + 2})")
    return _text(table, layout.month)


def _text(table: pa.Table, column: str | None) -> pd.Series:
    """Repeated text (months, crime types, locations) as a pandas Categorical, built by arrow."""
    if column is None:
        return pd.Series([None] * table.num_rows, dtype=object)
    return table.column(column).dictionary_encode().to_pandas()


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Blocks of records as one table, text columns categorical (unioning the categories)."""
    from pandas.api.types import union_categoricals

    if not frames:
        return _empty()
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


def add_hashes(manifest: list[dict[str, object]]) -> None:
    """sha256 per file on disk (zip members share their archive's hash)."""
    hashes = {}
    for entry in manifest:
        on_disk = Path(str(entry["path"]).split("!")[0])
        if on_disk not in hashes:
            hashes[on_disk] = sha256(on_disk)
        entry["sha256"] = hashes[on_disk]
