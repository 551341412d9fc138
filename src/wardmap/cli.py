"""The command line: flags become a Config; the pipeline does the work.

Exit codes: 0 success, 2 bad input or usage (one-line reason on stderr), 1 anything else.
Set WARDMAP_DEBUG=1 to see a traceback for unexpected errors.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from wardmap import __version__
from wardmap.config import Config, load_config
from wardmap.errors import WardmapError

# Flag → (config section, field). Only flags the user actually gave override the config file.
_FLAG_FIELDS: dict[str, tuple[str, str]] = {
    "boundaries": ("inputs", "boundaries"),
    "incidents": ("inputs", "incidents"),
    "counts": ("inputs", "counts"),
    "value_col": ("inputs", "value_col"),
    "key_col": ("inputs", "counts_key_col"),
    "code_col": ("inputs", "code_col"),
    "name_col": ("inputs", "name_col"),
    "population": ("inputs", "population"),
    "population_col": ("inputs", "population_col"),
    "lon_col": ("inputs", "lon_col"),
    "lat_col": ("inputs", "lat_col"),
    "x_col": ("inputs", "x_col"),
    "y_col": ("inputs", "y_col"),
    "points_crs": ("inputs", "points_crs"),
    "date_col": ("inputs", "date_col"),
    "crime_type_col": ("inputs", "crime_type_col"),
    "encoding": ("inputs", "encoding"),
    "area_name": ("inputs", "area_name"),
    "crs": ("inputs", "crs"),
    "snap_tolerance": ("inputs", "snap_tolerance"),
    "months": ("filters", "months"),
    "crime_type": ("filters", "crime_types"),
    "exclude_location": ("locations", "exclude"),
    "period": ("periods", "period"),
    "period_end": ("periods", "end"),
    "compare": ("periods", "compare"),
    "measure": ("stats", "measure"),
    "weights": ("stats", "weights"),
    "permutations": ("stats", "permutations"),
    "seed": ("stats", "seed"),
    "correction": ("stats", "correction"),
    "alpha": ("stats", "alpha"),
    "islands": ("stats", "islands"),
    "knn_k": ("stats", "k"),
    "distance": ("stats", "distance"),
    "public": ("output", "public"),
    "out": ("output", "out"),
}

_INPUT_OPTIONS = [
    click.option("--boundaries", type=click.Path(), help="Ward boundaries: GeoJSON, GeoPackage, "
                 "Shapefile or GeoParquet."),
    click.option("--incidents", type=click.Path(), multiple=True,
                 help="Incident records: a CSV, a folder of CSVs or a police.uk zip "
                 "(repeatable)."),
    click.option("--counts", type=click.Path(), help="A ward-level table (CSV/XLSX) keyed by "
                 "ward code or name, instead of incident records."),
    click.option("--value-col", help="The numeric column of --counts to analyse."),
    click.option("--key-col", help="The ward code or name column of --counts (detected if "
                 "omitted)."),
    click.option("--code-col", help="Boundary column holding ward codes (detected if omitted)."),
    click.option("--name-col", help="Boundary column holding ward names (detected if omitted)."),
    click.option("--population", type=click.Path(), help="Residents per ward (CSV/XLSX keyed "
                 "by ward code or name)."),
    click.option("--population-col", help="Population column (default: 'All Ages', "
                 "'population', ...)."),
    click.option("--lon-col", help="Longitude column of a generic point CSV."),
    click.option("--lat-col", help="Latitude column of a generic point CSV."),
    click.option("--x-col", help="Easting column of a generic point CSV."),
    click.option("--y-col", help="Northing column of a generic point CSV."),
    click.option("--points-crs", help="CRS of --x-col/--y-col (default EPSG:27700)."),
    click.option("--date-col", help="Date or month column of a generic point CSV."),
    click.option("--crime-type-col", help="Crime type column of a generic point CSV."),
    click.option("--encoding", help="Text encoding of CSV inputs (default utf-8; Excel often "
                 "writes cp1252)."),
    click.option("--area-name", help="Name of the area for titles, e.g. 'Maidstone'."),
    click.option("--crs", help="Projected CRS for analysis (default EPSG:27700)."),
    click.option("--snap-tolerance", type=float, help="Metres within which records outside "
                 "every ward are snapped to the nearest (default 100)."),
    click.option("--months", metavar="YYYY-MM:YYYY-MM", help="Only records in this month "
                 "range."),
    click.option("--period", type=click.Choice(["rolling12", "fytd", "calendar", "custom"]),
                 help="rolling12: the 12 months ending --period-end; fytd: April to "
                 "--period-end; calendar: January to December; custom: the --months range. "
                 "Default: --months, or every month in the data."),
    click.option("--period-end", metavar="YYYY-MM", help="Last month of the period (default: "
                 "the latest month in the data)."),
    click.option("--compare", metavar="YYYY-MM:YYYY-MM", help="Comparison period (default: the "
                 "same months a year earlier, when the data covers them)."),
    click.option("--crime-type", multiple=True, help="Only these crime types or named groups "
                 "such as 'violent crime' (repeatable)."),
    click.option("--exclude-location", multiple=True, metavar="TEXT",
                 help="Leave out the map points with this police.uk Location text ('On or "
                 "near Hospital' or 'Hospital'), or one map point given as LON,LAT "
                 "(repeatable; counted as excluded_location in accounting.json)."),
    click.option("--measure", type=click.Choice(["auto", "count", "rate", "rate_eb", "value"]),
                 help="Measure to test (default auto: smoothed rate with population, else "
                 "count)."),
    click.option("--weights", type=click.Choice(["queen", "rook", "knn", "distance"]),
                 help="Spatial weights (default queen)."),
    click.option("--k", "knn_k", type=click.IntRange(1, 100),
                 help="Neighbours per ward for --weights knn (default 6)."),
    click.option("--distance", type=click.FloatRange(0, min_open=True),
                 help="Band in metres for --weights distance."),
    click.option("--islands", type=click.Choice(["nearest", "label"]),
                 help="Wards with no neighbour: join to nearest (default) or label 'Island'."),
    click.option("--permutations", type=click.IntRange(0, 99_999),
                 help="Permutations for pseudo p-values (default 999)."),
    click.option("--seed", type=int, help="Random seed (same seed, same results)."),
    click.option("--correction", type=click.Choice(["fdr", "bonferroni", "none"]),
                 help="Multiple-testing correction for local statistics (default fdr)."),
    click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                 help="Significance level (default 0.05)."),
    click.option("--no-maps", is_flag=True, help="Write the tables only."),
    click.option("--public", is_flag=True, default=None,
                 help="Suppress small counts (1-4 shown as '<5') in every output."),
    click.option("--out", type=click.Path(), help="Output folder (default outputs/run)."),
]


def input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add `wardmap run`'s input, filter and statistics flags (and CONFIG) to a command."""
    for option in reversed(_INPUT_OPTIONS):
        command = option(command)
    return click.argument("config_path", required=False, type=click.Path(),
                          metavar="[CONFIG.toml]")(command)


