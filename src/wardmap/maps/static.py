"""Report-ready static maps (matplotlib): choropleth, LISA clusters, Gi* hot and cold spots.

Each *_figure function is pure: it returns a matplotlib Figure on an A4 page (portrait or
landscape) and the caller saves it (``fig.savefig(path, dpi=300)``). The page is laid out in
fixed bands (title, map, legend, footer) so that legends never cover wards. The draw_*
functions draw onto a given Axes and are reused by the multi-panel briefing figure.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.errors import WardmapError
from wardmap.maps import style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PAGES = {"a4-portrait": (8.27, 11.69), "a4-landscape": (11.69, 8.27)}
MAX_LABELS = 120  # beyond this a ward map is an overview: names would be unreadable
EDGE = "#4d4d4d"


def choropleth_figure(
    wards: gpd.GeoDataFrame,
    column: str,
    *,
    title: str = "",
    subtitle: str = "",
    legend_title: str | None = None,
    scheme: str = "natural_breaks",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str = "YlOrRd",
    diverging: bool = False,
    small_threshold: int | None = None,
    no_data_label: str = style.NO_DATA_LABEL,
    page: str = "a4-portrait",
    labels: bool = True,
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
    outline: Sequence[str] = (),
    outline_label: str = "Focus area",
    context: gpd.GeoSeries | None = None,
) -> Figure:
    """A classed choropleth of one ward column with a legend of class ranges and ward counts;
    `outline` (ward codes) draws a dashed outline round those wards, e.g. a focus area."""
    _need_column(wards, column)
    wards = projected(wards)
    classes = style.classify(wards[column].rename(column), scheme, k, list(breaks or []) or None,
                             palette, diverging=diverging, small_threshold=small_threshold,
                             no_data_label=no_data_label)
    fig, ax, legend_ax = page_figure(page, title, subtitle, attributions, notes,
                                     wards.total_bounds)
    draw_classes(ax, wards, classes.colour_of())
    _draw_context(ax, context)
    rows = classes.legend_rows()
    if draw_outline(ax, wards, outline):
        rows.append(("none", outline_label, int(wards["ward_code"].isin(outline).sum())))
    key = finish_map(ax, wards, labels)
    draw_legend(legend_ax, rows, legend_title or style.measure_label(column), key=key)
    return fig


def lisa_figure(
    wards: gpd.GeoDataFrame,
    *,
    title: str = "",
    subtitle: str = "Local Moran's I (LISA) clusters",
    page: str = "a4-portrait",
    labels: bool = True,
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
    context: gpd.GeoSeries | None = None,
) -> Figure:
    """LISA cluster map in GeoDa's colours (High-High red, Low-Low blue, ...)."""
    return _category_figure(wards, draw_lisa, "LISA cluster (wards)", title, subtitle, page,
                            labels, attributions, notes, context)


def gi_figure(
    wards: gpd.GeoDataFrame,
    *,
    title: str = "",
    subtitle: str = "Getis-Ord Gi* hot and cold spots",
    page: str = "a4-portrait",
    labels: bool = True,
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
    context: gpd.GeoSeries | None = None,
) -> Figure:
    """Gi* map in ArcGIS's seven confidence bins (cold 99% dark blue ... hot 99% dark red)."""
    return _category_figure(wards, draw_gi, "Gi* hot and cold spots (wards)", title, subtitle,
                            page, labels, attributions, notes, context)


def _category_figure(wards: gpd.GeoDataFrame, draw: Callable[..., list], legend_title: str,
                     title: str, subtitle: str, page: str, labels: bool,
                     attributions: Sequence[str], notes: Sequence[str],
                     context: gpd.GeoSeries | None = None) -> Figure:
    """A one-page map of categories (LISA or Gi*) drawn by ``draw``, with its legend."""
    wards = projected(wards)
    fig, ax, legend_ax = page_figure(page, title, subtitle, attributions, notes,
                                     wards.total_bounds)
    rows = draw(ax, wards)
    _draw_context(ax, context)
    key = finish_map(ax, wards, labels)
    draw_legend(legend_ax, rows, legend_title, key=key)
    return fig


