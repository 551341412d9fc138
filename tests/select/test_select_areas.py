"""The connected-area search against brute force over every k-subset of small random graphs."""

import itertools
import math
from collections import deque

import numpy as np
import pytest

from wardmap.select.areas import connected_subsets, top_areas


def random_graph(seed: int, n: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    links = [set() for _ in range(n)]
    for _ in range(int(rng.integers(n, 3 * n))):
        a, b = rng.choice(n, 2, replace=False)
        links[a].add(int(b))
        links[b].add(int(a))
    return [sorted(x) for x in links]


def connected(subset: tuple[int, ...], neighbors: list[list[int]]) -> bool:
    members, seen, queue = set(subset), {subset[0]}, deque([subset[0]])
    while queue:
        for u in neighbors[queue.popleft()]:
            if u in members and u not in seen:
                seen.add(u)
                queue.append(u)
    return seen == members


def brute_force(neighbors, scores, k, top, population=None, cap=None):
    areas = []
    for subset in itertools.combinations(range(len(neighbors)), k):
        if not connected(subset, neighbors):
            continue
        if cap is not None and sum(population[i] for i in subset) > cap:
            continue
        areas.append((math.fsum(scores[i] for i in subset) / k, subset))
    areas.sort(key=lambda a: (-a[0], a[1]))
    return areas[:top], len(areas)


GRAPHS = [(seed, n) for seed, n in enumerate([6, 9, 12, 14, 15])]


@pytest.mark.parametrize(("seed", "n"), GRAPHS)
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_every_connected_subset_exactly_once(seed, n, k):
    neighbors = random_graph(seed, n)
    found = list(connected_subsets(neighbors, k))
    expected = {c for c in itertools.combinations(range(n), k) if connected(c, neighbors)}
    assert len(found) == len(set(found))
    assert set(found) == expected


@pytest.mark.parametrize(("seed", "n"), GRAPHS)
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("prune", [True, False])
def test_top_areas_match_brute_force(seed, n, k, prune):
    neighbors = random_graph(seed, n)
    rng = np.random.default_rng(100 + seed)
    # Scores rounded to one decimal so that ties (broken by position) really occur.
    scores = np.round(rng.normal(size=n), 1)
    population = rng.integers(1, 10, n)
    for cap in (None, 14):
        expected, count = brute_force(neighbors, scores, k, 5, population, cap)
        search = top_areas(neighbors, scores, k, 5, population, cap, prune=prune)
        assert [m for _, m in search.areas] == [m for _, m in expected]
        assert np.allclose([s for s, _ in search.areas], [s for s, _ in expected])
        assert search.exact
        if not prune:
            assert search.examined == count


def test_out_of_steps_reports_an_honest_bound():
    neighbors = random_graph(7, 15)
    scores = np.random.default_rng(3).normal(size=15)
    search = top_areas(neighbors, scores, 4, 3, max_steps=5)
    assert math.isfinite(search.bound)  # it stopped early
    every, _ = brute_force(neighbors, scores, 4, 10_000)
    found = {m for _, m in search.areas}
    unexamined_best = max(s for s, m in every if m not in found)
    assert unexamined_best <= search.bound + 1e-12
    if not search.exact:
        assert search.bound >= search.areas[-1][0]


def test_islands_never_join_an_area():
    neighbors = [[1], [0, 2], [1], []]  # ward 3 has no neighbour
    search = top_areas(neighbors, [0.0, 0.0, 0.0, 9.0], 2, 10, prune=False)
    assert all(3 not in m for _, m in search.areas)
    assert search.examined == 2
