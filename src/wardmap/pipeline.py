"""The pipeline: load → align → aggregate → normalise → test, then export.

The command line and the Python API both call ``analyse`` and ``run``; neither holds logic of
its own beyond building a Config.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from wardmap.aggregate import PLACED, count_by_ward, metres_hint, place_records
from wardmap.config import Config
from wardmap.cube import counted
from wardmap.errors import InputError
from wardmap.export import Writer, write_outputs
from wardmap.load.boundaries import read_boundaries
from wardmap.load.files import sha256
from wardmap.load.tables import read_population, read_ward_values
from wardmap.normalise import add_rates, population_warnings, rate_summary
from wardmap.outfolder import check_output_folder, config_inputs
from wardmap.progress import Steps
from wardmap.result import BOUNDARY_ATTRIBUTION, POLICE_ATTRIBUTION, RunMeta, RunResult
from wardmap.vocabulary import MEASURE_LABELS


def analyse(config: Config, steps: Steps | None = None, *,
            records: bool | None = None) -> RunResult:
    """Load the inputs, place and count the records, add rates and run the spatial tests.

    ``config`` is left as it was: the run works on its own copy, returned as
    ``result.config`` (with any period preset resolved into the month filter).

    The records are reduced to a cube of counts (``result.cube``, ``result.tally``) that the
    later stages read; ``result.records``, the table of every record, is kept when
    ``records`` is True, or (None) for runs of at most ``wardmap.engine.RECORDS_LIMIT``
    records; never when False.

    Parameters
    ----------
    config : Config
        What to read and how to analyse it.
    steps : Steps, optional
        Progress display and step timings.
    records : bool, optional
        Keep the records table (True), never (False), or when small (None).

    Returns
    -------
    RunResult
        The ward table, its summary, Moran's I, the counts (and records) and the warnings.

    Examples
    --------
    >>> import copy, wardmap
    >>> from wardmap.demo import demo_config
    >>> config = demo_config()
    >>> before = copy.deepcopy(config)
    >>> result = wardmap.analyse(config)
    >>> len(result.wards), result.moran.I > 0, config == before
    (25, True, True)
    """
    steps = steps or Steps(show=False)
    _check_inputs(config)
    inputs = config.inputs
    with steps.step("reading boundaries"):
        keep = {"district": inputs.district_col} if inputs.district_col else None
        wards, report = read_boundaries(inputs.boundaries, inputs.code_col, inputs.name_col,
                                        inputs.crs, keep=keep)
    boundaries = {"role": "boundaries", "path": report.path, "rows": report.rows,
                  "sha256": sha256(Path(report.path)), "code_col": report.code_col,
                  "name_col": report.name_col, "crs": report.source_crs,
                  "repaired_geometries": report.repaired}
    result = RunResult(config=copy.deepcopy(config), wards=wards, summary={}, meta=RunMeta(),
                       inputs=(boundaries,), warnings=tuple(report.warnings))
    result = _add_incidents(result, steps, records) if inputs.incidents or inputs.cube \
        else _add_ward_values(result)
    if inputs.population:
        result = _add_population(result)
    result = replace(result, wards=add_rates(result.wards))
    if inputs.district_col or inputs.denominator:
        result = _add_peers(result)
    if "incidents" in result.wards:  # a --counts table's value may already be a rate
        result = result.with_warnings(*population_warnings(result.wards))
    result = _tests_and_periods(result, steps)
    result = replace(result, meta=_meta(result))
    return replace(result, summary=_summary(result), timings={**steps.timings})


def _tests_and_periods(result: RunResult, steps: Steps) -> RunResult:
    with steps.step("testing for clusters and hot spots"):
        result = _test(result)
    # Change against the comparison period, SPC signals, emerging hot spots.
    from wardmap.periods import analyse_periods

    result = analyse_periods(result)
    from wardmap.hotspot_change import add_hot_spot_change

    return add_hot_spot_change(result)


def reanalyse(result: RunResult, records: pd.DataFrame) -> RunResult:
    """The analysis again from changed records (a what-if, such as map points left out):
    ward counts, rates, spatial tests and periods with the run's settings. The ward table's
    location columns, the warnings and the summary are not carried over.

    Examples
    --------
    >>> import numpy as np, wardmap
    >>> from wardmap.aggregate import leave_out
    >>> from wardmap.demo import demo_config
    >>> result = wardmap.analyse(demo_config())
    >>> first = result.records["ward_code"] == result.wards["ward_code"].iloc[0]
    >>> again = reanalyse(result, leave_out(result.records, first.to_numpy()))
    >>> int(again.wards["incidents"].iloc[0]), int(result.wards["incidents"].iloc[0]) > 0
    (0, True)
    """
    kept = [c for c in ("ward_code", "ward_name", "population", "geometry")
            if c in result.wards]
    counts = count_by_ward(records, result.wards).to_numpy()
    wards = result.wards[kept].assign(incidents=counts, value=counts)
    again = replace(result, wards=add_rates(wards), records=records, tally=None,
                    summary={}, warnings=(),
                    moran=None, focus=None, clusters=None, locations=None)
    return _tests_and_periods(again, Steps(show=False))


def run(config: Config, out_dir: str | Path | None = None, steps: Steps | None = None,
        extra_writers: Sequence[Writer] = (),
        select: tuple[str, Callable[[RunResult], RunResult]] | None = None) -> RunResult:
    """Analyse and write the output folder (atomically).

    The output folder is checked first (``wardmap.outfolder.check_output_folder``): a folder
    wardmap did not write, or one that cannot be written, is an error before any work.

    Parameters
    ----------
    config : Config
        What to read and how to analyse it (left unchanged).
    out_dir : str or Path, optional
        The output folder; by default ``config.output.out``.
    steps : Steps, optional
        Progress display and step timings.
    extra_writers : sequence of callables
        More writers ``(result, folder) -> RunResult | None`` (focus areas, the briefing).
    select : (str, callable), optional
        A step named by the string that runs between analysis and export, such as
        ``wardmap.select.stage.with_focus`` (so that the maps can show its result).

    Returns
    -------
    RunResult
        The run as written, with every warning the writers added.

    Examples
    --------
    >>> import dataclasses, json, pathlib, tempfile, wardmap
    >>> from wardmap.demo import demo_config
    >>> config = demo_config()
    >>> config = dataclasses.replace(config, maps=dataclasses.replace(config.maps, enabled=False))
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> result = wardmap.run(config, out)
    >>> summary = json.loads((out / "summary.json").read_text())
    >>> manifest = json.loads((out / "manifest.json").read_text())
    >>> summary["wards"], summary["warnings"] == manifest["warnings"]
    (25, True)
    """
    steps = steps or Steps(show=False)
    out = check_output_folder(config.output.out if out_dir is None else out_dir,
                              config_inputs(config))
    result = analyse(config, steps)
    if select is not None:
        with steps.step(select[0]):
            result = select[1](result)
    with steps.step("writing outputs"):
        return write_outputs(result, out, maps=result.config.maps.enabled,
                             extra_writers=extra_writers)


def _check_inputs(config: Config) -> None:
    inputs = config.inputs
    if not inputs.boundaries:
        raise InputError("no boundaries given: use --boundaries PATH (or [inputs] boundaries)")
    if sum(bool(x) for x in (inputs.incidents, inputs.counts, inputs.cube)) != 1:
        raise InputError("give either incident records (--incidents) or a ward-level table "
                         "(--counts), not both or neither (or, instead of records, the "
                         "cube.parquet of an earlier run: --cube)")
    if inputs.counts and (config.filters.months or config.filters.crime_types):
        raise InputError("--months and --crime-type filter incident records; they do not "
                         "apply to a ward-level --counts table")
    if inputs.snap_tolerance < 0:
        raise InputError(f"--snap-tolerance must be 0 metres or more (got "
                         f"{inputs.snap_tolerance:g}); 0 turns snapping off")
    _check_periods(config)


def _check_periods(config: Config) -> None:
    """Period flags that would otherwise be silently ignored are errors."""
    period = config.periods.period
    if config.filters.months and period not in ("filter", "custom"):
        raise InputError(f"give either --months or --period {period}, not both (--period "
                         "custom analyses the --months range)")
    if config.periods.end and period in ("filter", "custom"):
        raise InputError("--period-end needs --period rolling12, fytd or calendar (it sets "
                         "their last month)")


def _add_incidents(result: RunResult, steps: Steps, keep_records: bool | None) -> RunResult:
    from wardmap.cube import accounting, placed_counts, tally
    from wardmap.engine import release_memory
    from wardmap.periods import period_filter

    config = result.config
    with steps.step("reading and placing incidents"):
        # Map points left out need the records: the cube cannot tell them apart.
        read = _count(result, True if config.locations.exclude else keep_records)
    warnings = list(read.warnings)
    if read.cube.records == 0 and not read.repeated:
        warnings.append("the incident files hold no records")
    # A period preset (rolling 12 months, financial year to date...) is the month filter.
    months = period_filter(config, read.cube.months())
    config = replace(config, filters=replace(config.filters, months=months))
    table = tally(read.cube, config)
    counts, detail = accounting(table)
    release_memory()  # the tally's temporaries: hundreds of MB on a national cube
    # Records not read because they repeat others (wardmap.load.duplicates) are counted too.
    if read.repeated is not None:
        counts = {**counts, "input_rows": counts["input_rows"] + read.repeated,
                  "duplicates": read.repeated}
    if detail:
        counts["invalid_detail"] = detail
        words = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in detail.items())
        warnings.append(f"records with invalid coordinates: {words}")
    records = None
    if read.records is not None:
        placement = place_records(read.records, result.wards, config)
        records = placement.records
        hint = metres_hint(records)
        if hint:
            warnings.append(hint)
        warnings.extend(placement.overlaps)
        if config.locations.exclude:
            # The cube does not know the map points left out (comparison periods included):
            # the records are counted instead.
            table = None
            counts = {**placement.accounting, "input_rows": counts["input_rows"],
                      "duplicates": counts.get("duplicates", 0),
                      **({"invalid_detail": detail} if detail else {})}
        left_out = placement.accounting.get("excluded_location", 0)
        if left_out:
            warnings.append(f"{left_out} record(s) at map points left out with "
                            f"--exclude-location ({', '.join(config.locations.exclude)})")
    elif config.maps.incident_points and config.maps.enabled:
        from wardmap.engine import RECORDS_LIMIT

        warnings.append(f"incident points are not drawn on map.html: they are drawn for at "
                        f"most {RECORDS_LIMIT:,} records and this run has "
                        f"{read.cube.records:,}")
    placed = placed_counts(table if table is not None else records, result.wards).to_numpy()
    wards = result.wards.assign(incidents=placed, value=placed)
    result = replace(result, config=config, wards=wards, records=records, cube=read.cube,
                     tally=table, accounting=counts,
                     inputs=(*result.inputs, *read.inputs)).with_warnings(*warnings)
    if records is None and not len(read.cube.locations):
        return result.with_warnings(
            "locations.csv and the map-point findings are not written for record files over "
            f"{POINTS_BYTES // 2**20:,} MB (the cube keeps wards, not map points, to bound "
            "memory); run a district, fewer months or --write-cube")
    return _add_locations(result)


@dataclass
class _Read:
    cube: Any
    records: pd.DataFrame | None
    inputs: list[dict[str, Any]]
    warnings: list[str]
    repeated: int | None  # records left out as duplicates (None: not checked)


# Record files up to this size in all keep their map points in the cube (locations.csv and the
# map-point findings); larger ones keep wards only, so memory stays bounded nationally.
POINTS_BYTES = 256 * 1024 * 1024


def _count(result: RunResult, keep_records: bool | None) -> _Read:
    """The run's cube: from --cube, or read from the record files (wardmap.engine, local or
    dask); and the records when kept."""
    from wardmap.engine import count_records
    from wardmap.load.incidents import manifest_warnings

    config = result.config
    inputs = config.inputs
    if inputs.cube:
        from wardmap.cube import read_cube

        cube, about = read_cube(inputs.cube, result.wards)
        entry = {"role": "cube", "path": inputs.cube, "sha256": sha256(Path(inputs.cube)),
                 "rows": cube.records, "made_with": about}
        warnings = []
        if about.get("snap_tolerance") not in (None, inputs.snap_tolerance):
            warnings.append(f"the cube was counted with a snap tolerance of "
                            f"{about['snap_tolerance']} m, not {inputs.snap_tolerance} m: its "
                            "placements are kept")
        return _Read(cube, None, [entry], warnings, about.get("duplicates"))
    # Map points and their location texts are kept when an output needs them (cube.parquet)
    # or the inputs are of a district's size (the location outputs need them); otherwise the
    # cube holds wards × crime types × months, whatever the number of records.
    size = _input_bytes(inputs.incidents)
    detail = "points" if config.output.cube or size <= POINTS_BYTES else "wards"
    counted = count_records(inputs.incidents, result.wards, inputs, config.compute,
                            keep_records, detail)
    return _Read(counted.cube, counted.records,
                 [{"role": "incidents", **f} for f in counted.manifest],
                 manifest_warnings(counted.manifest), counted.duplicates)


def _input_bytes(paths: Sequence[str]) -> int:
    """Bytes of the record files named (folders summed), to choose how to read them."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            total += path.stat().st_size
    return total


