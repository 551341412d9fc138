"""Rates per 1,000 residents. A ward with no or zero population gets an empty rate and a
reason, never inf."""

from __future__ import annotations

import numpy as np
import pandas as pd


def add_rates(wards: pd.DataFrame, numerator: str = "value") -> pd.DataFrame:
    """Add rate_per_1000 (NaN when population is unknown or zero) and rate_note saying why."""
    wards = wards.copy()
    if "population" not in wards:
        wards["population"] = np.nan
    population = wards["population"].astype(float)
    usable = population > 0
    rate = wards[numerator].astype(float) / population.where(usable) * 1000.0
    wards["rate_per_1000"] = rate
    wards["rate_note"] = np.select(
        [population.isna(), population == 0], ["no population", "population is zero"],
        default="",
    )
    return wards


def rate_summary(wards: pd.DataFrame, numerator: str = "value") -> dict[str, float | None]:
    """The whole area's rate per 1,000, over the wards with a population."""
    usable = wards["population"] > 0
    residents = float(wards.loc[usable, "population"].sum())
    if residents <= 0:
        return {"population": None, "rate_per_1000": None}
    events = float(wards.loc[usable, numerator].sum())
    return {"population": residents, "rate_per_1000": events / residents * 1000.0}


def population_warnings(wards: pd.DataFrame) -> list[str]:
    """Say when counts stand in for rates, and name the wards without a population."""
    population = wards["population"] if "population" in wards else pd.Series(dtype=float)
    missing = wards.loc[~(population.reindex(wards.index) > 0), "ward_name"].astype(str)
    if len(missing) == len(wards):
        return ["no population given: wards are compared by counts, not rates per 1,000 "
                "residents, so a ward with more residents, visitors or a town centre ranks "
                "higher for that alone (give --population for rates)"]
    if len(missing):
        shown = ", ".join(missing.iloc[:10]) + (" ..." if len(missing) > 10 else "")
        return [f"no population for {len(missing)} ward(s): {shown}; their rates are left "
                "blank and they are compared by counts only"]
    return []


def population_note(wards: pd.DataFrame) -> str | None:
    """A map note when counts stand in for rates: "Counts, not rates: no population given"."""
    population = wards["population"] if "population" in wards else pd.Series(dtype=float)
    missing = int((~(population.reindex(wards.index) > 0)).sum())
    if missing == len(wards):
        return "Counts, not rates: no population given"
    if missing:
        return f"No population for {missing} ward(s): counts only there"
    return None
