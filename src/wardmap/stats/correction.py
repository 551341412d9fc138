"""Multiple-testing control for the local statistics, as GeoDa and ArcGIS offer: none,
Bonferroni, or the Benjamini-Hochberg false discovery rate. NaN p-values (wards not tested)
stay NaN and do not count as tests.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control

METHODS = ("fdr", "bonferroni", "none")


def adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values: compare them with alpha as one would the raw ones."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.isfinite(p)
    if not tested.any() or method == "none":
        out[tested] = p[tested]
    elif method == "bonferroni":
        out[tested] = np.minimum(p[tested] * tested.sum(), 1.0)
    elif method == "fdr":
        out[tested] = false_discovery_control(p[tested], method="bh")
    else:
        raise ValueError(f"unknown correction '{method}' (choose from {', '.join(METHODS)})")
    return out
