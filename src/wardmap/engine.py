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
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from wardmap.config import ComputeConfig, InputsConfig
from wardmap.cube import Cube, CubeBuilder, reduce_block
from wardmap.errors import InputError
from wardmap.load.incidents import Files, normalise_crime_types, read_records
from wardmap.load.sources import Source
from wardmap.load.stream import FileReport, Rules, check_crs, concat_frames, read_blocks

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
    duplicates: int = 0  # records left out as repeating others (wardmap.load.duplicates)


def count_records(paths: list[str], wards: gpd.GeoDataFrame, inputs: InputsConfig,
                  compute: ComputeConfig, keep_records: bool | None = None,
                  detail: str = "points") -> Counted:
    """Read every record file named by ``paths`` into a cube of counts for ``wards``.

    keep_records: True keeps the records table, False never, None when at most
    RECORDS_LIMIT rows (the dask engine keeps them only when asked, reading them here).
    detail: "points" keeps map points and location texts in the cube; "wards" only what
    the ward table needs (wardmap.cube.reduce_block), in memory bounded by wards × crime
    types × months. Records given twice are left out (wardmap.load.duplicates) on either
    engine.
    """
    files = Files.of(paths)
    if compute.engine == "dask":
        # One cluster for the run, the wards scattered to it once, even when overlapping
        # downloads have the files read twice.
        with _client(compute) as client:
            shared = client.scatter(wards[["ward_code", "geometry"]], broadcast=True)

            def on_cluster(rules: list[Rules]) -> tuple[list[FileReport], tuple[Cube, None]]:
                return _dask_cube(files.found, rules, wards, shared, inputs, client, detail)

            (reports, (cube, records)), manifest = files.read(on_cluster)
        if keep_records:
            records, _ = read_records(files, inputs)
    else:
        def here(rules: list[Rules]
                 ) -> tuple[list[FileReport], tuple[Cube, pd.DataFrame | None]]:
            return _local_cube(files.found, rules, wards, inputs, keep_records, detail)

        (reports, (cube, records)), manifest = files.read(here)
        if records is not None:
            records["crime_type"] = normalise_crime_types(records["crime_type"])
    crs = check_crs(reports)
    if records is not None:
        records.attrs["crs"] = crs
    repeated = sum(int(e.get("duplicates", 0)) for e in manifest)  # type: ignore[call-overload]
    return Counted(cube, manifest, records, repeated)


def _local_cube(found: list[Source], rules: list[Rules], wards: gpd.GeoDataFrame,
                inputs: InputsConfig, keep: bool | None, detail: str
                ) -> tuple[list[FileReport], tuple[Cube, pd.DataFrame | None]]:
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    reports, frames, rows = [], [], 0
    for source, rule in zip(found, rules, strict=True):
        report = FileReport(source.name)
        reports.append(report)
        for frame in _add_blocks(builder, source, inputs, report, wards, detail, rule):
            rows += len(frame)
            if keep or (keep is None and rows <= RECORDS_LIMIT):
                frames.append(frame)
            else:
                frames = []
    records = None
    if keep or (keep is None and rows <= RECORDS_LIMIT):
        records = concat_frames(frames)
    cube = builder.cube()
    del builder
    release_memory()
    return reports, (cube, records)


def _add_blocks(builder: CubeBuilder, source: Source, inputs: InputsConfig,
                report: FileReport, wards: gpd.GeoDataFrame, detail: str, rules: Rules | None,
                row_groups: list[int] | None = None) -> Iterator[pd.DataFrame]:
    """Each block of a file (or of some of its row groups) read, placed and added to the
    builder's cube; the blocks as read."""
    for frame in read_blocks(source, inputs, report, row_groups=row_groups, rules=rules):
        builder.add(reduce_block(frame, wards, report.crs, inputs.snap_tolerance,
                                 known=builder, detail=detail))
        yield frame


def release_memory() -> None:
    """Give memory that was freed back to the system.

    Arrow's pool and the C allocator keep freed memory for reuse: after the cube is built and
    after the tally they hold hundreds of MB that the later stages do not reuse in full. Done
    at those two points only: after every file it cost about a tenth of the reading time
    (the next file faults the pages back in) for little less memory.
    """
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc and sys.platform.startswith("linux"):
        ctypes.CDLL(libc).malloc_trim(0)  # glibc: no Python or numpy function does this


# -- dask ----------------------------------------------------------------------------------------
@dataclass
class Partition:
    """A piece of work for one dask task: a file, or some row groups of a Parquet file."""

    source: Source
    row_groups: list[int] | None = None
    rules: Rules | None = None
    file: int = 0  # the file's position among those read


def partitions(found: list[Source], rules: list[Rules] | None = None) -> list[Partition]:
    """Files, with Parquet files split into their row groups (when they hold no Crime IDs:
    a repeated ID is looked for across the whole file)."""
    import pyarrow.parquet as pq

    rules = rules or [Rules(None, i) for i in range(len(found))]
    parts = []
    for i, (source, rule) in enumerate(zip(found, rules, strict=True)):
        groups = None
        if source.parquet:
            with source.opener() as handle:
                meta = pq.ParquetFile(handle).metadata
                names = {n.lower() for n in meta.schema.names}
                groups = None if "crime id" in names else meta.num_row_groups
        if groups:
            parts.extend(Partition(source, [g], rule, i) for g in range(groups))
        else:
            parts.append(Partition(source, None, rule, i))
    return parts


def reduce_partition(part: Partition, inputs: InputsConfig, wards: gpd.GeoDataFrame,
                     detail: str = "points") -> tuple[Cube, FileReport]:
    """One partition read, placed and reduced to a partial cube (runs on a dask worker)."""
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    report = FileReport(part.source.name)
    for _ in _add_blocks(builder, part.source, inputs, report, wards, detail, part.rules,
                         part.row_groups):
        pass
    return builder.cube(), report


def _dask_cube(found: list[Source], rules: list[Rules], wards: gpd.GeoDataFrame,
               shared: object, inputs: InputsConfig, client: object, detail: str
               ) -> tuple[list[FileReport], tuple[Cube, None]]:
    """The partial cubes of every partition, from the cluster, added in partition order
    (``shared``: the wards as scattered to the workers)."""
    from dask.distributed import as_completed

    parts = partitions(found, rules)
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    reports = [FileReport(s.name) for s in found]
    done: dict[int, Cube] = {}
    added = 0
    futures = {client.submit(reduce_partition, part, inputs, shared, detail,  # type: ignore[attr-defined]
                             pure=False): i
               for i, part in enumerate(parts)}
    for future in as_completed(futures):
        i = futures[future]
        cube, report = future.result()
        reports[parts[i].file].merge(report)
        done[i] = cube
        # Added in partition order, as the local engine reads them: where two spellings
        # of a crime type meet, the first read is kept, whichever task ends first.
        while added in done:
            builder.add(done.pop(added))
            added += 1
    return reports, (builder.cube(), None)


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

