"""Engines that read incident records and reduce them to the cube (wardmap.cube).

- local (the default): one process streams the files a block of rows at a time; each map point
  is placed once for the whole run. Memory holds one block and the cube, never the records.
- dask: partitions (files, or row groups of Parquet files) are read, placed and reduced to
  partial cubes on a dask.distributed cluster (a running scheduler, or a local cluster); the
  wards are scattered to the workers once; the partial cubes are summed here. Same placement
  function, same cube, same wards.csv.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from wardmap.config import ComputeConfig, InputsConfig
from wardmap.cube import Cube, CubeBuilder, reduce_block
from wardmap.errors import InputError
from wardmap.load.stream import (
    FileReport,
    Source,
    add_hashes,
    check_crs,
    concat_frames,
    read_blocks,
    sources,
)

# Runs with at most this many input rows keep their records table (RunResult.records) unless
# told not to: small enough to hold, and what a notebook user expects to look at.
RECORDS_LIMIT = 200_000


@dataclass
class Counted:
    """What an engine gives back: the cube, a manifest entry per file and (when kept) the
    records as read_incidents reads them."""

    cube: Cube
    manifest: list[dict[str, object]]
    records: pd.DataFrame | None
    duplicates: int = 0  # rows of files whose content was read already


def count_records(paths: list[str], wards: gpd.GeoDataFrame, inputs: InputsConfig,
                  compute: ComputeConfig, keep_records: bool | None = None,
                  detail: str = "points") -> Counted:
    """Read every record file named by ``paths`` into a cube of counts for ``wards``.

    keep_records: True keeps the records table, False never, None when at most
    RECORDS_LIMIT rows (the dask engine keeps them only when asked, reading them here).
    detail: "points" keeps map points and location texts in the cube; "wards" only what
    the ward table needs (wardmap.cube.reduce_block), in memory bounded by wards × crime
    types × months.
    """
    found, repeats = _distinct(sources(paths), inputs)
    if compute.engine == "dask":
        cube, reports = _dask_cube(found, wards, inputs, compute, detail)
        records = None
        if keep_records:
            records = _read_all(found, inputs)
    else:
        cube, reports, records = _local_cube(found, wards, inputs, keep_records, detail)
    check_crs(reports)
    manifest = [r.manifest() | {"duplicates": 0} for r in reports]
    add_hashes(manifest)
    return Counted(cube, manifest + repeats, records, sum(int(r["duplicates"]) for r in repeats))


def _distinct(found: list[Source], inputs: InputsConfig
              ) -> tuple[list[Source], list[dict[str, object]]]:
    """The files to read, each content once (a file given twice, or under two names, is read
    once: wardmap.load.duplicates), and a manifest entry for each one left out."""
    import hashlib

    from wardmap.load.duplicates import SeenFiles

    seen, keep, repeats = SeenFiles(), [], []
    for source in found:
        digest = hashlib.sha256()
        with source.opener() as handle:
            for block in iter(lambda h=handle: h.read(1 << 22), b""):
                digest.update(block)
        first = seen.first_name(digest.hexdigest(), source.name)
        if first is None:
            keep.append(source)
            continue
        report = FileReport(source.name, 0, False, "EPSG:4326")
        for _ in read_blocks(source, inputs, report):
            pass
        repeats.append({"path": source.name, "rows": report.rows, "format": "duplicate",
                        "duplicates": report.rows, "duplicate_of": first,
                        "sha256": digest.hexdigest(),
                        "warning": f"{source.name} repeats {first} (same content): read once"})
    return keep, repeats


def _local_cube(found: list[Source], wards: gpd.GeoDataFrame, inputs: InputsConfig,
                keep: bool | None, detail: str
                ) -> tuple[Cube, list[FileReport], pd.DataFrame | None]:
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    reports, frames, rows = [], [], 0
    for source in found:
        report = FileReport(source.name, 0, False, "EPSG:4326")
        reports.append(report)
        for frame in read_blocks(source, inputs, report):
            builder.add(reduce_block(frame, wards, report.crs, inputs.snap_tolerance,
                                     known=builder, detail=detail))
            rows += len(frame)
            if keep or (keep is None and rows <= RECORDS_LIMIT):
                frames.append(frame)
            else:
                frames = []
    records = None
    if keep or (keep is None and rows <= RECORDS_LIMIT):
        records = concat_frames(frames)
        records.attrs["crs"] = check_crs(reports)
    return builder.cube(), reports, records


def _read_all(found: list[Source], inputs: InputsConfig) -> pd.DataFrame:
    frames = [f for source in found for f in read_blocks(source, inputs)]
    return concat_frames(frames)


# -- dask ----------------------------------------------------------------------------------------
@dataclass
class Partition:
    """A piece of work for one dask task: a file, or some row groups of a Parquet file."""

    source: Source
    row_groups: list[int] | None = None


def partitions(found: list[Source]) -> list[Partition]:
    """Files, with Parquet files split into their row groups."""
    import pyarrow.parquet as pq

    parts = []
    for source in found:
        if source.parquet:
            with source.opener() as handle:
                groups = pq.ParquetFile(handle).metadata.num_row_groups
            parts.extend(Partition(source, [g]) for g in range(groups))
        else:
            parts.append(Partition(source))
    return parts


def reduce_partition(part: Partition, inputs: InputsConfig, wards: gpd.GeoDataFrame,
                     detail: str = "points") -> tuple[Cube, FileReport]:
    """One partition read, placed and reduced to a partial cube (runs on a dask worker)."""
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    report = FileReport(part.source.name, 0, False, "EPSG:4326")
    for frame in read_blocks(part.source, inputs, report, row_groups=part.row_groups):
        builder.add(reduce_block(frame, wards, report.crs, inputs.snap_tolerance,
                                 known=builder, detail=detail))
    return builder.cube(), report


def _dask_cube(found: list[Source], wards: gpd.GeoDataFrame, inputs: InputsConfig,
               compute: ComputeConfig, detail: str) -> tuple[Cube, list[FileReport]]:
    from dask.distributed import as_completed

    parts = partitions(found)
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    reports: dict[int, FileReport] = {}
    with _client(compute) as client:
        shared = client.scatter(wards[["ward_code", "geometry"]], broadcast=True)
        futures = {client.submit(reduce_partition, part, inputs, shared, detail,
                                 pure=False): i
                   for i, part in enumerate(parts)}
        for future in as_completed(futures):
            cube, report = future.result()
            builder.add(cube)
            reports[futures[future]] = report
    return builder.cube(), _file_reports(parts, reports)


def _file_reports(parts: list[Partition], reports: dict[int, FileReport]) -> list[FileReport]:
    """One report per file, its row groups' rows added up, in the order the files were given."""
    merged: dict[str, FileReport] = {}
    for i, part in enumerate(parts):
        report = reports[i]
        if part.source.name in merged:
            merged[part.source.name].rows += report.rows
        else:
            merged[part.source.name] = report
    return list(merged.values())


@dataclass
class _client:  # noqa: N801 - used as a context manager, like open()
    """A dask client on the given scheduler, or on a local cluster started for the run."""

    compute: ComputeConfig

    def __enter__(self):  # noqa: ANN204
        import logging

        from dask.distributed import Client, LocalCluster

        if self.compute.scheduler:
            try:
                self.client = Client(self.compute.scheduler, timeout="10s")
            except OSError as exc:
                raise InputError(f"cannot reach the dask scheduler at "
                                 f"{self.compute.scheduler}: {exc}") from None
            self.cluster = None
            return self.client
        workers = self.compute.workers or os.cpu_count() or 1
        if workers < 1:
            raise InputError("--workers must be at least 1")
        self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=None, silence_logs=logging.ERROR)
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

