"""A constructed borough for period tests: square wards on a grid and planted monthly counts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from wardmap.config import Config
from wardmap.periods.presets import range_text
from wardmap.result import RunMeta, RunResult


def lattice_result(
    monthly: np.ndarray,
    months: list[str],
    current: list[str],
    side: int,
    population: float | None = None,
    names: list[str] | None = None,
) -> RunResult:
    """A RunResult whose records hold ``monthly[ward, month]`` incidents, wards on a grid.

    The ward table's incidents are those of ``current``, as the pipeline's month filter gives.
    """
    n = side * side
    assert monthly.shape == (n, len(months))
    codes = [f"W{i:02d}" for i in range(n)]
    geoms = [box((i % side) * 1000, (i // side) * 1000, (i % side + 1) * 1000,
                 (i // side + 1) * 1000) for i in range(n)]
    rows = []
    for w, code in enumerate(codes):
        for m, month in enumerate(months):
            rows += [(month, code)] * int(monthly[w, m])
    records = pd.DataFrame(rows, columns=["month", "ward_code"])
    records["crime_type"] = "Violence and sexual offences"
    records["type_match"] = True
    records["period_match"] = records["month"].isin(current)
    records["status"] = np.where(records["period_match"], "assigned", "filtered_out")
    now = monthly[:, [months.index(m) for m in current]].sum(axis=1)
    wards = gpd.GeoDataFrame(
        {
            "ward_code": codes,
            "ward_name": names or [f"Ward {i}" for i in range(n)],
            "incidents": now.astype("int64"),
            "population": float(population) if population else np.nan,
        },
        geometry=geoms,
        crs="EPSG:27700",
    )
    wards["value"] = wards["incidents"]
    config = Config()
    config.filters.months = range_text(current)
    return RunResult(config=config, wards=wards, summary={"incidents": int(now.sum())},
                     meta=RunMeta(area_name="Gridshire"), records=records)


def months_between(start: str, count: int) -> list[str]:
    from wardmap.periods.presets import shift_month

    return [shift_month(start, i) for i in range(count)]
