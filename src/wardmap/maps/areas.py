"""Pages for the select stage: focus.png (the top focus areas as small multiples) and
clusters.png (ward clusters with a key naming each cluster's wards), to map.png's standard:
A4, title and period, scale bar, north arrow, names, attributions. Pure: each function returns
a Figure (matplotlib's Figure API, no pyplot) and the caller saves it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from wardmap.maps import labels, static, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

AREA_FILL, OTHER_FILL = "#fdae61", "#f0f0f0"
MAX_PANELS = 4
MAX_KEY_ROWS = 30


def focus_figure(
    focus: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    *,
    title: str = "Focus areas",
    subtitle: str = "",
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
    page: str = "a4-portrait",
) -> Figure:
    """The top focus areas (up to four, by rank), one panel each: the area filled and
    outlined among its neighbours, every ward named, excluded wards hatched, the reason
    beneath, with a scale bar and north arrow."""
    wards = static.projected(wards)
    top = focus.sort_values("rank").head(MAX_PANELS) if "rank" in focus else \
        focus.head(MAX_PANELS)
    excluded = set(focus.attrs.get("excluded_codes", []))
    fig = static.new_figure(page)
    static.page_text(fig, title, subtitle, attributions, notes)
    boxes = _panel_boxes(len(top), page)
    for (_, area), (box, caption_box) in zip(top.iterrows(), boxes, strict=True):
        codes = set(str(area["ward_codes"]).split(";"))
        ax = fig.add_axes(box)
        _draw_area(ax, wards, codes, excluded)
        rank = int(area["rank"]) if "rank" in area else 1
        names = ", ".join(n.strip() for n in str(area.get("ward_names", "")).split(";"))
        ax.set_title(static._plain(f"{rank}. {names}"), fontsize=9, loc="left",
                     fontweight="bold", parse_math=False)
        caption = fig.add_axes(caption_box)
        caption.set_axis_off()
        reason = str(area.get("reason", ""))
        caption.text(0, 1, static._plain("\n".join(textwrap.wrap(reason, 70)[:6])),
                     fontsize=6.5, va="top", ha="left", parse_math=False)
    legend_ax = fig.add_axes((0.05, 0.035, 0.9, 0.035))
    legend_ax.set_axis_off()
    rows = [(AREA_FILL, "Focus area", sum(len(str(c).split(";")) for c in
                                          top["ward_codes"]))]
    _legend(legend_ax, rows, excluded=bool(excluded))
    return fig


def _panel_boxes(n: int, page: str) -> list[tuple[tuple, tuple]]:
    """(map box, caption box) per panel: a 2 x 2 grid, or one column for one or two."""
    top, bottom = 0.88, 0.08
    cols = 2 if n > 2 else 1
    rows = (n + cols - 1) // cols
    width = 0.92 / cols
    height = (top - bottom) / rows
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        x = 0.04 + c * width
        y = top - (r + 1) * height
        caption = height * 0.16
        out.append(((x + 0.01, y + caption + 0.01, width - 0.02, height - caption - 0.04),
                    (x + 0.01, y + 0.005, width - 0.02, caption)))
    return out


def _draw_area(ax: Axes, wards: gpd.GeoDataFrame, codes: set[str], excluded: set[str]) -> None:
    """One focus area zoomed with its surroundings, names placed as on map.png."""
    from matplotlib.collections import PathCollection

    inside = wards["ward_code"].astype(str).isin(codes)
    fills = [AREA_FILL if flag else OTHER_FILL for flag in inside]
    static.draw_classes(ax, wards, fills)
    out = wards["ward_code"].astype(str).isin(excluded)
    if out.any():
        paths = [p for p, flag in zip(static.ward_paths(wards.geometry), out, strict=True)
                 if flag]
        ax.add_collection(PathCollection(paths, facecolors="none", edgecolors="#9a9a9a",
                                         hatch="///", linewidths=0.4))
    static.draw_outline(ax, wards, list(codes))
    x0, y0, x1, y1 = wards.loc[inside].total_bounds
    pad = max(x1 - x0, y1 - y0) * 0.6 + 300
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal", adjustable="datalim")
    ax.apply_aspect()
    ax.set_axis_off()
    static.scale_bar(ax, wards)
    static.north_arrow(ax)
    view = _in_view(ax, wards)
    left = labels.place_names(ax, wards, view)
    labels.place_numbers(ax, wards, [i for i in left if inside[i]], start=1)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _in_view(ax: Axes, wards: gpd.GeoDataFrame) -> list:
    import shapely

    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return list(wards.index[wards.geometry.intersects(shapely.box(x0, y0, x1, y1))])


def _legend(ax: Axes, rows, excluded: bool) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=AREA_FILL, edgecolor=style.FOCUS_COLOUR, linewidth=1.5,
                     linestyle="--", label="Focus area (outlined)"),
               Patch(facecolor=OTHER_FILL, edgecolor=static.EDGE, linewidth=0.4,
                     label="Other wards")]
    if excluded:
        handles.append(Patch(facecolor="none", edgecolor="#9a9a9a", hatch="///",
                             label="Excluded from the search"))
    ax.legend(handles=handles, loc="center left", ncols=len(handles), fontsize=8,
              frameon=False)


def clusters_figure(
    shapes: gpd.GeoDataFrame,
    *,
    title: str = "Ward clusters",
    subtitle: str = "",
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
    page: str = "a4-portrait",
) -> Figure:
    """Ward clusters in their colours, each cluster outlined and numbered, ward names where
    they fit, and a key listing each cluster's wards."""
    shapes = static.projected(shapes)
    fig, ax, legend_ax = static.page_figure(page, title, subtitle, attributions, notes,
                                            shapes.total_bounds)
    static.draw_classes(ax, shapes, list(shapes["colour"]))
    outlines = shapes.dissolve(by="cluster")
    static.draw_boundaries(ax, list(outlines.geometry), "#222222", 1.4)
    key = static.finish_map(ax, shapes, labels=len(shapes) <= static.MAX_LABELS)
    rows = []
    for cluster, group in shapes.groupby("cluster", sort=True):
        members = ", ".join(group["ward_name"].astype(str))
        rows.append((str(group["colour"].iloc[0]), f"{cluster}: {members}", len(group)))
    if len(rows) > MAX_KEY_ROWS:
        rows = rows[:MAX_KEY_ROWS - 1] + [("none", f"... and {len(rows) - MAX_KEY_ROWS + 1} "
                                           "more clusters (clusters.csv)", 0)]
    rows = [(c, "\n".join(textwrap.wrap(label, 60)), n) for c, label, n in rows]
    static.draw_legend(legend_ax, rows, "Clusters (wards in each)", fontsize=6.5, key=key)
    return fig
