"""Spatial weights for the test stage: who neighbours whom.

Contiguity is built here, vectorised, rather than with libpysal: libpysal walks every vertex in
Python (2-3 s for England's wards) and its import alone costs a cold command-line run more than
the whole test stage. The rules are libpysal's, so the results are the same: queen neighbours
share at least one vertex, rook neighbours share at least one edge (two consecutive vertices),
both matched exactly. k-nearest neighbours and distance bands use centroids, as libpysal does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from geopandas import GeoDataFrame
from scipy.sparse.csgraph import connected_components

from wardmap.errors import WardmapError

KINDS = ("queen", "rook", "knn", "distance")
ISLAND_POLICIES = ("nearest", "label")


@dataclass
class Weights:
    """Neighbours of each ward, by position in the ward table.

    islands: wards that had no neighbour before island handling (after the touching test for
    contiguity, see ``inexact``). With the "nearest" policy
    each is joined to its nearest ward (listed in ``joined_islands``); with "label" they keep no
    neighbour and the local statistics label them "Island".
    """

    n: int
    neighbors: list[np.ndarray]
    binary: sp.csr_matrix
    islands: list[int]
    n_components: int
    component_labels: np.ndarray
    joined_islands: list[tuple[int, int]] = field(default_factory=list)
    inexact: list[int] = field(default_factory=list)  # neighbours found by touching, not vertices
    kind: str = "queen"
    island_policy: str = "nearest"
    ids: list | None = None

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each ward (after island handling)."""
        return np.diff(self.binary.indptr)

    @property
    def unlinked(self) -> np.ndarray:
        """Positions of wards left without any neighbour (islands under the "label" policy)."""
        return np.flatnonzero(self.cardinalities == 0)

    def row_standardised(self) -> sp.csr_matrix:
        """Each row sums to one (rows of unlinked wards stay zero), as for Moran's I."""
        from wardmap.stats.moran import row_standardise

        return row_standardise(self.binary)


def build_weights(
    wards: GeoDataFrame,
    kind: str = "queen",
    k: int = 6,
    distance: float | None = None,
    islands: str = "nearest",
) -> Weights:
    """Spatial weights between the wards, in table order.

    kind: "queen" (shared vertex), "rook" (shared edge), "knn" (k nearest centroids) or
    "distance" (centroids within ``distance`` map units, metres in EPSG:27700).
    islands: "nearest" joins each ward without a neighbour to its nearest ward (by boundary
    distance); "label" leaves it unlinked so the local statistics label it "Island".
    """
    _check_options(kind, islands)
    geoms = _geometries(wards)
    n = len(geoms)
    rows, cols = _pairs(geoms, kind, k, distance)
    inexact: list[int] = []
    if kind in ("queen", "rook"):
        rows, cols, inexact = _add_touching(geoms, rows, cols, rook=kind == "rook")
    lonely = np.flatnonzero(np.bincount(rows, minlength=n) == 0)
    joined: list[tuple[int, int]] = []
    if islands == "nearest" and len(lonely) and n > 1:
        joined = _nearest_links(geoms, lonely)
        extra = np.array(joined, dtype=np.int64).reshape(-1, 2)
        rows = np.concatenate([rows, extra[:, 0], extra[:, 1]])
        cols = np.concatenate([cols, extra[:, 1], extra[:, 0]])
    binary = _to_csr(rows, cols, n)
    n_components, labels = connected_components(binary, directed=True, connection="weak")
    return Weights(
        n=n,
        neighbors=np.split(binary.indices, binary.indptr[1:-1]),
        binary=binary,
        islands=[int(i) for i in lonely],
        n_components=int(n_components),
        component_labels=labels,
        joined_islands=joined,
        inexact=inexact,
        kind=kind,
        island_policy=islands,
        ids=wards["ward_code"].tolist() if "ward_code" in wards.columns else None,
    )


def _check_options(kind: str, islands: str) -> None:
    if kind not in KINDS:
        raise WardmapError(f"unknown weights kind '{kind}' (choose from {', '.join(KINDS)})")
    if islands not in ISLAND_POLICIES:
        choices = ", ".join(ISLAND_POLICIES)
        raise WardmapError(f"unknown islands option '{islands}' (choose from {choices})")


def _geometries(wards: GeoDataFrame) -> np.ndarray:
    geoms = np.asarray(wards.geometry.values, dtype=object)
    if len(geoms) == 0:
        raise WardmapError("no wards to build spatial weights from")
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise WardmapError(f"{int(missing.sum())} ward(s) have no geometry; cannot build "
                           "spatial weights")
    return geoms


