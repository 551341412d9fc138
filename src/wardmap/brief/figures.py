"""Figures for the briefing as PNG bytes: ward maps and the area's control chart.

Maps come from wardmap.maps (the report-ready maps of the run); the control chart is drawn
here. The matplotlib Figure API is used directly (no pyplot state).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from wardmap.maps import static
from wardmap.maps.style import gi_bins
from wardmap.result import RunResult
from wardmap.vocabulary import CHANGE_BREAKS


@dataclass
class Image:
    title: str
    png: bytes
    caption: str = ""
    width_in: float = 6.3  # printed width in a Word page's text block


def briefing_figures(result: RunResult, dpi: int = 200, public: bool = False,
                     threshold: int = 4) -> list[Image]:
    """Maps of the measure, Gi* hot spots and change (when present), and the control chart."""
    wards = result.wards
    images = [_measure_map(result, dpi, public, threshold)]
    bins = gi_bins(wards)
    if bins is not None:
        images.append(_gi_map(result, bins, dpi))
    lisa = _lisa_map(result, dpi)
    if lisa is not None:
        images.append(lisa)
    if "change_pct" in wards:
        images.append(_change_map(result, dpi, public, threshold))
    spc = result.summary.get("spc") or {}
    if spc.get("points"):
        images.append(_spc_chart(result, spc, dpi))
    heat = _heat_map(result, dpi, public, threshold)
    if heat is not None:
        images.append(heat)
    return images


def _heat_map(result: RunResult, dpi: int, public: bool, threshold: int) -> Image | None:
    """Incidents by ward and month (wardmap.maps.heatmap), when the records have months."""
    records = result.records
    if records is None or records["month"].isna().all():
        return None
    from wardmap.maps import heatmap

    title = "Recorded incidents by ward and month"
    counts = heatmap.ward_month_counts(records, result.wards)
    fig = heatmap.ward_month_figure(counts, title=title, subtitle="",
                                    small_threshold=threshold if public else None,
                                    attributions=list(result.meta.attributions))
    return Image(title, _png(fig, dpi))


def _measure_map(result: RunResult, dpi: int, public: bool, threshold: int) -> Image:
    wards = result.wards
    column = "incidents" if "incidents" in wards else "value"
    small = threshold if public and column == "incidents" else None
    # The map shows counts (or the table's value), so its title names them, not the measure
    # the statistics were run on.
    label = "Recorded incidents" if column == "incidents" else result.meta.measure_label
    title = f"{label}, {result.meta.period_label}".strip(", ")
    fig = static.choropleth_figure(wards, column, title=title, small_threshold=small,
                                   **_page(result))
    return Image(title, _png(fig, dpi))


def _lisa_map(result: RunResult, dpi: int) -> Image | None:
    if "lisa_label" not in result.wards:
        return None
    title = "Clusters (local Moran's I)"
    return Image(title, _png(static.lisa_figure(result.wards, title=title, **_page(result)), dpi))


def _page(result: RunResult) -> dict:
    # Landscape pages fit a Word page's text width without running onto a second page.
    return {"page": "a4-landscape", "attributions": list(result.meta.attributions)}


def _gi_map(result: RunResult, bins: pd.Series, dpi: int) -> Image:
    title = "Hot spots and cold spots (Getis-Ord Gi*)"
    return Image(title, _png(static.gi_figure(result.wards, title=title, **_page(result)), dpi))


def _change_map(result: RunResult, dpi: int, public: bool, threshold: int) -> Image:
    wards = result.wards
    values = wards["change_pct"]
    if public:
        from wardmap.disclosure import mask_small_counts

        values = mask_small_counts(wards, threshold, mode="hide")["change_pct"]
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    from wardmap.brief.narrative import comparison_title

    title = comparison_title(result.summary.get("change") or {})
    fig = static.choropleth_figure(wards.assign(change_pct=arr), "change_pct", title=title,
                                   scheme="user", breaks=list(CHANGE_BREAKS), palette="RdBu_r",
                                   diverging=True, legend_title="Change (%)", **_page(result))
    return Image(title, _png(fig, dpi))


def _spc_chart(result: RunResult, spc: dict, dpi: int) -> Image:
    points = pd.DataFrame(spc["points"])
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    x = np.arange(len(points))
    ax.plot(x, points["value"], marker="o", color="#333333", lw=1.2, ms=4, label="Month")
    ax.plot(x, points["centre"], color="#1b7837", lw=1, label="Centre line (average)")
    ax.plot(x, points["ucl"], color="#b2182b", lw=1, ls="--", label="Control limits (3σ)")
    ax.plot(x, points["lcl"], color="#b2182b", lw=1, ls="--")
    flagged = points["signal"].to_numpy(dtype=bool)
    ax.scatter(x[flagged], points.loc[flagged, "value"], s=60, facecolors="none",
               edgecolors="#d6604d", lw=1.6, zorder=3, label="Signal")
    ax.set_xticks(x, points["period"], rotation=60, ha="right", fontsize=7)
    what = "incidents per 1,000 residents" if spc["chart"] == "u" else "incidents"
    ax.set_ylabel("Per 1,000 residents" if spc["chart"] == "u" else "Incidents")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.32), frameon=False,
              ncols=4)
    ax.spines[["top", "right"]].set_visible(False)
    title = f"Monthly {what}, {spc['chart']}-chart ({spc['label']})"
    ax.set_title(title, fontsize=10, loc="left")
    fig.tight_layout()
    return Image(title, _png(fig, dpi), "Signals: points outside the limits; 8 or more months "
                 "in a row on one side of the centre line.")


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()
