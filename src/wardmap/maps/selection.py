"""The select stage's cluster colours and within-cluster similarity chart (the focus and
cluster pages are in wardmap.maps.areas, clusters.html in wardmap.maps.interactive).

Figures are built with matplotlib's Figure API on an Agg canvas (no pyplot, no backend
switch) inside a plain-text rc context: ward names, reasons and notes come from input files
and must never be parsed as mathtext (an unparsable "$...$" would crash the run).
"""

from __future__ import annotations

import warnings
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


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(fig)
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