def _location_counts(result: RunResult) -> pd.DataFrame:
    """Records by ward, map point, location text, crime type and month (placed, passing the
    filters): from the records when kept, else from the cube's map points."""
    from wardmap.locations import location_rows

    records = result.records
    if records is not None:
        placed = records["status"].isin(PLACED).to_numpy()
        return location_rows(records, (records["lon"], records["lat"]), placed)
    from wardmap.aggregate import _period_match, _type_match

    cube = result.cube
    rows = cube.rows()
    lon, lat = rows["lon"].to_numpy(float), rows["lat"].to_numpy(float)
    if cube.crs != "EPSG:4326":  # a map point is its source coordinates, shown in WGS84
        from pyproj import Transformer

        lon, lat = Transformer.from_crs(result.wards.crs, "EPSG:4326", always_xy=True) \
            .transform(rows["x"].to_numpy(float), rows["y"].to_numpy(float))
    config = result.config
    chosen = (rows["status"].isin(PLACED).to_numpy()
              & _type_match(rows, config).to_numpy(bool)
              & _period_match(rows, config.filters.months).to_numpy(bool))
    return location_rows(rows, (lon, lat), chosen, rows["count"].to_numpy())


def _add_locations(result: RunResult) -> RunResult:
    """Map points, place groups and concentration; a ward resting on one map point is named."""
    from wardmap.locations import analyse_locations, flag_meaning, flag_sentence

    settings, output = result.config.locations, result.config.output
    if not 0 < settings.flag_share <= 1 or settings.flag_min_count < 1:
        raise InputError("locations.flag_share must be above 0 and at most 1, and "
                         "locations.flag_min_count at least 1")
    rows = _location_counts(result)
    # A public run names no point holding a suppressed number of records.
    least = max(settings.flag_min_count, output.threshold + 1) if output.public else \
        settings.flag_min_count
    columns, found = analyse_locations(rows, result.wards, result.config.place_groups(),
                                       flag_share=settings.flag_share, flag_min_count=least)
    shown = 10  # a national run can flag hundreds: summary.json's location_flags has all
    warnings = [f"{flag_sentence(flag)}: {flag_meaning(flag)} (see locations.csv)"
                for _, flag in found.flagged.head(shown).iterrows()]
    if len(found.flagged) > shown:
        warnings.append(f"{len(found.flagged) - shown} more ward(s) rest on one map point "
                        "(summary.json location_flags, wards.csv location_flag)")
    return replace(result, wards=result.wards.join(columns, on="ward_code"),
                   locations=found).with_warnings(*warnings)


