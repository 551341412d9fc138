"""Ward names on static maps: inside their ward, never over another name, enlarged where
the wards are too small for their names at page scale.

A name is placed only where its box (with the halo) lies inside its own ward and clear of
every name already placed, trying a smaller font and a narrower wrap before giving up; larger
wards go first. When several names do not fit and they sit close together (a town centre), an
inset enlarges that part of the map below it, its extent outlined on the main map, and the
names are placed there the same way. A ward whose name fits nowhere gets a number, keyed in
the legend. adjustText would move names off their wards, which on a choropleth misleads more
than a number does, so placement is done here.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LABEL_GID = "wardmap-label"
FONT_SIZES = (6.0, 5.0)
WRAPS = (16, 10)
# An inset is drawn when at least this many names do not fit and their extent is at most
# this share of the map's (otherwise the crowding is everywhere: numbers instead).
INSET_MIN_WARDS = 3
INSET_MAX_SHARE = 0.2
INSET_EDGE = "#222222"
# Wards smaller than a square of this side on the page (mm) are hard to read and to point at.
INSET_BELOW_MM = 12.0


def label_map(ax: Axes, wards: gpd.GeoDataFrame) -> list[tuple[int, str]]:
    """Name the wards on ``ax`` (and in an inset where needed); (number, name) of the wards
    numbered instead, for the legend."""
    # Small wards whose names do not fit at the full size: a town centre, typically (a large
    # ward of an awkward shape is named at a smaller size or numbered instead).
    small = wards.geometry.area < 0.5 * wards.geometry.area.median()
    tiny = np.sqrt(wards.geometry.area) * _inches_per_unit(ax) * 25.4 < INSET_BELOW_MM
    crowded = [i for i in wards.index[small]
               if tiny[i] or not _fits_alone(ax, wards, i)]
    # Only pages laid out by static.page_figure have a place for an inset.
    box = _crowded_extent(ax, wards, crowded) if hasattr(ax.figure, "wardmap_inset_slot") \
        else None
    if box is None:
        left = place_names(ax, wards, wards.index)
        return _key(wards, place_numbers(ax, wards, left, start=1))
    region = shapely.box(*box)
    inside = set(wards.index[wards.geometry.centroid.within(region)])
    # Crowded wards in the enlarged area are named there only.
    left = place_names(ax, wards, [i for i in wards.index
                                   if i not in inside or i not in set(crowded)])
    inset = _inset_axes(ax, wards, box)
    in_view = wards.index[wards.geometry.intersects(region)]
    left_inset = place_names(inset, wards, in_view)
    numbered = place_numbers(ax, wards, [i for i in left if i not in inside], start=1)
    numbered += place_numbers(inset, wards, [i for i in left_inset if i in inside],
                              start=len(numbered) + 1)
    return _key(wards, numbered)


def _inches_per_unit(ax: Axes) -> float:
    x0, x1 = ax.get_xlim()
    return ax.get_window_extent().width / ax.figure.dpi / (x1 - x0)


def _key(wards: gpd.GeoDataFrame, numbered: list) -> list[tuple[int, str]]:
    return [(n, str(wards.at[i, "ward_name"])) for n, i in numbered]


def _fits_alone(ax: Axes, wards: gpd.GeoDataFrame, idx) -> bool:
    """Whether the ward's name fits inside it at the full size (on an empty map)."""
    renderer = ax.figure.canvas.get_renderer()
    shape = wards.geometry[idx]
    anchor = _anchor(shape)
    for text in _wrapped(str(wards.at[idx, "ward_name"])):
        label = ax.text(anchor.x, anchor.y, text, fontsize=FONT_SIZES[0], ha="center",
                        va="center", parse_math=False)
        box = label.get_window_extent(renderer).expanded(1.04, 1.08)
        label.remove()
        if _inside(ax, box, shape):
            return True
    return False


