"""Permutation kernels: random draws, vectorised with numpy.

esda compiles its conditional-permutation loop with numba, which costs a cold command-line run
about 18 s before the first result. These kernels do the same work with whole-array numpy
operations and no compile step, following esda's scheme so that results are comparable: one
matrix of draws (each row ``max_card`` distinct positions among the other n-1 wards) is shared
by every ward, and ward i takes the first k_i draws of each row, skipping itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Bound on the number of values gathered at once (about 64 MB of float64 and its indices).
CHUNK_VALUES = 4_000_000


def generator(seed: int, stream: int) -> np.random.Generator:
    """An independent, reproducible random stream per statistic (same seed, same draws)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream,))))


def neighbour_draws(
    n: int, max_card: int, permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """(permutations, max_card) positions drawn without replacement from 0..n-2, row by row."""
    draws = np.empty((permutations, max_card), dtype=np.int64)
    for row in range(permutations):
        draws[row] = rng.choice(n - 1, size=max_card, replace=False)
    return draws


def random_neighbour_sums(
    z: np.ndarray, cardinalities: np.ndarray, draws: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """For chunks of wards: their positions and (wards, permutations) sums of z over random
    neighbour sets of each ward's cardinality, drawn from the other wards (conditional
    permutation). Wards without neighbours are skipped.
    """
    permutations = draws.shape[0]
    for k in np.unique(cardinalities[cardinalities > 0]):
        wards = np.flatnonzero(cardinalities == k)
        ids = draws[:, :k]
        # Drawn position d means ward d when d < i, else ward d + 1: the draws skip ward i.
        below = z[ids]
        above = z[np.minimum(ids + 1, len(z) - 1)]
        step = max(1, CHUNK_VALUES // permutations)
        for start in range(0, len(wards), step):
            chunk = wards[start : start + step, None]
            # One (wards, permutations) slice per draw column: avoids a 3-d temporary and a
            # slow reduction along a short last axis.
            sums = np.where(ids[:, 0] >= chunk, above[:, 0], below[:, 0])
            for j in range(1, int(k)):
                sums += np.where(ids[:, j] >= chunk, above[:, j], below[:, j])
            yield chunk[:, 0], sums


# Simulated values within this fraction of the largest magnitude of the observed one: ties. The
# same neighbour values summed in another order differ only by rounding.
TIE_TOLERANCE = 1e-9


def tail_counts(sims: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simulations (last axis) at or above and at or below the observed value; ties, within
    rounding, count in both."""
    observed = np.asarray(observed, dtype=float)[..., None]
    tol = TIE_TOLERANCE * np.maximum(np.abs(sims).max(axis=-1, keepdims=True), np.abs(observed))
    return (sims >= observed - tol).sum(axis=-1), (sims <= observed + tol).sum(axis=-1)


def folded_p(
    larger: np.ndarray, permutations: int, smaller: np.ndarray | None = None
) -> np.ndarray:
    """Pseudo p-value from the count of simulated values >= the observed one, folded to the
    nearer tail: esda's "directed" definition (GeoDa's too), (min(larger, P - larger) + 1)/(P + 1).

    ``smaller`` (simulations <= the observed value) replaces P - larger so that ties count in
    both tails: without it, a ward whose random neighbours all tie with its own (a rare crime,
    most wards at zero; a ward next to every other) came out at p = 1/(P + 1). Without ties
    the two agree.
    """
    larger = np.asarray(larger, dtype=float)
    smaller = permutations - larger if smaller is None else np.asarray(smaller, dtype=float)
    folded = np.minimum(larger, smaller)
    return (folded + 1.0) / (permutations + 1.0)
