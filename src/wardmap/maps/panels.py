"""The one-page briefing figure: incidents | rate | LISA | Gi*, side by side on one A4 page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd

from wardmap.errors import WardmapError
from wardmap.maps import static, style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Panel grid per page: (rows, columns); each panel's legend sits in a band beneath its map.
GRID = {"a4-portrait": (2, 2), "a4-landscape": (1, 4)}


def briefing_figure(
    wards: gpd.GeoDataFrame,
    *,
    count_column: str = "incidents",
    rate_column: str = "rate_per_1000",
    title: str = "",
    subtitle: str = "",
    scheme: str = "natural_breaks",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str = "YlOrRd",
    small_threshold: int | None = None,
    no_data_label: str = style.NO_DATA_LABEL,
    page: str = "a4-portrait",
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Figure:
    """Up to four panels, in order: counts, rate, LISA clusters, Gi* (those the table has)."""
    if page not in GRID:
        raise WardmapError(f"maps.page: {page!r} is not one of {', '.join(GRID)}")
    wards = static.projected(wards)
    panels = _panels(wards, count_column, rate_column)
    if not panels:
        raise WardmapError("nothing to map: the ward table has no counts, rates or statistics")
    fig = static.new_figure(page)
    static.page_text(fig, title, subtitle, attributions, notes)
    rows, cols = grid(page, len(panels))
    for i, (kind, column) in enumerate(panels):
        ax, legend_ax = _panel_axes(fig, i, rows, cols)
        if kind == "lisa":
            legend = static.draw_lisa(ax, wards)
            heading = "LISA clusters"
        elif kind == "gi":
            legend = static.draw_gi(ax, wards)
            heading = "Gi* hot and cold spots"
        else:
            small = small_threshold if column == "incidents" else None
            classes = style.classify(wards[column].rename(column), scheme, k,
                                     list(breaks or []) or None, palette, small_threshold=small,
                                     no_data_label=no_data_label)
            static.draw_classes(ax, wards, classes.colour_of())
            legend = classes.legend_rows()
            heading = style.measure_label(column)
        static.finish_map(ax, wards, labels=False, furniture=i == 0)
        ax.set_title(heading, fontsize=10, loc="left", fontweight="bold")
        static.draw_legend(legend_ax, legend, "", fontsize=6.5)
    return fig


def grid(page: str, panels: int) -> tuple[int, int]:
    """Rows and columns for the panels: 2 x 2 for four on a portrait page, one column for
    fewer (so that no quarter of the page is left blank), one row on a landscape page."""
    rows, cols = GRID[page]
    if panels >= rows * cols:
        return rows, cols
    return (panels, 1) if page == "a4-portrait" else (1, panels)


def _panels(wards: gpd.GeoDataFrame, count_column: str, rate_column: str) -> list[tuple[str, str]]:
    import numpy as np
    import pandas as pd

    def has(col: str) -> bool:
        return col in wards and bool(np.isfinite(pd.to_numeric(wards[col], errors="coerce")).any())

    panels = []
    if has(count_column):
        panels.append(("count", count_column))
    if has(rate_column):
        panels.append(("rate", rate_column))
    if "lisa_label" in wards:
        panels.append(("lisa", "lisa_label"))
    if "gi_bin" in wards:
        panels.append(("gi", "gi_bin"))
    return panels


def _panel_axes(fig: Figure, i: int, rows: int, cols: int) -> tuple:
    """Map and legend axes for panel i, between the title band and the footer."""
    top, bottom, left, right = 0.90, 0.06, 0.03, 0.97
    width = (right - left) / cols
    height = (top - bottom) / rows
    r, c = divmod(i, cols)
    x = left + c * width
    y = top - (r + 1) * height
    if cols == 1:  # panels stacked: each legend beside its map
        ax = fig.add_axes((x + 0.01, y + 0.01, width * 0.62, height - 0.05))
        legend_ax = fig.add_axes((x + width * 0.65, y + 0.01, width * 0.35, height - 0.06))
        legend_ax.set_axis_off()
        return ax, legend_ax
    legend_share = 0.30 if rows > 1 else 0.40
    ax = fig.add_axes((x + 0.01, y + height * legend_share, width - 0.02,
                       height * (1 - legend_share) - 0.03))
    legend_ax = fig.add_axes((x + 0.01, y, width - 0.02, height * legend_share))
    legend_ax.set_axis_off()
    return ax, legend_ax
