"""police.uk records from a downloaded zip (the monthly archive or the custom download form),
cut to the district: the same CSV rows, only those whose point is within the district.

Both zips hold YYYY-MM/YYYY-MM-<force>-street.csv members. Rows are copied as published (all
twelve columns, LSOA codes included); only their selection is this module's.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from shapely.geometry.base import BaseGeometry

from wardmap.errors import InputError
from wardmap.load.stream import coordinate_numbers  # the readers' one parser

_MEMBER = re.compile(r"(?:^|/)(\d{4}-\d{2})-(.+)-street\.csv$", re.IGNORECASE)


@dataclass
class ArchiveMonth:
    month: str
    table: pd.DataFrame  # the rows within the district, columns as published
    members: list[str] = field(default_factory=list)
    rows_read: int = 0
    without_coordinates: int = 0  # kept: the run accounts for them


def archive_months(path: str | Path, months: list[str], area: BaseGeometry,
                   force: str | None = None) -> tuple[dict[str, ArchiveMonth], list[str]]:
    """Each requested month's rows within ``area`` (lon/lat), and the months the zip lacks.

    Rows without coordinates cannot be placed and are left out; their number is reported.

    Examples
    --------
    >>> found, missing = archive_months("2025-03.zip", ["2025-01", "2025-02"], area,
    ...                                 force="kent")  # doctest: +SKIP
    >>> len(found["2025-01"].table), missing  # doctest: +SKIP
    (1523, [])
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"police.uk archive not found: {path}") from None
    except zipfile.BadZipFile:
        raise InputError(f"not a readable zip file: {path}") from None
    found: dict[str, ArchiveMonth] = {}
    with archive:
        for name in sorted(archive.namelist()):
            match = _MEMBER.search(name)
            if not match or match[1] not in months or (force and match[2] != force):
                continue
            month = found.setdefault(match[1], ArchiveMonth(match[1], pd.DataFrame()))
            table = _read(archive, name, path)
            inside, missing = _within(table, area, f"{path}!{name}")
            month.members.append(name)
            month.rows_read += table.num_rows
            month.without_coordinates += int(missing.sum())
            # Only the rows kept become pandas objects: most of a national file is elsewhere.
            kept = table.filter(pa.array(inside)).to_pandas()
            month.table = pd.concat([month.table, kept], ignore_index=True)
    return found, [m for m in months if m not in found]


def _read(archive: zipfile.ZipFile, name: str, path: Path) -> pa.Table:
    """Every column as text, exactly as published (pyarrow's parser: a national archive
    month is ~500,000 rows in 43 files)."""
    data = archive.read(name)
    if not data.strip():
        return pa.table({})
    try:
        first = data.split(b"\n", 1)[0].decode("utf-8-sig")
        header = [h.strip() for h in next(csv.reader([first]))]
        table = pacsv.read_csv(io.BytesIO(data), read_options=pacsv.ReadOptions(
            encoding="utf-8", block_size=1 << 24), convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False,
            quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"{path}!{name}: cannot read as a police.uk CSV: "
                         f"{str(exc).splitlines()[0]}") from None
    return table


def _within(table: pa.Table, area: BaseGeometry, name: str) -> tuple[np.ndarray, np.ndarray]:
    if table.num_rows == 0:
        return np.zeros(0, bool), np.zeros(0, bool)
    if not {"Longitude", "Latitude"} <= set(table.column_names):
        raise InputError(f"{name}: no Longitude/Latitude columns (columns: "
                         f"{', '.join(table.column_names)})")
    lon, _ = coordinate_numbers(table["Longitude"])
    lat, _ = coordinate_numbers(table["Latitude"])
    missing = np.isnan(lon) | np.isnan(lat)
    shapely.prepare(area)
    inside = ~missing & shapely.intersects_xy(area, np.nan_to_num(lon), np.nan_to_num(lat))
    return inside, missing
