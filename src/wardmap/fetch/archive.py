"""police.uk records from a downloaded zip (the monthly archive or the custom download form),
cut to the district: the same CSV rows, only those whose point is within the district.

Both zips hold YYYY-MM/YYYY-MM-<force>-street.csv members. Rows are copied as published (all
twelve columns, LSOA codes included); only their selection is this module's.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from wardmap.errors import InputError

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
            month.rows_read += len(table)
            month.without_coordinates += int(missing.sum())
            month.table = pd.concat([month.table, table[inside]], ignore_index=True)
    return found, [m for m in months if m not in found]


def _read(archive: zipfile.ZipFile, name: str, path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(archive.read(name)), dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}!{name}: cannot read as a police.uk CSV: "
                         f"{str(exc).splitlines()[0]}") from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _within(table: pd.DataFrame, area: BaseGeometry, name: str) -> tuple[np.ndarray,
                                                                         np.ndarray]:
    if table.empty:
        return np.zeros(0, bool), np.zeros(0, bool)
    if not {"Longitude", "Latitude"} <= set(table.columns):
        raise InputError(f"{name}: no Longitude/Latitude columns (columns: "
                         f"{', '.join(table.columns)})")
    lon = pd.to_numeric(table["Longitude"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(table["Latitude"], errors="coerce").to_numpy(float)
    missing = np.isnan(lon) | np.isnan(lat)
    shapely.prepare(area)
    inside = ~missing & shapely.intersects_xy(area, np.nan_to_num(lon), np.nan_to_num(lat))
    return inside, missing
