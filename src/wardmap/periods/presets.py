"""Period presets: which months are "now" and which months they are compared with.

Months are "YYYY-MM" strings throughout, as in the records table. A period is a list of
consecutive months; the comparison period is the same months one year earlier unless named.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable

from wardmap.config import Config, PeriodsConfig
from wardmap.errors import WardmapError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_NAMES = [calendar.month_name[i] for i in range(1, 13)]
# The UK financial year starts in April.
FINANCIAL_YEAR_START = 4


def parse_month(text: str, what: str = "month") -> tuple[int, int]:
    """("2017", "12") → (2017, 12); anything else is a WardmapError naming ``what``."""
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise WardmapError(f"{what}: expected a month as YYYY-MM, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def shift_month(month: str, by: int) -> str:
    """The month ``by`` months after ``month`` (negative for before)."""
    year, mon = parse_month(month)
    index = year * 12 + (mon - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(start: str, end: str, what: str = "months") -> list[str]:
    """Every month from ``start`` to ``end`` inclusive."""
    y0, m0 = parse_month(start, what)
    y1, m1 = parse_month(end, what)
    count = (y1 * 12 + m1) - (y0 * 12 + m0) + 1
    if count < 1:
        raise WardmapError(f"{what}: {start} is after {end}")
    return [shift_month(start, i) for i in range(count)]


def parse_range(text: str, what: str) -> list[str]:
    """"YYYY-MM:YYYY-MM" (or a single "YYYY-MM") → the months it spans."""
    parts = str(text).split(":")
    if len(parts) == 1:
        return month_range(parts[0], parts[0], what)
    if len(parts) != 2:
        raise WardmapError(f"{what}: expected YYYY-MM:YYYY-MM, got {text!r}")
    return month_range(parts[0], parts[1], what)


def month_label(month: str) -> str:
    """ "2017-12" → "December 2017"."""
    year, mon = parse_month(month)
    return f"{_MONTH_NAMES[mon - 1]} {year}"


def period_label(months: list[str]) -> str:
    """ ["2017-01", ..., "2017-12"] → "January 2017 to December 2017"."""
    if not months:
        return ""
    if len(months) == 1:
        return month_label(months[0])
    return f"{month_label(months[0])} to {month_label(months[-1])}"


def range_text(months: list[str]) -> str:
    """The "YYYY-MM:YYYY-MM" form of a period, as [filters].months takes it."""
    return f"{months[0]}:{months[-1]}"


def resolve_period(
    config: PeriodsConfig,
    available_months: Iterable[str],
    filter_months: str | None = None,
) -> tuple[list[str], list[str] | None]:
    """The months analysed now and the months they are compared with (None when not covered).

    available_months: the months present in the data (any record). filter_months: the run's
    [filters].months, used when ``config.period`` is "filter". A current period, or an explicit
    comparison period, that the data does not cover is a WardmapError naming the missing
    months; an automatic comparison the data does not cover is simply None.
    """
    available = sorted({m for m in available_months if isinstance(m, str) and _MONTH.match(m)})
    if not available:
        raise WardmapError("no dated records: the data has no months to analyse")
    current = _current_months(config, available, filter_months)
    _require_covered(current, available, f"period {period_label(current)}")
    if config.compare:
        comparison = parse_range(config.compare, "periods.compare")
        _require_covered(comparison, available, f"comparison period {period_label(comparison)}")
        if set(comparison) & set(current):
            raise WardmapError(
                f"comparison period {period_label(comparison)} overlaps the period analysed"
            )
        return current, comparison
    year_before = [shift_month(m, -12) for m in current]
    if set(year_before) <= set(available):
        return current, year_before
    return current, None


def latest_block(available: list[str]) -> list[str]:
    """The unbroken run of months ending with the latest month of ``available`` (sorted)."""
    present = set(available)
    block = [available[-1]]
    while shift_month(block[0], -1) in present:
        block.insert(0, shift_month(block[0], -1))
    return block


def default_months(available: list[str]) -> list[str]:
    """The period analysed when none is given.

    Every month in the data; but when the data has a gap and holds the latest block of months
    and the same months a year earlier (this year's months plus last year's, as analysts
    download them), the latest block is the period, so that the earlier block is its
    comparison.

    Examples
    --------
    >>> default_months(["2016-11", "2016-12", "2017-11", "2017-12"])
    ['2017-11', '2017-12']
    >>> default_months(["2017-09", "2017-11", "2017-12"])
    ['2017-09', '2017-11', '2017-12']
    """
    block = latest_block(available)
    year_before = {shift_month(m, -12) for m in block}
    if len(block) < len(available) and len(block) <= 12 and year_before <= set(available):
        return block
    return list(available)


def missing_months(months: Iterable[str], available: Iterable[str]) -> list[str]:
    """Months between the first and last of ``months`` that the data does not hold.

    Examples
    --------
    >>> missing_months(["2017-09", "2017-12"], ["2017-09", "2017-11", "2017-12"])
    ['2017-10']
    """
    chosen = sorted(set(months))
    if not chosen:
        return []
    present = set(available)
    return [m for m in month_range(chosen[0], chosen[-1]) if m not in present]


def months_text(months: list[str]) -> str:
    """ ["2017-01", "2017-02", "2017-03", "2017-06"] → "January 2017 to March 2017, June
    2017": runs of consecutive months written as ranges."""
    runs: list[list[str]] = []
    for month in sorted(months):
        if runs and shift_month(runs[-1][-1], 1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(period_label(run) for run in runs)


def comparison_gap(current: list[str], available_months: Iterable[str]) -> str:
    """Why there is no automatic comparison: a sentence for the briefing's notes."""
    year_before = [shift_month(m, -12) for m in current]
    missing = sorted(set(year_before) - set(available_months))
    return (
        f"The data does not cover the same months a year earlier ({period_label(year_before)}; "
        f"{len(missing)} of {len(year_before)} months missing), so no year-on-year comparison "
        "is made."
    )


def _current_months(
    config: PeriodsConfig, available: list[str], filter_months: str | None
) -> list[str]:
    end = config.end or available[-1]
    parse_month(end, "periods.end")
    if config.period == "filter":
        return parse_range(filter_months, "filters.months") if filter_months else \
            default_months(available)
    if config.period == "rolling12":
        return month_range(shift_month(end, -11), end)
    if config.period == "fytd":
        year, mon = parse_month(end)
        start_year = year if mon >= FINANCIAL_YEAR_START else year - 1
        return month_range(f"{start_year}-{FINANCIAL_YEAR_START:02d}", end)
    if config.period == "calendar":
        year = parse_month(end)[0]
        if config.end is None and not end.endswith("-12"):
            year -= 1  # the latest complete calendar year in the data
        return month_range(f"{year}-01", f"{year}-12")
    if config.period == "custom":
        if not config.months:
            raise WardmapError("periods.period = 'custom' needs periods.months (YYYY-MM:YYYY-MM)")
        return parse_range(config.months, "periods.months")
    raise WardmapError(f"unknown period preset {config.period!r}")


def _require_covered(months: list[str], available: list[str], what: str) -> None:
    missing = [m for m in months if m not in set(available)]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise WardmapError(
            f"{what} is not covered by the data (months {available[0]} to {available[-1]}); "
            f"missing: {shown}"
        )


def period_filter(config: Config, available_months: Iterable[str]) -> str | None:
    """The [filters].months the run should use so that its ward table covers the period.

    The pipeline calls this after reading the records and before counting by ward; None keeps
    the filter as it is (period = "filter").
    """
    if config.periods.period == "filter" and config.filters.months:
        return config.filters.months
    months = sorted({m for m in available_months if isinstance(m, str) and _MONTH.match(m)})
    if config.periods.period == "filter" and not months:
        return None
    current, _ = resolve_period(config.periods, months, config.filters.months)
    if config.periods.period == "filter" and current == months:
        return None  # every month in the data: no filter
    return range_text(current)
