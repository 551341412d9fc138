"""Secondary suppression: an attacker with every published figure recovers no withheld count.

The attacker here is independent of wardmap.secondary's own audit: it solves the published
sums by subtraction, narrowing each withheld count to the range the other figures allow
("<5" is 1 to 4, "[c]" is above the threshold), until nothing changes; a count narrowed to a
single value is disclosed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wardmap.secondary import PRIMARY, SECONDARY, SHOWN, Grid, audit, primary, protect

T = 4


def recover(sums: list[tuple[list[object], int | None]], threshold: int = T) -> dict:
    """Subtraction attack. ``sums``: (published cells, published total) pairs, where a cell is
    a number, "<5" or "[c]" keyed by a name, e.g. ("ward A", "<5"). Returns the names pinned
    to one value."""
    bounds: dict[str, list[float]] = {}
    for cells, _ in sums:
        for cell in cells:
            if isinstance(cell, tuple):
                name, label = cell
                bounds.setdefault(name, [1, threshold] if label.startswith("<")
                                  else [threshold + 1, np.inf])
    for _ in range(50):
        changed = False
        for cells, total in sums:
            if total is None:
                continue
            known = sum(c for c in cells if not isinstance(c, tuple))
            unknown = [c[0] for c in cells if isinstance(c, tuple)]
            rest = total - known
            for name in unknown:
                others = [bounds[o] for o in unknown if o != name]
                low = rest - sum(b[1] for b in others)
                high = rest - sum(b[0] for b in others)
                new = [max(bounds[name][0], low), min(bounds[name][1], high)]
                if new != bounds[name]:
                    bounds[name], changed = new, True
        if not changed:
            break
    return {name: b[0] for name, b in bounds.items() if b[0] == b[1]}


def _published_column(values: np.ndarray, status: np.ndarray, total_shown: bool = True):
    cells = [v if s == SHOWN else (f"w{i}", "<5" if s == PRIMARY else "[c]")
             for i, (v, s) in enumerate(zip(values, status, strict=True))]
    return [(cells, int(values.sum()) if total_shown else None)]


def test_one_small_ward_beside_a_total_is_recovered_without_protection() -> None:
    values = np.array([3, 40, 12, 9])
    grid = primary(Grid.of(values.reshape(-1, 1), row_totals=False), T)
    assert recover(_published_column(values, grid.status[:-1, 0])) == {"w0": 3}
    assert audit(grid, T) == [(0, 0)]


def test_protection_withholds_the_smallest_other_count() -> None:
    values = np.array([3, 40, 12, 9])
    grid = protect(Grid.of(values.reshape(-1, 1), row_totals=False), T)
    status = grid.status[:-1, 0]
    assert status.tolist() == [PRIMARY, SHOWN, SHOWN, SECONDARY]
    assert recover(_published_column(values, status)) == {}
    assert audit(grid, T) == []


def test_two_small_counts_that_pin_each_other_are_protected() -> None:
    # 1 + 1 = 2: both "<5" cells must be 1; a third count has to be withheld.
    values = np.array([1, 1, 30, 20])
    grid = primary(Grid.of(values.reshape(-1, 1), row_totals=False), T)
    assert recover(_published_column(values, grid.status[:-1, 0])) == {"w0": 1, "w1": 1}
    protected = protect(Grid.of(values.reshape(-1, 1), row_totals=False), T)
    assert recover(_published_column(values, protected.status[:-1, 0])) == {}


def test_a_two_way_table_with_row_and_column_totals() -> None:
    cells = np.array([[3, 10, 12], [8, 9, 20], [15, 2, 30], [40, 41, 42]])
    grid = protect(Grid.of(cells), T)
    assert audit(grid, T) == []
    status = grid.status
    assert status[0, 0] == PRIMARY and status[2, 1] == PRIMARY
    sums = []
    n, m = cells.shape
    for i in range(n):
        row = [cells[i, j] if status[i, j] == SHOWN else
               (f"{i},{j}", "<5" if status[i, j] == PRIMARY else "[c]") for j in range(m)]
        sums.append((row, cells[i].sum() if status[i, m] == SHOWN else None))
    for j in range(m):
        col = [cells[i, j] if status[i, j] == SHOWN else
               (f"{i},{j}", "<5" if status[i, j] == PRIMARY else "[c]") for i in range(n)]
        sums.append((col, cells[:, j].sum() if status[n, j] == SHOWN else None))
    assert recover(sums) == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=2, max_size=30), st.integers(2, 10))
def test_no_protected_column_gives_a_count_away(values: list[int], threshold: int) -> None:
    # (A threshold of 1 hides nothing: "<2" beside published zeros can only be 1; and an area
    # whose total is itself small cannot be published by ward at all.)
    arr = np.array(values)
    assume(arr.sum() > threshold)
    grid = protect(Grid.of(arr.reshape(-1, 1), row_totals=False), threshold)
    status = grid.status[:-1, 0]
    small = (arr >= 1) & (arr <= threshold)
    assert (status[small] == PRIMARY).all()  # every small count is withheld
    assert (arr[status == SECONDARY] > threshold).all()  # "[c]" is never a small count
    total = None if grid.status[-1, 0] != SHOWN else int(arr.sum())
    cells = [v if s == SHOWN else (f"w{i}", "<" if s == PRIMARY else "[c]")
             for i, (v, s) in enumerate(zip(arr, status, strict=True))]
    assert recover([(cells, total)], threshold) == {}
    assert audit(grid, threshold) == []


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(2, 5), st.data())
def test_no_protected_two_way_table_gives_a_count_away(n: int, m: int, data) -> None:
    cells = np.array(data.draw(st.lists(st.lists(st.integers(0, 30), min_size=m, max_size=m),
                                        min_size=n, max_size=n)))
    grid = protect(Grid.of(cells), T)
    assert audit(grid, T) == []


@pytest.mark.parametrize("threshold", [4, 10])
def test_secondary_cells_keep_their_count_unpublished_in_the_table(threshold) -> None:
    import pandas as pd

    from wardmap.disclosure import mask_small_counts

    wards = pd.DataFrame({"incidents": [3, 40, 12, 9], "rate_per_1000": [1.0, 8.0, 2.4, 1.8]})
    secondary = np.array([False, False, False, threshold == 4])
    out = mask_small_counts(wards, 4, secondary={"incidents": secondary})
    assert out["incidents"].tolist()[0] == "<5"
    if threshold == 4:
        assert out["incidents"].tolist()[3] == "[c]"
        assert np.isnan(out["rate_per_1000"].iloc[3])
