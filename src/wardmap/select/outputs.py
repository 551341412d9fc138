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
    from wardmap.export import spreadsheet_safe

    spreadsheet_safe(clusters).to_csv(paths["csv"], index=False, float_format="%.4f",
                                      lineterminator="\n")
    from wardmap.maps.areas import clusters_figure
    from wardmap.maps.interactive import clusters_map, page_html
    from wardmap.maps.selection import cluster_shapes, similarity_figure
    from wardmap.maps.writer import save_figure

    shapes = cluster_shapes(clusters, wards)
    page = {"title": title, "subtitle": subtitle, "attributions": attributions or [],
            "notes": notes or []}
    fmap = clusters_map(shapes, basemap=basemap, **page)
    paths["html"].write_text(page_html(fmap, title), encoding="utf-8")
    save_figure(clusters_figure(shapes, **page), paths["png"], dpi)
    save_figure(similarity_figure(clusters), paths["similarity"], dpi)
    return paths
