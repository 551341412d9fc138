"""The command line: flags become a Config; the pipeline does the work.

Exit codes: 0 success, 2 bad input or usage (one-line reason on stderr), 143 stopped by
SIGTERM (no temporary folder left behind), 1 anything else.
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
    ("--incidents", "inputs.incidents", "Incident records: a CSV (.csv.gz too), a folder of "
     "CSVs, a police.uk zip or a spreadsheet extract (xlsx, xls, ods) (repeatable; records "
     "given twice are counted once).", _PATH),
    ("--counts", "inputs.counts", "A ward-level table (CSV, XLSX, XLS or ODS) keyed by ward "
     "code or name, instead of incident records.", _PATH),
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
    ("--snap-tolerance", "inputs.snap_tolerance", "Metres within which records in a gap "
     "between wards are snapped to the nearest (default 100; 0 turns snapping off).", {}),
    ("--district-col", "inputs.district_col", "Boundary column naming each ward's district "
     "(e.g. LAD13CD): writes districts.csv and ranks wards in their district and overall.",
     {}),
    ("--denominator", "inputs.denominator", "Households, dwellings or another count per ward "
     "(CSV/XLSX keyed by ward code or name) for rates per 1,000 of it; name it with --per.",
     _PATH),
    ("--denominator-col", "inputs.denominator_col", "The column of --denominator to use.", {}),
    ("--per", "inputs.per", "What --denominator counts, e.g. 'households' or 'dwellings' "
     "(column names follow it).", {"metavar": "NOUN"}),
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
    ("--basemap", "maps.basemap", "map.html background: none (default; the page needs no "
     "internet) or OpenStreetMap tiles.", {}),
    ("--context", "maps.context", "Roads or other lines/areas (e.g. an OS Open Roads "
     "GeoPackage) drawn beneath the ward edges and names on the static maps.", _PATH),
    ("--incident-points", "maps.incident_points", "Clustered incident points on map.html "
     "(never with --public).", {}),
    ("--public", "output.public", "Suppress small counts (1-4 shown as '<5') in every output.",
     {}),
    ("--out", "output.out", "Output folder (default outputs/COMMAND: outputs/run, "
     "outputs/brief, ...). Only an empty folder or one wardmap wrote is replaced.", _PATH),
    ("--cube", "inputs.cube", "Start from the cube.parquet of an earlier run instead of the "
     "incident records.", _PATH),
    ("--write-cube", "output.cube", "Also write cube.parquet: the counts by map point, crime "
     "type and month, for a later --cube run.", {"is_flag": True, "default": None}),
    ("--engine", "compute.engine", "local (default): stream the records through this "
     "process; dask: read and place them on a dask.distributed cluster.", {}),
    ("--scheduler", "compute.scheduler", "With --engine dask: a running scheduler, e.g. "
     "tcp://10.0.0.5:8786 (default: a local cluster).", {"metavar": "ADDRESS"}),
    ("--workers", "compute.workers", "With --engine dask and no --scheduler: worker "
     "processes of the local cluster (default: one per core).",
     {"type": click.IntRange(1, 1024)}),
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
EVALUATE_FLAGS: tuple[Flag, ...] = (
    ("--target", "evaluate.target", "A target ward, by code or name (repeatable; default: the "
     "best focus area of the [focus] section).", {"metavar": "WARD"}),
    ("--start", "evaluate.start", "First month of the intervention.", {"metavar": "YYYY-MM"}),
    ("--before", "evaluate.before", "Months before the start (default 12).",
     {"type": click.IntRange(1, 240)}),
    ("--after", "evaluate.after", "Months from the start (default 12; equal to --before).",
     {"type": click.IntRange(1, 240)}),
    ("--buffer", "evaluate.buffer", "Where crime may be displaced to: 'neighbours' (the wards "
     "touching the target, default), 'none', or wards (repeatable).",
     {"metavar": "neighbours|none|WARD"}),
    ("--control", "evaluate.control", "The control area: 'rest' (every other ward, default) "
     "or wards (repeatable).", {"metavar": "rest|WARD"}),
    ("--scale-control/--raw-control", "evaluate.scale_control", "Scale the control's change "
     "to each area's size before the start (default), or use it as it is.", {}),
)
RELATE_FLAGS: tuple[Flag, ...] = (
    ("--x", "relate.x", "First measure: a crime group or type ('asb', 'violent crime'), "
     "'NAME count', a partner table or a ward column, as for focus indicators.",
     {"metavar": "NAME"}),
    ("--y", "relate.y", "Second measure, in the same forms.", {"metavar": "NAME"}),
    *(f for f in FOCUS_FLAGS if f[0] == "--harm-weights"),
)
BRIEF_FLAGS: tuple[Flag, ...] = (
    ("--title", "brief.title", "Title of the briefing (default: area and crime types).", {}),
    ("--marking", "brief.marking", "Protective marking in the header and footer of every "
     "page (default OFFICIAL).", {}),
    ("--template", "brief.template", "The council's Word template (.docx): the briefing uses "
     "its styles, header and footer.", _PATH),
    ("--author", "brief.author", "Author in the document's properties, e.g. 'Safer Maidstone "
     "Partnership' (default: the area name).", {}),
    ("--focus", "brief.focus", "Also choose task-force focus areas ([focus] settings) and "
     "report them; implied by any focus flag (--exclude, --size, --indicator ...).", {}),
    ("--clusters", "brief.clusters", "Also group the wards into clusters of similar "
     "neighbours ([clusters] settings) and report them; implied by --max-size and "
     "--variables.", {}),
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
            from wardmap.export import stopped_by_signal

            if stopped_by_signal():  # SIGTERM, re-raised by library code as its own error
                sys.exit(stopped_by_signal())
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
    config = _default_out(config_from_options(config_path, options), options, "run")
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
    elif select == "evaluate":
        from wardmap.evaluate import evaluation_writer, with_evaluation

        writers.insert(0, evaluation_writer)
        step = ("evaluating the target area", with_evaluation)
        lines = lambda r: [f"evaluation: {r.evaluation['summary']}"]  # noqa: E731
    elif select == "relate":
        from wardmap.relate import relate_writer, with_relation

        writers.insert(0, relate_writer)
        step = ("relating the two measures", with_relation)
        lines = lambda r: [f"relate: {r.relation.summary['summary']}"]  # noqa: E731
    elif select == "focus and clusters":  # `wardmap brief` with both
        from wardmap.select.outputs import clusters_writer, focus_writer
        from wardmap.select.stage import (
            clusters_summary,
            focus_summary,
            with_clusters,
            with_focus,
        )

        writers[:0] = [focus_writer, clusters_writer]
        step = ("choosing focus areas and grouping wards", lambda r: with_clusters(with_focus(r)))

        def lines(result: Any) -> list[str]:
            return [*focus_summary(result), *clusters_summary(result)]
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
    if result.accounting and "assigned" in result.accounting:
        acc = result.accounting
        lines[0] += (f", {acc['input_rows']} records: {acc['assigned']} in a ward, "
                     f"{acc['snapped']} snapped, {acc['outside']} outside, "
                     f"{acc['missing_coordinates']} without coordinates, "
                     f"{acc['invalid_coordinates']} invalid, {acc['filtered_out']} filtered out"
                     + (f", {acc['duplicates']} duplicates" if acc.get("duplicates") else ""))
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


@cli.command()
@click.argument("incidents", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(), required=True, help="Folder for the Parquet files.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the CSVs.")
@reports_errors
def convert(incidents: tuple[str, ...], out: str, encoding: str) -> None:
    """Convert police.uk CSVs (files, folders, zips) to Parquet, one file per CSV: faster to
    read again and again (give the folder to --incidents)."""
    from wardmap.load.columnar import convert as convert_files

    written = convert_files(list(incidents), out, encoding)
    click.echo(f"wrote {len(written)} Parquet file(s) in {out}", err=True)


# --- select stage: `wardmap focus` and `wardmap clusters` (docs/focus.md) -------------------
def _select_config(config_path: str | None, options: dict[str, Any], demo: bool,
                   command: str) -> Config:
    """The run's config, or with --demo the demo borough's, with the flags given laid over."""
    if not demo:
        return _default_out(config_from_options(config_path, options), options, command)
    if config_path:
        raise click.UsageError("give either --demo or a CONFIG.toml, not both")
    from wardmap.demo import demo_config

    base = demo_config()
    if options.get("periods__period") not in (None, "custom") and not options.get(
            "filters__months"):  # a period asked for replaces the demo's own month range
        base = replace(base, filters=replace(base.filters, months=None))
    config = config_from_options(None, options, base)
    out = options.get("output__out")
    return replace(config, output=replace(config.output, out=f"outputs/demo-{command}"
                                          if out is None else out))


def _default_out(config: Config, options: dict[str, Any], command: str) -> Config:
    """Each command writes its own default folder, so one never replaces another's files."""
    from wardmap.config import OutputConfig

    if options.get("output__out") is not None or config.output.out != OutputConfig().out:
        return config
    return replace(config, output=replace(config.output, out=f"outputs/{command}"))


