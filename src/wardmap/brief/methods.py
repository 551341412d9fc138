"""The briefing's methods appendix: the statistics behind its plain-English findings.

Written in sentences for a reader who was not at the keyboard: what each test asks, the
figures it gave, the settings that make the run repeatable, and where a result is not firm.
"""

from __future__ import annotations

from wardmap.brief.narrative import Section, comparison_words, moran_stability, run_moran
from wardmap.result import RunResult
from wardmap.vocabulary import format_p, p_phrase

WEIGHTS_WORDS = {
    "queen": "two wards count as neighbours when their boundaries touch, even at a single "
             "point (queen contiguity)",
    "rook": "two wards count as neighbours when they share a length of boundary (rook "
            "contiguity)",
    "knn": "each ward's neighbours are its {k} nearest wards (k nearest neighbours)",
    "distance": "two wards count as neighbours when their centres are within {distance:,.0f} m",
}
CORRECTION_WORDS = {
    "fdr": "the false discovery rate (Benjamini–Hochberg), which keeps the share of false "
           "alarms among the wards flagged at the significance level",
    "bonferroni": "the Bonferroni correction, which keeps the chance of any false alarm at "
                  "the significance level",
    "none": "no correction, so about one ward in twenty may be flagged by chance alone",
}


def methods_appendix(result: RunResult) -> list[Section]:
    """One section, "Appendix: methods and statistics", in sentences."""
    paragraphs = [_placing(result), _neighbours(result)]
    moran = _moran(result)
    if moran:
        paragraphs.append(moran)
    paragraphs.append(_local(result))
    change = result.summary.get("change") or {}
    if change.get("available"):
        paragraphs.append(_change(result, change))
    paragraphs += _trends()
    return [Section("Appendix: methods and statistics", [p for p in paragraphs if p])]


def _placing(result: RunResult) -> str:
    if result.records is None:
        return ("The figures are a ward-level table joined to the ward boundaries by ward code "
                "or name.")
    tolerance = result.config.inputs.snap_tolerance
    return ("Each record was placed in the ward whose boundary contains its location; records "
            f"up to {tolerance:,.0f} m outside every ward (on a boundary road, say) were placed "
            "in the nearest ward, and the rest are counted as outside the area.")


def _neighbours(result: RunResult) -> str:
    stats = result.config.stats
    words = WEIGHTS_WORDS.get(stats.weights, stats.weights)
    words = words.format(k=stats.k, distance=stats.distance or 0)
    text = f"The spatial statistics compare each ward with its neighbours: {words}."
    measure = result.summary.get("measure")
    if measure == "rate_eb":
        text += (" They were run on rates per 1,000 residents smoothed towards the area's rate "
                 "(empirical Bayes), so that a small ward's rate is not extreme by chance.")
    elif measure == "rate_per_1000":
        text += " They were run on rates per 1,000 residents."
    elif measure == "incidents":
        text += " They were run on the counts, as no populations were given."
    return text


def _moran(result: RunResult) -> str:
    moran = run_moran(result)
    if moran.I is None:
        return ""
    stats = result.config.stats
    expected = f", against {moran.EI:.3f} expected if there were no pattern" \
        if moran.EI is not None else ""
    text = f"Clustering across the whole area was measured with global Moran's I: I = " \
           f"{moran.I:.3f}{expected}."
    if moran.p_sim is not None:
        text += (f" Its p value from {moran.permutations or stats.permutations:,} random "
                 f"permutations is {format_p(moran.p_sim)} (random seed {stats.seed}, so the "
                 "run can be repeated exactly)")
        if moran.p_norm is not None:
            text += f"; the normal approximation gives {p_phrase(moran.p_norm)}"
        text += "."
    elif moran.p_norm is not None:
        text += f" Its p value (normal approximation) is {format_p(moran.p_norm)}."
    shaky = moran_stability(moran, stats.alpha)
    if shaky:
        text += (f" At the {stats.alpha:.0%} significance level this result is not firm: "
                 f"{shaky}, so the findings describe it as such.")
        if "simulation" in shaky:
            text += (" More permutations narrow the simulation's error (--permutations 9999 "
                     "settles most such cases).")
    return text


def _local(result: RunResult) -> str:
    stats = result.config.stats
    n = len(result.wards)
    correction = CORRECTION_WORDS.get(stats.correction, stats.correction)
    return ("Hot and cold spots are Getis-Ord Gi* statistics: each ward's figure together "
            "with its neighbours' against the area as a whole, reported at 90%, 95% and 99% "
            "confidence as in ArcGIS. Clusters and outliers are local Moran's I (LISA) "
            + (f"statistics with p values from {stats.permutations:,} random permutations. "
               if stats.permutations else "statistics, not tested in this run (it used no "
               "random permutations). ")
            + f"Because {n} wards are tested at once, p values were adjusted before comparing "
            f"them with the {stats.alpha:.0%} significance level, using {correction}.")


def _change(result: RunResult, change: dict) -> str:
    since, per_month = comparison_words(change)
    compared = ("the same months a year earlier" if change.get("year_earlier", True)
                else since.removeprefix("in "))
    correction = CORRECTION_WORDS.get(result.config.periods.correction,
                                      result.config.periods.correction)
    text = ("Each change was tested with an exact conditional test of two Poisson counts: "
            "given both periods' total, is the period's share larger or smaller than chance "
            f"would give? The period was compared with {compared}")
    if per_month:
        text += ", on monthly rates because the periods differ in length"
    return text + (f". Across wards, p values were adjusted with {correction}; the area's "
                   f"total change has {p_phrase(change.get('p'))}.")


def _trends() -> list[str]:
    return [
        "Control charts plot the area's monthly count (or rate per 1,000 residents) against "
        "limits three standard deviations either side of its average; a month outside the "
        "limits, or 8 months in a row on one side of the average, is a signal that something "
        "changed beyond normal variation.",
        "Emerging hot spot analysis repeats the hot spot analysis for each month and tests "
        "each ward's monthly results for a trend (Mann–Kendall), naming patterns as ArcGIS "
        "Pro's Emerging Hot Spot Analysis does (new, consecutive, intensifying, persistent, "
        "diminishing, sporadic, oscillating and historical hot or cold spots).",
    ]