def _wrapped(name: str) -> list[str]:
    """The name on one to three lines, widest first."""
    out = []
    for width in WRAPS:
        lines = textwrap.wrap(name, width)
        if len(lines) <= 3 and "\n".join(lines) not in out:
            out.append("\n".join(lines))
    return out or ["\n".join(textwrap.wrap(name, WRAPS[0]))]


def place_names(ax: Axes, wards: gpd.GeoDataFrame, which, scale: float = 1.0) -> list:
    """Place the names of wards ``which`` (index labels) on ``ax``; return those left out."""
    renderer = ax.figure.canvas.get_renderer()
    placed = _placed_boxes(ax, renderer)
    view = shapely.box(*_view(ax))
    from matplotlib.patheffects import withStroke

    halo = [withStroke(linewidth=1.6, foreground="white", alpha=0.85)]
    order = wards.loc[list(which)].geometry.area.sort_values(ascending=False).index
    left = []
    for idx in order:
        shape = wards.geometry[idx].intersection(view)  # the part on this map
        if shape.is_empty:
            continue
        anchor = _anchor(shape)
        name = str(wards.at[idx, "ward_name"])
        done = False
        for size in FONT_SIZES:
            for wrapped in _wrapped(name):
                text = ax.text(anchor.x, anchor.y, wrapped, fontsize=size * scale,
                               ha="center", va="center", color="#111111", parse_math=False,
                               clip_on=True,
                               path_effects=halo, gid=LABEL_GID)
                box = text.get_window_extent(renderer).expanded(1.04, 1.08)
                if _inside(ax, box, shape) and not any(box.overlaps(b) for b in placed):
                    placed.append(box)
                    done = True
                    break
                text.remove()
            if done:
                break
        if not done:
            left.append(idx)
    return left


def place_numbers(ax: Axes, wards: gpd.GeoDataFrame, which, start: int) -> list:
    """Numbers for wards whose names fit nowhere, clear of every other label where possible;
    returns (number, ward index) pairs."""
    from matplotlib.patheffects import withStroke

    renderer = ax.figure.canvas.get_renderer()
    placed = _placed_boxes(ax, renderer)
    view = shapely.box(*_view(ax))
    halo = [withStroke(linewidth=1.6, foreground="white")]
    out = []
    for n, idx in enumerate(which, start=start):
        shape = wards.geometry[idx].intersection(view)
        for point in _candidates(shape):
            text = ax.text(point.x, point.y, str(n), fontsize=5.5, fontweight="bold",
                           ha="center", va="center", clip_on=True, path_effects=halo,
                           gid=LABEL_GID)
            box = text.get_window_extent(renderer).expanded(1.04, 1.08)
            if not any(box.overlaps(b) for b in placed):
                placed.append(box)
                break
            text.remove()
        out.append((n, idx))
    return out


def label_boxes(ax: Axes) -> list:
    """Window extents of every ward name and number on ``ax`` (for checks)."""
    renderer = ax.figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == LABEL_GID]


def _placed_boxes(ax: Axes, renderer) -> list:
    return [t.get_window_extent(renderer).expanded(1.04, 1.08) for t in ax.texts
            if t.get_gid() == LABEL_GID]


def _anchor(shape) -> shapely.Point:
    """The point deepest inside the shape (its pole of inaccessibility), where a name has the
    most room; the representative point when that fails."""
    polygon = shape
    if hasattr(shape, "geoms"):
        polygon = max(shape.geoms, key=lambda g: g.area)
    try:
        return shapely.ops.polylabel(polygon, tolerance=max(polygon.length / 500, 1.0))
    except Exception:  # degenerate rings: any point inside will do
        return shape.representative_point()


def _candidates(shape) -> list:
    if shape.is_empty:
        return []
    anchor = _anchor(shape)
    minx, miny, maxx, maxy = shape.bounds
    dx, dy = (maxx - minx) / 4, (maxy - miny) / 4
    points = [anchor] + [shapely.Point(anchor.x + a * dx, anchor.y + b * dy)
                         for a, b in ((0, 1), (0, -1), (1, 0), (-1, 0))]
    return [p for p in points if shape.contains(p)] or [anchor]