def config_from_options(config_path: str | None, options: dict[str, Any],
                        base: Config | None = None) -> Config:
    """The config file (or ``base``, or the defaults) with every flag the user gave over it."""
    config = load_config(config_path) if config_path else (base or Config())
    for flag, (section, name) in _FLAG_FIELDS.items():
        value = options.get(flag)
        if value is None or value == ():
            continue
        setattr(getattr(config, section), name, list(value) if isinstance(value, tuple)
                else value)
    if options.get("no_maps"):
        config.maps.enabled = False
    if options.get("period") == "custom" and config.filters.months:
        config.periods.months = config.filters.months
    return config


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
@input_options
@reports_errors
def run(config_path: str | None, **options: Any) -> None:
    """Analyse one area: ward table, statistics, maps and an account of every record.

    Give a CONFIG.toml, flags, or both (flags win). Writes wards.csv, wards.gpkg,
    summary.json, accounting.json, manifest.json, map.html and map.png into --out, and
    focus.csv when the config has a [focus] section.
    """
    from wardmap.pipeline import run as run_pipeline
    from wardmap.progress import Steps

    config = config_from_options(config_path, options)
    if config.focus.enabled:
        from wardmap.select.stage import focus_summary, run_focus

        result = run_focus(config, config.output.out, Steps())
        click.echo("\n".join(focus_summary(result)), err=True)
    else:
        result = run_pipeline(config, config.output.out, Steps())
    report_run(result, Path(config.output.out))


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
    from wardmap.pipeline import run as run_pipeline
    from wardmap.progress import Steps

    if regenerate:
        paths = write_demo_files(repo_root())
        click.echo(f"wrote the demo inputs: {', '.join(str(p) for p in paths.values())}")
        return
    config = demo_config()
    config.maps.enabled = not no_maps
    result = run_pipeline(config, out, Steps())
    report_run(result, Path(out))


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
    moran = summary.get("moran") or {}
    if moran.get("I") is not None:
        p = moran.get("p_sim") if moran.get("p_sim") is not None else moran.get("p_norm")
        lines.append(f"Moran's I = {moran['I']:.3f}" + (f" (p = {p:.3f})" if p is not None
                                                          else ""))
    lines += [f"warning: {w}" for w in summary.get("warnings", [])]
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
    config.output.out = options.get("out") or "outputs/demo"
    return config


def _given(section: Any, **values: Any) -> None:
    """Lay the flags the user gave over a config section."""
    for name, value in values.items():
        if value is not None and value != ():
            setattr(section, name, list(value) if isinstance(value, tuple) else value)


