"""The command line: flags become a Config; the pipeline does the work.

Exit codes: 0 success, 2 bad input or usage (one-line reason on stderr), 1 anything else.
Set WARDMAP_DEBUG=1 to see a traceback for unexpected errors.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from wardmap import __version__
from wardmap.config import Config, load_config
from wardmap.errors import WardmapError
from wardmap.vocabulary import p_phrase

# Every flag that sets a config field: (flag, "section.field", help, click overrides). Type,
# choices and repeatability come from the field's type hint, as TOML validation does; a flag
# given overrides the config file, a flag left out leaves it alone.
Flag = tuple[str, str, str, dict[str, Any]]
_PATH = {"type": click.Path()}
RUN_FLAGS: tuple[Flag, ...] = (
    ("--boundaries", "inputs.boundaries", "Ward boundaries: GeoJSON, GeoPackage, Shapefile or "
     "GeoParquet.", _PATH),
    ("--incidents", "inputs.incidents", "Incident records: a CSV, a folder of CSVs or a "
     "police.uk zip (repeatable).", _PATH),
    ("--counts", "inputs.counts", "A ward-level table (CSV/XLSX) keyed by ward code or name, "
     "instead of incident records.", _PATH),
    ("--value-col", "inputs.value_col", "The numeric column of --counts to analyse.", {}),
    ("--key-col", "inputs.counts_key_col", "The ward code or name column of --counts "
     "(detected if omitted).", {}),
    ("--code-col", "inputs.code_col", "Boundary column holding ward codes (detected if "
     "omitted).", {}),
    ("--name-col", "inputs.name_col", "Boundary column holding ward names (detected if "
     "omitted).", {}),
    ("--population", "inputs.population", "Residents per ward (CSV/XLSX keyed by ward code "
     "or name).", _PATH),
    ("--population-col", "inputs.population_col", "Population column (default: 'All Ages', "
     "'population', ...).", {}),
    ("--lon-col", "inputs.lon_col", "Longitude column of a generic point CSV.", {}),
    ("--lat-col", "inputs.lat_col", "Latitude column of a generic point CSV.", {}),
    ("--x-col", "inputs.x_col", "Easting column of a generic point CSV.", {}),
    ("--y-col", "inputs.y_col", "Northing column of a generic point CSV.", {}),
    ("--points-crs", "inputs.points_crs", "CRS of --x-col/--y-col (default EPSG:27700).", {}),
    ("--date-col", "inputs.date_col", "Date or month column of a generic point CSV.", {}),
    ("--crime-type-col", "inputs.crime_type_col", "Crime type column of a generic point CSV.",
     {}),
    ("--encoding", "inputs.encoding", "Text encoding of CSV inputs (default utf-8; Excel "
     "often writes cp1252).", {}),
    ("--area-name", "inputs.area_name", "Name of the area for titles, e.g. 'Maidstone'.", {}),
    ("--crs", "inputs.crs", "Projected CRS for analysis (default EPSG:27700).", {}),
    ("--snap-tolerance", "inputs.snap_tolerance", "Metres within which records outside every "
     "ward are snapped to the nearest (default 100).", {}),
    ("--months", "filters.months", "Only records in this month range.",
     {"metavar": "YYYY-MM:YYYY-MM"}),
    ("--period", "periods.period", "rolling12: the 12 months ending --period-end; fytd: April "
     "to --period-end; calendar: January to December; custom: the --months range. Default: "
     "--months, or every month in the data.",
     {"type": click.Choice(["rolling12", "fytd", "calendar", "custom"])}),
    ("--period-end", "periods.end", "Last month of the period (default: the latest month in "
     "the data).", {"metavar": "YYYY-MM"}),
    ("--compare", "periods.compare", "Comparison period (default: the same months a year "
     "earlier, when the data covers them).", {"metavar": "YYYY-MM:YYYY-MM"}),
    ("--crime-type", "filters.crime_types", "Only these crime types or named groups such as "
     "'violent crime' (repeatable).", {}),
    ("--exclude-location", "locations.exclude", "Leave out the map points with this police.uk "
     "Location text ('On or near Hospital' or 'Hospital'), or one map point given as LON,LAT "
     "(repeatable; counted as excluded_location in accounting.json).", {"metavar": "TEXT"}),
    ("--measure", "stats.measure", "Ward-table column to test (default auto: rate_eb with a "
     "population, else incidents; count and rate mean incidents and rate_per_1000).", {}),
    ("--weights", "stats.weights", "Spatial weights (default queen).", {}),
    ("--k", "stats.k", "Neighbours per ward for --weights knn (default 6).",
     {"type": click.IntRange(1, 100)}),
    ("--distance", "stats.distance", "Band in metres for --weights distance.",
     {"type": click.FloatRange(0, min_open=True)}),
    ("--islands", "stats.islands", "Wards with no neighbour: join to nearest (default) or "
     "label 'Island'.", {}),
    ("--permutations", "stats.permutations", "Permutations for pseudo p-values (default 999).",
     {"type": click.IntRange(0, 99_999)}),
    ("--seed", "stats.seed", "Random seed (same seed, same results).", {}),
    ("--correction", "stats.correction", "Multiple-testing correction for local statistics "
     "(default fdr).", {}),
    ("--alpha", "stats.alpha", "Significance level (default 0.05).",
     {"type": click.FloatRange(0, 1, min_open=True, max_open=True)}),
    ("--maps/--no-maps", "maps.enabled", "Draw the maps (default), or write the tables only.",
     {}),
    ("--public", "output.public", "Suppress small counts (1-4 shown as '<5') in every output.",
     {}),
    ("--out", "output.out", "Output folder (default outputs/run).", _PATH),
)
FOCUS_FLAGS: tuple[Flag, ...] = (
    ("--size", "focus.size", "Wards per focus area, 1-4 (default 2).",
     {"type": click.IntRange(1, 4)}),
    ("--exclude", "focus.exclude", "Leave this ward out, by code or name (repeatable).",
     {"metavar": "WARD"}),
    ("--max-population", "focus.max_population", "Largest total population of an area.",
     {"type": click.FloatRange(0, min_open=True)}),
    ("--top", "focus.top", "Areas to list (default 10).", {"type": click.IntRange(1, 10_000)}),
    ("--indicator", "focus.indicators", "Indicator for the score: a crime group ('asb', "
     "'violent crime'), a crime type, 'NAME count', 'NAME change', 'harm', a partner table or "
     "a ward column such as gi_z (repeatable; default: the measure analysed).",
     {"metavar": "NAME[:WEIGHT]"}),
    ("--harm-weights", "focus.harm_weights", "TOML or CSV of harm weights per crime type "
     "(crime_type,weight).", _PATH),
    ("--standardise", "focus.standardise", "Put indicators on one scale by z-score (default) "
     "or rank.", {}),
)
CLUSTER_FLAGS: tuple[Flag, ...] = (
    ("--max-size", "clusters.max_size", "Most wards in a cluster (default 4).",
     {"type": click.IntRange(1, 1000)}),
    ("--variables", "clusters.variables", "Variable to group wards on, named as for `wardmap "
     "focus --indicator` (repeatable; default: the crime groups' rates).",
     {"metavar": "NAME[:WEIGHT]"}),
)
BRIEF_FLAGS: tuple[Flag, ...] = (
    ("--title", "brief.title", "Title of the briefing (default: area and crime types).", {}),
    ("--focus", "brief.focus", "Also choose task-force focus areas ([focus] settings) and "
     "report them.", {}),
)


def _dest(field: str) -> str:
    return field.replace(".", "__")


def _option(flag: Flag) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A click option typed from the config field it sets."""
    name, field, help_text, overrides = flag
    section, key = field.split(".")
    section_type = typing.get_type_hints(Config)[section]
    hint = typing.get_type_hints(section_type)[key]
    return click.option(name, _dest(field), help=help_text, **{**_kind(hint), **overrides})


