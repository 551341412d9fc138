"""A context layer for the static maps (roads, rivers, built-up areas), e.g. OS Open Roads.

Read once per run, only what falls within the wards' extent (the file's spatial index does the
filtering), and drawn as thin grey lines beneath the ward boundaries and names: enough to find
one's way around a ward without competing with its colour.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from wardmap.errors import InputError

COLOUR = "#7f7f7f"
WIDTH = 0.35


def read_context(path: str | Path, wards: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The context layer's shapes within the wards' extent, in the wards' CRS."""
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise InputError(f"context layer not found: {path} (give a GeoPackage, Shapefile or "
                         "GeoJSON of roads or other features, or leave --context out)")
    try:
        info = pyogrio.read_info(path)
        bounds = gpd.GeoSeries([shapely.box(*wards.total_bounds)], crs=wards.crs)
        if info.get("crs"):
            bounds = bounds.to_crs(info["crs"])
        frame = gpd.read_file(path, engine="pyogrio", bbox=tuple(bounds.total_bounds),
                              columns=[])
    except InputError:
        raise
    except Exception as exc:  # pyogrio raises many types; all mean "cannot read"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read context layer {path}: {reason}") from None
    if frame.crs is None:
        raise InputError(f"context layer {path.name} has no coordinate reference system")
    shapes = frame.geometry.to_crs(wards.crs)
    return shapes[~(shapes.isna() | shapes.is_empty)].reset_index(drop=True)


def draw_context(ax, shapes: gpd.GeoSeries) -> None:
    """Lines (and polygon outlines) of the context layer, beneath ward edges and names."""
    from matplotlib.collections import LineCollection

    if shapes is None or len(shapes) == 0:
        return
    lines = shapely.boundary(shapes.values)
    polygonal = np.isin(shapely.get_type_id(shapes.values), [3, 6])
    lines = np.where(polygonal, lines, shapes.values)
    parts = shapely.get_parts(lines)
    coords = [shapely.get_coordinates(p) for p in parts if not p.is_empty]
    ax.add_collection(LineCollection(coords, colors=COLOUR, linewidths=WIDTH, zorder=1.5,
                                     gid="wardmap-context"))
