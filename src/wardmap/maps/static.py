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
) -> Figure:
    """A classed choropleth of one ward column with a legend of class ranges and ward counts;
    `outline` (ward codes) draws a dashed outline round those wards, e.g. a focus area."""
    _need_column(wards, column)
    wards = projected(wards)
    classes = style.classify(wards[column].rename(column), scheme, k, list(breaks or []) or None,
                             palette, diverging=diverging, small_threshold=small_threshold,
                             no_data_label=no_data_label)
    fig, ax, legend_ax = page_figure(page, title, subtitle, attributions, notes)
    draw_classes(ax, wards, classes.colour_of())
    rows = classes.legend_rows()
    if draw_outline(ax, wards, outline):
        rows.append(("none", outline_label, int(wards["ward_code"].isin(outline).sum())))
    finish_map(ax, wards, labels)
    draw_legend(legend_ax, rows, legend_title or style.measure_label(column))
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
) -> Figure:
    """LISA cluster map in GeoDa's colours (High-High red, Low-Low blue, ...)."""
    return _category_figure(wards, draw_lisa, "LISA cluster (wards)", title, subtitle, page,
                            labels, attributions, notes)


def gi_figure(
    wards: gpd.GeoDataFrame,
    *,
    title: str = "",
    subtitle: str = "Getis-Ord Gi* hot and cold spots",
    page: str = "a4-portrait",
    labels: bool = True,
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Figure:
    """Gi* map in ArcGIS's seven confidence bins (cold 99% dark blue ... hot 99% dark red)."""
    return _category_figure(wards, draw_gi, "Gi* hot and cold spots (wards)", title, subtitle,
                            page, labels, attributions, notes)


def _category_figure(wards: gpd.GeoDataFrame, draw: Callable[..., list], legend_title: str,
                     title: str, subtitle: str, page: str, labels: bool,
                     attributions: Sequence[str], notes: Sequence[str]) -> Figure:
    """A one-page map of categories (LISA or Gi*) drawn by ``draw``, with its legend."""
    wards = projected(wards)
    fig, ax, legend_ax = page_figure(page, title, subtitle, attributions, notes)
    rows = draw(ax, wards)
    finish_map(ax, wards, labels)
    draw_legend(legend_ax, rows, legend_title)
    return fig


# --- drawing on an Axes -------------------------------------------------------------------


def draw_classes(ax: Axes, wards: gpd.GeoDataFrame, colours: Sequence[str]) -> None:
    """Fill each ward with its colour, thin grey edges."""
    if len(wards) == 0:
        raise WardmapError("no wards to map")
    edge = 0.4 if len(wards) <= 500 else 0.05
    wards.plot(ax=ax, color=list(colours), edgecolor=EDGE, linewidth=edge)


def draw_outline(ax: Axes, wards: gpd.GeoDataFrame, codes: Sequence[str]) -> bool:
    """A dashed outline round the union of the given wards; False when none is on the map."""
    chosen = wards.loc[wards["ward_code"].isin(list(codes))]
    if chosen.empty:
        return False
    shape = gpd.GeoSeries([chosen.geometry.union_all()], crs=wards.crs)
    shape.boundary.plot(ax=ax, color=style.FOCUS_COLOUR, linewidth=2.2, linestyle=(0, (4, 2)))
    return True


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
    loc: str = "upper left",
) -> None:
    """A legend of colour boxes: "range (n wards)" per class, in its own legend axes."""
    from matplotlib.patches import Patch

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


def finish_map(ax: Axes, wards: gpd.GeoDataFrame, labels: bool, furniture: bool = True) -> None:
    """Equal-aspect frame without ticks, and the scale bar, north arrow and ward names."""
    ax.set_aspect("equal")
    ax.set_axis_off()
    if furniture:
        scale_bar(ax, wards)
        north_arrow(ax)
    if labels and len(wards) <= MAX_LABELS:
        ward_labels(ax, wards)


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


def ward_labels(ax: Axes, wards: gpd.GeoDataFrame, fontsize: float = 6) -> int:
    """Ward names at points inside each ward, skipping any that would collide; returns count.

    Greedy placement (largest wards first, then a smaller font before giving up): adjustText
    would move labels off their wards, which on a choropleth misleads more than a gap does.
    """
    from matplotlib.patheffects import withStroke

    halo = [withStroke(linewidth=1.6, foreground="white", alpha=0.85)]
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    points = wards.geometry.representative_point()
    order = wards.geometry.area.sort_values(ascending=False).index
    placed: list = []
    for idx in order:
        name = "\n".join(textwrap.wrap(str(wards.at[idx, "ward_name"]), 16)[:3])
        pt = points[idx]
        for size in (fontsize, fontsize * 0.8):
            text = ax.text(pt.x, pt.y, name, fontsize=size, ha="center", va="center",
                           color="#111111", parse_math=False, clip_on=True, path_effects=halo)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
    return len(placed)


# --- the page -------------------------------------------------------------------------------


def page_figure(
    page: str, title: str, subtitle: str, attributions: Sequence[str], notes: Sequence[str],
) -> tuple[Figure, Axes, Axes]:
    """An A4 figure with title band, map axes, legend axes and an attribution footer."""
    if page not in PAGES:
        raise WardmapError(f"maps.page: {page!r} is not one of {', '.join(PAGES)}")
    fig = new_figure(page)
    if page == "a4-portrait":
        ax = fig.add_axes((0.05, 0.25, 0.90, 0.63))
        legend_ax = fig.add_axes((0.07, 0.07, 0.86, 0.17))
    else:
        ax = fig.add_axes((0.03, 0.08, 0.68, 0.80))
        legend_ax = fig.add_axes((0.73, 0.10, 0.25, 0.76))
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
