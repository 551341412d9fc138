"""Connected groups of k wards: exact enumeration and a bounded best-first search.

Written by hand because no maintained library ranks connected k-subsets of a graph: networkx
has no connected-subgraph enumerator, and spopt/libpysal regionalise a whole map instead.

Enumeration is ESU (Wernicke 2006, "Efficient detection of network motifs"): from each root
ward, grow the set only with wards ranked after the root that are neighbours of the set, adding
the *exclusive* neighbours of each new ward; every connected k-subset is produced exactly once,
from its first-ranked ward.

Search ranks wards by score (highest first) before enumerating, so every area is produced from
its highest-scoring ward. An area rooted at ward r scores (as a mean) at most
``(s[r] + (k - 1) * s[r + 1]) / k``; roots come in falling score order, so once that bound drops
below the ``top``-th best area found, no later area can enter the list and the search stops,
exactly. Within a root the same bound prunes partial sets. If the search exceeds its step budget
it stops with the best areas found and an honest bound: no unexamined area scores more than
``bound``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class AreaSearch:
    """Best areas (mean ward score, member positions sorted), best first, and how they were found.

    examined: complete areas of k wards scored (all of them when ``exhaustive``).
    exact: the list is the true top list; otherwise no unexamined area scores above ``bound``.
    """

    areas: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)
    examined: int = 0
    steps: int = 0
    exact: bool = True
    exhaustive: bool = False
    bound: float = -math.inf


class _OutOfSteps(Exception):
    pass


def connected_subsets(neighbors: Sequence[Sequence[int]], k: int) -> Iterator[tuple[int, ...]]:
    """Every connected set of k vertices (sorted tuples), each exactly once (ESU)."""
    adjacency = [set(map(int, nb)) for nb in neighbors]
    for root in range(len(adjacency)):
        ext = sorted(u for u in adjacency[root] if u > root)
        yield from _esu([root], adjacency[root] | {root}, ext, root, k, adjacency)


def _esu(
    sub: list[int], closed: set[int], ext: list[int], root: int, k: int, adjacency: list[set[int]]
) -> Iterator[tuple[int, ...]]:
    if len(sub) == k:
        yield tuple(sorted(sub))
        return
    for i, w in enumerate(ext):
        fresh = [u for u in adjacency[w] if u > root and u not in closed]
        yield from _esu(sub + [w], closed | adjacency[w], ext[i + 1 :] + fresh, root, k, adjacency)


def top_areas(
    neighbors: Sequence[Sequence[int]],
    scores: Sequence[float],
    k: int,
    top: int,
    population: Sequence[float] | None = None,
    max_population: float | None = None,
    prune: bool = True,
    max_steps: int = 2_000_000,
) -> AreaSearch:
    """The ``top`` connected k-ward areas by mean ward score (ties: lower positions first).

    neighbors: neighbour positions of each ward; scores: each ward's combined score;
    population/max_population: areas whose summed population exceeds the cap are left out.
    prune=False examines (and counts) every area; prune=True stops as soon as the bound allows.
    """
    return _Search(neighbors, scores, k, top, population, max_population, prune, max_steps).run()


class _Search:
    def __init__(
        self,
        neighbors: Sequence[Sequence[int]],
        scores: Sequence[float],
        k: int,
        top: int,
        population: Sequence[float] | None,
        cap: float | None,
        prune: bool,
        max_steps: int,
    ) -> None:
        n = len(scores)
        scores = np.asarray(scores, dtype=float)
        # Rank wards by score, highest first; equal scores keep table (ward code) order.
        self.order = sorted(range(n), key=lambda i: (-scores[i], i))
        rank = np.empty(n, dtype=np.int64)
        rank[self.order] = np.arange(n)
        self.adjacency = [set(rank[np.asarray(neighbors[i], dtype=np.int64)].tolist())
                          for i in self.order]
        self.s = scores[self.order].tolist()
        pop = np.zeros(n) if population is None else np.asarray(population, dtype=float)
        self.p = pop[self.order].tolist()
        self.cap = math.inf if cap is None else float(cap)
        self.k, self.top, self.prune, self.max_steps = k, top, prune, max_steps
        self.heap: list[tuple[float, tuple[int, ...], tuple[int, ...]]] = []
        self.result = AreaSearch(exhaustive=not prune)

    def run(self) -> AreaSearch:
        n = len(self.s)
        for root in range(n):
            if self._hopeless(self.s[root], self.k - 1, root):
                break
            if self.p[root] > self.cap:
                continue
            ext = sorted(u for u in self.adjacency[root] if u > root)
            try:
                self._extend([root], self.s[root], self.p[root], self.adjacency[root] | {root},
                             ext, root)
            except _OutOfSteps:
                self._give_up(root)
                break
        self.result.areas = [(score, members) for score, _, members in
                             sorted(self.heap, key=lambda e: (-e[0], e[2]))]
        return self.result

    def _rest(self, root: int) -> float:
        """The highest score any ward ranked after ``root`` can bring."""
        return self.s[root + 1] if root + 1 < len(self.s) else -math.inf

    def _hopeless(self, total: float, slots: int, root: int) -> bool:
        """True when no completion of a set summing ``total`` can enter the top list."""
        if not self.prune or len(self.heap) < self.top:
            return False
        best = (total + slots * self._rest(root)) / self.k if slots else total / self.k
        worst = self.heap[0][0]
        # A margin so float rounding in the running sum never prunes an exact tie.
        return best < worst - 1e-9 * (1.0 + abs(worst))

    def _extend(self, sub: list[int], total: float, pop: float, closed: set[int],
                ext: list[int], root: int) -> None:
        if len(sub) == self.k:
            self._offer(sub)
            return
        self.result.steps += 1
        if self.result.steps > self.max_steps:
            raise _OutOfSteps
        slots = self.k - len(sub) - 1
        for i, w in enumerate(ext):
            if pop + self.p[w] > self.cap or self._hopeless(total + self.s[w], slots, root):
                continue
            fresh = [u for u in self.adjacency[w] if u > root and u not in closed]
            self._extend(sub + [w], total + self.s[w], pop + self.p[w],
                         closed | self.adjacency[w], ext[i + 1:] + fresh, root)

    def _offer(self, sub: list[int]) -> None:
        self.result.examined += 1
        members = tuple(sorted(self.order[r] for r in sub))
        # fsum: the same set always gets the same score, whatever order it was grown in.
        score = math.fsum(self.s[r] for r in sub) / self.k
        entry = (score, tuple(-m for m in members), members)
        if len(self.heap) < self.top:
            heapq.heappush(self.heap, entry)
        elif entry[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, entry)

    def _give_up(self, root: int) -> None:
        bound = (self.s[root] + (self.k - 1) * self._rest(root)) / self.k
        worst = self.heap[0][0] if len(self.heap) >= self.top else -math.inf
        self.result.exhaustive = False
        self.result.bound = bound
        self.result.exact = bound < worst
