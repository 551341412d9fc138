"""Secondary suppression: public outputs from which no suppressed count can be worked out.

Primary suppression (wardmap.disclosure) hides counts from 1 to the threshold. Published
beside totals, a hidden count can often be recovered by subtraction: a borough total minus the
other wards' counts, a ward's total minus its other months. As ONS disclosure practice does,
further cells are then withheld ("secondary suppression", shown as "[c]", confidential) until
no withheld figure can be worked out from everything published with it.

The published figures of a run are read as tables with margins (``Grid``): the wards' counts
with the area's total, and the comparison period's counts with its total. ``audit``
is the attacker: for each withheld figure it finds the smallest and largest values consistent
with every published figure (a linear programme; a reader knows a "<5" is 1 to 4 and a "[c]"
is above the threshold), and a figure whose smallest and largest values are equal is
disclosed. ``protect`` adds secondary suppressions, smallest counts first, until ``audit``
finds none. Table sums are network constraints, so the bounds are whole numbers and a
figure with two possible values has at least two whole values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SHOWN, PRIMARY, SECONDARY, ABSENT = 0, 1, 2, 3
SECONDARY_LABEL = "[c]"  # ONS's mark for a figure withheld for confidentiality
MAX_ROUNDS = 10_000


@dataclass
class Grid:
    """A table of counts with its margins: ``values`` is (n+1) × (m+1), the last row holding
    column totals, the last column row totals, the corner the grand total. ``status`` says
    what is published: SHOWN, PRIMARY ("<5"), SECONDARY ("[c]") or ABSENT (not published)."""

    values: np.ndarray
    status: np.ndarray

    @classmethod
    def of(cls, cells: np.ndarray, row_totals: bool = True,
           column_totals: bool = True) -> Grid:
        cells = np.asarray(cells, dtype=np.int64)
        n, m = cells.shape
        values = np.zeros((n + 1, m + 1), dtype=np.int64)
        values[:n, :m] = cells
        values[:n, m] = cells.sum(axis=1)
        values[n, :m] = cells.sum(axis=0)
        values[n, m] = cells.sum()
        status = np.zeros_like(values, dtype=np.int8)
        if not row_totals:
            status[:n, m] = ABSENT
        if not column_totals:
            status[n, :m] = ABSENT
        return cls(values, status)

    def equations(self) -> list[list[tuple[int, int, int]]]:
        """Each published sum as terms (row, column, sign) adding to zero.

        Totals that are not published add nothing a reader can use (the sum of unpublished
        row totals is the grand total, which the column totals give already), so their sums
        are left out.
        """
        n, m = self.values.shape[0] - 1, self.values.shape[1] - 1
        rows = not (self.status[:n, m] == ABSENT).any()
        columns = not (self.status[n, :m] == ABSENT).any()
        out = [[(i, j, 1) for j in range(m)] + [(i, m, -1)] for i in range(n)] if rows else []
        out += [[(i, j, 1) for i in range(n)] + [(n, j, -1)] for j in range(m)] if columns \
            else []
        out.append([(n, j, 1) for j in range(m)] + [(n, m, -1)])
        out.append([(i, m, 1) for i in range(n)] + [(n, m, -1)])
        return [e for e in out if not any(self.status[i, j] == ABSENT for i, j, _ in e)]


def primary(grid: Grid, threshold: int) -> Grid:
    """Counts from 1 to ``threshold`` withheld, margins included."""
    status = grid.status.copy()
    small = (grid.values >= 1) & (grid.values <= threshold) & (status == SHOWN)
    status[small] = PRIMARY
    return Grid(grid.values, status)


def audit(grid: Grid, threshold: int) -> list[tuple[int, int]]:
    """The withheld entries a reader can work out exactly from the published ones."""
    unknown = list(zip(*np.nonzero(grid.status != SHOWN), strict=True))
    withheld = [k for k, (i, j) in enumerate(unknown) if grid.status[i, j] in (PRIMARY,
                                                                                SECONDARY)]
    if not withheld:
        return []
    a_eq, b_eq = _system(grid, unknown)
    bounds = [_bounds(grid.status[i, j], threshold) for i, j in unknown]
    if a_eq.shape[0] == 0:
        return []
    if a_eq.shape[0] == 1 and set(np.abs(a_eq[0])) <= {0.0, 1.0}:
        return [unknown[k] for k in _one_sum(a_eq[0], b_eq[0], bounds, withheld)]
    from scipy.optimize import linprog  # only when publishing: not on the import path

    found = []
    for k in withheld:
        c = np.zeros(len(unknown))
        c[k] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < 0.5:
            found.append(unknown[k])
    return found


def _one_sum(signs: np.ndarray, total: float, bounds: list[tuple[float, float | None]],
             withheld: list[int]) -> list[int]:
    """One published sum (a column of wards and its total): each unknown's range in closed
    form, the total less the others' largest and smallest values. Exact, and linear in the
    number of wards, where a linear programme per ward would not scale to 7,681 wards."""
    low = np.array([b[0] for b in bounds], dtype=float)
    high = np.array([np.inf if b[1] is None else b[1] for b in bounds], dtype=float)
    # Terms with sign -1 (a withheld total) are the sum's other side: x = -y turns them round.
    low_s = np.where(signs > 0, low, np.where(signs < 0, -high, 0.0))
    high_s = np.where(signs > 0, high, np.where(signs < 0, -low, 0.0))
    found = []
    for k in (k for k in withheld if signs[k] != 0):
        rest_low, rest_high = _sum_without(low_s, k), _sum_without(high_s, k)
        lo = max(low_s[k], total - rest_high)
        hi = min(high_s[k], total - rest_low)
        if hi - lo < 0.5:
            found.append(k)
    return found


def _sum_without(values: np.ndarray, k: int) -> float:
    """The sum of ``values`` but the k-th, infinite when another is (never inf - inf)."""
    others = np.delete(values, k)
    infinite = others[np.isinf(others)]
    return float(infinite[0]) if infinite.size else float(others.sum())


def _bounds(status: int, threshold: int) -> tuple[float, float | None]:
    if status == PRIMARY:
        return (1.0, float(threshold))
    if status == SECONDARY:
        return (float(threshold + 1), None)
    return (0.0, None)


def _system(grid: Grid, unknown: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Equations over the unknown entries, the published ones moved to the right-hand side."""
    index = {cell: k for k, cell in enumerate(unknown)}
    rows, rhs = [], []
    for terms in grid.equations():
        coefficients = np.zeros(len(unknown))
        known = 0.0
        for i, j, sign in terms:
            if (i, j) in index:
                coefficients[index[(i, j)]] += sign
            else:
                known += sign * grid.values[i, j]
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-known)
    if not rows:
        return np.zeros((0, len(unknown))), np.zeros(0)
    return np.array(rows), np.array(rhs)