@cli.command()
@input_options
@click.option("--size", type=click.IntRange(1, 4), help="Wards per focus area, 1-4 (default 2).")
@click.option("--exclude", multiple=True, metavar="WARD",
              help="Leave this ward out, by code or name (repeatable).")
@click.option("--max-population", type=click.FloatRange(0, min_open=True),
              help="Largest total population of an area.")
@click.option("--top", type=click.IntRange(1, 10_000), help="Areas to list (default 10).")
@click.option("--indicator", multiple=True, metavar="NAME[:WEIGHT]",
              help="Indicator for the score: a crime group ('asb', 'violent crime'), a crime "
              "type, 'NAME count', 'NAME change', 'harm', a partner table or a ward column "
              "such as gi_z (repeatable; default: the measure analysed).")
@click.option("--harm-weights", type=click.Path(), help="TOML or CSV of harm weights per "
              "crime type (crime_type,weight).")
@click.option("--standardise", type=click.Choice(["z", "rank"]),
              help="Put indicators on one scale by z-score (default) or rank.")
@click.option("--demo", "use_demo", is_flag=True, help="Run on the synthetic demo borough.")
@reports_errors
def focus(config_path: str | None, size: int | None, exclude: tuple[str, ...],
          max_population: float | None, top: int | None, indicator: tuple[str, ...],
          harm_weights: str | None, standardise: str | None, use_demo: bool,
          **options: Any) -> None:
    """Choose task-force focus areas: connected groups of wards with the highest combined
    score. Writes focus.csv (plus the run's tables and maps, the best area outlined)."""
    from wardmap.progress import Steps
    from wardmap.select.stage import focus_summary, run_focus

    config = _select_config(config_path, options, use_demo)
    _given(config.focus, size=size, exclude=exclude, max_population=max_population, top=top,
           indicators=indicator, harm_weights=harm_weights, standardise=standardise)
    result = run_focus(config, config.output.out, Steps())
    report_run(result, Path(config.output.out))
    click.echo("\n".join(focus_summary(result)), err=True)


@cli.command()
@input_options
@click.option("--max-size", type=click.IntRange(1, 1000), help="Most wards in a cluster "
              "(default 4).")
@click.option("--variables", multiple=True, metavar="NAME[:WEIGHT]",
              help="Variable to group wards on, named as for `wardmap focus --indicator` "
              "(repeatable; default: the crime groups' rates).")
@click.option("--demo", "use_demo", is_flag=True, help="Run on the synthetic demo borough.")
@reports_errors
def clusters(config_path: str | None, max_size: int | None, variables: tuple[str, ...],
             use_demo: bool, **options: Any) -> None:
    """Group all wards into contiguous clusters of at most N similar wards. Writes
    clusters.csv, clusters.html, clusters.png and cluster_similarity.png."""
    from wardmap.progress import Steps
    from wardmap.select.stage import clusters_summary, run_clusters

    config = _select_config(config_path, options, use_demo)
    _given(config.clusters, max_size=max_size, variables=variables, seed=options.get("seed"))
    result = run_clusters(config, config.output.out, Steps())
    report_run(result, Path(config.output.out))
    click.echo("\n".join(clusters_summary(result)), err=True)


# --- wardmap brief: the committee briefing pack (wardmap.periods, wardmap.brief) ---------------

@cli.command()
@input_options
@click.option("--title", help="Title of the briefing (default: area and crime types).")
@click.option("--focus", "with_focus", is_flag=True, default=None,
              help="Also choose task-force focus areas ([focus] settings) and report them.")
@click.option("--demo", "use_demo", is_flag=True, help="Run on the synthetic demo borough.")
@reports_errors
def brief(config_path: str | None, title: str | None, with_focus: bool | None,
          use_demo: bool, **options: Any) -> None:
    """Write the run's outputs and a committee briefing pack (briefing.html, briefing.docx).

    Takes the same inputs as `wardmap run`. The briefing compares the period with the same
    months a year earlier, names the top and bottom wards, tests each change, and adds the
    control chart and hot spot findings; --public suppresses small numbers throughout.
    """
    from wardmap.brief import write_briefing
    from wardmap.export import write_run
    from wardmap.pipeline import analyse
    from wardmap.progress import Steps

    config = _select_config(config_path, options, use_demo)
    config.brief.title = title or config.brief.title
    config.brief.focus = bool(with_focus) or config.brief.focus
    steps = Steps()
    result = analyse(config, steps)
    writers: list[Any] = [write_briefing]
    if config.brief.focus:
        from wardmap.select.focus import find_focus_areas
        from wardmap.select.outputs import focus_writer

        with steps.step("choosing focus areas"):
            result.focus = find_focus_areas(result, config.focus)
        writers.insert(0, focus_writer)
    with steps.step("writing outputs and the briefing"):
        write_run(result, Path(config.output.out), maps=config.maps.enabled,
                  extra_writers=writers)
    report_run(result, Path(config.output.out))
