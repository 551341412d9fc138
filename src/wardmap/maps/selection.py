"""Maps and charts of the select stage: the rank-1 focus area, ward clusters (image and web
map) and the within-cluster similarity chart.

Figures are built with matplotlib's Figure API on an Agg canvas (no pyplot, no backend
switch) inside a plain-text rc context: ward names, reasons and notes come from input files
and must never be parsed as mathtext (an unparsable "$...$" would crash the run).
"""

from __future__ import annotations

import html
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLAIN_TEXT = {"text.parse_math": False}
# Qualitative colours (ColorBrewer Set3, colour-blind friendlier order); neighbouring clusters
# get different colours by greedy graph colouring, so a few colours suffice.
CLUSTER_COLOURS = ["#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69",
                   "#fccde5", "#ffffb3", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9"]
MAX_NAMED_WARDS = 60  # names stay legible for a borough, not for a region


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(fig)
    return fig


def _notes(fig: Figure, notes: Sequence[str]) -> None:
    for i, note in enumerate(notes):
        fig.text(0.99, 0.99 - 0.03 * i, note, fontsize=9, color="#b00020", fontweight="bold",
                 ha="right", va="top")


def focus_figure(focus: pd.DataFrame, wards: gpd.GeoDataFrame,
                 attributions: Sequence[str] = (), notes: Sequence[str] = ()) -> Figure:
    """The rank-1 area filled and outlined, excluded wards hatched, every ward named, the
    reason as the caption."""
    import matplotlib
    from matplotlib.patches import Patch

    best = set(str(focus["ward_codes"].iloc[0]).split(";"))
    excluded = set(focus.attrs.get("excluded_codes", []))
    with matplotlib.rc_context(PLAIN_TEXT):
        fig = _figure(8, 8.5)
        ax = fig.add_subplot()
        wards.plot(ax=ax, color="#f0f0f0", edgecolor="#9a9a9a", linewidth=0.5)
        out = wards[wards["ward_code"].isin(excluded)]
        if len(out):
            out.plot(ax=ax, color="#f0f0f0", edgecolor="#9a9a9a", hatch="///", linewidth=0.5)
        area = wards[wards["ward_code"].isin(best)]
        area.plot(ax=ax, color="#fdae61", edgecolor="#444444", linewidth=0.6)
        area.dissolve().boundary.plot(ax=ax, color="#d7301f", linewidth=2.5)
        if len(wards) <= MAX_NAMED_WARDS:
            for name, point in zip(wards["ward_name"], wards.representative_point(),
                                   strict=True):
                ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=6)
        handles = [Patch(facecolor="#fdae61", edgecolor="#d7301f", label="Focus area (rank 1)")]
        if len(out):
            handles.append(Patch(facecolor="#f0f0f0", hatch="///", edgecolor="#9a9a9a",
                                 label="Excluded"))
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
        ax.set_axis_off()
        ax.set_title("\n".join(textwrap.wrap(str(focus["reason"].iloc[0]), 80)), fontsize=10)
        if attributions:
            fig.text(0.01, 0.01, "; ".join(attributions), fontsize=5.5, wrap=True)
        _notes(fig, notes)
    return fig