def _kind(hint: Any) -> dict[str, Any]:
    """click's type, repeatability and flag-ness for a config field's type hint."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        hint, args = args[0], list(typing.get_args(args[0]))
    origin = typing.get_origin(hint)
    if origin is list:
        return {**_kind(args[0]), "multiple": True}
    if origin is typing.Literal:
        return {"type": click.Choice([str(a) for a in args])}
    if hint is bool:
        return {"is_flag": True, "default": None}
    return {"type": hint}


def with_flags(*tables: tuple[Flag, ...], config_argument: bool = True
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the flags of ``tables`` (and the CONFIG argument) to a command."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for flag in reversed([f for table in tables for f in table]):
            command = _option(flag)(command)
        if config_argument:
            command = click.argument("config_path", required=False, type=click.Path(),
                                     metavar="[CONFIG.toml]")(command)
        return command

    return decorate


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add `wardmap run`'s flags (and CONFIG) to a command."""
    return with_flags(RUN_FLAGS)(command)


def config_from_options(config_path: str | None, options: dict[str, Any],
                        base: Config | None = None) -> Config:
    """The config file (or ``base``, or the defaults) with every flag the user gave over it.

    A new Config: ``base`` is left as it was.
    """
    config = load_config(config_path) if config_path else (base or Config())
    given: dict[str, dict[str, Any]] = {}
    for dest, value in options.items():
        if "__" not in dest or value is None or value == ():
            continue
        section, key = dest.split("__")
        given.setdefault(section, {})[key] = list(value) if isinstance(value, tuple) else value
    if given.get("periods", {}).get("period") == "custom" and (
            given.get("filters", {}).get("months") or config.filters.months):
        months = given.get("filters", {}).get("months") or config.filters.months
        given["periods"]["months"] = months
    return dataclasses.replace(config, **{
        section: dataclasses.replace(getattr(config, section), **values)
        for section, values in given.items()})


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn WardmapError into a one-line reason and exit 2; anything else into exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except WardmapError as exc:
            click.echo(f"wardmap: error: {exc}", err=True)
            sys.exit(2)
        except (click.ClickException, click.exceptions.Exit, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("WARDMAP_DEBUG") == "1":
                raise
            click.echo(f"wardmap: unexpected error: {type(exc).__name__}: {exc} "
                       "(set WARDMAP_DEBUG=1 for details)", err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"],
                               "max_content_width": 100})
