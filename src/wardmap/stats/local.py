"""Local Moran's I (LISA) with conditional-permutation pseudo p-values, as esda.Moran_Local:
row-standardised weights, values standardised by their (population) standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from wardmap.stats.moran import row_standardise
from wardmap.stats.permutation import (
    folded_p,
    neighbour_draws,
    random_neighbour_sums,
    tail_counts,
)

# esda's quadrant codes: 1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low.
QUADRANT_LABELS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


@dataclass
class LocalMoran:
    """Per ward: I, quadrant q (1..4, esda's codes), pseudo p-value p_sim (NaN for wards
    without neighbours, which are not tested), and the standardised value and its lag."""

    I: np.ndarray  # noqa: E741 - esda's name for the statistic
    q: np.ndarray
    p_sim: np.ndarray
    z: np.ndarray
    lag: np.ndarray


def local_moran(
    y: np.ndarray, binary: sp.csr_matrix, permutations: int, rng: np.random.Generator
) -> LocalMoran:
    y = np.asarray(y, dtype=float)
    n = len(y)
    sd = y.std()
    z = (y - y.mean()) / sd if sd > 0 else np.zeros(n)
    w = row_standardise(binary)
    lag = w @ z
    den = float(z @ z)
    scale = (n - 1) / den if den > 0 else 0.0
    local_i = scale * z * lag
    high, high_lag = z > 0, lag > 0
    q = np.where(high, np.where(high_lag, 1, 4), np.where(high_lag, 2, 3))
    card = np.diff(binary.indptr)
    p_sim = np.full(n, np.nan)
    if permutations > 0 and den > 0 and card.max(initial=0) > 0 and n > 2:
        p_sim[card > 0] = conditional_p(z, card, local_i, scale, permutations, rng)[card > 0]
    return LocalMoran(I=local_i, q=q, p_sim=p_sim, z=z, lag=lag)


def conditional_p(
    z: np.ndarray,
    card: np.ndarray,
    observed: np.ndarray,
    scale: float,
    permutations: int,
    rng: np.random.Generator,
    own: np.ndarray | None = None,
) -> np.ndarray:
    """Conditional-permutation pseudo p-values of scale * own_i * (mean of z over random
    neighbour sets); ``own`` is z itself for LISA, another variable for the bivariate LISA."""
    own = z if own is None else own
    draws = neighbour_draws(len(z), int(card.max()), permutations, rng)
    larger, smaller = np.zeros(len(z)), np.zeros(len(z))
    for wards, sums in random_neighbour_sums(z, card, draws):
        sims = (scale * own[wards] / card[wards])[:, None] * sums
        larger[wards], smaller[wards] = tail_counts(sims, observed[wards])
    return folded_p(larger, permutations, smaller)