# --- drawing on an Axes -------------------------------------------------------------------


def draw_classes(ax: Axes, wards: gpd.GeoDataFrame, colours: Sequence[str]) -> None:
    """Fill each ward with its colour, thin grey edges."""
    from matplotlib.collections import PathCollection

    if len(wards) == 0:
        raise WardmapError("no wards to map")
    # Edges of thousands of wards are sub-pixel on an A4 page: a regional or national map is
    # drawn without them (a third of its drawing time).
    edge = 0.4 if len(wards) <= 500 else 0.05 if len(wards) <= 1500 else 0.0
    collection = PathCollection(ward_paths(wards.geometry), facecolors=list(colours),
                                edgecolors=EDGE if edge else "none", linewidths=edge)
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()


_PATHS: dict[str, object] = {}


def ward_paths(geometry: gpd.GeoSeries) -> list:
    """One matplotlib Path per ward (holes and parts included), built once per geometry array:
    a run draws the same wards on five maps, and GeoDataFrame.plot rebuilds every patch each
    time (most of a map's drawing cost)."""
    from matplotlib.path import Path as MplPath

    values = geometry.values
    if _PATHS.get("geometry") is values:
        return _PATHS["paths"]  # type: ignore[return-value]
    import shapely

    paths = []
    for geom in values:
        rings = []
        for part in getattr(geom, "geoms", [geom]):
            if isinstance(part, shapely.Polygon) and not part.is_empty:
                rings += [part.exterior, *part.interiors]
        if not rings:
            paths.append(MplPath(np.empty((0, 2))))
            continue
        verts = [shapely.get_coordinates(r) for r in rings]
        codes = []
        for v in verts:
            c = np.full(len(v), MplPath.LINETO, dtype=MplPath.code_type)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(c)
        paths.append(MplPath(np.concatenate(verts), np.concatenate(codes)))
    _PATHS.update(geometry=values, paths=paths)
    return paths


def _draw_context(ax: Axes, context: gpd.GeoSeries | None) -> None:
    """Roads or other context (maps.context) over the fills, beneath edges and names."""
    if context is not None:
        from wardmap.maps.context import draw_context

        draw_context(ax, context)


def draw_outline(ax: Axes, wards: gpd.GeoDataFrame, codes: Sequence[str]) -> bool:
    """A dashed outline round the union of the given wards; False when none is on the map."""
    chosen = wards.loc[wards["ward_code"].isin(list(codes))]
    if chosen.empty:
        return False
    draw_boundaries(ax, [chosen.geometry.union_all()], style.FOCUS_COLOUR, 2.2, (0, (4, 2)))
    return True


def draw_boundaries(ax: Axes, shapes: Sequence, colour: str, width: float,
                    linestyle: object = "solid") -> None:
    """The outlines of polygons as one line collection (holes and parts included)."""
    import shapely
    from matplotlib.collections import LineCollection

    lines = []
    for shape in shapes:
        boundary = shapely.boundary(shape)
        for part in getattr(boundary, "geoms", [boundary]):
            if not part.is_empty:
                lines.append(shapely.get_coordinates(part))
    ax.add_collection(LineCollection(lines, colors=colour, linewidths=width,
                                     linestyles=linestyle))


def draw_lisa(ax: Axes, wards: gpd.GeoDataFrame) -> list[tuple[str, str, int]]:
    """LISA colours on ax; returns legend rows (colour, label, wards)."""
    labels = style.lisa_map_labels(wards)
    if labels is None:
        raise WardmapError("no LISA results in the ward table (was the test stage skipped?)")
    colours = style.lisa_map_colours()
    draw_classes(ax, wards, [colours[v] for v in labels])
    rows = [(colour, k, int((labels == k).sum())) for k, colour in colours.items()]
    return [r for r in rows if r[2] or r[1] not in ("Island", style.BEFORE_CORRECTION_LISA)]


