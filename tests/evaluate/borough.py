"""A synthetic borough for evaluation tests: a 5 x 5 grid of square wards and police.uk CSVs
with planted monthly counts (Poisson around a mean, so that the tests see real noise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pyproj import Transformer

from tests.helpers import POLICE_HEADER, grid_wards

SIDE = 5
TARGET = ["W13", "W14"]  # two wards in the middle row
START = "2020-09"


def months(start: str = "2019-09", count: int = 24) -> list[str]:
    from wardmap.periods.presets import shift_month

    return [shift_month(start, i) for i in range(count)]


def write_borough(folder: Path, target_factor: float = 1.0, buffer_factor: float = 1.0,
                  mean: float = 40.0, target_mean: float = 200.0,
                  seed: int = 7) -> tuple[Path, Path, np.ndarray]:
    """Boundaries and incidents; after the start the target's mean is multiplied by
    ``target_factor`` and the buffer's (the wards touching the target) by ``buffer_factor``.
    The target is a hot spot (``target_mean`` a month per ward against ``mean`` elsewhere),
    as task-force areas are.
    Returns (boundaries, incidents folder, counts[ward, month])."""
    wards = grid_wards(SIDE, SIDE)
    boundaries = folder / "wards.geojson"
    wards.to_file(boundaries, driver="GeoJSON")
    codes = wards["WD23CD"].tolist()
    buffer = buffer_wards()
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    points = [to_wgs.transform(p.x, p.y) for p in wards.geometry.representative_point()]
    rng = np.random.default_rng(seed)
    all_months = months()
    after = all_months.index(START)
    counts = np.zeros((len(codes), len(all_months)), dtype=int)
    incidents = folder / "police"
    incidents.mkdir()
    for m, month in enumerate(all_months):
        lines = [POLICE_HEADER]
        for w, code in enumerate(codes):
            factor = 1.0
            if m >= after:
                factor = target_factor if code in TARGET else \
                    buffer_factor if code in buffer else 1.0
            level = target_mean if code in TARGET else mean
            n = int(rng.poisson(level * factor))
            counts[w, m] = n
            lon, lat = points[w]
            kind = "Anti-social behaviour" if w % 3 else "Violence and sexual offences"
            lines += [f",{month},Kent Police,Kent Police,{lon:.6f},{lat:.6f},On or near X,,,"
                      f"{kind},,"] * n
        (incidents / f"{month}-test-street.csv").write_text("\n".join(lines) + "\n",
                                                           encoding="utf-8")
    return boundaries, incidents, counts


def buffer_wards() -> list[str]:
    """The wards touching the target (queen contiguity on the grid)."""
    found = set()
    for code in TARGET:
        i = int(code[1:]) - 1
        r, c = divmod(i, SIDE)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if 0 <= rr < SIDE and 0 <= cc < SIDE:
                    found.add(f"W{rr * SIDE + cc + 1:02d}")
    return sorted(found - set(TARGET))
