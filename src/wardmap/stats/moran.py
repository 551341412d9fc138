"""Global Moran's I with row-standardised weights: analytic inference under normality and a
permutation pseudo p-value, as esda.Moran; and the Assuncao-Reis empirical Bayes version for
rates, as esda.Moran_Rate.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from wardmap.stats.getis import two_sided_p
from wardmap.stats.permutation import CHUNK_VALUES, TIE_TOLERANCE, folded_p, tail_counts
from wardmap.stats.smoothing import assuncao_reis


def row_standardise(binary: sp.csr_matrix) -> sp.csr_matrix:
    """Each row sums to one; rows of wards without neighbours stay zero."""
    card = np.diff(binary.indptr).astype(float)
    scale = np.divide(1.0, card, out=np.zeros_like(card), where=card > 0)
    return sp.csr_matrix(sp.diags(scale) @ binary)


def global_moran(
    y: np.ndarray, binary: sp.csr_matrix, permutations: int, rng: np.random.Generator
) -> dict[str, float]:
    """Moran's I of ``y``: I, EI, VI_norm, z (z_norm), p_norm (two-sided), p_sim, z_sim."""
    w = row_standardise(binary)
    y = np.asarray(y, dtype=float)
    n = len(y)
    z = y - y.mean()
    z2ss = float(z @ z)
    s0 = float(w.sum())
    result = {"I": math.nan, "EI": -1.0 / (n - 1), "VI_norm": math.nan, "z": math.nan,
              "p_norm": math.nan, "p_sim": math.nan, "z_sim": math.nan,
              "permutations": int(permutations)}
    if z2ss == 0 or s0 == 0:
        return result
    scale = n / s0 / z2ss
    result["I"] = float(z @ (w @ z)) * scale
    result["VI_norm"] = _variance_normal(w, n, s0)
    # Zero when every ward neighbours every other: I is then -1/(n-1) whatever the values.
    if result["VI_norm"] > TIE_TOLERANCE * result["EI"] ** 2:
        result["z"] = (result["I"] - result["EI"]) / math.sqrt(result["VI_norm"])
        result["p_norm"] = float(two_sided_p(np.array([result["z"]]))[0])
    if permutations > 0:
        sims = permuted_products(z, w, permutations, rng) * scale
        larger, smaller = tail_counts(sims, result["I"])
        result["p_sim"] = float(folded_p(larger, permutations, smaller))
        sd = sims.std()
        spread = sd > TIE_TOLERANCE * max(np.abs(sims).max(), abs(result["I"]))
        result["z_sim"] = float((result["I"] - sims.mean()) / sd) if spread else math.nan
    return result


def _variance_normal(w: sp.csr_matrix, n: int, s0: float) -> float:
    sym = w + w.T
    s1 = float(sym.multiply(sym).sum()) / 2.0
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2)
               .sum())
    v_num = n * n * s1 - n * s2 + 3.0 * s0 * s0
    v_den = (n - 1) * (n + 1) * s0 * s0
    return v_num / v_den - (1.0 / (n - 1)) ** 2


def permuted_products(
    z: np.ndarray, w: sp.csr_matrix, permutations: int, rng: np.random.Generator,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """z'Wz for ``permutations`` random reorderings of z (unscaled), in chunks; with ``fixed``,
    fixed'Wz instead (the bivariate Moran's I keeps x in place and permutes y, as esda)."""
    n = len(z)
    out = np.empty(permutations)
    step = max(1, CHUNK_VALUES // n)
    for start in range(0, permutations, step):
        rows = min(step, permutations - start)
        shuffled = rng.permuted(np.broadcast_to(z, (rows, n)), axis=1)
        lag = (w @ shuffled.T).T
        left = shuffled if fixed is None else np.broadcast_to(fixed, (rows, n))
        out[start : start + rows] = np.einsum("ij,ij->i", left, lag)
    return out


def moran_rate(
    events: np.ndarray,
    population: np.ndarray,
    binary: sp.csr_matrix,
    permutations: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Moran's I of the Assuncao-Reis empirical Bayes standardised rates (esda.Moran_Rate)."""
    return global_moran(assuncao_reis(events, population), binary, permutations, rng)