@click.version_option(__version__, prog_name="wardmap")
def cli() -> None:
    """Ward hotspot maps for Community Safety Partnerships.

    Joins crime and incident records (police.uk CSVs or any point data) or ward-level tables to
    ward boundaries, works out rates per 1,000 residents, tests for clustering and hot spots
    (Moran's I, LISA, Getis-Ord Gi*) and writes tables and maps ready for committee reports.
    """


@cli.command()
@with_flags(RUN_FLAGS)
@reports_errors
def run(config_path: str | None, **options: Any) -> None:
    """Analyse one area: ward table, statistics, maps and an account of every record.

    Give a CONFIG.toml, flags, or both (flags win). Writes wards.csv, wards.gpkg,
    summary.json, accounting.json, manifest.json, map.html and map.png into --out, and
    focus.csv when the config has a [focus] section.
    """
    config = config_from_options(config_path, options)
    if config.focus.enabled:
        _run(config, select="focus")
    else:
        _run(config)


def _run(config: Config, select: str | None = None, writers: list[Any] | None = None) -> None:
    """The one run every command makes: analyse, an optional select step, write, report."""
    from wardmap.pipeline import run as run_pipeline
    from wardmap.progress import Steps

    writers = list(writers or [])
    step = None
    if select == "focus":
        from wardmap.select.outputs import focus_writer
        from wardmap.select.stage import focus_summary, with_focus

        writers.insert(0, focus_writer)
        step, lines = ("choosing focus areas", with_focus), focus_summary
    elif select == "clusters":
        from wardmap.select.outputs import clusters_writer
        from wardmap.select.stage import clusters_summary, with_clusters

        writers.insert(0, clusters_writer)
        step, lines = ("grouping wards into clusters", with_clusters), clusters_summary
    result = run_pipeline(config, config.output.out, Steps(), writers, select=step)
    report_run(result, Path(config.output.out))
    if select:
        click.echo("\n".join(lines(result)), err=True)


