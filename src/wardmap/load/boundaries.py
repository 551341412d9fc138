"""Ward (or LSOA, or any area) boundaries from GeoJSON, GeoPackage, Shapefile or GeoParquet."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from wardmap.errors import InputError
from wardmap.load.files import existing_file

# ONS column names: WD13CD/WD13NM, WD23CD/WD23NM, LSOA11CD/LSOA11NM, LAD21CD/LAD21NM, ...
_ONS_CODE = re.compile(r"^(WD|WED|LSOA|MSOA|OA|LAD|CTY|PAR|UTLA|LTLA)\d{2}CD$", re.IGNORECASE)
_ONS_NAME = re.compile(r"^(WD|WED|LSOA|MSOA|OA|LAD|CTY|PAR|UTLA|LTLA)\d{2}NM$", re.IGNORECASE)
_CODE_FALLBACKS = ("ward_code", "wardcode", "code", "geo_code", "gss_code", "id")
_NAME_FALLBACKS = ("ward_name", "wardname", "name", "geo_name", "label")
_POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass
class BoundaryReport:
    path: str
    rows: int
    code_col: str
    name_col: str
    source_crs: str | None
    repaired: int = 0
    warnings: list[str] = field(default_factory=list)


def read_boundaries(
    path: str | Path,
    code_col: str | None = None,
    name_col: str | None = None,
    crs: str = "EPSG:27700",
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, BoundaryReport]:
    """Read polygons keyed by code: columns ward_code, ward_name, geometry, sorted by code.

    Invalid geometries are repaired (shapely.make_valid) and counted; duplicate codes, empty
    geometries and files without polygons are errors naming the rows.
    """
    path = existing_file(path, "boundary file")
    frame = _read_vector(path, layer)
    code = _pick_column(frame, code_col, _ONS_CODE, _CODE_FALLBACKS, "code", path)
    name = _pick_column(frame, name_col, _ONS_NAME, _NAME_FALLBACKS, "name", path, default=code)
    report = BoundaryReport(str(path), len(frame), code, name, _crs_name(frame.crs))
    wards = gpd.GeoDataFrame(
        {
            "ward_code": _as_text(frame[code]),
            "ward_name": _as_text(frame[name]),
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    )
    _check_geometries(wards, path)
    _check_codes(wards, path)
    wards = _assume_crs(wards, report)
    target = _analysis_crs(crs)
    wards = wards.to_crs(target) if wards.crs != target else wards
    report.repaired = _repair(wards)
    if report.repaired:
        report.warnings.append(f"repaired {report.repaired} invalid boundary geometries")
    return wards.sort_values("ward_code", kind="stable").reset_index(drop=True), report


def _analysis_crs(crs: str) -> CRS:
    """The analysis CRS, which must be a known projected CRS in metres."""
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        raise InputError(f"unknown CRS {crs!r} (give an EPSG code such as EPSG:27700)") from None
    if not parsed.is_projected:
        raise InputError(f"analysis CRS {crs} is not projected: choose one in metres")
    return parsed


def _read_vector(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path, engine="pyogrio", layer=layer)
    except Exception as exc:  # pyogrio/pyarrow raise many types; all mean "cannot read"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read boundary file {path}: {reason}") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise InputError(f"{path.name}: holds no geometry; give a boundary file (GeoJSON, "
                         "GeoPackage, Shapefile or GeoParquet)")
    return frame


def _pick_column(
    frame: pd.DataFrame,
    given: str | None,
    pattern: re.Pattern[str],
    fallbacks: tuple[str, ...],
    what: str,
    path: Path,
    default: str | None = None,
) -> str:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if given is not None:
        if given not in frame.columns:
            raise InputError(
                f"{path.name}: no column {given!r} for ward {what}s "
                f"(columns: {', '.join(map(str, columns))})"
            )
        return given
    matches = [c for c in columns if pattern.match(str(c))]
    if matches:
        return matches[0]
    lower = {str(c).lower(): c for c in columns}
    for candidate in fallbacks:
        if candidate in lower:
            return lower[candidate]
    if default is not None:
        return default
    flag = "--code-col" if what == "code" else "--name-col"
    raise InputError(
        f"{path.name}: cannot tell which column holds the ward {what}s; name it with {flag} "
        f"(columns: {', '.join(map(str, columns))})"
    )


def _as_text(values: pd.Series) -> pd.Series:
    """Codes and names as strings; whole-number floats lose their '.0' (1.0 → '1')."""
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")
    return values.astype("string").str.strip().astype(object)


def _check_geometries(wards: gpd.GeoDataFrame, path: Path) -> None:
    geoms = wards.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = pd.Series(shapely.get_type_id(geoms))
    polygonal = types.isin([3, 6]).to_numpy()  # Polygon, MultiPolygon
    if not polygonal[~missing].any():
        raise InputError(f"{path.name}: holds no polygons (found {_type_counts(geoms)})")
    if missing.any():
        raise InputError(f"{path.name}: empty geometry for {_rows(wards, missing)}")
    if not polygonal.all():
        raise InputError(f"{path.name}: non-polygon geometry for {_rows(wards, ~polygonal)}")


def _check_codes(wards: gpd.GeoDataFrame, path: Path) -> None:
    blank = wards["ward_code"].isna() | (wards["ward_code"] == "")
    if blank.any():
        raise InputError(f"{path.name}: missing ward code in {_rows(wards, blank.to_numpy())}")
    dup = wards["ward_code"].duplicated(keep=False)
    if dup.any():
        raise InputError(f"{path.name}: duplicate ward codes in {_rows(wards, dup.to_numpy())}")


def _rows(wards: gpd.GeoDataFrame, mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    parts = [f"row {i + 1} ({wards['ward_code'].iat[i]}, {wards['ward_name'].iat[i]})"
             for i in idx[:limit]]
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return ", ".join(parts) + more


def _type_counts(geoms: np.ndarray) -> str:
    names = pd.Series([g.geom_type if g is not None else "no geometry" for g in geoms])
    return ", ".join(f"{n} {t}" for t, n in names.value_counts().items())


def _assume_crs(wards: gpd.GeoDataFrame, report: BoundaryReport) -> gpd.GeoDataFrame:
    """A file without a CRS: guess from the coordinates and say so (never silently)."""
    if wards.crs is not None:
        return wards
    minx, miny, maxx, maxy = wards.total_bounds
    if minx >= -9 and maxx <= 3 and miny >= 49 and maxy <= 61:
        guess = "EPSG:4326"
    elif minx >= 0 and maxx <= 700_000 and miny >= 0 and maxy <= 1_300_000:
        guess = "EPSG:27700"
    else:
        raise InputError(f"{report.path}: boundary file has no CRS and coordinates are not "
                         "recognisable as British National Grid or WGS84")
    report.warnings.append(f"boundary file has no CRS; assumed {guess} from its coordinates")
    return wards.set_crs(guess)


def _repair(wards: gpd.GeoDataFrame) -> int:
    """make_valid in place, keeping only the polygonal parts of any collection it returns."""
    geoms = wards.geometry.values
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return 0
    fixed = shapely.make_valid(geoms[invalid])
    fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
    wards.loc[invalid, "geometry"] = fixed
    return int(invalid.sum())


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in _POLYGONAL]
    return shapely.union_all(parts) if parts else geom


def _crs_name(crs: object) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()
