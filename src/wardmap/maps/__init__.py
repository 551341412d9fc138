"""Maps people read: map.html (folium/Leaflet) and report-ready static images (matplotlib).

    write_maps(result, out_dir) -> list of files written
    maps_writer(result, out_dir) -> the run with the maps' warnings (the export stage's writer)

Building blocks reused by other outputs (pure: they return figures, the caller saves):
static.choropleth_figure, static.lisa_figure, static.gi_figure, panels.briefing_figure,
heatmap.ward_month_figure, interactive.interactive_map. Heavy libraries are imported inside
the submodules, so importing wardmap.maps stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wardmap.result import RunResult


def write_maps(result: RunResult, out_dir: Path) -> list[Path]:
    """Write map.html and the static images for a run into out_dir; return the paths."""
    from wardmap.maps.writer import write_all

    return write_all(result, Path(out_dir))


def maps_writer(result: RunResult, out_dir: Path) -> RunResult:
    """The export stage's writer: the maps, and the run with any warning they raised."""
    from wardmap.maps.writer import shapeless_warning

    write_maps(result, out_dir)
    warning = shapeless_warning(result)
    return result.with_warnings(warning) if warning else result


__all__ = ["maps_writer", "write_maps"]
