"""Monthly series per ward and for the area, their SPC charts and emerging hot spots."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from wardmap.aggregate import ward_month_table as monthly_table
from wardmap.config import PeriodsConfig
from wardmap.periods.change import available_months
from wardmap.periods.emerging import emerging_hot_spots
from wardmap.periods.presets import period_label, resolve_period, shift_month
from wardmap.periods.spc import c_chart, describe_signals, u_chart, ward_signals
from wardmap.result import RunResult

# ArcGIS Pro's Emerging Hot Spot Analysis needs at least ten time steps for its trend test.
MIN_EMERGING_MONTHS = 10
# Control limits from fewer months than a year mostly measure noise (and miss seasonality).
MIN_SPC_MONTHS = 12


def chart_months(records: pd.DataFrame, current: list[str]) -> list[str]:
    """The unbroken run of months in the data ending with the period: the SPC baseline."""
    present = set(available_months(records))
    months = [current[-1]]
    while shift_month(months[0], -1) in present:
        months.insert(0, shift_month(months[0], -1))
    return months


def area_chart(counts: pd.Series, population: float | None, chart: str) -> pd.DataFrame:
    """SPC chart of the area's monthly totals: u per 1,000 residents when population is known."""
    use_u = chart == "u" or (chart == "auto" and population is not None and population > 0)
    if use_u and population:
        frame = u_chart(counts.to_numpy(), population, labels=list(counts.index))
        frame.attrs["chart"] = "u"
    else:
        frame = c_chart(counts.to_numpy(), labels=list(counts.index))
        frame.attrs["chart"] = "c"
    return frame


def add_series(result: RunResult, config: PeriodsConfig | None = None) -> RunResult:
    """SPC for the area and each ward, and emerging hot spots, over the months to the period end.

    With at least MIN_SPC_MONTHS months: ward columns spc_signal (bool) and spc_note (what the
    ward's c-chart flags), and summary["spc"] the area chart. With at least MIN_EMERGING_MONTHS
    in the period: emerging_pattern, emerging_tau, emerging_trend_p, hot_months, cold_months,
    and summary["emerging"] the category counts. Otherwise the summary says why not.
    """
    config = config or result.config.periods
    if result.records is None or "incidents" not in result.wards.columns:
        return result
    months_present = available_months(result.records)
    current, _ = resolve_period(config, months_present, result.config.filters.months)
    months = chart_months(result.records, current)
    wards = result.wards.copy()
    table = monthly_table(result.records, wards["ward_code"].tolist(), months)
    summary = dict(result.summary)
    if len(months) >= MIN_SPC_MONTHS:
        summary["spc"] = _area_spc(table, wards, config.chart)
        notes = ward_signals(table.to_numpy(), months)
        wards["spc_signal"] = [bool(n) for n in notes]
        wards["spc_note"] = ["; ".join(n) for n in notes]
    else:
        summary["spc"] = {
            "available": False,
            "reason": f"control charts need at least {MIN_SPC_MONTHS} months in a row; the data "
            f"has {len(months)} ({period_label(months)})",
        }
    summary["emerging"] = _emerging(result, wards, table.loc[:, current], config)
    return dataclasses.replace(result, wards=wards, summary=summary)


def _area_spc(table: pd.DataFrame, wards: pd.DataFrame, chart: str) -> dict[str, Any]:
    pop = wards["population"] if "population" in wards.columns else pd.Series(dtype=float)
    population = float(pop.sum()) if len(pop) and pop.notna().all() else None
    frame = area_chart(table.sum(axis=0), population, chart)
    rows = frame.assign(value=frame["value"].round(6)).to_dict(orient="records")
    return {
        "available": True,
        "chart": frame.attrs["chart"],
        "months": list(table.columns),
        "label": period_label(list(table.columns)),
        "points": rows,
        "signals": describe_signals(frame),
        "population": population,
    }


def _emerging(
    result: RunResult, wards: pd.DataFrame, table: pd.DataFrame, config: PeriodsConfig
) -> dict[str, Any]:
    if not config.emerging:
        return {"available": False, "reason": "switched off (periods.emerging = false)"}
    if table.shape[1] < MIN_EMERGING_MONTHS:
        return {
            "available": False,
            "reason": f"emerging hot spot analysis needs at least {MIN_EMERGING_MONTHS} months; "
            f"the period has {table.shape[1]}",
        }
    found = emerging_hot_spots(table, _binary_weights(result), config.alpha)
    for col in found.columns:
        wards[col] = found[col].to_numpy()
    counts = found["emerging_pattern"].value_counts()
    return {
        "available": True,
        "months": list(table.columns),
        "alpha": config.alpha,
        "categories": {str(k): int(v) for k, v in counts.items()},
    }


def _binary_weights(result: RunResult) -> Any:
    """The run's spatial weights (binary, table order), built here if the run has none."""
    binary = getattr(result.weights, "binary", None)
    if binary is not None and binary.shape[0] == len(result.wards):
        return binary
    from wardmap.stats import build_weights

    stats = result.config.stats
    built = build_weights(result.wards, stats.weights, stats.k, stats.distance, stats.islands)
    return built.binary
