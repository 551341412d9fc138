"""Periods and trends: period presets, change tests, SPC charts, emerging hot spots.

The pipeline sets the run's month filter from ``period_filter(config, months)``; after the test
stage ``analyse_periods(result)`` adds the change columns, SPC signals and emerging hot spot
categories that the maps and the briefing pack show.
"""

from __future__ import annotations

import dataclasses

from wardmap.config import PeriodsConfig
from wardmap.cube import counted
from wardmap.periods.change import add_change, adjust_p, poisson_change_p
from wardmap.periods.emerging import classify, emerging_hot_spots, gi_star_z, mann_kendall
from wardmap.periods.presets import (
    month_range,
    period_filter,
    period_label,
    resolve_period,
    shift_month,
)
from wardmap.periods.series import add_series, monthly_table
from wardmap.periods.spc import c_chart, run_flags, u_chart
from wardmap.result import RunResult


def analyse_periods(result: RunResult, config: PeriodsConfig | None = None) -> RunResult:
    """Change against the comparison period, SPC signals and emerging hot spots, in one call.

    A run without dated records (a ward-level table, or points without a month) is returned
    as it is, with summary["change"] saying why there is no comparison.
    """
    config = config or result.config.periods
    records = counted(result)
    if records is None or "month" not in records or records["month"].isna().all():
        reason = "the input has no dated incident records, so there is nothing to compare"
        summary = {**result.summary, "change": {"available": False, "reason": reason}}
        return dataclasses.replace(result, summary=summary)
    result = add_series(add_change(result, config), config)
    gap = result.summary.get("change", {}).get("missing_label")
    if gap:
        warning = (f"the data holds no records for {gap}: those months are missing from the "
                   "data, not counted as zero")
        result = result.with_warnings(warning)
    return result


__all__ = [
    "add_change",
    "add_series",
    "adjust_p",
    "analyse_periods",
    "c_chart",
    "classify",
    "emerging_hot_spots",
    "gi_star_z",
    "mann_kendall",
    "month_range",
    "monthly_table",
    "period_filter",
    "period_label",
    "poisson_change_p",
    "resolve_period",
    "run_flags",
    "shift_month",
    "u_chart",
]
