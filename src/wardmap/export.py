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
from wardmap.outfolder import check_output_folder
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
    """Yield a temporary folder beside ``out_dir``; on success it replaces ``out_dir``.

    Only a folder the output-folder guard vouches for (empty, or written by wardmap) is
    replaced. SIGTERM while writing removes the temporary folder before the process stops.
    """
    out_dir = check_output_folder(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _sigterm_raises():
        tmp: Path | None = None
        try:
            # Held while the folder is made, so a stop cannot fall between its creation and
            # the name that lets the cleanup below find it.
            with _sigterm_held():
                tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
                umask = os.umask(0)
                os.umask(umask)
                tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; outputs are for sharing
            yield tmp
            check_output_folder(out_dir)  # nothing of the user's arrived meanwhile
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        with _sigterm_held():  # the swap itself is never cut short half-way
            _replace(out_dir, tmp)


@contextmanager
def _sigterm_held() -> Iterator[None]:
    """Hold SIGTERM back (main thread, POSIX) until the block ends; it is delivered then."""
    import signal

    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    except (AttributeError, ValueError, OSError):  # no signal masks here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _replace(out_dir: Path, tmp: Path) -> None:
    """Move ``tmp`` into place; the old folder is moved aside first and removed last."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
    try:
        tmp.rename(out_dir)
    except BaseException:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# The exit status once SIGTERM has stopped a write: library code that catches SystemExit and
# raises its own error instead must not turn a stop into an "unexpected error".
_STOPPED: list[int] = []


def stopped_by_signal() -> int | None:
    """128 + the signal number when a signal stopped the output folder's writing, else None."""
    return _STOPPED[-1] if _STOPPED else None


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into SystemExit(143) (main thread only), so cleanup code runs."""
    import signal

    def stop(signum: int, frame: object) -> None:
        _STOPPED.append(128 + signum)
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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

        # The tables are written while a second process draws its share of the maps.
        writers = [lambda run, folder: maps_writer(run, folder,
                                                   alongside=lambda: write_tables(run, folder))]
    with atomic_folder(out_dir) as tmp:
        for writer in [*writers, *extra_writers]:
            written = writer(result, tmp)
            if isinstance(written, RunResult):
                result = written
        timings = {**result.timings, "export": round(time.perf_counter() - started, 4)}
        result = replace(result, timings=timings, summary=result.summary_json())
        write_json(tmp / "summary.json", result.summary)
        # The files this run wrote: the guard replaces a folder holding nothing else.
        files = sorted([*(p.name for p in tmp.iterdir()), "manifest.json"])
        write_json(tmp / "manifest.json", {**manifest(result), "files": files})
    return result


def write_tables(result: RunResult, folder: Path) -> None:
    """wards.csv, wards.xlsx, wards.gpkg and accounting.json (summary.json is written with the
    manifest)."""
    table = ward_table(result.wards)
    if result.config.output.public:
        table = _suppressed(table, result.config.output.threshold)
    spreadsheet_safe(table.drop(columns="geometry")).to_csv(folder / "wards.csv", index=False,
                                                            lineterminator="\n")
    from wardmap.workbook import write_workbook

    write_workbook(result, table, folder / "wards.xlsx")
    write_gpkg(result, table, folder / "wards.gpkg")
    if "district" in table:
        write_districts(result, folder)
    if result.accounting is not None:
        write_json(folder / "accounting.json", result.accounting)
    # The counts by map point are close to the records: never in a public run.
    if result.cube is not None and result.config.output.cube and not result.config.output.public:
        from wardmap.cube import write_cube

        boundaries = next((i for i in result.inputs if i.get("role") == "boundaries"), {})
        write_cube(result.cube, folder / "cube.parquet", {
            "boundaries_sha256": boundaries.get("sha256"),
            "crs": result.cube.crs, "analysis_crs": str(result.config.inputs.crs),
            "snap_tolerance": result.config.inputs.snap_tolerance,
            # Records left out as duplicates before counting: the cube's accounting needs it.
            "duplicates": (result.accounting or {}).get("duplicates")})
    if result.locations is not None:
        write_location_tables(result, folder)


def write_gpkg(result: RunResult, table: gpd.GeoDataFrame, path: Path) -> Path:
    """wards.gpkg: the ward table as layer "wards" (first and default), LISA and Gi* layers,
    and QGIS styles for each (wardmap.maps.qgis), so the file opens coloured as map.png."""
    table.to_file(path, layer="wards", driver="GPKG", engine="pyogrio")
    if result.config.maps.enabled:
        from wardmap.maps.qgis import write_styled_layers

        write_styled_layers(result, table, path)
    return path


# Text a spreadsheet would run as a formula (OWASP's CSV injection list): "=HYPERLINK(...)".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that start with = + - @ (or a tab or carriage return) prefixed with "'", so
    Excel shows them as text instead of running them. Numbers are never changed: -3 stays -3.

    Examples
    --------
    >>> table = pd.DataFrame({"ward_name": ["=HYPERLINK(1)", "Fant"], "gi_bin": [-3, 0]})
    >>> spreadsheet_safe(table).values.tolist()
    [["'=HYPERLINK(1)", -3], ['Fant', 0]]
    """
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            values = out[column]
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            if risky.any():
                out[column] = values.where(~risky, "'" + values.astype(str))
    return out


def write_districts(result: RunResult, folder: Path) -> None:
    """districts.csv: each district's count, rate and position (wardmap.peers)."""
    from wardmap.peers import district_table, ranking_basis

    basis = ranking_basis(result.wards, result.config.inputs.per)
    table = district_table(result.wards, basis)
    if result.config.output.public:
        from wardmap.disclosure import mask_small_counts

        rate = basis.rate or "rate_per_1000"
        table = mask_small_counts(table, result.config.output.threshold, ["count"],
                                  {rate: ["count"]} if rate in table else {})
    spreadsheet_safe(table).to_csv(folder / "districts.csv", index=False, lineterminator="\n")


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
    """Small counts as "<5", counts protecting them as "[c]"; rates and the analysed value
    worked out from them left blank."""
    from wardmap.disclosure import DEFAULT_RATE_COLUMNS, mask_small_counts
    from wardmap.secondary import mask_public

    if "incidents" not in table:
        return table
    derived = [c for c in (*DEFAULT_RATE_COLUMNS, "value") if c in table]
    # Ranks and rates per 1,000 of another denominator (wardmap.peers) give a count away too.
    derived += [c for c in table.columns if c.startswith(("rate_per_1000_", "rank_"))]
    derived += [c for c in ("location_top5_share", "location_top10_share", "location_gini")
                if c in table]
    table = _small_group_shares(table, threshold)
    # summary.json publishes the totals: counts that would let a small one be worked out
    # from them are withheld as "[c]" (secondary suppression, docs/disclosure.md).
    table = mask_public(table, threshold, rate_columns=derived)
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
