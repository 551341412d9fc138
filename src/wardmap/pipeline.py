"""The pipeline: load → align → aggregate → normalise → test, then export.

The command line and the Python API both call ``analyse`` and ``run``; neither holds logic of
its own beyond building a Config.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from wardmap.aggregate import PLACED, count_by_ward, place_records
from wardmap.config import Config
from wardmap.errors import InputError
from wardmap.export import Writer, write_run
from wardmap.load.boundaries import read_boundaries
from wardmap.load.files import sha256
from wardmap.load.incidents import read_incidents
from wardmap.load.tables import read_population, read_ward_values
from wardmap.normalise import add_rates, population_warnings, rate_summary
from wardmap.progress import Steps
from wardmap.result import BOUNDARY_ATTRIBUTION, POLICE_ATTRIBUTION, RunMeta, RunResult

_MEASURE_LABELS = {
    "incidents": "Recorded incidents",
    "rate_per_1000": "Incidents per 1,000 residents",
    "rate_eb": "Smoothed rate per 1,000 residents (empirical Bayes)",
}


def analyse(config: Config, steps: Steps | None = None) -> RunResult:
    """Load the inputs, place and count the records, add rates and run the spatial tests."""
    steps = steps or Steps(show=False)
    inputs = config.inputs
    _check_inputs(config)
    with steps.step("reading boundaries"):
        wards, report = read_boundaries(inputs.boundaries, inputs.code_col, inputs.name_col,
                                        inputs.crs)
    result = RunResult(config=config, wards=wards, summary={}, meta=RunMeta(),
                       warnings=list(report.warnings))
    result.inputs.append({"role": "boundaries", "path": report.path, "rows": report.rows,
                          "sha256": sha256(Path(report.path)), "code_col": report.code_col,
                          "name_col": report.name_col, "crs": report.source_crs,
                          "repaired_geometries": report.repaired})
    if inputs.incidents:
        _add_incidents(result, steps)
    else:
        _add_ward_values(result)
    if inputs.population:
        population = read_population(inputs.population, result.wards, inputs.population_col,
                                     inputs.population_key_col, inputs.encoding)
        result.wards["population"] = population.values.to_numpy()
        result.inputs.append({"role": "population", **population.manifest})
        result.warnings.extend(population.warnings)
    result.wards = add_rates(result.wards)
    if "incidents" in result.wards:  # a --counts table's value may already be a rate
        result.warnings.extend(population_warnings(result.wards))
    result = _tests_and_periods(result, steps)
    result.meta = _meta(result)
    result.summary = _summary(result)
    result.timings.update(steps.timings)
    return result


def _tests_and_periods(result: RunResult, steps: Steps) -> RunResult:
    with steps.step("testing for clusters and hot spots"):
        _test(result)
    # Change against the comparison period, SPC signals, emerging hot spots.
    from wardmap.periods import analyse_periods

    return analyse_periods(result)


def reanalyse(result: RunResult, records: pd.DataFrame) -> RunResult:
    """The analysis again from changed records (a what-if, such as map points left out):
    ward counts, rates, spatial tests and periods with the run's settings. The ward table's
    location columns, the warnings and the summary are not carried over."""
    import dataclasses

    kept = [c for c in ("ward_code", "ward_name", "population", "geometry")
            if c in result.wards]
    wards = result.wards[kept].copy()
    wards["incidents"] = count_by_ward(records, wards).to_numpy()
    wards["value"] = wards["incidents"]
    again = dataclasses.replace(result, wards=add_rates(wards), records=records, summary={},
                                warnings=[], focus=None, clusters=None, locations=None)
    return _tests_and_periods(again, Steps(show=False))


def run(config: Config, out_dir: str | Path | None = None, steps: Steps | None = None,
        extra_writers: list[Writer] = ()) -> RunResult:
    """Analyse and write the output folder (atomically)."""
    steps = steps or Steps(show=False)
    result = analyse(config, steps)
    with steps.step("writing outputs"):
        write_run(result, Path(out_dir or config.output.out), maps=config.maps.enabled,
                  extra_writers=list(extra_writers))
    return result


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


def _add_incidents(result: RunResult, steps: Steps) -> None:
    with steps.step("reading incidents"):
        raw, files = read_incidents(result.config.inputs.incidents, result.config.inputs)
    result.inputs.extend({"role": "incidents", **f} for f in files)
    if raw.empty:
        result.warnings.append("the incident files hold no records")
    # A period preset (rolling 12 months, financial year to date...) is the month filter.
    from wardmap.periods import period_filter

    result.config.filters.months = period_filter(result.config, raw["month"].dropna())
    with steps.step("placing incidents in wards"):
        placement = place_records(raw, result.wards, result.config)
    result.records = placement.records
    result.accounting = placement.accounting
    if placement.invalid_detail:
        result.accounting = {**placement.accounting,
                             "invalid_detail": placement.invalid_detail}
        detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in
                           placement.invalid_detail.items())
        result.warnings.append(f"records with invalid coordinates: {detail}")
    if placement.accounting.get("excluded_location"):
        entries = ", ".join(result.config.locations.exclude)
        result.warnings.append(f"{placement.accounting['excluded_location']} record(s) at map "
                               f"points left out with --exclude-location ({entries})")
    counts = count_by_ward(placement.records, result.wards)
    result.wards["incidents"] = counts.to_numpy()
    result.wards["value"] = result.wards["incidents"]
    _add_locations(result)


def _add_locations(result: RunResult) -> None:
    """Map points, place groups and concentration; a ward resting on one map point is named."""
    from wardmap.locations import analyse_locations, flag_meaning, flag_sentence, location_rows

    settings = result.config.locations
    if not 0 < settings.flag_share <= 1 or settings.flag_min_count < 1:
        raise InputError("locations.flag_share must be above 0 and at most 1, and "
                         "locations.flag_min_count at least 1")
    records = result.records
    placed = records["status"].isin(PLACED).to_numpy()
    rows = location_rows(records, (records["lon"], records["lat"]), placed)
    output = result.config.output
    # A public run names no point holding a suppressed number of records.
    least = max(settings.flag_min_count, output.threshold + 1) if output.public else \
        settings.flag_min_count
    columns, found = analyse_locations(rows, result.wards, result.config.place_groups(),
                                       flag_share=settings.flag_share, flag_min_count=least)
    result.wards = result.wards.join(columns, on="ward_code")
    result.locations = found
    shown = 10  # a national run can flag hundreds: summary.json's location_flags has all
    for _, flag in found.flagged.head(shown).iterrows():
        result.warnings.append(f"{flag_sentence(flag)}: {flag_meaning(flag)} (see "
                               "locations.csv)")
    if len(found.flagged) > shown:
        result.warnings.append(f"{len(found.flagged) - shown} more ward(s) rest on one map "
                               "point (summary.json location_flags, wards.csv location_flag)")


def _add_ward_values(result: RunResult) -> None:
    inputs = result.config.inputs
    if not inputs.value_col:
        raise InputError("--counts needs --value-col naming the numeric column to analyse")
    table = read_ward_values(inputs.counts, result.wards, inputs.value_col,
                             inputs.counts_key_col, "value", inputs.encoding)
    result.wards["value"] = table.values.to_numpy()
    # Taken now: the test stage replaces "value" with the measure analysed (a rate, say).
    result.summary["value_total"] = float(result.wards["value"].sum(skipna=True))
    result.inputs.append({"role": "counts", **table.manifest})
    result.warnings.extend(table.warnings)


def _test(result: RunResult) -> None:
    from wardmap.stats import test_stage

    wards, stats_summary, weights = test_stage(result.wards, result.config.stats)
    if stats_summary.get("measure") == "incidents":  # counts stay whole numbers in wards.csv
        wards["value"] = wards["incidents"]
    result.wards = wards
    result.weights = weights
    result.summary.update(stats_summary)
    result.warnings.extend(stats_summary.get("warnings", []))


def _meta(result: RunResult) -> RunMeta:
    config = result.config
    measure = result.summary.get("measure", "incidents" if config.inputs.incidents else "value")
    label = _MEASURE_LABELS.get(measure, config.inputs.value_col or "Value")
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
    summary["warnings"] = list(dict.fromkeys(result.warnings))
    summary["period"] = result.meta.period_label
    return summary
