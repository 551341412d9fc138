"""The run's output folder: tables, summary, accounting, manifest and maps, written atomically.

Everything goes into a temporary sibling folder that replaces the output folder only when
complete, so a failed run leaves the previous outputs untouched.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from wardmap import __version__
from wardmap.result import RunResult

# A writer adds files to the output folder. It returns the run with any warnings it added
# (RunResult.with_warnings), or anything else when it has none.
Writer = Callable[[RunResult, Path], object]

# Columns written first, in the contract's order; later stages' columns follow.
CONTRACT_COLUMNS = ["ward_code", "ward_name", "value", "incidents", "population",
                    "rate_per_1000", "rate_eb", "lisa_I", "lisa_p", "lisa_label", "gi_z",
                    "gi_p", "gi_bin"]
_PACKAGES = ["wardmap", "numpy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio",
             "pyarrow", "scipy", "folium", "mapclassify", "matplotlib", "rapidfuzz"]


@contextmanager
def atomic_folder(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success it replaces ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; outputs are for sharing
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_run(result: RunResult, out_dir: Path, maps: bool = True,
              extra_writers: Sequence[Writer] = ()) -> Path:
    """``write_outputs``, returning the folder written."""
    write_outputs(result, out_dir, maps, extra_writers)
    return Path(out_dir)


def write_outputs(result: RunResult, out_dir: Path, maps: bool = True,
                  extra_writers: Sequence[Writer] = ()) -> RunResult:
    """Write the contract's files (and any extra writers' files) into ``out_dir``.

    summary.json and manifest.json are written last, from the run as the writers left it, so
    both list every warning. Returns that run.
    """
    started = time.perf_counter()
    writers: list[Writer] = [write_tables]
    if maps and result.config.maps.enabled:
        from wardmap.maps import maps_writer

        writers.append(maps_writer)
    with atomic_folder(out_dir) as tmp:
        for writer in [*writers, *extra_writers]:
            written = writer(result, tmp)
            if isinstance(written, RunResult):
                result = written
        timings = {**result.timings, "export": round(time.perf_counter() - started, 4)}
        result = replace(result, timings=timings, summary=result.summary_json())
        write_json(tmp / "summary.json", result.summary)
        write_json(tmp / "manifest.json", manifest(result))
    return result


def write_tables(result: RunResult, folder: Path) -> None:
    """wards.csv, wards.gpkg and accounting.json (summary.json is written with the manifest)."""
    table = ward_table(result.wards)
    if result.config.output.public:
        table = _suppressed(table, result.config.output.threshold)
    table.drop(columns="geometry").to_csv(folder / "wards.csv", index=False,
                                          lineterminator="\n")
    table.to_file(folder / "wards.gpkg", layer="wards", driver="GPKG", engine="pyogrio")
    if result.accounting is not None:
        write_json(folder / "accounting.json", result.accounting)
    if result.locations is not None:
        write_location_tables(result, folder)


def write_location_tables(result: RunResult, folder: Path) -> None:
    """locations.csv (ward × map point) and places_by_month.csv (ward × place group × month);
    public runs show small counts as "<5" and leave shares worked out from them blank."""
    found, output = result.locations, result.config.output
    points = found.points[["ward_code", "ward_name", "location", "place_type", "lon", "lat",
                           "count", "share_of_ward"]]
    months = found.by_month
    if output.public:
        from wardmap.disclosure import mask_small_counts

        points = mask_small_counts(points, output.threshold, ["count"],
                                   {"share_of_ward": ["count"]})
        counts = [c for c in months.columns if c not in ("ward_code", "ward_name",
                                                         "place_group")]
        months = mask_small_counts(months, output.threshold, counts, {})
    points.to_csv(folder / "locations.csv", index=False, lineterminator="\n")
    months.to_csv(folder / "places_by_month.csv", index=False, lineterminator="\n")


def _suppressed(table: gpd.GeoDataFrame, threshold: int) -> gpd.GeoDataFrame:
    """Small counts as "<5"; rates and the analysed value worked out from them left blank."""
    from wardmap.disclosure import DEFAULT_RATE_COLUMNS, mask_small_counts

    if "incidents" not in table:
        return table
    derived = [c for c in (*DEFAULT_RATE_COLUMNS, "value") if c in table]
    derived += [c for c in ("location_top5_share", "location_top10_share", "location_gini")
                if c in table]
    table = _small_group_shares(table, threshold)
    table = mask_small_counts(table, threshold, rate_columns=derived)
    if "top_location_count" in table:  # the busiest map point's count, and its share
        table = mask_small_counts(table, threshold, ["top_location_count"],
                                  {"top_location_share": ["top_location_count"]})
    return table


def _small_group_shares(table: gpd.GeoDataFrame, threshold: int) -> gpd.GeoDataFrame:
    """share_<group> blank where the group's count (share × incidents) would be suppressed."""
    from wardmap.disclosure import is_small

    shares = [c for c in table.columns if c.startswith("share_")]
    if not shares:
        return table
    table = table.copy()
    incidents = pd.to_numeric(table["incidents"], errors="coerce")
    for column in shares:
        count = (table[column] * incidents).round()
        table[column] = table[column].where(~is_small(count, threshold))
    return table


def ward_table(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ward table in contract column order; suppressed values stay as the caller set them."""
    first = [c for c in CONTRACT_COLUMNS if c in wards.columns]
    rest = [c for c in wards.columns if c not in first and c != "geometry"]
    return wards[first + rest + ["geometry"]]


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_plain(data), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _plain(value: Any) -> Any:
    """JSON-safe values: numpy scalars to Python, NaN/inf to null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def manifest(result: RunResult) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "wardmap": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "inputs": list(result.inputs),
        "parameters": asdict(result.config),
        "seed": result.config.stats.seed,
        "packages": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "times": result.timings,
        "warnings": list(result.warnings),
    }


def _versions() -> dict[str, str | None]:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