def _add_ward_values(result: RunResult) -> RunResult:
    inputs = result.config.inputs
    if not inputs.value_col:
        raise InputError("--counts needs --value-col naming the numeric column to analyse")
    table = read_ward_values(inputs.counts, result.wards, inputs.value_col,
                             inputs.counts_key_col, "value", inputs.encoding)
    wards = result.wards.assign(value=table.values.to_numpy())
    # Taken now: the test stage replaces "value" with the measure analysed (a rate, say).
    summary = {**result.summary, "value_total": float(wards["value"].sum(skipna=True))}
    return replace(result, wards=wards, summary=summary, accounting=table.accounting,
                   inputs=(*result.inputs, {"role": "counts", **table.manifest}),
                   ).with_warnings(*table.warnings)


def _add_peers(result: RunResult) -> RunResult:
    """Ranks in the district and overall (wardmap.peers), on the counts before the test stage
    replaces ``value`` with the measure analysed."""
    from wardmap.peers import add_denominator, add_ranks, check_district, ranking_basis

    inputs = result.config.inputs
    if inputs.district_col:
        check_district(result.wards, inputs.district_col)
    if inputs.denominator:
        if not inputs.per:
            raise InputError("--denominator needs --per NOUN saying what it counts, e.g. "
                             "--per households")
        table = read_ward_values(inputs.denominator, result.wards, inputs.denominator_col,
                                 None, "denominator", inputs.encoding,
                                 (inputs.per.casefold(), "households", "dwellings", "count",
                                  "total"))
        result = replace(result, wards=add_denominator(result.wards, table.values, inputs.per),
                         inputs=(*result.inputs, {"role": "denominator", **table.manifest}),
                         ).with_warnings(*table.warnings)
    return replace(result, wards=add_ranks(result.wards, ranking_basis(result.wards,
                                                                        inputs.per)))


