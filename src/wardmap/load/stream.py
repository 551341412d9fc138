"""Incident records read a block of rows at a time: police.uk street-level CSVs, any point CSV
with longitude/latitude or easting/northing columns (any of the usual delimiters), force
extracts as spreadsheets, and Parquet record files. The one record reader: the records table
(``wardmap.load.incidents.read_incidents``) and the cube (``wardmap.engine``) both read here.

Read with pyarrow's multi-threaded CSV parser, not row by row, about 300,000 police.uk rows a
block (``BLOCK_BYTES``): a national download never has to fit in memory as text. Parquet files
(``wardmap convert`` writes them) are read a row group at a time. The duplicate rules
(``wardmap.load.duplicates``) are applied as the blocks are read. The reader does not judge
coordinates; it parses them (NaN when empty, flagged when not a number) and the aggregate
stage accounts for every row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wardmap.config import InputsConfig
from wardmap.errors import InputError
from wardmap.load import duplicates
from wardmap.load.files import check_encoding, sniff_delimiter
from wardmap.load.layout import Layout, layout_of
from wardmap.load.sources import Source

# Bytes of CSV text parsed at a time: a block of about 300,000 police.uk rows, more than a
# police.uk file of one force and month holds.
BLOCK_BYTES = 1 << 25
# Blank lines above a header (an export's habit), after any byte-order mark.
_LEADING_BLANKS = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:[ \t]*\r?\n)+")


@dataclass
class FileReport:
    """What was read from one file: rows, layout facts and the records left out as
    duplicates (``blocks``: the (force, month) blocks it holds)."""

    name: str
    rows: int = 0
    police: bool = False
    crs: str = "EPSG:4326"
    blocks: set[duplicates.Block] = field(default_factory=set)
    overlapped: int = 0  # rows of blocks read from another (newer) file
    repeated: int = 0  # rows repeating a Crime ID already read

    @property
    def duplicates(self) -> int:
        return self.overlapped + self.repeated

    def merge(self, other: FileReport) -> None:
        """Add another part of the same file (a Parquet row group read elsewhere)."""
        self.rows += other.rows
        self.blocks |= other.blocks
        self.overlapped += other.overlapped
        self.repeated += other.repeated
        self.police, self.crs = other.police, other.crs


@dataclass
class Rules:
    """The duplicate rules for one file: the blocks read from other files (None: not known
    yet, on a first reading) and the Crime IDs read so far."""

    chosen: dict[duplicates.Block, int] | None = None
    position: int = 0
    ids: duplicates.RepeatedIds = field(default_factory=duplicates.RepeatedIds)


def read_blocks(source: Source, inputs: InputsConfig, report: FileReport | None = None,
                row_groups: list[int] | None = None,
                rules: Rules | None = None) -> Iterator[pd.DataFrame]:
    """The records of one file, a block of rows at a time, duplicates left out.

    Columns: month, crime_type, location, cx, cy (source coordinates), unparsable (a
    coordinate present but not a number), source (file name). ``report`` is filled in as the
    file is read. ``row_groups`` reads only those row groups of a Parquet file.
    """
    report = report or FileReport(source.name)
    rules = rules or Rules()
    if source.parquet:
        from wardmap.load.columnar import parquet_tables

        layout, tables = parquet_tables(source, inputs, row_groups)
    else:
        layout, tables = _csv_tables(source, inputs)
    report.police, report.crs = layout.police, layout.crs
    unparsable, first_value = 0, None
    for table in tables:
        frame = frame_of(table, layout, source.name, report.rows)
        if first_value is None and len(frame):
            first_value = table.column(layout.cx)[0].as_py()
        report.rows += len(frame)
        unparsable += int(frame["unparsable"].sum())
        yield _without_duplicates(frame, table, layout, report, rules)
    rules.ids.forget()
    if report.rows and unparsable == report.rows:
        raise InputError(f"{source.name}: no row has numeric coordinates in "
                         f"{layout.cx!r}/{layout.cy!r} (first value: {first_value!r})")


def _without_duplicates(frame: pd.DataFrame, table: pa.Table, layout: Layout,
                        report: FileReport, rules: Rules) -> pd.DataFrame:
    """The block's rows less those of blocks read from another file and repeated IDs."""
    lost = np.zeros(len(frame), bool)
    force = table.column(layout.force) if layout.force else None
    if force is not None and pc.any(pc.is_valid(force)).as_py():
        force_text = _text(table, layout.force)
        held = duplicates.blocks(force_text, frame["month"])
        report.blocks |= held
        if rules.chosen is not None:
            lost = duplicates.overlap_mask(force_text, frame["month"], rules.position,
                                           rules.chosen, held)
    repeated = np.zeros(len(frame), bool)
    if layout.crime_id:
        month = pa.array(frame["month"].astype(object), pa.string())
        repeated = rules.ids.mask(table.column(layout.crime_id), force, month) & ~lost
    report.overlapped += int(lost.sum())
    report.repeated += int(repeated.sum())
    if lost.any() or repeated.any():
        return frame.loc[~(lost | repeated)].reset_index(drop=True)
    return frame


# -- CSV ----------------------------------------------------------------------------------------
def _csv_tables(source: Source, inputs: InputsConfig) -> tuple[Layout, Iterator[pa.Table]]:
    head = first_line(source)
    delimiter = sniff_delimiter(head, inputs.encoding)
    header = header_of(head, source.name, inputs.encoding, delimiter)
    layout = layout_of(header, inputs, source.name)
    return layout, _parse(source, inputs.encoding, layout, delimiter)