def _add_touching(
    geoms: np.ndarray, rows: np.ndarray, cols: np.ndarray, rook: bool
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Boundaries generalised or rounded polygon by polygon share no exact vertex (England's
    LSOA file: not one area does); wards left without a neighbour by exact matching get the
    wards they touch or overlap. Returns the pairs and the wards so linked."""
    lonely = np.flatnonzero(np.bincount(rows, minlength=len(geoms)) == 0)
    if not len(lonely):
        return rows, cols, []
    extra_rows, extra_cols = _touching_pairs(geoms, lonely, rook)
    inexact = sorted(set(extra_rows.tolist()) & set(lonely.tolist()))
    return np.concatenate([rows, extra_rows]), np.concatenate([cols, extra_cols]), inexact


def _pairs(
    geoms: np.ndarray, kind: str, k: int, distance: float | None
) -> tuple[np.ndarray, np.ndarray]:
    if kind == "queen":
        return _shared_keys(*_vertex_keys(geoms))
    if kind == "rook":
        return _shared_keys(*_edge_keys(geoms))
    points = _centroids(geoms)
    if kind == "knn":
        return _knn_pairs(points, k)
    if distance is None or not distance > 0:
        raise WardmapError("distance-band weights need a positive 'distance' (map units)")
    return _band_pairs(points, float(distance))


def _vertex_keys(geoms: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    return [coords[:, 0], coords[:, 1]], owner


def _edge_keys(geoms: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    # An edge is two consecutive vertices of one ring, taken in a canonical order so that the
    # two wards either side (which trace it in opposite directions) produce the same key.
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)  # polygons only
    ring_owner = part_owner[ring_part]
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring[:-1] == ring[1:]
    a, b = coords[:-1][same_ring], coords[1:][same_ring]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo = np.where(swap[:, None], b, a)
    hi = np.where(swap[:, None], a, b)
    owner = ring_owner[ring[:-1][same_ring]]
    return [lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]], owner


def _shared_keys(keys: list[np.ndarray], owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct wards that hold an identical key (a vertex or an edge)."""
    if len(owner) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # Exact float keys grouped by hashing (pandas factorize): a point is one complex number, an
    # edge a pair of point codes. Then one integer sort orders the (key, ward) pairs.
    group_id = np.zeros(len(owner), np.int64)
    for x, y in zip(keys[::2], keys[1::2], strict=True):
        codes, uniques = pd.factorize(x + 1j * y)
        group_id = group_id * len(uniques) + codes
    if len(keys) > 2:
        group_id = pd.factorize(group_id)[0]
    n_wards = int(owner.max()) + 1
    combined = np.sort(group_id.astype(np.int64) * n_wards + owner)
    combined = combined[np.r_[True, combined[1:] != combined[:-1]]]
    group_id, owner = combined // n_wards, combined % n_wards
    # Keep only keys held by two or more wards, then pair every ward in a group with each later
    # one: group sizes are small (a handful of wards meet at a vertex), so loop over the offset.
    shared = np.zeros(len(group_id), bool)
    same = group_id[:-1] == group_id[1:]
    shared[:-1] |= same
    shared[1:] |= same
    group_id, owner = group_id[shared], owner[shared]
    rows, cols = [], []
    offset = 1
    while offset < len(group_id):
        same = group_id[:-offset] == group_id[offset:]
        if not same.any():
            break
        rows.append(owner[:-offset][same])
        cols.append(owner[offset:][same])
        offset += 1
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return np.concatenate([r, c]), np.concatenate([c, r])


def _centroids(geoms: np.ndarray) -> np.ndarray:
    return shapely.get_coordinates(shapely.centroid(_repaired(geoms)))


def _repaired(geoms: np.ndarray) -> np.ndarray:
    # Published boundary sets hold a few self-intersecting polygons; GEOS measures those
    # unreliably, so distances, centroids and predicates use repaired copies.
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    fixed = geoms.copy()
    fixed[invalid] = shapely.make_valid(geoms[invalid])
    return fixed


def _knn_pairs(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(points)
    if k < 1:
        raise WardmapError(f"k-nearest-neighbour weights need k >= 1 (got {k})")
    if k >= n:
        raise WardmapError(f"k-nearest-neighbour weights need k < number of wards ({k} >= {n})")
    from scipy.spatial import cKDTree  # imported here: only these weights need it

    _, idx = cKDTree(points).query(points, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1).reshape(n, k + 1)
    # Drop each ward itself (normally the first hit; coincident centroids may reorder it).
    keep = idx != rows
    keep[keep.sum(axis=1) > k, -1] = False
    return rows[keep], idx[keep]


def _band_pairs(points: np.ndarray, distance: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.spatial import cKDTree  # imported here: only these weights need it

    pairs = cKDTree(points).query_pairs(distance, output_type="ndarray")
    return np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])


def _touching_pairs(
    geoms: np.ndarray, lonely: np.ndarray, rook: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (both ways) linking each lonely ward to every ward it touches or overlaps."""
    try:
        a, b = _touching(geoms, lonely, rook)
    except shapely.errors.GEOSException:
        # GEOS evaluates most invalid polygons as they are (faster than repairing them all
        # first); when it gives up, repair and ask again.
        a, b = _touching(_repaired(geoms), lonely, rook)
    return np.concatenate([a, b]), np.concatenate([b, a])


def _touching(geoms: np.ndarray, lonely: np.ndarray, rook: bool) -> tuple[np.ndarray, np.ndarray]:
    found = shapely.STRtree(geoms).query(geoms[lonely], predicate="intersects")
    a, b = lonely[found[0]], found[1]
    keep = a != b
    a, b = a[keep], b[keep]
    if rook and len(a):
        # Rook needs more than a point in common: a shared stretch of boundary or an overlap.
        matrix = shapely.relate(geoms[a], geoms[b])
        line_or_overlap = np.array([m[0] != "F" or m[4] == "1" for m in matrix], dtype=bool)
        a, b = a[line_or_overlap], b[line_or_overlap]
    return a, b


def _nearest_links(geoms: np.ndarray, lonely: np.ndarray) -> list[tuple[int, int]]:
    """Each island joined to the ward whose boundary is nearest to it."""
    found = shapely.STRtree(geoms).query_nearest(
        _repaired(geoms[lonely]), exclusive=True, all_matches=False
    )
    nearest = np.full(len(lonely), -1)
    nearest[found[0]] = found[1]
    return [(int(i), int(j)) for i, j in zip(lonely, nearest, strict=True) if j >= 0]


def _to_csr(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    keep = rows != cols
    data = np.ones(int(keep.sum()))
    matrix = sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix
