"""The pipeline: load → align → aggregate → normalise → test, then export.

The command line and the Python API both call ``analyse`` and ``run``; neither holds logic of
its own beyond building a Config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from wardmap.aggregate import place_records
from wardmap.config import Config
from wardmap.cube import counted
from wardmap.errors import InputError
from wardmap.export import Writer, write_run
from wardmap.load.boundaries import read_boundaries
from wardmap.load.files import sha256
from wardmap.load.tables import read_population, read_ward_values
from wardmap.normalise import add_rates, rate_summary
from wardmap.progress import Steps
from wardmap.result import BOUNDARY_ATTRIBUTION, POLICE_ATTRIBUTION, RunMeta, RunResult

_MEASURE_LABELS = {
    "incidents": "Recorded incidents",
    "rate_per_1000": "Incidents per 1,000 residents",
    "rate_eb": "Smoothed rate per 1,000 residents (empirical Bayes)",
}


def analyse(config: Config, steps: Steps | None = None, *,
            records: bool | None = None) -> RunResult:
    """Load the inputs, place and count the records, add rates and run the spatial tests.

    The records are read a block at a time and reduced to a cube of counts
    (``RunResult.cube``, ``RunResult.tally``); ``RunResult.records``, the table of every
    record, is kept when ``records`` is True, or (None) when the run has at most
    ``wardmap.engine.RECORDS_LIMIT`` of them; never when False.
    """
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
    if inputs.incidents or inputs.cube:
        _add_incidents(result, steps, records)
    else:
        _add_ward_values(result)
    if inputs.population:
        population = read_population(inputs.population, result.wards, inputs.population_col,
                                     inputs.population_key_col, inputs.encoding)
        result.wards["population"] = population.values.to_numpy()
        result.inputs.append({"role": "population", **population.manifest})
        result.warnings.extend(population.warnings)
    result.wards = add_rates(result.wards)
    with steps.step("testing for clusters and hot spots"):
        _test(result)
    # Change against the comparison period, SPC signals, emerging hot spots.
    from wardmap.periods import analyse_periods

    result = analyse_periods(result)
    result.meta = _meta(result)
    result.summary = _summary(result)
    result.timings.update(steps.timings)
    return result


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
    given = sum(bool(x) for x in (inputs.incidents, inputs.counts, inputs.cube))
    if given != 1:
        raise InputError("give either incident records (--incidents) or a ward-level table "
                         "(--counts), not both or neither (or, instead of records, the "
                         "cube.parquet of an earlier run: --cube)")
    if inputs.counts and (config.filters.months or config.filters.crime_types):
        raise InputError("--months and --crime-type filter incident records; they do not "
                         "apply to a ward-level --counts table")


def _add_incidents(result: RunResult, steps: Steps, keep_records: bool | None) -> None:
    from wardmap.cube import accounting, placed_counts, tally
    from wardmap.periods import period_filter

    config = result.config
    with steps.step("reading and placing incidents"):
        cube, records = _count(result, keep_records)
    if cube.records == 0:
        result.warnings.append("the incident files hold no records")
    # A period preset (rolling 12 months, financial year to date...) is the month filter.
    config.filters.months = period_filter(config, cube.months())
    result.cube = cube
    result.tally = tally(cube, config)
    result.accounting, detail = accounting(result.tally)
    if records is not None:
        result.records = place_records(records, result.wards, config).records
    elif config.maps.incident_points and config.maps.enabled:
        result.warnings.append(
            f"incident points are not drawn on map.html: they are drawn for at most "
            f"{_records_limit():,} records and this run has {cube.records:,}")
    if detail:
        result.accounting = {**result.accounting, "invalid_detail": detail}
        words = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in detail.items())
        result.warnings.append(f"records with invalid coordinates: {words}")
    result.wards["incidents"] = placed_counts(result.tally, result.wards).to_numpy()
    result.wards["value"] = result.wards["incidents"]


def _count(result: RunResult, keep_records: bool | None) -> tuple[Any, pd.DataFrame | None]:
    """The run's cube (read from --cube, or counted from the records) and records if kept."""
    inputs = result.config.inputs
    if inputs.cube:
        from wardmap.cube import read_cube

        cube, about = read_cube(inputs.cube, result.wards)
        result.inputs.append({"role": "cube", "path": inputs.cube,
                              "sha256": sha256(Path(inputs.cube)), "rows": cube.records,
                              "made_with": about})
        if about.get("snap_tolerance") not in (None, inputs.snap_tolerance):
            result.warnings.append(
                f"the cube was counted with a snap tolerance of {about['snap_tolerance']} m, "
                f"not {inputs.snap_tolerance} m: its placements are kept")
        return cube, None
    from wardmap.engine import count_records

    # Map points and their location texts are kept when an output needs them (cube.parquet);
    # otherwise the cube holds wards × crime types × months, whatever the number of records.
    detail = "points" if result.config.output.cube else "wards"
    counted = count_records(inputs.incidents, result.wards, inputs, result.config.compute,
                            keep_records, detail)
    result.inputs.extend({"role": "incidents", **f} for f in counted.manifest)
    return counted.cube, counted.records


def _records_limit() -> int:
    from wardmap.engine import RECORDS_LIMIT

    return RECORDS_LIMIT


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
    measure = result.summary.get("measure", "incidents" if counted(result) is not None
                                 else "value")
    label = _MEASURE_LABELS.get(measure, config.inputs.value_col or "Value")
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
    summary["warnings"] = list(dict.fromkeys(result.warnings))
    summary["period"] = result.meta.period_label
    return summary
