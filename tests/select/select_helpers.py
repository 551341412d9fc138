"""Independent ward adjacency (shapely polygon intersection) to check connectivity against."""

from collections import deque

import numpy as np
import shapely


def touching(wards) -> dict[str, set[str]]:
    """Ward code -> codes of wards whose polygons intersect it (shapely, not wardmap)."""
    geoms = np.asarray(wards.geometry.values)
    codes = wards["ward_code"].astype(str).tolist()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    out: dict[str, set[str]] = {c: set() for c in codes}
    for i, j in zip(left, right, strict=True):
        if i != j:
            out[codes[i]].add(codes[j])
    return out


def is_connected(codes: list[str], adjacency: dict[str, set[str]]) -> bool:
    members = set(codes)
    start = codes[0]
    seen, queue = {start}, deque([start])
    while queue:
        for other in adjacency[queue.popleft()] & members:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return seen == members