@cli.command()
@click.option("--out", type=click.Path(), default="outputs/demo", show_default=True,
              help="Output folder.")
@click.option("--no-maps", is_flag=True, help="Write the tables only.")
@click.option("--regenerate", is_flag=True,
              help="Rewrite the demo's input files in boundaries/ and data/ and stop.")
@reports_errors
def demo(out: str, no_maps: bool, regenerate: bool) -> None:
    """Run on the synthetic demo borough (not a real place) with a planted hot cluster."""
    from wardmap.demo import demo_config, repo_root, write_demo_files

    if regenerate:
        paths = write_demo_files(repo_root())
        click.echo(f"wrote the demo inputs: {', '.join(str(p) for p in paths.values())}")
        return
    config = demo_config()
    _run(replace(config, maps=replace(config.maps, enabled=not no_maps),
                 output=replace(config.output, out=out)))


def report_run(result: Any, out: Path) -> None:
    """A few lines for the analyst: where the outputs are and anything to look at."""
    summary = result.summary
    lines = [f"wardmap: {summary['wards']} wards"]
    if result.accounting:
        acc = result.accounting
        lines[0] += (f", {acc['input_rows']} records: {acc['assigned']} in a ward, "
                     f"{acc['snapped']} snapped, {acc['outside']} outside, "
                     f"{acc['missing_coordinates']} without coordinates, "
                     f"{acc['invalid_coordinates']} invalid, {acc['filtered_out']} filtered out")
        if acc.get("excluded_location"):
            lines[0] += f", {acc['excluded_location']} at excluded map points"
    moran = result.moran
    if moran is not None and moran.I is not None:
        lines.append(f"Moran's I = {moran.I:.3f}" + (f" ({p_phrase(moran.p)})"
                                                       if moran.p is not None else ""))
    lines += [f"warning: {w}" for w in result.warnings]
    lines.append(f"outputs in {out}")
    click.echo("\n".join(lines), err=True)


def main() -> None:
    cli(prog_name="wardmap")


# --- select stage: `wardmap focus` and `wardmap clusters` (docs/focus.md) -------------------
def _select_config(config_path: str | None, options: dict[str, Any], demo: bool) -> Config:
    """The run's config, or with --demo the demo borough's, with the flags given laid over."""
    if not demo:
        return config_from_options(config_path, options)
    if config_path:
        raise click.UsageError("give either --demo or a CONFIG.toml, not both")
    from wardmap.demo import demo_config

    config = config_from_options(None, options, demo_config())
    out = options.get("output__out") or "outputs/demo"
    return replace(config, output=replace(config.output, out=out))


_DEMO = click.option("--demo", "use_demo", is_flag=True,
                     help="Run on the synthetic demo borough.")


@cli.command()
@with_flags(RUN_FLAGS, FOCUS_FLAGS)
@_DEMO
@reports_errors
def focus(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Choose task-force focus areas: connected groups of wards with the highest combined
    score. Writes focus.csv (plus the run's tables and maps, the best area outlined)."""
    _run(_select_config(config_path, options, use_demo), select="focus")


@cli.command()
@with_flags(RUN_FLAGS, CLUSTER_FLAGS)
@_DEMO
@reports_errors
def clusters(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Group all wards into contiguous clusters of at most N similar wards. Writes
    clusters.csv, clusters.html, clusters.png and cluster_similarity.png."""
    _run(_select_config(config_path, options, use_demo), select="clusters")


# --- wardmap brief: the committee briefing pack (wardmap.periods, wardmap.brief) ---------------

@cli.command()
@with_flags(RUN_FLAGS, BRIEF_FLAGS)
@_DEMO
@reports_errors
def brief(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Write the run's outputs and a committee briefing pack (briefing.html, briefing.docx).

    Takes the same inputs as `wardmap run`. The briefing compares the period with the same
    months a year earlier, names the top and bottom wards, tests each change, and adds the
    control chart and hot spot findings; --public suppresses small numbers throughout.
    """
    from wardmap.brief import write_briefing

    config = _select_config(config_path, options, use_demo)
    _run(config, select="focus" if config.brief.focus else None, writers=[write_briefing])