def first_line(source: Source) -> bytes:
    """The file's first line (its header), blank lines above it left out."""
    with opened(source) as handle:
        head = _read(handle, source, 1 << 16)
        while b"\n" not in _LEADING_BLANKS.sub(b"", head, count=1):
            more = _read(handle, source, 1 << 16)
            if not more:
                break
            head += more
    head = _LEADING_BLANKS.sub(b"", head, count=1)
    if not head.strip():
        raise InputError(f"{source.name}: empty file")
    return head


def header_of(head: bytes, name: str, encoding: str, delimiter: str = ",") -> list[str]:
    """The column names in a file's first line."""
    first = head.split(b"\n", 1)[0]
    check_encoding(first, name, encoding)
    text = first.decode(encoding).lstrip("\ufeff")
    return [h.strip() for h in next(csv.reader([text], delimiter=delimiter))]


def _parse(source: Source, encoding: str, layout: Layout,
           delimiter: str) -> Iterator[pa.Table]:
    """The file's wanted columns as text, a block at a time."""
    wanted = layout.wanted()
    handle = opened(source)
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(encoding=encoding, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types={c: pa.string() for c in wanted},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
        for batch in reader:
            yield pa.Table.from_batches([batch])
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            check_encoding(source.read_bytes(), source.name, encoding)  # names the line
        raise InputError(f"{source.name}: cannot parse CSV: {str(exc).splitlines()[0]}") from None
    except (OSError, EOFError) as exc:  # a damaged gzip file
        raise InputError(f"{source.name}: damaged gzip file ({exc})") from None
    finally:
        handle.close()


def _read(handle: IO[bytes], source: Source, size: int) -> bytes:
    try:
        return handle.read(size)
    except (OSError, EOFError) as exc:
        raise InputError(f"{source.name}: damaged gzip file ({exc})") from None


def opened(source: Source) -> IO[bytes]:
    """The source's bytes from its header on (blank lines above it skipped)."""
    handle = source.opener()
    head = _read(handle, source, 1 << 16)
    blanks = _LEADING_BLANKS.match(head)
    if blanks is None:
        return io.BufferedReader(_Prefixed(head, handle))
    return io.BufferedReader(_Prefixed(head[blanks.end():], handle))


class _Prefixed(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream (so the first bytes can
    be looked at without reading the file twice)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._rest.close()
        super().close()


# -- a block of rows as the records' columns ------------------------------------------------------
def frame_of(table: pa.Table, layout: Layout, name: str, offset: int = 0) -> pd.DataFrame:
    """An arrow block of records as the records' columns (text as Categoricals)."""
    frame = pd.DataFrame({
        "month": _months(table, layout, name, offset),
        "crime_type": _text(table, layout.crime_type),
        "location": _text(table, layout.location),
    })
    frame["cx"], bad_x = coordinate_numbers(table.column(layout.cx))
    frame["cy"], bad_y = coordinate_numbers(table.column(layout.cy))
    frame["unparsable"] = bad_x | bad_y
    frame["source"] = pd.Categorical([Path(name.split("!")[-1]).name] * len(frame))
    return frame


def coordinate_numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
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
        resaved = _excel_months(column)
        if resaved is not None:
            return resaved
        bad = distinct[int(pc.index(good, False).as_py())]
        row = int(pc.index(column, bad).as_py())
        raise InputError(f"{name}: Month {bad.as_py()!r} is not YYYY-MM "
                         f"(row {offset + row + 2})")
    return _text(table, layout.month)


# How Excel shows police.uk's "2017-11" after a file is opened and saved again.
_EXCEL_MONTHS = ("%b-%y", "%b-%Y", "%B %Y", "%Y/%m", "%m/%Y", "%d/%m/%Y", "%Y-%m-%d",
                 "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S")


def _excel_months(column: pa.ChunkedArray) -> pd.Series | None:
    """Months written by Excel ("Nov-17", "01/11/2017", ...) as YYYY-MM, when every month of
    the block reads with one of those formats; None otherwise. Only the distinct values are
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


def _text(table: pa.Table, column: str | None) -> pd.Series:
    """Repeated text (months, crime types, locations) as a pandas Categorical, built by arrow."""
    if column is None:
        return pd.Series([None] * table.num_rows, dtype=object)
    return table.column(column).dictionary_encode().to_pandas()


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Blocks of records as one table, text columns categorical (unioning the categories)."""
    from pandas.api.types import union_categoricals

    # A header-only file (an empty month) has categories of another dtype: leave it out.
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    text = ("month", "crime_type", "location", "source")
    records = pd.concat([f.drop(columns=list(text)) for f in frames], ignore_index=True)
    for column in text:
        parts = [_object_categories(pd.Categorical(f[column])) for f in frames]
        records[column] = union_categoricals(parts)
    return records[["month", "crime_type", "location", "cx", "cy", "unparsable", "source"]]


def _object_categories(values: pd.Categorical) -> pd.Categorical:
    """Categories as plain objects: an empty or all-blank column's (no categories) and a full
    one's (text) then union without a dtype clash."""
    return values.set_categories(pd.Index(values.categories, dtype=object))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in
                         ("month", "crime_type", "location", "source")}
                        | {"cx": pd.Series(dtype=float), "cy": pd.Series(dtype=float),
                           "unparsable": pd.Series(dtype=bool)})


def check_crs(reports: list[FileReport]) -> str:
    """The records' one coordinate CRS; files mixing lon/lat and easting/northing are an error."""
    seen = {r.crs for r in reports if r.rows}
    if len(seen) > 1:
        raise InputError("incident files mix longitude/latitude and easting/northing columns; "
                         "read them in separate runs or convert them first")
    return seen.pop() if seen else (reports[0].crs if reports else "EPSG:4326")