def draw_gi(ax: Axes, wards: gpd.GeoDataFrame) -> list[tuple[str, str, int]]:
    """Gi* bin colours on ax; returns legend rows, hot at the top."""
    bins = style.gi_map_bins(wards)
    if bins is None:
        raise WardmapError("no Gi* results in the ward table (was the test stage skipped?)")
    draw_classes(ax, wards, [style.GI_MAP_COLOURS[b] for b in bins])
    return style.gi_legend_rows(bins)


def draw_legend(
    ax: Axes, rows: Sequence[tuple[str, str, int]], title: str, fontsize: float = 8,
    loc: str = "upper left", key: Sequence[tuple[int, str]] = (),
) -> None:
    """A legend of colour boxes: "range (n wards)" per class, in its own legend axes; `key`
    (number, ward name) lists wards numbered on the map where their name did not fit."""
    from matplotlib.patches import Patch

    if key:
        ax.text(0.02, 0.45, _plain("Numbered wards\n" + "\n".join(
            f"{n}  {name}" for n, name in key)), transform=ax.transAxes, va="top",
            ha="left", fontsize=fontsize - 1, parse_math=False, gid="wardmap-key")

    handles = [
        # "none" is an outline row (focus area): a dashed box, not a colour swatch.
        Patch(facecolor="none", edgecolor=style.FOCUS_COLOUR, linewidth=1.5, linestyle="--",
              label=f"{_plain(label)}  ({n:,} ward{'s' if n != 1 else ''})")
        if colour == "none" else
        Patch(facecolor=colour, edgecolor=EDGE, linewidth=0.5,
              label=f"{_plain(label)}  ({n:,} ward{'s' if n != 1 else ''})")
        for colour, label, n in rows
    ]
    legend = ax.legend(handles=handles, title=_plain(title), loc=loc, fontsize=fontsize,
                       title_fontsize=fontsize + 1, frameon=False, alignment="left")
    for text in legend.get_texts():
        text.set_parse_math(False)
    legend.get_title().set_parse_math(False)
    legend.set_gid("wardmap-legend")


def finish_map(ax: Axes, wards: gpd.GeoDataFrame, labels: bool,
               furniture: bool = True) -> list[tuple[int, str]]:
    """Equal-aspect frame without ticks, and the scale bar, north arrow and ward names.

    The limits, not the frame, give way to the equal aspect, so the map fills its box. Where
    names do not fit at page scale (a town centre), an enlarged inset of that part is added
    (its extent outlined on the main map); names that fit nowhere are numbered. Returns the
    numbered wards as (number, name) for the legend's key.
    """
    ax.margins(0.01)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.apply_aspect()
    ax.set_axis_off()
    if furniture:
        scale_bar(ax, wards)
        north_arrow(ax)
    if not labels or len(wards) > MAX_LABELS:
        return []
    from wardmap.maps import labels as ward_labels_module

    return ward_labels_module.label_map(ax, wards)


def scale_bar(ax: Axes, wards: gpd.GeoDataFrame) -> None:
    """A scale bar of a round length, about a fifth of the map's width (projected CRS only)."""
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    if wards.crs is None or not wards.crs.is_projected:
        return  # degrees are not a length: no honest scale bar
    unit = wards.crs.axis_info[0].unit_name if wards.crs.axis_info else "metre"
    if unit not in ("metre", "meter"):
        return
    x0, x1 = ax.get_xlim()
    length = _round_length((x1 - x0) / 5)
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = AnchoredSizeBar(ax.transData, length, text, "lower right", pad=0.3, sep=3,
                          frameon=False, size_vertical=(x1 - x0) / 300,
                          fontproperties=FontProperties(size=7))
    ax.add_artist(bar)


def _round_length(target: float) -> float:
    """1, 2 or 5 times a power of ten, at most the target."""
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def north_arrow(ax: Axes) -> None:
    """A plain north arrow in the top-right corner (British National Grid north is up)."""
    ax.annotate("N", xy=(0.96, 0.97), xytext=(0.96, 0.88), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "facecolor": "black", "lw": 1.2})


