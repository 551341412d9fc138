"""Is a focus area's lead robust to the map points that flagged wards rest on?

police.uk places records on anonymised map points; a hospital or shopping area can hold half
a ward's records. For each flagged map point (wardmap.locations) in a listed area's wards the
whole analysis is run again without that point's records and the focus search repeated: an
area is robust when it keeps its rank every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from wardmap.result import RunResult
from wardmap.vocabulary import join_words, ordinal


@dataclass(frozen=True)
class PointCheck:
    """The focus search with one flagged map point left out."""

    ward_name: str
    location: str
    count: int
    leader_codes: str  # the rank-1 area without the point
    leader_names: str
    top_rank: int | None  # where the original rank-1 area comes (None: not in the list)


def check_robustness(result: RunResult, focus: pd.DataFrame,
                     search: Callable[[RunResult], pd.DataFrame]) -> pd.DataFrame:
    """Check a focus table against the flagged map points of its areas' wards.

    Parameters
    ----------
    result : RunResult
        The run the areas were chosen from (records, locations).
    focus : DataFrame
        ``find_focus_areas``'s table.
    search : callable
        The focus search itself, ``RunResult -> table``, rerun on each what-if.

    Returns
    -------
    DataFrame
        A copy of ``focus`` with ``robust`` (true when the area keeps its rank with each
        flagged map point left out) before ``reason``, a sentence added to the rank-1
        reason, and ``attrs["robustness"]`` listing each check (a PointCheck as a dict).
    """
    table = focus.copy()
    table.attrs = dict(focus.attrs)
    flagged = getattr(result.locations, "flagged", None)
    # Before the reason, which stays the last column.
    table.insert(max(len(table.columns) - 1, 0), "robust", True)
    if flagged is None or flagged.empty or result.records is None or table.empty:
        table.attrs["robustness"] = []
        return table
    # Only a point inside a listed area can lower it: leaving out a point elsewhere lowers
    # wards outside the list, which cannot overtake a listed area (exact for counts and
    # rates; smoothed rates and several indicators move a little with every ward).
    listed = {code for codes in table["ward_codes"] for code in str(codes).split(";")}
    flagged = flagged[flagged["ward_code"].isin(listed)]
    if flagged.empty:
        table.attrs["robustness"] = []
        table.loc[table.index[0], "reason"] = (f"{table['reason'].iloc[0]}. No ward in the "
                                               "listed areas rests on one map point")
        return table
    keeps, checks = np.ones(len(table), bool), []
    for flag in flagged.itertuples():
        other = _search_without(result, flag, search)
        ranks = dict(zip(other["ward_codes"], other["rank"], strict=True))
        keeps &= np.array([ranks.get(c) == r for c, r in
                           zip(table["ward_codes"], table["rank"], strict=True)])
        checks.append(PointCheck(str(flag.ward_name), str(flag.location), int(flag.count),
                                 str(other["ward_codes"].iloc[0]),
                                 str(other["ward_names"].iloc[0]),
                                 ranks.get(table["ward_codes"].iloc[0])))
    table["robust"] = keeps
    table.loc[table.index[0], "reason"] = (f"{table['reason'].iloc[0]}. "
                                           f"{robustness_sentence(table, checks)}")
    table.attrs["robustness"] = [asdict(c) for c in checks]
    return table


def _search_without(result: RunResult, flag, search: Callable[[RunResult], pd.DataFrame]
                    ) -> pd.DataFrame:
    """The focus search on the run again with one map point's records left out."""
    from wardmap.aggregate import leave_out
    from wardmap.pipeline import reanalyse

    records = result.records
    at = ((np.round(records["lon"].to_numpy(float), 6) == round(flag.lon, 6))
          & (np.round(records["lat"].to_numpy(float), 6) == round(flag.lat, 6)))
    return search(reanalyse(result, leave_out(records, at)))


def robustness_sentence(table: pd.DataFrame, checks: list[PointCheck]) -> str:
    """E.g. "Not robust: without the 53 records at On or near Hospital in Heath, Bridge and
    Fant leads and this area ranks 2nd"."""
    top = table["ward_codes"].iloc[0]
    changed = [c for c in checks if c.leader_codes != top]
    if not changed:
        points = "; ".join(f"{c.location} in {c.ward_name}" for c in checks)
        return f"Robust: it still leads with each flagged map point left out ({points})"
    parts = []
    for c in changed:
        where = (f"this area ranks {ordinal(c.top_rank)}" if c.top_rank else
                 "this area drops out of the list")
        leader = join_words(sorted(c.leader_names.split("; ")))
        parts.append(f"without the {c.count:,} records at {c.location} in {c.ward_name}, "
                     f"{leader} leads and {where}")
    return "Not robust: " + "; ".join(parts)
