"""Files of the select stage: focus.csv, clusters.csv, a cluster map (HTML, PNG) and a
within-cluster similarity chart. The run's main map (map.html/map.png) outlines the rank-1
focus area itself, from ``RunResult.focus``."""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from wardmap.result import SYNTHETIC_NOTICE, RunResult
from wardmap.select.focus import write_focus

# Ward names, reasons and notes come from input files: drawn as plain text, never as
# matplotlib mathtext (an unparsable "$...$" would crash the run).
PLAIN_TEXT = {"text.parse_math": False}

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
                        result.meta.attributions, _notes(result))


def _notes(result: RunResult) -> list[str]:
    """Page notes, as on the run's other maps: a synthetic borough says so."""
    return [SYNTHETIC_NOTICE] if result.meta.synthetic else []


def _draw_notes(fig, notes: list[str]) -> None:
    for i, note in enumerate(notes):
        fig.text(0.99, 0.99 - 0.03 * i, note, fontsize=9, color="#b00020", fontweight="bold",
                 ha="right", va="top")


def write_focus_map(
    focus: pd.DataFrame, wards: gpd.GeoDataFrame, path: Path,
    attributions: list[str] | None = None, notes: list[str] | None = None,
) -> Path:
    """A static map for a committee paper: the rank-1 area filled and outlined, excluded wards
    hatched, every ward named, the reason as the caption."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    best = set(str(focus["ward_codes"].iloc[0]).split(";"))
    excluded = set(focus.attrs.get("excluded_codes", []))
    with matplotlib.rc_context(PLAIN_TEXT):
        fig, ax = plt.subplots(figsize=(8, 8.5), dpi=150)
        wards.plot(ax=ax, color="#f0f0f0", edgecolor="#9a9a9a", linewidth=0.5)
        out = wards[wards["ward_code"].isin(excluded)]
        if len(out):
            out.plot(ax=ax, color="#f0f0f0", edgecolor="#9a9a9a", hatch="///", linewidth=0.5)
        area = wards[wards["ward_code"].isin(best)]
        area.plot(ax=ax, color="#fdae61", edgecolor="#444444", linewidth=0.6)
        area.dissolve().boundary.plot(ax=ax, color="#d7301f", linewidth=2.5)
        if len(wards) <= 60:  # names stay legible for a borough, not for a region
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
        _draw_notes(fig, notes or [])
        fig.savefig(path, bbox_inches="tight")
        plt.close(fig)
    return path


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
    write_clusters(clusters, result.wards, folder, result.meta.attributions, _notes(result))


def write_clusters(
    clusters: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    out_dir: str | Path,
    attributions: list[str] | None = None,
    notes: list[str] | None = None,
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
    from wardmap.export import spreadsheet_safe

    spreadsheet_safe(clusters).to_csv(paths["csv"], index=False, float_format="%.4f",
                                      lineterminator="\n")
    shapes = _cluster_shapes(clusters, wards)
    note = "; ".join([*(notes or []), *(attributions or [])])
    _html_map(shapes, paths["html"], note)
    import matplotlib

    with matplotlib.rc_context(PLAIN_TEXT):
        _png_map(shapes, paths["png"], "; ".join(attributions or []), notes or [])
        _similarity_chart(clusters, paths["similarity"])
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


def _html_map(shapes: gpd.GeoDataFrame, path: Path, note: str) -> None:
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


def _png_map(shapes: gpd.GeoDataFrame, path: Path, note: str, notes: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 8), dpi=150)
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
    _draw_notes(fig, notes)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def _similarity_chart(clusters: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = clusters.groupby("cluster").agg(distance=("within_distance", "first"),
                                          wards=("cluster_wards", "first"))
    overall = clusters.attrs.get("overall_distance", np.nan)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(per) + 1.5), dpi=150)
    labels = [f"{c}: {w}" if len(w) < 60 else f"{c}: {w[:57]}..." for c, w in
              zip(per.index, per["wards"], strict=True)]
    ax.barh(labels, per["distance"].fillna(0.0), color="#80b1d3")
    ax.invert_yaxis()
    if np.isfinite(overall):
        ax.axvline(overall, color="#d62728", linestyle="--",
                   label=f"any two wards: {overall:.2f}")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("Mean distance between a cluster's wards (standardised units; lower = alike)")
    ax.tick_params(axis="y", labelsize=7)
    share = clusters.attrs.get("within_share")
    title = "Within-cluster similarity"
    if share is not None and np.isfinite(share):
        title += f" — {share:.0%} of the variation lies within clusters"
    ax.set_title(title, fontsize=10)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
