"""Small file helpers shared by the readers: existence checks, hashing, text decoding."""

from __future__ import annotations

import hashlib
from pathlib import Path

from wardmap.errors import InputError


def existing_file(path: str | Path, what: str) -> Path:
    """The path as a Path, or a clear error naming what was expected there."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} not found: {p}")
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