# --- the page -------------------------------------------------------------------------------


def page_figure(
    page: str, title: str, subtitle: str, attributions: Sequence[str], notes: Sequence[str],
    bounds: Sequence[float] | None = None,
) -> tuple[Figure, Axes, Axes]:
    """An A4 figure with title band, map axes, legend axes and an attribution footer."""
    if page not in PAGES:
        raise WardmapError(f"maps.page: {page!r} is not one of {', '.join(PAGES)}")
    fig = new_figure(page)
    # The map takes the page's width (and the height its shape needs); legend and, when the
    # names need one, the enlarged inset share the band below it (beside it on a landscape
    # page), so that no part of the page is left empty.
    if page == "a4-portrait":
        height = 0.63
        if bounds is not None:
            dx, dy = bounds[2] - bounds[0], bounds[3] - bounds[1]
            shape = 0.94 * PAGES[page][0] / PAGES[page][1]
            height = min(0.63, max(0.42, shape * dy / dx if dx > 0 else 0.63))
        band = 0.90 - height - 0.01
        ax = fig.add_axes((0.03, 0.90 - height, 0.94, height))
        legend_ax = fig.add_axes((0.05, 0.04, 0.46, band - 0.04))
        fig.wardmap_inset_slot = (0.53, 0.045, 0.43, band - 0.07)
    else:
        ax = fig.add_axes((0.02, 0.07, 0.69, 0.82))
        legend_ax = fig.add_axes((0.73, 0.46, 0.25, 0.42))
        fig.wardmap_inset_slot = (0.73, 0.07, 0.25, 0.34)
    legend_ax.set_axis_off()
    page_text(fig, title, subtitle, attributions, notes)
    return fig, ax, legend_ax


def new_figure(page: str) -> Figure:
    """An A4 figure with an Agg canvas (no pyplot: no GUI backend, nothing global)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=PAGES[page])
    FigureCanvasAgg(fig)
    return fig


def page_text(
    fig: Figure, title: str, subtitle: str, attributions: Sequence[str], notes: Sequence[str],
) -> None:
    """Title and subtitle at the top; notes (in red) and attributions at the bottom."""
    width = 95 if fig.get_figwidth() < 10 else 140
    fig.text(0.05, 0.965, _plain(title), fontsize=16, fontweight="bold", va="top",
             parse_math=False)
    if subtitle:
        fig.text(0.05, 0.93, "\n".join(textwrap.wrap(_plain(subtitle), width)), fontsize=10,
                 va="top", color="#333333", parse_math=False)
    footer = "\n".join(textwrap.fill(_plain(a), int(width * 1.4)) for a in attributions)
    fig.text(0.05, 0.012, footer, fontsize=6, color="#555555", va="bottom", parse_math=False)
    for i, note in enumerate(notes):
        fig.text(0.95, 0.965 - 0.025 * i, _plain(note), fontsize=9, color="#b00020",
                 fontweight="bold", ha="right", va="top", parse_math=False, gid="wardmap-note")


def projected(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The wards in a projected CRS (metres), so shapes, scale bar and north are true."""
    if wards.crs is None:
        raise WardmapError("ward boundaries have no coordinate reference system")
    return wards if wards.crs.is_projected else wards.to_crs(wards.estimate_utm_crs())


def _plain(text: object) -> str:
    """Text for matplotlib: control characters dropped (names come from input files)."""
    return "".join(ch for ch in str(text) if ch.isprintable() or ch == "\n")


def _need_column(wards: pd.DataFrame, column: str) -> None:
    if column not in wards:
        raise WardmapError(f"cannot map '{column}': not a column of the ward table")
    if not np.isfinite(pd.to_numeric(wards[column], errors="coerce")).any():
        raise WardmapError(f"cannot map '{column}': no ward has a value")
