"""write_maps: every map product of a run, written into one folder."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from wardmap.config import MapsConfig
from wardmap.errors import ConfigError, WardmapError
from wardmap.maps import display, style
from wardmap.result import SYNTHETIC_NOTICE, RunResult

log = logging.getLogger(__name__)
REQUIRED = ("ward_code", "ward_name", "geometry")


def write_all(result: RunResult, out_dir: Path) -> list[Path]:
    """map.html, map.png (+ svg/pdf), and map_change, map_lisa, map_gi, map_panels and heatmap
    when the ward table and records allow."""
    from wardmap.maps import interactive

    _check(result)
    check_config(result.config.maps)
    result = _drawable(result)
    main_column(result.wards, result.meta.measure)  # something to map, or a clear reason
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [interactive.write_html(result, out_dir / "map.html")]
    for name, figure in _figures(result):
        written += _save(figure, out_dir, name, result)
    return written


def _check(result: RunResult) -> None:
    wards = result.wards
    if wards is None or len(wards) == 0:
        raise WardmapError("no wards to map: the ward table is empty")
    missing = [c for c in REQUIRED if c not in wards]
    if missing:
        raise WardmapError(f"ward table lacks column(s) needed for maps: {', '.join(missing)}")


def check_config(cfg: MapsConfig) -> None:
    """Map settings that the config's types cannot check, before anything is written."""
    if not 20 <= cfg.dpi <= 1200:
        raise ConfigError(f"maps.dpi: {cfg.dpi} is outside 20..1200")
    if cfg.k < 1 or cfg.k > 12:
        raise ConfigError(f"maps.k: {cfg.k} classes; use 1 to 12")
    if cfg.scheme == "user" and not cfg.breaks:
        raise ConfigError("maps.breaks: scheme 'user' needs a list of class breaks")
    if cfg.web_tolerance is not None and cfg.web_tolerance < 0:
        raise ConfigError("maps.web_tolerance: must be metres >= 0")
    for name in ("palette", "change_palette"):
        style.palette_colours(getattr(cfg, name), 1)  # names the setting if unknown


def _drawable(result: RunResult) -> RunResult:
    """The run with only wards that have a shape (the others are named by shapeless_warning)."""
    import dataclasses

    geometry = result.wards.geometry
    missing = geometry.isna() | geometry.is_empty
    if not missing.any():
        return result
    if missing.all():
        raise WardmapError("no ward has a boundary shape: nothing to draw")
    log.warning(shapeless_warning(result))
    return dataclasses.replace(result, wards=result.wards.loc[~missing])


def shapeless_warning(result: RunResult) -> str | None:
    """The warning naming wards left off the maps for want of a shape, if any."""
    geometry = result.wards.geometry
    missing = geometry.isna() | geometry.is_empty
    if not missing.any() or missing.all():
        return None
    names = ", ".join(result.wards.loc[missing, "ward_name"].astype(str).head(5))
    return f"{int(missing.sum())} ward(s) without a boundary shape left off the maps: {names}"


