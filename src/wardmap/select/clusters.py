"""Ward clusters: contiguous groups of at most N similar wards, for ward-cluster meetings.

spopt's SKATER cuts a minimum spanning tree of the contiguity graph (edge cost: the Manhattan
distance between neighbouring wards' standardised variables) into contiguous, internally similar
regions. SKATER takes a number of regions and a minimum size, not a maximum, so the size cap is
a wrapper: cut each connected part into ceil(size / N) regions, then cut again any region still
larger than N, on its own subgraph, until none is. SKATER draws no random numbers, so the same
inputs give the same clusters.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import deque

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist

from wardmap.config import ClustersConfig
from wardmap.errors import WardmapError
from wardmap.result import RunResult
from wardmap.select.indicators import (
    IndicatorSpec,
    build_indicators,
    default_indicators,
    parse_indicator,
    read_harm_weights,
    slug,
    standardise,
    weighted_scores,
)

# SKATER's cut search costs about the square of the ward count (1,000 wards: ~50 s); ward
# clusters serve one partnership's area, so a region-sized run is refused, not left to hang.
MAX_WARDS = 2000
# A tiny cost on every edge: SKATER drops zero-cost edges (wards with identical variables)
# from its graph, which would split a region that is in fact contiguous.
EDGE_FLOOR = 1e-9


def find_clusters(result: RunResult, config: ClustersConfig) -> pd.DataFrame:
    """One row per ward: ward_code, ward_name, cluster (1..C), cluster_size, cluster_wards,
    each variable's ward value and cluster mean, and within_distance (the cluster's mean
    distance between its wards in standardised units).

    ``df.attrs``: n_clusters, max_size, variables (labels), within_share (share of the
    total variance left within clusters; 0 = clusters perfectly homogeneous), overall_distance
    (mean distance between any two wards, the yardstick for within_distance).
    """
    if config.max_size < 1:
        raise WardmapError(f"--max-size must be at least 1 (got {config.max_size})")
    if len(result.wards) > MAX_WARDS:
        raise WardmapError(
            f"ward clusters are for one district or county (at most {MAX_WARDS:,} wards, got "
            f"{len(result.wards):,}): run them per district"
        )
    wards = result.wards.sort_values("ward_code").reset_index(drop=True)
    ordered = dataclasses.replace(result, wards=wards)
    specs = [parse_indicator(v) for v in config.variables] or default_variables(ordered)
    focus = result.config.focus
    harm = read_harm_weights(focus.harm_weights) if focus.harm_weights else None
    indicators = build_indicators(ordered, specs, harm, focus.tables)
    z = weighted_scores(standardise(indicators.values, "z"), indicators.weights)
    neighbors = _neighbors(wards, config.contiguity)
    labels = capped_skater(z.to_numpy(), neighbors, config.max_size)
    table = _table(wards, indicators.values, z.to_numpy(), labels)
    table.attrs.update(_facts(table, z.to_numpy(), labels, config, indicators.labels))
    table.attrs["warnings"] = list(indicators.warnings)
    return table


def default_variables(result: RunResult) -> list[IndicatorSpec]:
    """The crime groups' rates when records were given (similar concerns), else the measure."""
    if result.records is None or len(result.records) == 0:
        return default_indicators(result)
    return [IndicatorSpec(name) for name in result.config.crime_groups()]


def capped_skater(data: np.ndarray, neighbors: list[np.ndarray], max_size: int) -> np.ndarray:
    """Cluster label (0..C-1) per ward: contiguous groups of at most ``max_size`` wards.

    data: (n, p) standardised variables; neighbors: neighbour positions of each ward.
    Wards without neighbours form clusters of their own.
    """
    n = len(data)
    graph = _graph(neighbors, n)
    _, parts = connected_components(graph, directed=False)
    pending = deque(np.flatnonzero(parts == p) for p in np.unique(parts))
    done: list[np.ndarray] = []
    while pending:
        members = pending.popleft()
        if len(members) <= max_size:
            done.append(members)
            continue
        pieces = _bisect(data[members], graph[members][:, members])
        pending.extend(members[pieces == label] for label in np.unique(pieces))
    # Number clusters in the order of their first ward (ward-code order): stable ids.
    done.sort(key=lambda m: int(m.min()))
    labels = np.empty(n, dtype=np.int64)
    for label, members in enumerate(done):
        labels[members] = label
    return labels