def _add_population(result: RunResult) -> RunResult:
    inputs = result.config.inputs
    population = read_population(inputs.population, result.wards, inputs.population_col,
                                 inputs.population_key_col, inputs.encoding)
    wards = result.wards.assign(population=population.values.to_numpy())
    return replace(result, wards=wards,
                   inputs=(*result.inputs, {"role": "population", **population.manifest}),
                   ).with_warnings(*population.warnings)


def _test(result: RunResult) -> RunResult:
    from wardmap.stats.stage import run_tests

    tests = run_tests(result.wards, result.config.stats)
    wards = tests.wards
    if tests.measure == "incidents":  # counts stay whole numbers in wards.csv
        wards = wards.assign(value=wards["incidents"])
    return replace(result, wards=wards, weights=tests.weights, moran=tests.moran,
                   summary={**result.summary, **tests.summary, "moran": tests.moran.as_dict()},
                   ).with_warnings(*tests.warnings)


def _meta(result: RunResult) -> RunMeta:
    config = result.config
    measure = result.summary.get("measure", "incidents" if counted(result) is not None
                                     else "value")
    label = MEASURE_LABELS.get(measure, config.inputs.value_col or "Value")
    if measure == "rate_per_1000" and not config.inputs.incidents and config.inputs.value_col:
        label = f"{config.inputs.value_col} per 1,000 residents"  # a partner table's measure
    attributions = [BOUNDARY_ATTRIBUTION]
    if counted(result) is not None:
        attributions.append(POLICE_ATTRIBUTION)
    if config.inputs.synthetic:  # made-up boundaries and records: nothing to attribute
        attributions = []
    return RunMeta(
        area_name=config.inputs.area_name or "Study area",
        measure=measure,
        measure_label=label,
        period_label=_period_label(counted(result), config.filters.months),
        crime_types_label=", ".join(config.filters.crime_types) or "All crime types",
        attributions=attributions,
        synthetic=config.inputs.synthetic,
    )


def _period_label(records: pd.DataFrame | None, months: str | None) -> str:
    if records is None:
        return ""
    chosen = pd.Series(records.loc[records["period_match"].to_numpy(bool), "month"].dropna()
                       .unique()).astype(str)
    if chosen.empty:
        return months or ""
    first, last = chosen.min(), chosen.max()
    fmt = lambda m: pd.Period(m, "M").strftime("%b %Y")  # noqa: E731
    return fmt(first) if first == last else f"{fmt(first)} – {fmt(last)}"


def _summary(result: RunResult) -> dict:
    wards: gpd.GeoDataFrame = result.wards
    summary = {"wards": len(wards), **result.summary}
    summary["measure"] = result.meta.measure
    if "incidents" in wards:
        summary["incidents"] = int(wards["incidents"].sum())
        summary.update(rate_summary(wards, "incidents"))
    else:
        summary.setdefault("value_total", float(wards["value"].sum(skipna=True)))
    if result.accounting is not None:
        summary["accounting"] = result.accounting
    if result.locations is not None:
        summary["concentration"] = result.locations.concentration.as_dict()
        summary["location_flags"] = result.locations.flagged.to_dict("records")
    summary["warnings"] = list(result.warnings)
    summary["period"] = result.meta.period_label
    return summary
