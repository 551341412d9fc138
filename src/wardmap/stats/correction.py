"""Multiple-testing control for the local statistics, as GeoDa and ArcGIS offer: none,
Bonferroni, or the Benjamini-Hochberg false discovery rate. NaN p-values (wards not tested)
stay NaN and do not count as tests.
"""

from __future__ import annotations

import numpy as np

METHODS = ("fdr", "bonferroni", "none")


def adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values: compare them with alpha as one would the raw ones."""
    if method not in METHODS:
        raise ValueError(f"unknown correction '{method}' (choose from {', '.join(METHODS)})")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.isfinite(p)
    if method == "fdr":
        out[tested] = benjamini_hochberg(p[tested])
    elif method == "bonferroni":
        out[tested] = np.minimum(p[tested] * tested.sum(), 1.0)
    else:
        out[tested] = p[tested]
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH adjusted p-values, min over j >= i of p_(j) m / j, capped at 1.

    Written out rather than taken from scipy.stats.false_discovery_control (which the tests
    compare it with) because importing scipy.stats costs a cold command-line run about 1 s.
    """
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out