_DEMO = click.option("--demo", "use_demo", is_flag=True,
                     help="Run on the synthetic demo borough.")


@cli.command()
@with_flags(RUN_FLAGS, FOCUS_FLAGS)
@_DEMO
@reports_errors
def focus(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Choose task-force focus areas: connected groups of wards with the highest combined
    score. Writes focus.csv (plus the run's tables and maps, the best area outlined)."""
    _run(_select_config(config_path, options, use_demo, "focus"), select="focus")


@cli.command()
@with_flags(RUN_FLAGS, CLUSTER_FLAGS)
@_DEMO
@reports_errors
def clusters(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Group all wards into contiguous clusters of at most N similar wards. Writes
    clusters.csv, clusters.html, clusters.png and cluster_similarity.png."""
    _run(_select_config(config_path, options, use_demo, "clusters"), select="clusters")


# --- wardmap brief: the committee briefing pack (wardmap.periods, wardmap.brief) ---------------

@cli.command()
@with_flags(RUN_FLAGS, BRIEF_FLAGS, FOCUS_FLAGS, CLUSTER_FLAGS)
@_DEMO
@reports_errors
def brief(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Write the run's outputs and a committee briefing pack (briefing.docx, briefing.pdf,
    briefing.html).

    Takes the same inputs as `wardmap run`, and the flags of `wardmap focus` and `wardmap
    clusters`. The briefing compares the period with the same months a year earlier, names the
    top and bottom wards, tests each change, and adds the control chart and hot spot findings;
    --public suppresses small numbers throughout.
    """
    from wardmap.brief import check_template, write_briefing

    config = _select_config(config_path, options, use_demo, "brief")
    check_template(config.brief.template)
    given = {dest.split("__")[0] for dest, value in options.items()
             if "__" in dest and value not in (None, ())}
    focus = config.brief.focus or "focus" in given
    clusters = config.brief.clusters or "clusters" in given
    config = replace(config, brief=replace(config.brief, focus=focus, clusters=clusters))
    select = "focus" if focus else None
    if clusters:
        select = "focus and clusters" if focus else "clusters"
    writers: list[Any] = [write_briefing]
    if config.evaluate.enabled:  # an [evaluate] section: the briefing reports the evaluation
        from wardmap.evaluate import evaluation_writer

        writers.insert(0, evaluation_writer)
    _run(config, select=select, writers=writers)


# --- wardmap fetch: a district's boundaries, populations and police.uk records (wardmap.fetch)

FETCH_FLAGS: tuple[Flag, ...] = (
    ("--district", "fetch.district", "Local authority district: a name ('Maidstone') or code "
     "(E07000110).", {}),
    ("--months", "fetch.months", "Months of police.uk records (default: the latest 12 the API "
     "holds).", {"metavar": "YYYY-MM:YYYY-MM"}),
    ("--out", "fetch.out", "Folder to write (boundaries.gpkg, population.csv, police/, "
     "wardmap.toml, fetch.json).", _PATH),
    ("--ward-year", "fetch.ward_year", "Ward vintage (default: the latest known).", {}),
    ("--source", "fetch.source", "police.uk records from the API (default) or a downloaded "
     "zip (--archive).", {}),
    ("--archive", "fetch.archive", "police.uk archive or custom-download zip, for --source "
     "archive.", _PATH),
    ("--force", "fetch.force", "police.uk force id, e.g. kent (default: found from the "
     "district).", {}),
    ("--police-url", "fetch.police_url", "police.uk API root (default "
     "https://data.police.uk/api).", {}),
    ("--ons-url", "fetch.ons_url", "ONS ArcGIS services root.", {}),
    ("--nomis-url", "fetch.nomis_url", "Nomis API root (default "
     "https://www.nomisweb.co.uk/api/v01).", {}),
    ("--cache", "fetch.cache", "Cache folder (default OUT/cache).", _PATH),
)


@cli.command()
@with_flags(FETCH_FLAGS)
@click.option("--refresh", is_flag=True, help="Fetch everything again, ignoring the cache and "
              "months already fetched.")
@click.option("--list-districts", is_flag=True, help="List the districts of the ward vintage "
              "and stop.")
@reports_errors
def fetch(config_path: str | None, refresh: bool, list_districts: bool,
          **options: Any) -> None:
    """Fetch a district's ward boundaries (ONS), ward populations (Nomis) and police.uk
    records, ready for `wardmap run OUT/wardmap.toml`.

    Example: wardmap fetch --district Maidstone --months 2024-04:2025-03 --out data/maidstone
    """
    from wardmap.fetch.stage import fetch_district
    from wardmap.fetch.stage import list_districts as districts

    config = config_from_options(config_path, options).fetch
    if list_districts:
        click.echo("\n".join(f"{code}\t{name}" for code, name in districts(config)))
        return
    report = fetch_district(config, refresh=refresh)
    total = sum(report.records.values())
    lines = [f"wardmap: {report.district_name} ({report.district_code}): {report.wards} wards, "
             f"population for {report.population_wards}, {total} police.uk records in "
             f"{len(report.records)} months"]
    lines += [f"warning: {w}" for w in report.warnings]
    lines.append(f"next: wardmap run {report.out / 'wardmap.toml'}")
    click.echo("\n".join(lines), err=True)




# --- wardmap evaluate and wardmap relate (wardmap.evaluate, wardmap.relate) ---------------------

@cli.command()
@with_flags(RUN_FLAGS, EVALUATE_FLAGS)
@_DEMO
@reports_errors
def evaluate(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Did a task force work? Compare a target area before and after a start month with a
    control area, and check the surrounding wards for displacement (weighted displacement
    difference, Wheeler and Ratcliffe 2018).

    Takes the same inputs as `wardmap run` and writes its outputs plus evaluation.json and
    evaluation.png.
    """
    _run(_select_config(config_path, options, use_demo, "evaluate"), select="evaluate")


@cli.command()
@with_flags(RUN_FLAGS, RELATE_FLAGS)
@_DEMO
@reports_errors
def relate(config_path: str | None, use_demo: bool, **options: Any) -> None:
    """Relate two ward measures: Spearman's rho with a permutation p, the bivariate Moran's I
    and bivariate LISA (as GeoDa), and which wards are high or low on each.

    Takes the same inputs as `wardmap run` and writes its outputs plus relate.json,
    relate.csv and relate.png. Partner tables come from the config's [[focus.tables]].
    """
    _run(_select_config(config_path, options, use_demo, "relate"), select="relate")
