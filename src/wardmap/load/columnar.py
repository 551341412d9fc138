"""Columnar record files: Parquet and GeoParquet read a row group at a time, and police.uk CSVs
converted to Parquet (``wardmap convert``).

Parquet keeps the text of repeated values once per row group and needs no parsing, so a
national, multi-year download read many times is best converted once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wardmap.config import InputsConfig
from wardmap.errors import InputError
from wardmap.load import stream
from wardmap.load.files import check_encoding, sniff_delimiter
from wardmap.load.layout import Layout, layout_of
from wardmap.load.sources import Source, sources

_X, _Y = "__wardmap_x", "__wardmap_y"


def parquet_tables(source: Source, inputs: InputsConfig, row_groups: list[int] | None = None
                   ) -> tuple[Layout, Iterator[pa.Table]]:
    """The layout of a Parquet or GeoParquet record file and its wanted columns, a row group
    at a time."""
    handle = source.opener()
    try:
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowInvalid, OSError) as exc:
        handle.close()
        raise InputError(f"{source.name}: not a readable Parquet file ({exc})") from None
    names = parquet.schema_arrow.names
    geo = _geometry(parquet.schema_arrow, names, inputs)
    header = names + [_X, _Y] if geo else names
    if geo:  # the points' coordinates, in the file's CRS
        inputs = dataclasses.replace(inputs, x_col=_X, y_col=_Y, points_crs=geo[1])
    try:
        layout = layout_of(header, inputs, source.name)
    except InputError:
        handle.close()
        raise
    wanted = [c for c in layout.wanted() if c not in (_X, _Y)]
    columns = list(dict.fromkeys(wanted + ([geo[0]] if geo else [])))
    groups = range(parquet.metadata.num_row_groups) if row_groups is None else row_groups

    def tables() -> Iterator[pa.Table]:
        try:
            for group in groups:
                table = parquet.read_row_group(group, columns=columns)
                yield _with_xy(table, geo[0]) if geo else table
        finally:
            handle.close()

    return layout, tables()


def _geometry(schema: pa.Schema, names: list[str],
              inputs: InputsConfig) -> tuple[str, str] | None:
    """(geometry column, CRS) of a GeoParquet file whose points are the coordinates."""
    raw = (schema.metadata or {}).get(b"geo")
    lower = {n.lower() for n in names}
    given = inputs.lon_col or inputs.x_col
    if raw is None or given or lower & {"longitude", "lon", "easting", "x"}:
        return None
    meta = json.loads(raw)
    column = meta.get("primary_column", "geometry")
    crs = (meta.get("columns", {}).get(column, {}) or {}).get("crs")
    if isinstance(crs, dict):
        ids = crs.get("id") or {}
        crs = f"{ids.get('authority', 'EPSG')}:{ids.get('code', 4326)}" if ids else "EPSG:4326"
    return column, str(crs) if crs else "EPSG:4326"


def _with_xy(table: pa.Table, column: str) -> pa.Table:
    import shapely

    geoms = shapely.from_wkb(table.column(column).to_numpy(zero_copy_only=False))
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    if not np.all(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]) == 0):
        raise InputError(f"GeoParquet column {column!r} holds shapes other than points")
    return table.append_column(_X, pa.array(x)).append_column(_Y, pa.array(y))


def convert(paths: list[str], out: str | Path, encoding: str = "utf-8") -> list[Path]:
    """police.uk CSVs (files, folders, zips) as Parquet: one file per CSV in ``out``, every
    column kept as text, a row group per block read. Returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources(paths)[0]:
        if source.parquet:
            continue
        stem = Path(source.name.split("!")[-1]).stem
        target = out / f"{stem}.parquet"
        if target in written:
            raise InputError(f"two inputs are both called {stem}.csv: convert them into "
                             "separate folders")
        _convert_one(source, target, encoding)
        written.append(target)
    if not written:
        raise InputError("no CSV files to convert")
    return written


def _convert_one(source: Source, target: Path, encoding: str) -> None:
    head = stream.first_line(source)
    delimiter = sniff_delimiter(head, encoding)
    header = stream.header_of(head, source.name, encoding, delimiter)
    types = {name: pa.string() for name in header}
    tmp = target.with_name(f".{target.name}.part")
    handle = stream.opened(source)
    try:
        reader = pacsv.open_csv(handle, read_options=pacsv.ReadOptions(
            encoding=encoding, block_size=stream.BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
        with pq.ParquetWriter(tmp, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_table(pa.Table.from_batches([batch]))
    except pa.ArrowInvalid as exc:
        tmp.unlink(missing_ok=True)
        if "utf8" in str(exc).lower():
            check_encoding(source.read_bytes(), source.name, encoding)
        raise InputError(f"{source.name}: cannot parse CSV: {str(exc).splitlines()[0]}") from None
    finally:
        handle.close()
    tmp.replace(target)  # atomic: a half-written file never carries the final name
