"""Files of the select stage: focus.csv, clusters.csv, a cluster map (HTML, PNG) and a
within-cluster similarity chart. The run's main map (map.html/map.png) outlines the rank-1
focus area itself, from ``RunResult.focus``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.result import SYNTHETIC_NOTICE, RunResult
from wardmap.select.focus import write_focus

# Qualitative colours (ColorBrewer Set3, colour-blind friendlier order); neighbouring clusters
# get different colours by greedy graph colouring, so a few colours suffice.
CLUSTER_COLOURS = ["#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69",
                   "#fccde5", "#ffffb3", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9"]


def focus_writer(result: RunResult, folder: Path) -> None:
    """An export-stage writer: focus.csv (and focus.png with maps) when focus areas exist."""
    if result.focus is None:
        return
    write_focus(result.focus, folder)
    if result.config.maps.enabled and len(result.focus):
        write_focus_map(result.focus, result.wards, folder / "focus.png",
                        result.meta.attributions, _notes(result), title=_title(result),
                        subtitle=_subtitle(result), dpi=result.config.maps.dpi)


def _notes(result: RunResult) -> list[str]:
    """Page notes, as on the run's other maps: a synthetic borough says so."""
    return [SYNTHETIC_NOTICE] if result.meta.synthetic else []


def _title(result: RunResult) -> str:
    return f"{result.meta.area_name}: task-force focus areas"


def _subtitle(result: RunResult) -> str:
    from wardmap.maps.writer import crime_types_text

    return " · ".join(x for x in (crime_types_text(result), result.meta.period_label) if x)


def write_focus_map(
    focus: pd.DataFrame, wards: gpd.GeoDataFrame, path: Path,
    attributions: list[str] | None = None, notes: list[str] | None = None,
    title: str = "Task-force focus areas", subtitle: str = "", dpi: int = 300,
) -> Path:
    """focus.png: the top focus areas as small multiples on an A4 page (maps.areas)."""
    from wardmap.maps.areas import focus_figure
    from wardmap.maps.writer import save_figure

    figure = focus_figure(focus, wards, title=title, subtitle=subtitle,
                          attributions=attributions or [], notes=notes or [])
    return save_figure(figure, path, dpi)


# Columns of clusters.csv that reveal no ward's own figures.
CLUSTER_COLUMNS = ["ward_code", "ward_name", "cluster", "cluster_size", "cluster_wards",
                   "within_distance"]


def clusters_writer(result: RunResult, folder: Path) -> None:
    """An export-stage writer: the cluster files when the select stage found clusters.

    Public outputs leave out the variables' values: a ward's rate (or a small cluster's mean)
    could give away a small count that the ward table suppresses.
    """
    clusters = result.clusters
    if clusters is None:
        return
    if result.config.output.public:
        attrs = clusters.attrs
        clusters = clusters[CLUSTER_COLUMNS].copy()
        clusters.attrs.update(attrs)
    write_clusters(clusters, result.wards, folder, result.meta.attributions, _notes(result),
                   title=f"{result.meta.area_name}: ward clusters", subtitle=_subtitle(result),
                   dpi=result.config.maps.dpi, basemap=result.config.maps.basemap)


def write_clusters(
    clusters: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    out_dir: str | Path,
    attributions: list[str] | None = None,
    notes: list[str] | None = None,
    title: str = "Ward clusters",
    subtitle: str = "",
    dpi: int = 300,
    basemap: str = "none",
) -> dict[str, Path]:
    """clusters.csv, clusters.html, clusters.png and cluster_similarity.png in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out / "clusters.csv",
        "html": out / "clusters.html",
        "png": out / "clusters.png",
        "similarity": out / "cluster_similarity.png",
    }
    clusters.to_csv(paths["csv"], index=False, float_format="%.4f", lineterminator="\n")
    shapes = _cluster_shapes(clusters, wards)
    from wardmap.maps.areas import clusters_figure
    from wardmap.maps.interactive import clusters_map, page_html
    from wardmap.maps.writer import save_figure

    page = {"title": title, "subtitle": subtitle, "attributions": attributions or [],
            "notes": notes or []}
    fmap = clusters_map(shapes, basemap=basemap, **page)
    paths["html"].write_text(page_html(fmap, title), encoding="utf-8")
    save_figure(clusters_figure(shapes, **page), paths["png"], dpi)
    save_figure(_similarity_chart(clusters), paths["similarity"], dpi)
    return paths


def _cluster_shapes(clusters: pd.DataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    shapes = wards[["ward_code", "geometry"]].merge(
        clusters.drop(columns=["ward_name"], errors="ignore"), on="ward_code", how="inner"
    )
    shapes = gpd.GeoDataFrame(shapes, geometry="geometry", crs=wards.crs)
    shapes = shapes.merge(wards[["ward_code", "ward_name"]], on="ward_code")
    shapes["colour"] = shapes["cluster"].map(_colour_clusters(shapes))
    return shapes


def _colour_clusters(shapes: gpd.GeoDataFrame) -> dict[int, str]:
    """Greedy colouring of the cluster adjacency graph, clusters in id order."""
    outlines = shapes.dissolve(by="cluster")
    # "intersects", not "touches": generalised boundaries overlap or gap by a few metres.
    near = outlines[["geometry"]].copy()
    near["geometry"] = near.buffer(1.0)
    touching = gpd.sjoin(near, near, predicate="intersects")
    neighbours: dict[int, set[int]] = {}
    for left, right in zip(touching.index, touching["cluster_right"], strict=True):
        if left != right:
            neighbours.setdefault(int(left), set()).add(int(right))
    colours: dict[int, str] = {}
    for cluster in sorted(outlines.index):
        used = {colours.get(other) for other in neighbours.get(int(cluster), ())}
        free = [c for c in CLUSTER_COLOURS if c not in used]
        colours[int(cluster)] = free[0] if free else CLUSTER_COLOURS[int(cluster) % 12]
    return colours


def _similarity_chart(clusters: pd.DataFrame):
    """A bar per cluster: the mean distance between its wards, against any two wards."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    per = clusters.groupby("cluster").agg(distance=("within_distance", "first"),
                                          wards=("cluster_wards", "first"))
    overall = clusters.attrs.get("overall_distance", np.nan)
    fig = Figure(figsize=(8, 0.35 * len(per) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.35, 0.18, 0.6, 0.7))
    labels = [f"{c}: {w}" if len(w) < 60 else f"{c}: {w[:57]}..." for c, w in
              zip(per.index, per["wards"], strict=True)]
    ax.barh(range(len(per)), per["distance"].fillna(0.0), color="#80b1d3")
    ax.set_yticks(range(len(per)))
    ax.set_yticklabels(labels, fontsize=7)
    for label in ax.get_yticklabels():
        label.set_parse_math(False)
    ax.invert_yaxis()
    if np.isfinite(overall):
        ax.axvline(overall, color="#d62728", linestyle="--",
                   label=f"any two wards: {overall:.2f}")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("Mean distance between a cluster's wards (standardised units; lower = alike)",
                  fontsize=8)
    share = clusters.attrs.get("within_share")
    title = "Within-cluster similarity"
    if share is not None and np.isfinite(share):
        title += f" — {share:.0%} of the variation lies within clusters"
    ax.set_title(title, fontsize=10)
    return fig
