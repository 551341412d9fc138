"""Getis-Ord Gi* hot spots, as ArcGIS Pro's Hot Spot Analysis: binary weights including the
ward itself, analytic z-scores, two-sided normal p-values and the -3..3 confidence bins.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

# (p below, bin) from the most to the least confident: 99, 95 and 90 per cent.
CONFIDENCE_LEVELS = ((0.01, 3), (0.05, 2), (0.10, 1))


def gi_star(y: np.ndarray, binary: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-score and two-sided p-value per ward (Getis and Ord 1992; Ord and Getis 1995).

    z_i = (sum_j w_ij x_j - mean * W_i) / (s * sqrt((n * S1_i - W_i^2) / (n - 1))), with
    w_ii = 1, W_i = sum_j w_ij, S1_i = sum_j w_ij^2 and s the population standard deviation.
    NaN when the values do not vary.
    """
    x = np.asarray(y, dtype=float)
    n = len(x)
    w = binary + sp.identity(n, format="csr")
    mean = x.mean()
    s = x.std()
    w_sum = np.asarray(w.sum(axis=1)).ravel()
    w_sq = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = s * np.sqrt((n * w_sq - w_sum**2) / (n - 1))
        z = (w @ x - mean * w_sum) / spread
    z[~np.isfinite(z)] = np.nan
    return z, two_sided_p(z)


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """P(|Z| >= |z|) under the standard normal; NaN stays NaN.

    math.erfc per value rather than scipy.special.ndtr: importing scipy.special costs a cold
    run more than this loop over even 32,844 LSOAs (a few milliseconds).
    """
    erfc = np.frompyfunc(lambda v: math.erfc(abs(v) / math.sqrt(2.0)), 1, 1)
    return erfc(np.asarray(z, dtype=float)).astype(float)


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS Gi_Bin: +3/+2/+1 hot spot at 99/95/90 % confidence, negative for cold, 0 else.

    ``p`` may be adjusted for multiple testing first (ArcGIS's FDR option does the same).
    """
    bins = np.zeros(len(z), dtype=np.int64)
    for level, value in reversed(CONFIDENCE_LEVELS):
        hit = np.nan_to_num(p, nan=1.0) < level
        bins[hit] = value
    return bins * np.sign(np.nan_to_num(z)).astype(np.int64)
