"""Files of the select stage: focus.csv, clusters.csv, a cluster map (HTML, PNG) and a
within-cluster similarity chart. The run's main map (map.html/map.png) outlines the rank-1
focus area itself, from ``RunResult.focus``. The drawing is in wardmap.maps.selection."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from wardmap.result import SYNTHETIC_NOTICE, RunResult
from wardmap.select.focus import write_focus


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


def write_focus_map(
    focus: pd.DataFrame, wards: gpd.GeoDataFrame, path: Path,
    attributions: list[str] | None = None, notes: list[str] | None = None,
) -> Path:
    """focus.png: a static map of the rank-1 area for a committee paper (wardmap.maps)."""
    from wardmap.maps import selection

    return selection.save(selection.focus_figure(focus, wards, attributions or [], notes or []),
                          path)


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
    clusters.to_csv(paths["csv"], index=False, float_format="%.4f", lineterminator="\n")
    from wardmap.maps import selection

    shapes = selection.cluster_shapes(clusters, wards)
    selection.write_clusters_html(shapes, paths["html"],
                                  "; ".join([*(notes or []), *(attributions or [])]))
    selection.save(selection.clusters_figure(shapes, "; ".join(attributions or []), notes or []),
                   paths["png"])
    selection.save(selection.similarity_figure(clusters), paths["similarity"])
    return paths
