"""Change against a comparison period, per ward and for the whole area, with exact tests.

Two Poisson counts n1 (now, exposure t1) and n0 (then, exposure t0): given their total, n1 is
Binomial(n1 + n0, t1 / (t1 + t0)) when the underlying rate has not changed. That conditional
test is exact (no normal approximation), which matters for the small counts of a ward.
Exposure is the number of months in each period (the population is the same for both).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import bdtr

from wardmap.aggregate import member, sum_where
from wardmap.config import PeriodsConfig
from wardmap.cube import counted, weights
from wardmap.errors import WardmapError
from wardmap.periods.presets import (
    comparison_gap,
    missing_months,
    months_text,
    period_label,
    resolve_period,
    shift_month,
)
from wardmap.result import RunResult, significant

NO_BASE_NOTE = "no incidents in the comparison period"
CHANGE_COLUMNS = (
    "incidents_prev",
    "change",
    "change_pct",
    "change_note",
    "change_p",
    "change_p_adj",
    "change_q",  # the same numbers as change_p_adj, under the name of earlier releases
    "change_sig",
)


def poisson_change_p(n1: int, n0: int, t1: float = 1.0, t0: float = 1.0) -> float:
    """Two-sided p of the exact conditional test that two Poisson counts share one rate."""
    total = int(n1) + int(n0)
    if total == 0:
        return 1.0  # nothing happened in either period: no evidence of change
    from scipy.stats import binomtest  # unequal exposure only; scipy.stats is slow to import

    return float(binomtest(int(n1), total, t1 / (t1 + t0)).pvalue)


def poisson_change_ps(n1: np.ndarray, n0: np.ndarray, t1: float = 1.0,
                      t0: float = 1.0) -> np.ndarray:
    """poisson_change_p for many pairs at once.

    With equal exposure the null Binomial(n, ½) is symmetric, so the two-sided exact p (every
    outcome no more likely than the one observed) is 2 × the smaller tail, capped at 1: one
    vectorised call instead of a binomtest per ward. Unequal exposure uses binomtest.
    """
    n1 = np.asarray(n1, dtype=np.int64)
    n0 = np.asarray(n0, dtype=np.int64)
    if t1 != t0:
        return np.array([poisson_change_p(a, b, t1, t0) for a, b in zip(n1, n0, strict=True)])
    n = n1 + n0
    low = bdtr(np.minimum(n1, n0), n, 0.5)  # binomial CDF without importing scipy.stats
    return np.where(n == 0, 1.0, np.minimum(1.0, 2.0 * low))


def adjust_p(p: np.ndarray, correction: str) -> np.ndarray:
    """Multiple-testing adjusted p values: Benjamini–Hochberg FDR, Bonferroni or none."""
    from wardmap.stats.correction import METHODS, adjust

    if correction not in METHODS:
        raise WardmapError(f"unknown correction {correction!r} (fdr, bonferroni or none)")
    return adjust(p, correction)


def percent_change(now: float, then: float, t1: float = 1.0, t0: float = 1.0) -> float:
    """100 × (now − then) / then on monthly rates; NaN when there is no base.

    ``then`` is scaled to the period's length (t1 months against t0) first, so a 12-month
    period is not compared with a 3-month total; with equal lengths this is the plain change.
    """
    if then == 0:
        return float("nan")
    expected = then * t1 / t0 if t1 != t0 else then
    return 100.0 * (now - expected) / expected


def ward_change(
    now: pd.Series, then: pd.Series, t1: float, t0: float, alpha: float, correction: str
) -> pd.DataFrame:
    """The change columns for wards with counts ``now`` and ``then`` (same index)."""
    now = now.astype(int)
    then = then.reindex(now.index).fillna(0).astype(int)
    p = poisson_change_ps(now.to_numpy(), then.to_numpy(), t1, t0)
    p_adj = adjust_p(p, correction)
    pct = [percent_change(a, b, t1, t0) for a, b in zip(now, then, strict=True)]
    return pd.DataFrame(
        {
            "incidents_prev": then,
            "change": now - then,
            "change_pct": pct,
            "change_note": np.where(then == 0, NO_BASE_NOTE, ""),
            "change_p": p,
            "change_p_adj": p_adj,
            "change_q": p_adj,
            "change_sig": significant(p_adj, alpha),
        },
        index=now.index,
    )


def available_months(records: pd.DataFrame) -> list[str]:
    """Months present in the records (any crime type, placed or not)."""
    return sorted(m for m in records["month"].dropna().unique() if isinstance(m, str))


def ward_counts(records: pd.DataFrame, months: list[str]) -> pd.Series:
    """Incidents per ward_code in ``months``: records passing the crime-type filter, placed
    (a records table, or a tally's rows weighted by their ``count``)."""
    keep = records["type_match"].to_numpy(bool) & records["ward_code"].notna().to_numpy()
    keep &= member(records["month"], months)
    ward = records["ward_code"]
    if isinstance(ward.dtype, pd.CategoricalDtype):  # sum on the codes, not millions of texts
        codes = ward.cat.codes.to_numpy()
        sums = sum_where(codes, keep, weights(records), len(ward.cat.categories))
        found = sums > 0  # the wards with records, as the groupby below gives them
        return pd.Series(sums[found], index=ward.cat.categories.astype(object)[found])
    return pd.Series(weights(records)[keep]).groupby(ward[keep].to_numpy(dtype=object)).sum()


def add_change(result: RunResult, config: PeriodsConfig | None = None) -> RunResult:
    """The run with change columns on its ward table and ``summary["change"]`` totals.

    Ward columns: incidents_prev, change, change_pct (NaN with change_note when the base is
    0), change_p (exact conditional test), change_p_adj (adjusted across wards; also written
    as change_q, its earlier name, for one more release), change_sig. When
    the data does not cover a comparison period the columns are not added and
    summary["change"] says why ({"available": False, "reason": ...}).
    """
    config = config or result.config.periods
    records = counted(result)
    if records is None or "incidents" not in result.wards.columns:
        reason = "the input is a ward-level table, so there are no monthly records to compare"
        return _with_summary(result, {"available": False, "reason": reason})
    months = available_months(records)
    current, comparison = resolve_period(config, months, result.config.filters.months)
    info: dict[str, Any] = {
        "current_months": current,
        "current_label": period_label(current),
    }
    # Months inside the span analysed (comparison to period end) with no record at all: a
    # missing download, never a quiet month counted as zero.
    gap = missing_months(current + (comparison or []), months)
    if gap:
        info.update(missing_months=gap, missing_label=months_text(gap))
    if comparison is None:
        info.update(available=False, reason=comparison_gap(current, months))
        return _with_summary(result, info)
    wards = result.wards.copy()
    now = wards.set_index("ward_code")["incidents"].fillna(0).astype(int)
    _check_current(now, ward_counts(records, current), current)
    then = ward_counts(records, comparison)
    t1, t0 = float(len(current)), float(len(comparison))
    table = ward_change(now, then, t1, t0, config.alpha, config.correction)
    for col in CHANGE_COLUMNS:
        wards[col] = table[col].to_numpy()
    n1, n0 = int(now.sum()), int(then.reindex(now.index).fillna(0).sum())
    excess = now - table["incidents_prev"] * (t1 / t0)
    p_total = poisson_change_p(n1, n0, t1, t0)
    info.update(
        available=True,
        comparison_months=comparison,
        comparison_label=period_label(comparison),
        incidents=n1,
        incidents_prev=n0,
        change=n1 - n0,
        change_pct=_json_float(percent_change(n1, n0, t1, t0)),
        p=p_total,
        sig=significant(p_total, config.alpha),
        alpha=config.alpha,
        correction=config.correction,
        # Direction on monthly rates: with periods of different lengths the raw change can
        # point the other way.
        wards_up_sig=int((table["change_sig"] & (excess > 0)).sum()),
        wards_down_sig=int((table["change_sig"] & (excess < 0)).sum()),
        year_earlier=comparison == [shift_month(m, -12) for m in current],
    )
    return _with_summary(dataclasses.replace(result, wards=wards), info)


def _check_current(now: pd.Series, counted: pd.Series, current: list[str]) -> None:
    # The ward table's incidents must be the period's: otherwise the run's month filter and
    # the period disagree and every change figure would be wrong.
    counted = counted.reindex(now.index).fillna(0).astype(int)
    if not counted.equals(now):
        raise WardmapError(
            f"the ward table's incidents are not those of {period_label(current)}: "
            "set the run's month filter to the period (wardmap.periods.period_filter)"
        )


def _with_summary(result: RunResult, info: dict[str, Any]) -> RunResult:
    return dataclasses.replace(result, summary={**result.summary, "change": info})


def _json_float(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
