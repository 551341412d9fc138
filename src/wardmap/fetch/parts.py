"""The polygons sent to police.uk: a covering outline of the district, and halves of it.

police.uk takes one ring per request (`poly=lat,lng:lat,lng:...`), refuses areas holding more
than 10,000 crimes, and GET URLs beyond about 4,000 characters. The district's outline is
buffered slightly and simplified so that it still covers every ward while staying short; a
part the service refuses is split in two along its longer side, the halves overlapping by a
hair so a point on the cut is in both (duplicates are then dropped by record id).
"""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

# Degrees: ~35-55 m of margin, simplified to within half of it, so the outline still covers.
MARGIN = 0.0005
OVERLAP = 1e-6  # degrees (~0.1 m) by which the two halves of a split overlap


def covering_parts(area: BaseGeometry, margin: float = MARGIN) -> list[Polygon]:
    """Hole-free, simplified polygons that together cover ``area`` (lon/lat degrees).

    Examples
    --------
    >>> [len(p.exterior.coords) for p in covering_parts(box(0, 51, 0.1, 51.1))]
    [5]
    """
    outline = shapely.union_all([Polygon(p.exterior) for p in _polygons(area)])
    covering = outline.buffer(margin, join_style="mitre").simplify(margin / 2)
    return [Polygon(p.exterior) for p in _polygons(covering)]


def split(part: Polygon, overlap: float = OVERLAP) -> list[Polygon]:
    """Two (or more, when the cut crosses a bay) pieces of ``part``, halved along its longer
    side; together they cover it, overlapping by ``overlap`` at the cut.

    Examples
    --------
    >>> [p.bounds for p in split(box(0, 0, 2, 1), overlap=0)]
    [(0.0, 0.0, 1.0, 1.0), (1.0, 0.0, 2.0, 1.0)]
    """
    minx, miny, maxx, maxy = part.bounds
    if maxx - minx >= maxy - miny:
        mid = (minx + maxx) / 2
        halves = [box(minx, miny, mid + overlap, maxy), box(mid - overlap, miny, maxx, maxy)]
    else:
        mid = (miny + maxy) / 2
        halves = [box(minx, miny, maxx, mid + overlap), box(minx, mid - overlap, maxx, maxy)]
    pieces = []
    for half in halves:
        pieces += [Polygon(p.exterior) for p in _polygons(part.intersection(half))
                   if p.area > 0]
    return pieces


def poly_param(part: Polygon) -> str:
    """police.uk's `poly` value: lat,lng pairs joined by colons, ring not closed.

    Examples
    --------
    >>> poly_param(box(0.5, 51.2, 0.6, 51.3))
    '51.2,0.6:51.3,0.6:51.3,0.5:51.2,0.5'
    """
    coords = list(part.exterior.coords)[:-1]
    return ":".join(f"{_num(lat)},{_num(lon)}" for lon, lat in coords)


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.is_empty else []
    if isinstance(geometry, MultiPolygon) or hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in _polygons(g)]
    return []