def cluster_shapes(clusters: pd.DataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The clustered wards with their shapes and a fill colour per cluster."""
    shapes = wards[["ward_code", "geometry"]].merge(
        clusters.drop(columns=["ward_name"], errors="ignore"), on="ward_code", how="inner"
    )
    shapes = gpd.GeoDataFrame(shapes, geometry="geometry", crs=wards.crs)
    shapes = shapes.merge(wards[["ward_code", "ward_name"]], on="ward_code")
    return shapes.assign(colour=shapes["cluster"].map(cluster_colours(shapes)))


def cluster_colours(shapes: gpd.GeoDataFrame) -> dict[int, str]:
    """A colour per cluster, neighbouring clusters apart (mapclassify's greedy colouring).

    Clusters within 2 m count as neighbours: generalised boundaries overlap or gap by a few
    metres, so exact contiguity would miss some.
    """
    import mapclassify

    outlines = shapes.dissolve(by="cluster")
    if len(outlines) == 1:
        return {int(outlines.index[0]): CLUSTER_COLOURS[0]}
    with warnings.catch_warnings():  # libpysal's fuzzy contiguity uses a deprecated pandas call
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        index = mapclassify.greedy(outlines, strategy="balanced", min_distance=2.0)
    return {int(c): CLUSTER_COLOURS[int(i) % len(CLUSTER_COLOURS)] for c, i in index.items()}


def clusters_figure(shapes: gpd.GeoDataFrame, note: str = "", notes: Sequence[str] = ()
                    ) -> Figure:
    """The clusters in their colours, outlined and numbered."""
    import matplotlib

    with matplotlib.rc_context(PLAIN_TEXT):
        fig = _figure(8, 8)
        ax = fig.add_subplot()
        shapes.plot(ax=ax, color=shapes["colour"], edgecolor="#777777", linewidth=0.4)
        outlines = shapes.dissolve(by="cluster")
        outlines.boundary.plot(ax=ax, color="#222222", linewidth=1.6)
        for cluster, point in outlines.representative_point().items():
            ax.annotate(str(cluster), (point.x, point.y), ha="center", va="center", fontsize=9,
                        fontweight="bold")
        ax.set_axis_off()
        ax.set_title(f"Ward clusters ({len(outlines)} groups)")
        if note:
            fig.text(0.01, 0.01, note, fontsize=6, wrap=True)
        _notes(fig, notes)
    return fig


def similarity_figure(clusters: pd.DataFrame) -> Figure:
    """Each cluster's mean distance between its wards against that of any two wards."""
    import matplotlib

    per = clusters.groupby("cluster").agg(distance=("within_distance", "first"),
                                          wards=("cluster_wards", "first"))
    overall = clusters.attrs.get("overall_distance", np.nan)
    with matplotlib.rc_context(PLAIN_TEXT):
        fig = _figure(8, 0.35 * len(per) + 1.5)
        ax = fig.add_subplot()
        labels = [f"{c}: {w}" if len(w) < 60 else f"{c}: {w[:57]}..." for c, w in
                  zip(per.index, per["wards"], strict=True)]
        ax.barh(labels, per["distance"].fillna(0.0), color="#80b1d3")
        ax.invert_yaxis()
        if np.isfinite(overall):
            ax.axvline(overall, color="#d62728", linestyle="--",
                       label=f"any two wards: {overall:.2f}")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel("Mean distance between a cluster's wards (standardised units; lower = "
                      "alike)")
        ax.tick_params(axis="y", labelsize=7)
        share = clusters.attrs.get("within_share")
        title = "Within-cluster similarity"
        if share is not None and np.isfinite(share):
            title += f" — {share:.0%} of the variation lies within clusters"
        ax.set_title(title, fontsize=10)
    return fig


def save(fig: Figure, path: Path) -> Path:
    """Save a figure of this module (plain text kept plain while drawing)."""
    import matplotlib

    with matplotlib.rc_context(PLAIN_TEXT):
        fig.savefig(path, bbox_inches="tight")
    return path


def write_clusters_html(shapes: gpd.GeoDataFrame, path: Path, note: str) -> Path:
    """clusters.html: the clusters on an OpenStreetMap base, ward details in tooltips."""
    import folium

    web = shapes.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = web.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fields = ["ward_name", "ward_code", "cluster", "cluster_size", "cluster_wards"]
    table = web[[*fields, "colour", "geometry"]].copy()
    # folium's tooltip writes values into innerHTML as they are: escape input-derived text.
    for column in ("ward_name", "ward_code", "cluster_wards"):
        table[column] = table[column].astype(str).map(html.escape)
    folium.GeoJson(
        table.to_json(),
        name="Ward clusters",
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=["Ward", "Code", "Cluster",
                                                              "Cluster size", "Wards in cluster"]),
    ).add_to(fmap)
    outlines = web.dissolve(by="cluster").reset_index()[["cluster", "geometry"]]
    folium.GeoJson(outlines.to_json(), name="Cluster outlines",
                   style_function=lambda f: {"fill": False, "color": "#222222", "weight": 3},
                   ).add_to(fmap)
    if note:
        fmap.get_root().html.add_child(folium.Element(
            f'<div style="position:fixed;bottom:4px;left:4px;font:11px sans-serif;'
            f'background:#fff;padding:2px 4px;z-index:999">{html.escape(note)}</div>'))
    fmap.save(str(path))
    return path
