"""Emerging hot spots: per-month Gi* and a Mann–Kendall trend, classified as ArcGIS Pro does.

Each month's ward counts get a Getis-Ord Gi* z score (binary weights including the ward itself,
analytic z, two-sided normal p). A ward-month is a significant hot (cold) spot when p < alpha
and z > 0 (z < 0). Each ward's series of z scores gets a Mann–Kendall trend test. The categories
(new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating, historical,
and their cold mirrors) follow ArcGIS Pro's "How Emerging Hot Spot Analysis works"; the exact
rules are in docs/periods.md. ArcGIS uses a space-time neighbourhood; wardmap uses each month's
spatial neighbourhood only, which suits monthly ward counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from wardmap.errors import WardmapError
from wardmap.result import significant
from wardmap.stats.getis import gi_star, two_sided_p

# Share of months a ward must be significant to count as persistent, intensifying, etc.
MOST_MONTHS = 0.9
NO_PATTERN = "No pattern detected"
CATEGORIES = tuple(
    f"{kind} {side} spot"
    for side in ("hot", "cold")
    for kind in (
        "New", "Consecutive", "Intensifying", "Persistent",
        "Diminishing", "Sporadic", "Oscillating", "Historical",
    )
) + (NO_PATTERN,)


@dataclass
class MannKendall:
    s: int
    var_s: float
    z: float
    p: float
    tau: float


def mann_kendall(series: np.ndarray) -> MannKendall:
    """Mann–Kendall trend test: S, its variance with ties, z (continuity corrected), two-sided p.

    Hand-written: scipy has Kendall's tau but not the Mann–Kendall S-variance with the
    continuity correction that ArcGIS and the hydrology literature use.
    """
    x = np.asarray(series, dtype=float)
    n = x.size
    if n < 3 or not np.all(np.isfinite(x)):
        return MannKendall(0, 0.0, 0.0, 1.0, 0.0)
    diff = np.sign(x[None, :] - x[:, None])
    s = int(np.triu(diff, k=1).sum())
    _, ties = np.unique(x, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18.0
    if var_s <= 0:
        return MannKendall(s, 0.0, 0.0, 1.0, 0.0)
    z = (s - np.sign(s)) / np.sqrt(var_s)
    p = float(two_sided_p(np.array([z]))[0])
    return MannKendall(s, float(var_s), float(z), p, s / (n * (n - 1) / 2))


def mann_kendall_rows(series: np.ndarray) -> list[MannKendall]:
    """mann_kendall for every row of a wards × months array, vectorised over wards.

    S is summed one lag at a time (each month against the month ``lag`` later), so the
    temporaries are wards × months, not wards × months × months: ten years of national
    months (7,681 × 120) would otherwise need a 1.1 GB array of differences.
    """
    x = np.asarray(series, dtype=float)
    rows, n = x.shape
    if n < 3:
        return [MannKendall(0, 0.0, 0.0, 1.0, 0.0) for _ in range(rows)]
    finite = np.isfinite(x).all(axis=1)
    x = np.where(finite[:, None], x, 0.0)  # rows with NaN get no trend (below)
    s = np.zeros(rows, np.int64)
    for lag in range(1, n):
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1, dtype=np.int64)
    ordered = np.sort(x, axis=1)
    new_group = np.concatenate([np.ones((rows, 1), bool), ordered[:, 1:] != ordered[:, :-1]], 1)
    group = np.cumsum(new_group, axis=1) - 1 + np.arange(rows)[:, None] * n
    t = np.bincount(group.ravel(), minlength=rows * n).reshape(rows, n)
    var_s = (n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum(axis=1)) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(var_s), 0.0)
    p = np.where(var_s > 0, two_sided_p(z), 1.0)
    tau = s / (n * (n - 1) / 2)
    return [MannKendall(int(s[i]), float(var_s[i]), float(z[i]), float(p[i]), float(tau[i]))
            if finite[i] and var_s[i] > 0 else MannKendall(0, 0.0, 0.0, 1.0, 0.0)
            for i in range(rows)]


def gi_star_z(values: np.ndarray, binary: sp.spmatrix) -> np.ndarray:
    """Getis-Ord Gi* z scores with binary weights including each ward itself (Ord & Getis 1995),
    as the test stage computes them. NaN where the values do not vary (every ward the same
    count that month).
    """
    return gi_star(np.asarray(values, dtype=float), sp.csr_matrix(binary, dtype=float))[0]


def monthly_gi(counts: pd.DataFrame, binary: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z and two-sided p for a wards × months table of counts (rows in weights order)."""
    w = sp.csr_matrix(binary, dtype=float)
    zs, ps = zip(*(gi_star(counts[m].to_numpy(dtype=float), w) for m in counts.columns),
                 strict=True)
    return np.column_stack(zs), np.column_stack(ps)