def _inside(ax: Axes, box, shape) -> bool:
    """The label box (display units) lies inside the ward, but for a sliver (the halo)."""
    corners = ax.transData.inverted().transform([[box.x0, box.y0], [box.x1, box.y1]])
    (x0, y0), (x1, y1) = corners
    rect = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return rect.difference(shape).area <= 0.06 * rect.area


def _view(ax: Axes) -> tuple[float, float, float, float]:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return x0, y0, x1, y1


def _crowded_extent(ax: Axes, wards: gpd.GeoDataFrame, left: list):
    """The extent (x0, y0, x1, y1) to enlarge, or None: the wards left unnamed, when enough
    of them sit together."""
    if len(left) < INSET_MIN_WARDS:
        return None
    shapes = wards.geometry[left]
    centres = np.column_stack([shapes.centroid.x, shapes.centroid.y])
    # The densest group: the crowded wards within a sixth of the map's width of the crowded
    # ward with the most such neighbours.
    x0, y0, x1, y1 = _view(ax)
    distance = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    close = distance <= (x1 - x0) / 6
    near = close[int(close.sum(axis=1).argmax())]
    if near.sum() < INSET_MIN_WARDS:
        return None
    bx0, by0, bx1, by1 = shapes[near].total_bounds
    pad = 0.04 * max(bx1 - bx0, by1 - by0)
    box = (bx0 - pad, by0 - pad, bx1 + pad, by1 + pad)
    share = (box[2] - box[0]) * (box[3] - box[1]) / ((x1 - x0) * (y1 - y0))
    return box if share <= INSET_MAX_SHARE else None


def _inset_axes(ax: Axes, wards: gpd.GeoDataFrame, box) -> Axes:
    """An enlarged copy of the map over ``box`` in the page's inset slot, with its extent
    outlined on the main map and its own scale bar."""
    from matplotlib.patches import Rectangle

    from wardmap.maps import static

    fig = ax.figure
    slot = fig.wardmap_inset_slot
    inset = fig.add_axes(slot)
    for collection in ax.collections:
        inset.add_collection(_copy(collection))
    # The box widened or heightened to the slot's shape, so that the inset fills it.
    bx0, by0, bx1, by1 = box
    width_in, height_in = slot[2] * fig.get_figwidth(), slot[3] * fig.get_figheight()
    dx, dy = bx1 - bx0, by1 - by0
    if dx / dy < width_in / height_in:
        grow = (dy * width_in / height_in - dx) / 2
        bx0, bx1 = bx0 - grow, bx1 + grow
    else:
        grow = (dx * height_in / width_in - dy) / 2
        by0, by1 = by0 - grow, by1 + grow
    inset.set_xlim(bx0, bx1)
    inset.set_ylim(by0, by1)
    inset.set_aspect("equal", adjustable="box")
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_edgecolor(INSET_EDGE)
        spine.set_linewidth(1.0)
    inset.set_title("Enlarged: the area outlined on the map", fontsize=7, loc="left")
    inset.set_gid("wardmap-inset")
    static.scale_bar(inset, wards)
    ix0, ix1 = inset.get_xlim()
    iy0, iy1 = inset.get_ylim()
    ax.add_patch(Rectangle((ix0, iy0), ix1 - ix0, iy1 - iy0, fill=False,
                           edgecolor=INSET_EDGE, linewidth=1.0, zorder=5))
    return inset


def _copy(collection):
    """A copy of a map collection (ward fills or an outline) for the inset."""
    from matplotlib.collections import LineCollection, PathCollection

    if isinstance(collection, LineCollection):
        return LineCollection(collection.get_segments(), colors=collection.get_colors(),
                              linewidths=collection.get_linewidths(),
                              linestyles=collection.get_linestyles())
    return PathCollection(collection.get_paths(), facecolors=collection.get_facecolors(),
                          edgecolors=collection.get_edgecolors(),
                          linewidths=collection.get_linewidths())
