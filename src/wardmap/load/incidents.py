"""Incident records: police.uk street-level CSVs (files, folders, the download zip), any
point CSV with longitude/latitude or easting/northing columns, a force's extract as a
spreadsheet (xlsx, xls, ods: its first sheet, read by python-calamine), or Parquet.

``read_incidents`` gives the records table; ``wardmap.engine`` reduces the same blocks to the
cube. Both read the files through ``read_files``: the duplicate rules of
``wardmap.load.duplicates`` applied the same way, and one manifest entry per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from wardmap.config import InputsConfig
from wardmap.load import duplicates
from wardmap.load.sources import Source, manifest_hashes, sources
from wardmap.load.stream import FileReport, Rules, check_crs, concat_frames, read_blocks

# police.uk's crime types as published: variants in case and spacing ("BURGLARY",
# "Burglary ") are read as these.
POLICE_CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery",
    "Shoplifting", "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)

T = TypeVar("T")


def read_incidents(
    paths: list[str], inputs: InputsConfig
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """All records from the given files, folders and zips, and a manifest entry per file.

    Columns: month, crime_type, location, cx, cy (source coordinates), unparsable (a
    coordinate that is present but not a number), source (file name). ``df.attrs["crs"]``
    holds the coordinates' CRS. Records given twice are left out (wardmap.load.duplicates)
    and counted in the manifest.
    """
    return read_records(Files.of(paths), inputs)


def read_records(files: Files, inputs: InputsConfig
                 ) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """read_incidents for files already listed (and told apart by content)."""
    def read_all(rules: list[Rules]) -> tuple[list[FileReport], list[pd.DataFrame]]:
        reports = [FileReport(s.name) for s in files.found]
        frames = [f for s, r, rule in zip(files.found, reports, rules, strict=True)
                  for f in read_blocks(s, inputs, r, rules=rule)]
        return reports, frames

    (reports, frames), manifest = files.read(read_all)
    records = concat_frames(frames)
    records["crime_type"] = normalise_crime_types(records["crime_type"])
    records.attrs["crs"] = check_crs(reports)
    return records, manifest


@dataclass
class Files:
    """The record files of a run: those to read (each content once) and those left out."""

    found: list[Source]  # to read, in the order given
    repeats: list[tuple[int, Source, str]]  # (position given, file, name it repeats)
    skipped: list[tuple[str, str]]  # (name, reason): not data
    given: int  # files given, repeats included

    @classmethod
    def of(cls, paths: list[str]) -> Files:
        """The files named by ``paths``; a file whose content was read already (given twice,
        under two names, or a folder plus a file inside it) is read once."""
        listed, skipped = sources(paths)
        seen = duplicates.SeenFiles()
        found, repeats = [], []
        for position, source in enumerate(listed):
            first = seen.first_name(source.digest, source.name)
            if first is None:
                found.append(source)
            else:
                repeats.append((position, source, first))
        return cls(found, repeats, skipped, len(listed))

    def read(self, read_pass: Callable[[list[Rules]], tuple[list[FileReport], T]]
             ) -> tuple[tuple[list[FileReport], T], list[dict[str, object]]]:
        """Read every file with ``read_pass`` (given each file's duplicate rules; it returns
        a report per file first), and the manifest entries.

        A force and month held by two files (overlapping downloads) is read from the newer
        only, and which files hold what is known only once every file has been read: when
        the first reading finds such an overlap, the files are read again with the blocks
        to leave out known. Overlaps are rare; the usual download is read once.
        """
        done = read_pass([Rules(None, i) for i in range(len(self.found))])
        held = [r.blocks for r in done[0]]
        chosen = duplicates.newest_sources(held, [s.modified for s in self.found])
        if any(chosen.get(b, i) != i for i, blocks in enumerate(held) for b in blocks):
            done = read_pass([Rules(chosen, i) for i in range(len(self.found))])
        return done, self.manifest(done[0], chosen)

    def manifest(self, reports: list[FileReport],
                 chosen: dict[duplicates.Block, int]) -> list[dict[str, object]]:
        """One entry per file given, in the order given (repeats where they were given),
        then the entries skipped."""
        names = [r.name for r in reports]
        overlaps = duplicates.overlap_warnings(names, [r.blocks for r in reports], chosen,
                                               [r.overlapped for r in reports])
        entries = [_entry(r, overlaps) for r in reports]
        rows = {r.name: r.rows for r in reports}
        for position, source, first in self.repeats:
            entries.insert(position, {
                "path": source.name, "sha256": source.digest, "rows": rows[first],
                "format": "duplicate", "duplicates": rows[first], "duplicate_of": first,
                "warning": f"{source.name} was given twice: read once"
                if first == source.name else
                f"{source.name} is the same file as {first}: read once"})
        entries += [{"path": name, "rows": 0, "format": "skipped", "skipped": reason}
                    for name, reason in self.skipped]
        manifest_hashes(entries, self.found)
        return entries


def _entry(report: FileReport, overlaps: list[str]) -> dict[str, object]:
    entry: dict[str, object] = {
        "path": report.name, "rows": report.rows,
        "format": "police.uk" if report.police else "points", "duplicates": report.duplicates}
    lines = [w for w in overlaps if w.startswith(f"{report.name} and ")]
    if report.repeated:
        lines.append(f"{report.name}: {report.repeated:,} records repeat a Crime ID already "
                     "read for the same force and month: counted once")
    if lines:
        entry["warning"] = "; ".join(lines)
    return entry


def manifest_warnings(manifest: list[dict[str, object]]) -> list[str]:
    """The warnings a manifest holds: one per file, and one for the entries skipped."""
    warnings = [str(f["warning"]) for f in manifest if f.get("warning")]
    skipped = [f for f in manifest if f.get("skipped")]
    if skipped:
        warnings.append(f"skipped {len(skipped)} macOS resource-fork "
                        f"{'entry' if len(skipped) == 1 else 'entries'} (._* files, "
                        "__MACOSX folders): not data")
    return warnings


def normalise_crime_types(types: pd.Series) -> pd.Series:
    """Crime types with spaces trimmed and collapsed, and police.uk's types in their
    published case ("BURGLARY", "Burglary " → "Burglary"); other types keep their first
    spelling, so "Fly tipping" and "FLY TIPPING" are one type."""
    values = pd.Series(types, copy=False).astype("category")
    if values.isna().all():
        return values
    spelled = spellings(values.cat.categories.astype(str))
    # Recode the categories only: the rows' codes are remapped in one array operation.
    names = pd.Index(pd.unique(pd.Series(spelled, dtype=object)), dtype=object)
    remap = names.get_indexer(spelled)
    codes = values.cat.codes.to_numpy()
    return pd.Series(pd.Categorical.from_codes(np.where(codes >= 0, remap[codes], -1), names),
                     index=values.index)


def spellings(raw: pd.Index | list[str], known: dict[str, str] | None = None) -> list[str]:
    """How each crime type is written: police.uk's published spelling, else the first
    spelling met (in ``known``, key → spelling, when given: it is updated).

    Examples
    --------
    >>> spellings(["BURGLARY ", "Fly  tipping", "FLY TIPPING"])
    ['Burglary', 'Fly tipping', 'Fly tipping']
    """
    canonical = {t.casefold(): t for t in POLICE_CRIME_TYPES}
    known = {} if known is None else known
    out = []
    for text in raw:
        key = crime_type_key(text)
        if key not in known:
            known[key] = canonical.get(key, " ".join(str(text).split()))
        out.append(known[key])
    return out


def crime_type_key(text: str) -> str:
    """How crime types are compared: case-insensitive, spaces trimmed and collapsed.

    Examples
    --------
    >>> crime_type_key(" BURGLARY ") == crime_type_key("Burglary") == "burglary"
    True
    """
    return " ".join(str(text).split()).casefold()