def _figures(result: RunResult):
    """(file stem, figure) pairs, built one at a time so that memory stays flat."""
    from wardmap.maps import heatmap, panels, static

    wards, meta, cfg = result.wards, result.meta, result.config.maps
    public, threshold = result.config.output.public, result.config.output.threshold
    values = display.colour_values(wards, public, threshold)
    # Attributions are the run's to decide (none for the synthetic demo).
    common = {"page": cfg.page, "attributions": list(meta.attributions), "notes": _notes(result)}
    no_data = {"no_data_label": style.SUPPRESSED_LABEL if public else style.NO_DATA_LABEL}
    title = meta.area_name
    column = main_column(values, meta.measure)
    small = threshold if public and column == "incidents" else None
    yield "map", static.choropleth_figure(
        values, column, title=title, subtitle=_subtitle(result, column),
        scheme=cfg.scheme, k=cfg.k, breaks=cfg.breaks, palette=cfg.palette,
        small_threshold=small, labels=cfg.labels, outline=_focus_codes(result),
        outline_label="Focus area (rank 1)", **no_data, **common,
    )
    if "change_pct" in values and np.isfinite(pd.to_numeric(values["change_pct"])).any():
        yield "map_change", static.choropleth_figure(
            values, "change_pct", title=title,
            subtitle=_subtitle(result, "Change on the comparison period"),
            scheme="user", breaks=style.CHANGE_BREAKS, palette=cfg.change_palette,
            diverging=True, legend_title="Change (%)", labels=cfg.labels, **no_data, **common)
    if "lisa_label" in wards:
        yield "map_lisa", static.lisa_figure(
            wards, title=title, subtitle=_subtitle(result, "Local Moran's I (LISA) clusters"),
            labels=cfg.labels, **common)
    if "gi_bin" in wards:
        yield "map_gi", static.gi_figure(
            wards, title=title, subtitle=_subtitle(result, "Getis-Ord Gi* hot and cold spots"),
            labels=cfg.labels, **common)
    yield "map_panels", panels.briefing_figure(
        values, count_column=display.count_column(wards), title=title,
        subtitle=_subtitle(result, None), scheme=cfg.scheme, k=cfg.k, breaks=cfg.breaks,
        palette=cfg.palette, small_threshold=threshold if public else None, **no_data, **common)
    if _has_months(result.records):
        counts = heatmap.ward_month_counts(result.records, wards)
        yield "heatmap", heatmap.ward_month_figure(
            counts, title=title, subtitle=_subtitle(result, "Recorded incidents by ward and month"),
            small_threshold=threshold if public else None, **common)


def _focus_codes(result: RunResult) -> list[str]:
    """Ward codes of the rank-1 focus area (the select stage), or none."""
    from wardmap.maps.interactive import focus_outline

    spec = focus_outline(result)
    return spec.outline_codes if spec is not None else []


def main_column(wards: pd.DataFrame, measure: str) -> str:
    """The column map.png shows: the measure analysed, else the first measure with values."""
    for column in (measure, "rate_per_1000", display.count_column(wards), "value"):
        if column in wards and np.isfinite(pd.to_numeric(wards[column], errors="coerce")).any():
            return column
    raise WardmapError("nothing to map: no ward has a count, rate or value")


def _save(figure, out_dir: Path, stem: str, result: RunResult) -> list[Path]:
    cfg = result.config.maps
    paths = []
    for fmt in ["png", *[f for f in cfg.formats if f != "png"]]:
        path = out_dir / f"{stem}.{fmt}"
        figure.savefig(path, dpi=cfg.dpi, format=fmt, metadata=_metadata(fmt))
        paths.append(path)
    figure.clear()
    return paths


def _metadata(fmt: str) -> dict[str, str | None]:
    # Fixed metadata: the same run writes the same SVG/PDF bytes (no creation date).
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}


def _has_months(records: pd.DataFrame | None) -> bool:
    return records is not None and "month" in records and bool(records["month"].notna().any())


def _subtitle(result: RunResult, what: str | None) -> str:
    meta = result.meta
    from wardmap.maps.style import measure_label

    if what is not None and what in result.wards:
        what = measure_label(what, meta.measure_label if what == meta.measure else None)
    parts = [what, meta.crime_types_label, meta.period_label]
    return " · ".join(p for p in parts if p)


def _notes(result: RunResult) -> list[str]:
    notes = [SYNTHETIC_NOTICE] if result.meta.synthetic else []
    if result.config.output.public:
        from wardmap.disclosure import suppression_label

        notes.append(f"Small counts shown as {suppression_label(result.config.output.threshold)}")
    from wardmap.normalise import population_note

    if "incidents" in result.wards and population_note(result.wards):
        notes.append(population_note(result.wards))
    return notes
