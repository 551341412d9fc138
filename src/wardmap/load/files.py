"""Small file helpers shared by the readers: existence checks, hashing, text decoding."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from wardmap.errors import InputError


def existing_file(path: str | Path, what: str, folder_ok: bool = True) -> Path:
    """The path as a Path, or a clear error naming what was expected there."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found: {p}")
    if p.is_dir() and not folder_ok:
        raise InputError(f"{what} {p} is a folder: give the file itself")
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(f"{what} is an empty file: {p}")
    return p


def sha256(path: Path) -> str:
    """sha256 of a file; of a folder (a shapefile's parts), over its files' names and bytes."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def check_encoding(data: bytes, name: str, encoding: str) -> None:
    """Fail clearly when a text file is not in the expected encoding (Excel often saves cp1252)."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        kind = _binary_kind(data)
        if kind:
            raise InputError(f"{name}: not a text (CSV) file but {kind}") from None
        line = data[: exc.start].count(b"\n") + 1
        hint = " (try --encoding cp1252)" if encoding.lower().replace("-", "") == "utf8" else ""
        raise InputError(
            f"{name}: line {line} is not valid {encoding} text (byte 0x{data[exc.start]:02x})"
            f"{hint}"
        ) from None


def columns_note(columns: object) -> str:
    """"(columns: a, b)" for an error message, or "(no columns)"."""
    names = [str(c) for c in columns if str(c).strip()]  # type: ignore[attr-defined]
    return f"(columns: {', '.join(names)})" if names else "(no columns)"


def _binary_kind(data: bytes) -> str | None:
    """What a file that is not text looks like, from its first bytes."""
    if data[:4] == b"PK\x03\x04":
        return ("a zip archive or a spreadsheet (xlsx, ods): name it .zip or .xlsx/.ods so it "
                "is read as one")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "an old Excel workbook: name it .xls so it is read as one"
    if data[:2] == b"\x1f\x8b":
        return "a gzip file"
    return None


def sniff_delimiter(data: bytes, encoding: str) -> str:
    """The delimiter of a CSV's header line: comma, or semicolon, tab or bar (European Excel,
    database exports) when the header holds more of those than commas.

    Examples
    --------
    >>> sniff_delimiter(b"Month;Longitude;Latitude\\n2017-11;0,52;51,27\\n", "utf-8")
    ';'
    """
    first = data.split(b"\n", 1)[0].decode(encoding, errors="replace")
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def sheet_with_header(sheet: pd.DataFrame, header: int) -> pd.DataFrame:
    """A spreadsheet read without a header, as a table whose columns are row ``header``
    (by position; blank header cells become "column N") and whose blank rows are dropped."""
    table = sheet.iloc[header + 1:].reset_index(drop=True)
    table.columns = [str(v).strip() if pd.notna(v) else f"column {j + 1}"
                     for j, v in enumerate(sheet.iloc[header])]
    return table.dropna(how="all")