def _bisect(data: np.ndarray, graph) -> np.ndarray:
    """Two contiguous regions of a connected subgraph, each of two or more wards if possible.

    Cutting in two, and only groups still over the cap, keeps groups that already fit whole;
    the floor of two stops SKATER shaving single outlying wards off one at a time.
    """
    pieces = _skater_split(data, graph, 2, floor=2)
    if len(np.unique(pieces)) < 2:
        pieces = _skater_split(data, graph, 2, floor=-np.inf)
    if len(np.unique(pieces)) < 2:
        raise WardmapError("could not split a group of wards into smaller clusters")
    return pieces


def _skater_split(data: np.ndarray, graph, n_clusters: int, floor: float) -> np.ndarray:
    """SKATER on one connected subgraph: n_clusters contiguous regions of >= floor wards."""
    import libpysal
    from sklearn.metrics.pairwise import manhattan_distances
    from spopt.region import Skater

    rows, cols = graph.nonzero()
    links = {i: cols[rows == i].tolist() for i in range(graph.shape[0])}
    w = libpysal.weights.W(links, silence_warnings=True)
    frame = pd.DataFrame(data, columns=[f"v{i}" for i in range(data.shape[1])])
    cost = {"dissimilarity": lambda a, b=None: manhattan_distances(a, b) + EDGE_FLOOR}
    model = Skater(frame, w, list(frame.columns), n_clusters=n_clusters, floor=floor,
                   spanning_forest_kwds=cost)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # spopt's progress chatter, not the analyst's concern
        model.solve()
    return np.asarray(model.labels_)


def _graph(neighbors: list[np.ndarray], n: int):
    import scipy.sparse as sp

    rows = np.repeat(np.arange(n), [len(nb) for nb in neighbors])
    cols = np.concatenate([np.asarray(nb, dtype=np.int64) for nb in neighbors]) if n else []
    graph = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return ((graph + graph.T) > 0).astype(float).tocsr()


def _neighbors(wards: pd.DataFrame, contiguity: str) -> list[np.ndarray]:
    from wardmap.stats.weights import build_weights

    # Islands stay on their own: a cluster's wards must share boundaries.
    return build_weights(wards, kind=contiguity, islands="label").neighbors


def _table(
    wards: pd.DataFrame, values: pd.DataFrame, z: np.ndarray, labels: np.ndarray
) -> pd.DataFrame:
    table = pd.DataFrame({
        "ward_code": wards["ward_code"].astype(str).to_numpy(),
        "ward_name": wards["ward_name"].astype(str).to_numpy(),
        "cluster": labels + 1,
    })
    sizes = table.groupby("cluster")["ward_code"].transform("size")
    table["cluster_size"] = sizes.to_numpy()
    names = table.groupby("cluster")["ward_name"].agg("; ".join)
    table["cluster_wards"] = table["cluster"].map(names)
    for name in values.columns:
        key = slug(name)
        column = values[name].to_numpy(float)
        table[key] = column
        table[f"{key}_cluster_mean"] = table.groupby("cluster")[key].transform("mean")
    distance = {c + 1: _mean_distance(z[labels == c]) for c in np.unique(labels)}
    table["within_distance"] = table["cluster"].map(distance)
    return table


def _mean_distance(points: np.ndarray, limit: int = 2000) -> float:
    """Mean Euclidean distance between pairs of wards (NaN for a single ward).

    Above ``limit`` wards an evenly spaced subset stands in, keeping memory bounded.
    """
    if len(points) < 2:
        return math.nan
    if len(points) > limit:
        points = points[np.linspace(0, len(points) - 1, limit).astype(int)]
    return float(pdist(points).mean())


def _facts(
    table: pd.DataFrame, z: np.ndarray, labels: np.ndarray, config: ClustersConfig,
    variable_labels: dict[str, str],
) -> dict:
    total = float(((z - z.mean(axis=0)) ** 2).sum())
    within = sum(float(((z[labels == c] - z[labels == c].mean(axis=0)) ** 2).sum())
                 for c in np.unique(labels))
    return {
        "n_clusters": int(table["cluster"].nunique()),
        "max_size": config.max_size,
        "variables": variable_labels,
        "within_share": within / total if total > 0 else math.nan,
        "overall_distance": _mean_distance(z),
    }
