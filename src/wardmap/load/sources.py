"""The record files named by the user: files, folders, police.uk zips, gzip-compressed CSVs,
spreadsheets and Parquet files, each a ``Source`` the readers open as a stream of CSV bytes
(or as Parquet), never whole in memory unless it is a spreadsheet.

macOS resource forks (``._*`` files and ``__MACOSX/`` folders that copying or zipping on a Mac
adds) are skipped and reported.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from wardmap.errors import InputError
from wardmap.load.files import existing_file, sha256, sheet_with_header
from wardmap.load.layout import LAT_NAMES, LON_NAMES, X_NAMES, Y_NAMES

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
PARQUET = (".parquet", ".geoparquet")
FORK_REASON = "macOS resource fork (not data)"
_DATES = (datetime.date, datetime.datetime, pd.Timestamp)


@dataclass
class Source:
    """One record file: a file on disk, a zip member, a gzip-compressed CSV or a spreadsheet.

    ``raw`` opens the bytes as stored (their sha256 identifies the file); ``opener`` opens
    them as the reader reads them (CSV text, or Parquet). ``modified`` is the file's (or zip
    member's) date: of two overlapping downloads the newer is read.
    """

    name: str
    raw: Callable[[], IO[bytes]]
    origin: Path
    modified: float = 0.0
    kind: str = "csv"  # csv, gzip, spreadsheet or parquet
    _digest: str = field(default="", repr=False)
    _sheet: bytes | None = field(default=None, repr=False)

    @property
    def parquet(self) -> bool:
        return self.kind == "parquet"

    @property
    def digest(self) -> str:
        """sha256 of the bytes as stored, read in pieces."""
        if not self._digest:
            hasher = hashlib.sha256()
            with self.raw() as handle:
                for piece in iter(lambda: handle.read(1 << 22), b""):
                    hasher.update(piece)
            self._digest = hasher.hexdigest()
        return self._digest

    def opener(self) -> IO[bytes]:
        """The file's bytes as the reader reads them: CSV text (a spreadsheet's first sheet
        written as CSV, a gzip file decompressed) or the Parquet file."""
        if self.kind == "gzip":
            return gzip.open(self.raw())  # type: ignore[return-value]
        if self.kind == "spreadsheet":
            if self._sheet is None:
                with self.raw() as handle:
                    self._sheet = spreadsheet_csv(handle.read(), self.name)
            return io.BytesIO(self._sheet)
        return self.raw()

    def read_bytes(self) -> bytes:
        with self.opener() as handle:
            try:
                return handle.read()
            except (OSError, EOFError) as exc:  # a damaged gzip file
                raise InputError(f"{self.name}: damaged gzip file ({exc})") from None


def sources(paths: list[str]) -> tuple[list[Source], list[tuple[str, str]]]:
    """The record files named by ``paths`` (files, folders, zips: a police.uk download's
    street files when it has them), and the entries skipped with the reason."""
    found: list[Source] = []
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        path = existing_file(raw, "incident file")
        if path.is_dir():
            found.extend(_folder_sources(path, skipped))
        elif path.suffix.lower() == ".zip":
            found.extend(_zip_sources(path, skipped))
        elif resource_fork(str(path)):
            skipped.append((str(path), FORK_REASON))
        else:
            found.append(file_source(path))
    return found, skipped


def resource_fork(name: str) -> bool:
    parts = Path(name).parts
    return "__MACOSX" in parts or (bool(parts) and parts[-1].startswith("._"))


def file_source(path: Path) -> Source:
    """A file on disk as a Source (its kind from its name, or gzip from its first bytes)."""
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        magic = handle.read(2)
    kind = ("parquet" if path.name.lower().endswith(PARQUET) else
            "spreadsheet" if suffix in SPREADSHEETS else
            "gzip" if magic == b"\x1f\x8b" else "csv")
    return Source(str(path), lambda: path.open("rb"), path, path.stat().st_mtime, kind)


def _folder_sources(folder: Path, skipped: list[tuple[str, str]]) -> list[Source]:
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.name.lower().endswith((".csv", *SPREADSHEETS, *PARQUET)))
    skipped += [(str(p), FORK_REASON) for p in files
                if resource_fork(str(p.relative_to(folder)))]
    files = [p for p in files if not resource_fork(str(p.relative_to(folder)))]
    street = [p for p in files if p.name.lower().endswith("-street.csv")]
    chosen = street or files
    if not chosen:
        raise InputError(f"incident folder holds no CSV, spreadsheet or Parquet files: {folder}")
    return [file_source(p) for p in chosen]


def _zip_sources(path: Path, skipped: list[tuple[str, str]]) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".csv"))
            dates = {n: datetime.datetime(*archive.getinfo(n).date_time).timestamp()
                     for n in names}
    except zipfile.BadZipFile:
        raise InputError(f"not a readable zip file: {path}") from None
    skipped += [(f"{path}!{n}", FORK_REASON) for n in names if resource_fork(n)]
    names = [n for n in names if not resource_fork(n)]
    street = [n for n in names if n.lower().endswith("-street.csv")]
    chosen = street or names
    if not chosen:
        raise InputError(f"zip holds no CSV files: {path}")
    return [Source(f"{path}!{n}", _member_opener(path, n), path, dates[n]) for n in chosen]


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


def manifest_hashes(manifest: list[dict[str, object]], found: list[Source]) -> None:
    """sha256 per entry: a file's own (already computed), a zip member's archive's."""
    digests = {s.name: s.digest for s in found if "!" not in s.name and s._digest}
    archives: dict[str, str] = {}
    for entry in manifest:
        name = str(entry["path"])
        if name in digests:
            entry["sha256"] = digests[name]
            continue
        on_disk = name.split("!")[0]
        if on_disk not in archives:
            archives[on_disk] = sha256(Path(on_disk))
        entry["sha256"] = archives[on_disk]


# -- spreadsheets -------------------------------------------------------------------------------
def spreadsheet_csv(data: bytes, name: str) -> bytes:
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
                lambda v: isinstance(v, _DATES)).any():
            fmt = "%Y-%m" if column.lower() == "month" else "%Y-%m-%d"
            table[column] = table[column].map(
                lambda v, f=fmt: v.strftime(f) if isinstance(v, _DATES) else v)
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _header_row(sheet: pd.DataFrame) -> int:
    wanted = {"month", "date", *LON_NAMES, *LAT_NAMES, *X_NAMES, *Y_NAMES}
    for position, (_, row) in enumerate(sheet.head(30).iterrows()):
        cells = {str(v).strip().lower() for v in row.dropna()}
        if len(cells & wanted) >= 2:
            return position
    return 0