def protect(grid: Grid, threshold: int) -> Grid:
    """Primary suppression, then secondary suppressions until ``audit`` finds nothing.

    Each round withholds, for one disclosed entry, the smallest count above the threshold in
    a sum it belongs to (cells before totals), so that as little as possible is lost.

    Parameters
    ----------
    grid : Grid
        The counts and what of them is published (``Grid.of``).
    threshold : int
        Counts from 1 to ``threshold`` are small.

    Returns
    -------
    Grid
        The same counts with SHOWN, PRIMARY and SECONDARY statuses.

    Examples
    --------
    Four wards and their total: the 3 alone would be the total less the others, so the
    smallest other count (9) is withheld too.

    >>> import numpy as np
    >>> grid = protect(Grid.of(np.array([[3], [40], [12], [9]]), row_totals=False), 4)
    >>> [int(s) for s in grid.status[:-1, 0]]  # 0 shown, 1 "<5", 2 "[c]"
    [1, 0, 0, 2]
    >>> audit(grid, 4)
    []
    """
    grid = primary(grid, threshold)
    for _ in range(MAX_ROUNDS):
        disclosed = _subtraction(grid) or audit(grid, threshold)
        if not disclosed:
            return grid
        partner = _partner(grid, disclosed[0], threshold)
        if partner is None:  # nothing beside it can protect it: withhold every count shown
            status = grid.status.copy()
            status[(status == SHOWN) & (grid.values > threshold)] = SECONDARY
            return Grid(grid.values, status)
        status = grid.status.copy()
        status[partner] = SECONDARY
        grid = Grid(grid.values, status)
    raise RuntimeError("secondary suppression did not settle")  # pragma: no cover


