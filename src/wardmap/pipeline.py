"""The pipeline: load → align → aggregate → normalise → test, then export.

The command line and the Python API both call ``analyse`` and ``run``; neither holds logic of
its own beyond building a Config.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from wardmap.aggregate import PLACED, count_by_ward, place_records
from wardmap.config import Config
from wardmap.errors import InputError
from wardmap.export import Writer, write_outputs
from wardmap.load.boundaries import read_boundaries
from wardmap.load.files import sha256
from wardmap.load.incidents import read_incidents
from wardmap.load.tables import read_population, read_ward_values
from wardmap.normalise import add_rates, population_warnings, rate_summary
from wardmap.progress import Steps
from wardmap.result import BOUNDARY_ATTRIBUTION, POLICE_ATTRIBUTION, RunMeta, RunResult
from wardmap.vocabulary import MEASURE_LABELS


def analyse(config: Config, steps: Steps | None = None) -> RunResult:
    """Load the inputs, place and count the records, add rates and run the spatial tests.

    ``config`` is left as it was: the run works on its own copy, returned as
    ``result.config`` (with any period preset resolved into the month filter).

    Parameters
    ----------
    config : Config
        What to read and how to analyse it.
    steps : Steps, optional
        Progress display and step timings.

    Returns
    -------
    RunResult
        The ward table, its summary, Moran's I, the placed records and the warnings.

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
        wards, report = read_boundaries(inputs.boundaries, inputs.code_col, inputs.name_col,
                                        inputs.crs)
    boundaries = {"role": "boundaries", "path": report.path, "rows": report.rows,
                  "sha256": sha256(Path(report.path)), "code_col": report.code_col,
                  "name_col": report.name_col, "crs": report.source_crs,
                  "repaired_geometries": report.repaired}
    result = RunResult(config=copy.deepcopy(config), wards=wards, summary={}, meta=RunMeta(),
                       inputs=(boundaries,), warnings=tuple(report.warnings))
    result = _add_incidents(result, steps) if inputs.incidents else _add_ward_values(result)
    if inputs.population:
        result = _add_population(result)
    result = replace(result, wards=add_rates(result.wards))
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

    return analyse_periods(result)


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
    again = replace(result, wards=add_rates(wards), records=records, summary={}, warnings=(),
                    moran=None, focus=None, clusters=None, locations=None)
    return _tests_and_periods(again, Steps(show=False))


def run(config: Config, out_dir: str | Path | None = None, steps: Steps | None = None,
        extra_writers: Sequence[Writer] = (),
        select: tuple[str, Callable[[RunResult], RunResult]] | None = None) -> RunResult:
    """Analyse and write the output folder (atomically).

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
    result = analyse(config, steps)
    if select is not None:
        with steps.step(select[0]):
            result = select[1](result)
    with steps.step("writing outputs"):
        return write_outputs(result, Path(out_dir or result.config.output.out),
                             maps=result.config.maps.enabled, extra_writers=extra_writers)


def _check_inputs(config: Config) -> None:
    inputs = config.inputs
    if not inputs.boundaries:
        raise InputError("no boundaries given: use --boundaries PATH (or [inputs] boundaries)")
    if bool(inputs.incidents) == bool(inputs.counts):
        raise InputError("give either incident records (--incidents) or a ward-level table "
                         "(--counts), not both or neither")
    if inputs.counts and (config.filters.months or config.filters.crime_types):
        raise InputError("--months and --crime-type filter incident records; they do not "
                         "apply to a ward-level --counts table")


def _add_incidents(result: RunResult, steps: Steps) -> RunResult:
    config = result.config
    with steps.step("reading incidents"):
        raw, files = read_incidents(config.inputs.incidents, config.inputs)
    warnings = ["the incident files hold no records"] if raw.empty else []
    # A period preset (rolling 12 months, financial year to date...) is the month filter.
    from wardmap.periods import period_filter

    months = period_filter(config, raw["month"].dropna())
    config = replace(config, filters=replace(config.filters, months=months))
    with steps.step("placing incidents in wards"):
        placement = place_records(raw, result.wards, config)
    accounting = dict(placement.accounting)
    if placement.invalid_detail:
        accounting["invalid_detail"] = placement.invalid_detail
        detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in
                           placement.invalid_detail.items())
        warnings.append(f"records with invalid coordinates: {detail}")
    if accounting.get("excluded_location"):
        entries = ", ".join(config.locations.exclude)
        warnings.append(f"{accounting['excluded_location']} record(s) at map points left out "
                        f"with --exclude-location ({entries})")
    counts = count_by_ward(placement.records, result.wards).to_numpy()
    wards = result.wards.assign(incidents=counts, value=counts)
    return _add_locations(replace(
        result, config=config, wards=wards, records=placement.records, accounting=accounting,
        inputs=(*result.inputs, *({"role": "incidents", **f} for f in files)),
    ).with_warnings(*warnings))


def _add_locations(result: RunResult) -> RunResult:
    """Map points, place groups and concentration; a ward resting on one map point is named."""
    from wardmap.locations import analyse_locations, flag_meaning, flag_sentence, location_rows

    settings, output = result.config.locations, result.config.output
    if not 0 < settings.flag_share <= 1 or settings.flag_min_count < 1:
        raise InputError("locations.flag_share must be above 0 and at most 1, and "
                         "locations.flag_min_count at least 1")
    records = result.records
    placed = records["status"].isin(PLACED).to_numpy()
    rows = location_rows(records, (records["lon"], records["lat"]), placed)
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
    return replace(result, wards=wards, summary=summary,
                   inputs=(*result.inputs, {"role": "counts", **table.manifest}),
                   ).with_warnings(*table.warnings)


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
    measure = result.summary.get("measure", "incidents" if config.inputs.incidents else "value")
    label = MEASURE_LABELS.get(measure, config.inputs.value_col or "Value")
    if measure == "rate_per_1000" and not config.inputs.incidents and config.inputs.value_col:
        label = f"{config.inputs.value_col} per 1,000 residents"  # a partner table's measure
    attributions = [BOUNDARY_ATTRIBUTION]
    if result.records is not None:
        attributions.append(POLICE_ATTRIBUTION)
    if config.inputs.synthetic:  # made-up boundaries and records: nothing to attribute
        attributions = []
    return RunMeta(
        area_name=config.inputs.area_name or "Study area",
        measure=measure,
        measure_label=label,
        period_label=_period_label(result.records, config.filters.months),
        crime_types_label=", ".join(config.filters.crime_types) or "All crime types",
        attributions=attributions,
        synthetic=config.inputs.synthetic,
    )


def _period_label(records: pd.DataFrame | None, months: str | None) -> str:
    if records is None:
        return ""
    chosen = records.loc[records["period_match"], "month"].dropna().astype(str)
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
