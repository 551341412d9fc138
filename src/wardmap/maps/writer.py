"""write_maps: every map product of a run, written into one folder."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wardmap.config import MapsConfig
from wardmap.cube import counted
from wardmap.errors import ConfigError, WardmapError
from wardmap.maps import display, style
from wardmap.result import SYNTHETIC_NOTICE, RunResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)
REQUIRED = ("ward_code", "ward_name", "geometry")


def write_all(result: RunResult, out_dir: Path,
              alongside: Callable[[], object] | None = None) -> list[Path]:
    """map.html, map.png (+ svg/pdf), and map_change, map_lisa, map_gi, map_panels and heatmap
    when the ward table and records allow."""
    from wardmap.maps import interactive, parallel

    _check(result)
    check_config(result.config.maps)
    result = _drawable(result)
    main_column(result.wards, result.meta.measure)  # something to map, or a clear reason
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _figure_jobs(result)  # imports matplotlib once, before the work is split
    # Two shares drawn at once (see parallel.py), balanced by each page's usual cost;
    # map.html (with folium's import) goes with the second.
    mine, theirs = _split(jobs, head_start=COST["html"] - (COST["tables"] if alongside else 0))

    def first() -> list[Path]:
        if alongside is not None:
            alongside()
        return _draw(mine, out_dir, result)

    def second() -> list[Path]:
        html = interactive.write_html(result, out_dir / "map.html")
        return [html, *_draw(theirs, out_dir, result)]

    drawn, other = parallel.both(first, second)
    return other[:1] + drawn + other[1:]


# Relative cost of each product (measured on Maidstone and England): the four-panel page
# draws the wards four times.
COST = {"html": 1.5, "tables": 0.8, "map_panels": 2.5, "heatmap": 0.8}


def _split(jobs: list, head_start: float) -> tuple[list, list]:
    """Jobs in two shares of about equal cost (greedy, costliest first); the second share
    starts ``head_start`` ahead of the first (behind when negative)."""
    mine, theirs, a, b = [], [], 0.0, head_start
    for job in sorted(jobs, key=lambda j: -COST.get(j[0], 1.0)):
        if a <= b:
            mine.append(job)
            a += COST.get(job[0], 1.0)
        else:
            theirs.append(job)
            b += COST.get(job[0], 1.0)
    return mine, theirs


def _draw(jobs: list, out_dir: Path, result: RunResult) -> list[Path]:
    written = []
    for name, build in jobs:
        written += _save(build(), out_dir, name, result)
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


def _figure_jobs(result: RunResult) -> list[tuple[str, Callable[[], Figure]]]:
    """(file stem, figure builder) pairs: each figure is built only when it is drawn, one at a
    time, so that memory stays flat."""
    from matplotlib.backends import backend_agg  # noqa: F401 - every page needs it

    from wardmap.maps import heatmap, panels, static

    wards, meta, cfg = result.wards, result.meta, result.config.maps
    public, threshold = result.config.output.public, result.config.output.threshold
    values = display.colour_values(wards, public, threshold)
    # Attributions are the run's to decide (none for the synthetic demo).
    common = {"page": cfg.page, "attributions": list(meta.attributions), "notes": _notes(result)}
    context = None
    if cfg.context:
        from wardmap.maps.context import read_context

        context = read_context(cfg.context, wards)
    no_data = {"no_data_label": style.SUPPRESSED_LABEL if public else style.NO_DATA_LABEL}
    title = meta.area_name
    column = main_column(values, meta.measure)
    small = threshold if public and column == "incidents" else None
    jobs: list[tuple[str, Callable[[], Figure]]] = [("map", lambda: static.choropleth_figure(
        values, column, title=title, subtitle=_subtitle(result, column),
        scheme=cfg.scheme, k=cfg.k, breaks=cfg.breaks, palette=cfg.palette,
        small_threshold=small, labels=cfg.labels, outline=_focus_codes(result),
        outline_label="Focus area (rank 1)", context=context, **no_data, **common,
    ))]
    if "change_pct" in values and np.isfinite(pd.to_numeric(values["change_pct"])).any():
        jobs.append(("map_change", lambda: static.choropleth_figure(
            values, "change_pct", title=title,
            subtitle=_subtitle(result, "Change on the comparison period"),
            scheme="user", breaks=style.CHANGE_BREAKS, palette=cfg.change_palette,
            diverging=True, legend_title="Change (%)", labels=cfg.labels, **no_data, **common)))
    for rate in [c for c in wards.columns if str(c).startswith("rate_per_1000_")]:
        # Rates per 1,000 of another denominator (--per households): wardmap.peers.
        jobs.append((f"map_rate_{rate.removeprefix('rate_per_1000_')}",
                     lambda rate=rate: _per_noun_map(result, values, rate, no_data, common)[1]))
    if "lisa_label" in wards:
        jobs.append(("map_lisa", lambda: static.lisa_figure(
            wards, title=title, subtitle=_subtitle(result, "Local Moran's I (LISA) clusters"),
            labels=cfg.labels, context=context, **common)))
    if "gi_bin" in wards:
        jobs.append(("map_gi", lambda: static.gi_figure(
            wards, title=title, subtitle=_subtitle(result, "Getis-Ord Gi* hot and cold spots"),
            labels=cfg.labels, context=context, **common)))
    if "hot_spot_change" in wards:
        from wardmap.maps.compare import hot_spot_change_figure

        jobs.append(("map_hot_spot_change", lambda: hot_spot_change_figure(
            result, labels=cfg.labels, **common)))
    jobs.append(("map_panels", lambda: panels.briefing_figure(
        values, count_column=display.count_column(wards), title=title,
        subtitle=_subtitle(result, None), scheme=cfg.scheme, k=cfg.k, breaks=cfg.breaks,
        palette=cfg.palette, small_threshold=threshold if public else None, **no_data,
        **common)))
    if _has_months(counted(result)) and not public:
        # Not published from a public run: most ward-month counts are small, and withholding
        # them would not stop them being worked out from the wards' totals (docs/disclosure.md).
        counts = heatmap.ward_month_counts(counted(result), wards)
        if counts.shape[1]:  # no record placed in a ward: no months to draw
            jobs.append(("heatmap", lambda: heatmap.ward_month_figure(
                counts, title=title,
                subtitle=_subtitle(result, "Recorded incidents by ward and month"),
                small_threshold=threshold if public else None, **common)))
    return jobs


def _per_noun_map(result: RunResult, values: pd.DataFrame, rate: str, no_data: dict,
                  common: dict) -> tuple[str, object]:
    """The choropleth of a rate per 1,000 households (dwellings...), its words following the
    noun; in public outputs blank where the ward's count is suppressed."""
    from wardmap.disclosure import is_small
    from wardmap.maps import static

    noun = rate.removeprefix("rate_per_1000_")
    wards, cfg = result.wards, result.config.maps
    if result.config.output.public and "incidents" in wards:
        small = is_small(wards["incidents"], result.config.output.threshold)
        values = values.assign(**{rate: pd.to_numeric(values[rate]).where(~small)})
    what = "Incidents" if "incidents" in wards else (result.config.inputs.value_col or "Value")
    label = f"{what} per 1,000 {noun.replace('_', ' ')}"
    figure = static.choropleth_figure(
        values, rate, title=result.meta.area_name, subtitle=_subtitle(result, label),
        legend_title=label, scheme=cfg.scheme, k=cfg.k, breaks=cfg.breaks,
        palette=cfg.palette, labels=cfg.labels, **no_data, **common)
    return f"map_rate_{noun}", figure


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
        save_figure(figure, path, cfg.dpi, fmt)
        paths.append(path)
    figure.clear()
    return paths