def _subtraction(grid: Grid) -> list[tuple[int, int]]:
    """Withheld entries alone among the unknowns of a sum: found without a solver."""
    found = []
    for terms in grid.equations():
        hidden = [(i, j) for i, j, _ in terms if grid.status[i, j] != SHOWN]
        if len(hidden) == 1 and grid.status[hidden[0]] in (PRIMARY, SECONDARY):
            found.append(hidden[0])
    return found


def _partner(grid: Grid, cell: tuple[int, int], threshold: int) -> tuple[int, int] | None:
    n, m = grid.values.shape[0] - 1, grid.values.shape[1] - 1
    candidates = []
    for terms in grid.equations():
        if not any((i, j) == cell for i, j, _ in terms):
            continue
        for i, j, _ in terms:
            if grid.status[i, j] == SHOWN and grid.values[i, j] > threshold:
                margin = i == n or j == m
                candidates.append((margin, int(grid.values[i, j]), i, j))
    if not candidates:
        return None
    _, _, i, j = min(candidates)
    return (i, j)


# --- the figures a run publishes -------------------------------------------------------------

@dataclass
class Published:
    """What a public run shows of each ward's count (in the ward table's order): SHOWN,
    PRIMARY or SECONDARY, for the period and the comparison period."""

    now: np.ndarray
    prev: np.ndarray | None = None


def published(wards: pd.DataFrame, threshold: int) -> Published:
    """The suppression pattern of a public run's ward counts with the area's total, and of
    the comparison period's with its total. A ward-level table without counts has nothing
    to suppress.

    Examples
    --------
    >>> import pandas as pd
    >>> wards = pd.DataFrame({"incidents": [3, 40, 12, 9], "incidents_prev": [8, 30, 2, 1]})
    >>> pattern = published(wards, 4)
    >>> [int(s) for s in pattern.now], [int(s) for s in pattern.prev]
    ([1, 0, 0, 2], [0, 0, 1, 1])

    Ward-by-month counts are not published in public outputs (most are small, and
    suppressing them would not stop them being worked out from the wards' totals), so the
    wards' totals and the area's total are the whole table to protect; changes are shown
    only where both counts are.
    """
    if "incidents" not in wards:
        return Published(np.zeros(len(wards), dtype=np.int8))
    return Published(_protect_column(wards["incidents"], threshold),
                     _protect_column(wards["incidents_prev"], threshold)
                     if "incidents_prev" in wards and wards["incidents_prev"].notna().any()
                     else None)


def _protect_column(counts: pd.Series, threshold: int) -> np.ndarray:
    values = pd.to_numeric(counts, errors="coerce").fillna(0).round().astype(np.int64)
    grid = protect(Grid.of(values.to_numpy().reshape(-1, 1), row_totals=False), threshold)
    return grid.status[:-1, 0].copy()


def secondary_masks(wards: pd.DataFrame, threshold: int) -> dict[str, np.ndarray]:
    """{count column: the wards withheld to protect a small count}, for
    ``wardmap.disclosure.mask_small_counts(..., secondary=...)``."""
    pattern = published(wards, threshold)
    masks = {"incidents": pattern.now == SECONDARY} if "incidents" in wards else {}
    if pattern.prev is not None:
        masks["incidents_prev"] = pattern.prev == SECONDARY
    return masks


def mask_public(wards: pd.DataFrame, threshold: int, **options) -> pd.DataFrame:
    """``mask_small_counts`` with secondary suppression: the ward table as any public output
    shows it (options as for mask_small_counts).

    Examples
    --------
    >>> import pandas as pd
    >>> wards = pd.DataFrame({"incidents": [3, 40, 12, 9], "rate_per_1000": [1.0, 8, 2.4, 1.8]})
    >>> shown = mask_public(wards, 4)
    >>> shown["incidents"].tolist(), shown["rate_per_1000"].isna().tolist()
    (['<5', 40, 12, '[c]'], [True, False, False, True])
    """
    from wardmap.disclosure import mask_small_counts

    return mask_small_counts(wards, threshold, secondary=secondary_masks(wards, threshold),
                             **options)
