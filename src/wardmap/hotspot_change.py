"""Hot spots over time: each ward's Gi* bin in the comparison period beside the current one,
and what changed (as ArcGIS's Hot Spot Analysis Comparison and sfhotspot's hotspot_change).

The comparison period's Gi* is the test stage run again on that period's counts, with the
same weights, measure (count, rate or smoothed rate) and multiple-testing correction, so the
two bins mean the same. A ward is a hot (cold) spot in a period when its bin is +2 or more
(-2 or less): 95 % confidence, as the briefing reports hot spots.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from wardmap.result import RunResult

HOT, COLD = 2, -2
CATEGORIES = ("persistent hot", "new hot", "no longer hot", "persistent cold", "new cold",
              "no longer cold", "never")
# The test stage's measure names for the columns summary["measure"] reports.
_MEASURE_SETTING = {"incidents": "count", "rate_per_1000": "rate", "rate_eb": "rate_eb",
                    "value": "value"}


def classify(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """The change category of each ward from its Gi* bins now and in the comparison period.

    Examples
    --------
    >>> classify(np.array([3, 0, -2, 2, 0]), np.array([2, 3, 0, -3, 0])).tolist()
    ['persistent hot', 'no longer hot', 'new cold', 'new hot', 'never']
    """
    now, before = np.asarray(now), np.asarray(before)
    hot_now, hot_before = now >= HOT, before >= HOT
    cold_now, cold_before = now <= COLD, before <= COLD
    return np.select(
        [hot_now & hot_before, hot_now, cold_now & cold_before, cold_now, hot_before,
         cold_before],
        ["persistent hot", "new hot", "persistent cold", "new cold", "no longer hot",
         "no longer cold"],
        default="never",
    ).astype(object)


def add_hot_spot_change(result: RunResult) -> RunResult:
    """The run with gi_bin_prev and hot_spot_change on its ward table and
    summary["hot_spot_change"] (wards per category), when there is a comparison period."""
    wards = result.wards
    change = result.summary.get("change") or {}
    if not change.get("available") or "incidents_prev" not in wards or "gi_bin" not in wards:
        return result
    before = previous_bins(result)
    out = wards.copy()
    out["gi_bin_prev"] = before
    out["hot_spot_change"] = classify(out["gi_bin"].to_numpy(), before)
    counts = out["hot_spot_change"].value_counts()
    summary = {**result.summary,
               "hot_spot_change": {c: int(counts.get(c, 0)) for c in CATEGORIES}}
    return dataclasses.replace(result, wards=out, summary=summary)


def previous_bins(result: RunResult) -> np.ndarray:
    """Gi* bins of the comparison period's counts (the test stage, without permutations)."""
    from wardmap.normalise import add_rates
    from wardmap.stats import test_stage

    wards = result.wards
    prev = wards[["ward_code", "ward_name", "population", "geometry"]].copy()
    prev["incidents"] = pd.to_numeric(wards["incidents_prev"]).fillna(0).astype("int64")
    prev["value"] = prev["incidents"]
    prev = add_rates(prev)
    measure = _MEASURE_SETTING.get(result.summary.get("measure", "incidents"), "count")
    config = dataclasses.replace(result.config.stats, permutations=0, measure=measure)
    tested, _, _ = test_stage(prev, config)
    return tested["gi_bin"].to_numpy()


def hot_spot_change_paragraphs(result: RunResult) -> list[str]:
    """A sentence for the briefing's hot spot section, or nothing without a comparison."""
    wards = result.wards
    if "hot_spot_change" not in wards:
        return []
    label = (result.summary.get("change") or {}).get("comparison_label") or \
        "the comparison period"
    groups = {c: sorted(wards.loc[wards["hot_spot_change"] == c, "ward_name"].astype(str))
              for c in CATEGORIES[:-1]}
    from wardmap.vocabulary import join_words

    found = [f"{c} spot{'s' if len(n) != 1 else ''}: {join_words(n)}"
             for c, n in groups.items() if n]
    if not found:
        return [f"No ward was a hot or cold spot (95% confidence) in this period or in {label}."]
    return [f"Compared with {label}, Gi* hot and cold spots (95% confidence) were: "
            + "; ".join(found) + "."]