def save_figure(figure: Figure, path: Path, dpi: int, fmt: str = "png") -> Path:
    """Save a figure; PNGs through png.figure_png (quicker, and the dpi recorded). Text is
    drawn as plain text: names come from input files, and tick labels made while drawing
    must not be parsed as mathtext either (an unparsable "$...$" would end the run)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        if fmt == "png":
            from wardmap.maps import png

            return png.figure_png(figure, path, dpi)
        figure.savefig(path, dpi=dpi, format=fmt, metadata=_metadata(fmt))
    return path


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
        counts = what in ("incidents", "value") and meta.measure in ("incidents", "value")
        what = measure_label(what, meta.measure_label if what == meta.measure else None)
        if counts and not _has_population(result.wards):
            what += " (counts — no population given)"
    parts = [what, crime_types_text(result), meta.period_label]
    return " · ".join(p for p in parts if p)


def crime_types_text(result: RunResult) -> str:
    """What is counted, in the data's own words: a named group is followed by the police.uk
    types it stands for ("violent crime (Violence and sexual offences, Robbery)")."""
    wanted = result.config.filters.crime_types
    if not wanted:
        return result.meta.crime_types_label
    groups = {name.lower(): members for name, members in result.config.crime_groups().items()}
    parts = []
    for name in wanted:
        members = groups.get(name.lower().strip())
        parts.append(f"{name} ({', '.join(members)})" if members else name)
    return "; ".join(parts)


def _has_population(wards: pd.DataFrame) -> bool:
    return "population" in wards and bool(pd.to_numeric(wards["population"],
                                                         errors="coerce").notna().any())


def _notes(result: RunResult) -> list[str]:
    notes = [SYNTHETIC_NOTICE] if result.meta.synthetic else []
    if result.config.output.public:
        from wardmap.disclosure import suppression_label

        notes.append(f"Small counts shown as {suppression_label(result.config.output.threshold)}")
    from wardmap.normalise import population_note

    if "incidents" in result.wards and population_note(result.wards):
        notes.append(population_note(result.wards))
    return notes