def classify(z: np.ndarray, p: np.ndarray, alpha: float = 0.05,
             trend: MannKendall | None = None) -> tuple[str, MannKendall]:
    """The emerging hot spot category of one ward from its monthly Gi* z and p series.

    ``trend`` is the Mann–Kendall test of the z series (NaN as 0), computed when not given.
    """
    z = np.asarray(z, dtype=float)
    sig = significant(p, alpha)
    hot = sig & (np.nan_to_num(z) > 0)
    cold = sig & (np.nan_to_num(z) < 0)
    trend = trend or mann_kendall(np.nan_to_num(z))
    label = _classify_side(hot, cold, trend, alpha, "hot")
    if label is None:
        label = _classify_side(cold, hot, _mirror(trend), alpha, "cold")
    return label or NO_PATTERN, trend


def _mirror(trend: MannKendall) -> MannKendall:
    return MannKendall(-trend.s, trend.var_s, -trend.z, trend.p, -trend.tau)


def _classify_side(
    on: np.ndarray, other: np.ndarray, trend: MannKendall, alpha: float, side: str
) -> str | None:
    """Rules for one side; for cold spots ``on`` is the cold series and the trend is mirrored."""
    n = on.size
    share = on.sum() / n
    if n == 0 or not on.any():
        return None
    if share >= MOST_MONTHS:
        if not on[-1]:
            return f"Historical {side} spot"
        if significant(trend.p, alpha) and trend.z > 0:
            return f"Intensifying {side} spot"
        if significant(trend.p, alpha) and trend.z < 0:
            return f"Diminishing {side} spot"
        return f"Persistent {side} spot"
    if not on[-1]:
        return None
    if other.any():
        return f"Oscillating {side} spot"
    run = _final_run(on)
    if on[: n - run].any():
        return f"Sporadic {side} spot"
    return f"New {side} spot" if run == 1 else f"Consecutive {side} spot"


def _final_run(flags: np.ndarray) -> int:
    """Length of the run of True at the end of ``flags``."""
    run = 0
    for flag in flags[::-1]:
        if not flag:
            break
        run += 1
    return run


def emerging_hot_spots(
    counts: pd.DataFrame, binary: sp.spmatrix, alpha: float = 0.05
) -> pd.DataFrame:
    """Per-ward category for a wards × months count table (index ward_code, months as columns).

    Returns index ward_code with emerging_pattern, emerging_tau (Mann–Kendall tau of the Gi* z
    series), emerging_trend_p, hot_months and cold_months (significant months of each kind).
    """
    if counts.shape[1] < 2:
        raise WardmapError("emerging hot spots need at least two months of data")
    if binary.shape[0] != counts.shape[0]:
        raise WardmapError("emerging hot spots: weights and ward table differ in size")
    z, p = monthly_gi(counts, binary)
    trends = mann_kendall_rows(np.nan_to_num(z))
    rows = []
    for i in range(counts.shape[0]):
        label, trend = classify(z[i], p[i], alpha, trends[i])
        sig = significant(p[i], alpha)
        rows.append(
            {
                "emerging_pattern": label,
                "emerging_tau": trend.tau,
                "emerging_trend_p": trend.p,
                "hot_months": int((sig & (z[i] > 0)).sum()),
                "cold_months": int((sig & (z[i] < 0)).sum()),
            }
        )
    return pd.DataFrame(rows, index=counts.index)
