"""The briefing's tables as display text, shared by briefing.html and briefing.docx.

Values are formatted here once, with small-number suppression when the output is public, so
the two documents and the narrative show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wardmap.brief.narrative import comparison_title, comparison_words, pct_text, ranked
from wardmap.disclosure import (
    is_small,
    mask_small_counts,
    suppression_note,
)
from wardmap.result import RunResult
from wardmap.vocabulary import format_p

GI_TEXT = {3: "Hot (99%)", 2: "Hot (95%)", 1: "Hot (90%)", 0: "", -1: "Cold (90%)",
           -2: "Cold (95%)", -3: "Cold (99%)"}


@dataclass
class Table:
    title: str
    frame: pd.DataFrame  # display strings, columns in order
    note: str = ""


@dataclass
class BriefingTables:
    tables: list[Table] = field(default_factory=list)
    notes: list[tuple[str, list[str]]] = field(default_factory=list)  # (heading, lines)


def count_text(v: object) -> str:
    if isinstance(v, str):
        return v  # "<5"
    if v is None or pd.isna(v):
        return ""
    return f"{int(round(float(v))):,}"


def rate_text(v: object) -> str:
    if v is None or pd.isna(v):
        return ""
    return f"{float(v):,.1f}"


def signed_pct(v: object) -> str:
    if v is None or pd.isna(v):
        return ""
    shown = round(float(v))  # the sign of the figure shown: -0.3% is "0%", not "-0%"
    sign = "+" if shown > 0 else "-" if shown < 0 else ""  # ASCII, so Excel reads it
    return f"{sign}{pct_text(float(v))}"


def p_text(v: object) -> str:
    return format_p(v) or ""


def briefing_tables(result: RunResult, public: bool = False, threshold: int = 4) -> BriefingTables:
    """Ranked wards, change, hot spot findings, focus areas and the data notes."""
    wards = result.wards
    shown = mask_small_counts(wards, threshold) if public else wards
    out = BriefingTables()
    out.tables.append(_ranked_table(result, wards, shown, public, threshold))
    if "change_pct" in wards:
        out.tables.append(_change_table(result, wards, shown))
    hot = _hot_spot_table(wards)
    if hot is not None:
        out.tables.append(hot)
    if result.focus is not None and len(result.focus):
        out.tables.append(_focus_table(result.focus))
    out.notes = data_notes(result, public, threshold)
    return out


def _ranked_table(result: RunResult, wards: pd.DataFrame, shown: pd.DataFrame, public: bool,
                  threshold: int) -> Table:
    if "incidents" in wards:
        order = ranked(wards, public, threshold).index
        counts = wards.loc[order, "incidents"]
        rank = counts.rank(ascending=False, method="min").astype(int).astype(str)
        if public:  # a rank among suppressed counts would reveal their order
            rank = rank.mask(is_small(counts, threshold), "")
        frame = pd.DataFrame({"Rank": rank, "Ward": wards.loc[order, "ward_name"],
                              "Incidents": shown.loc[order, "incidents"].map(count_text)})
    else:
        order = wards.sort_values("value", ascending=False).index
        frame = pd.DataFrame({"Rank": [str(i + 1) for i in range(len(order))],
                              "Ward": wards.loc[order, "ward_name"],
                              "Value": wards.loc[order, "value"].map(rate_text)})
    if "rate_per_1000" in wards and wards["rate_per_1000"].notna().any():
        frame["Rate per 1,000"] = shown.loc[order, "rate_per_1000"].map(rate_text)
    if "change_pct" in wards:
        frame["Change"] = shown.loc[order, "change_pct"].map(signed_pct)
    if "gi_bin" in wards:
        frame["Gi* hot spot"] = pd.to_numeric(wards.loc[order, "gi_bin"], errors="coerce") \
            .fillna(0).astype(int).map(GI_TEXT)
    if "lisa_label" in wards:
        frame["LISA"] = wards.loc[order, "lisa_label"].replace("Not significant", "")
    # Named after the order of its rows (incidents, else the value), not the measure tested.
    label = "recorded incidents" if "incidents" in wards else result.meta.measure_label
    return Table(f"Wards ranked by {label[:1].lower()}{label[1:]}",
                 frame.reset_index(drop=True))


def _change_table(result: RunResult, wards: pd.DataFrame, shown: pd.DataFrame) -> Table:
    change = result.summary.get("change", {})
    # Sorted by the change shown: suppressed changes go last, by name, so that their order
    # does not reveal them.
    key = pd.to_numeric(shown["change"], errors="coerce")
    order = wards.assign(_key=key.to_numpy()).sort_values(
        ["_key", "ward_name"], ascending=[False, True], na_position="last", kind="stable").index
    now_head = change.get("current_label", "Now")
    then_head = change.get("comparison_label", "Then")
    hidden = shown.loc[order, "change"].isna() & wards.loc[order, "change"].notna()
    frame = pd.DataFrame({
        "Ward": wards.loc[order, "ward_name"],
        now_head: shown.loc[order, "incidents"].map(count_text),
        then_head: shown.loc[order, "incidents_prev"].map(count_text),
        "Change": shown.loc[order, "change"].map(lambda v: "" if pd.isna(v) else f"{v:+,.0f}"),
        "% change": shown.loc[order, "change_pct"].map(signed_pct),
        "p": wards.loc[order, "change_p"].map(p_text).where(~hidden, ""),
        "q (FDR)": wards.loc[order, "change_p_adj"].map(p_text).where(~hidden, ""),
        "Significant": np.where(hidden, "", np.where(wards.loc[order, "change_sig"], "Yes", "")),
    })
    total = pd.DataFrame([{
        "Ward": "All wards",
        now_head: count_text(change.get("incidents")),
        then_head: count_text(change.get("incidents_prev")),
        "Change": f"{change.get('change', 0):+,.0f}",
        "% change": signed_pct(change.get("change_pct")),
        "p": p_text(change.get("p")),
        "q (FDR)": "",
        "Significant": "Yes" if change.get("sig") else "",
    }])
    note = ("Exact conditional test of two Poisson counts (binomial); q values adjust for the "
            "number of wards tested. % change is blank where the comparison period had none.")
    if comparison_words(change)[1]:
        note += " The periods differ in length, so % change compares monthly rates."
    return Table(comparison_title(change), pd.concat([frame, total], ignore_index=True), note)


def _hot_spot_table(wards: pd.DataFrame) -> Table | None:
    cols = {}
    if "gi_bin" in wards:
        cols["Gi* hot spot"] = pd.to_numeric(wards["gi_bin"], errors="coerce").fillna(0) \
            .astype(int).map(GI_TEXT)
    if "lisa_label" in wards:
        cols["LISA"] = wards["lisa_label"].replace("Not significant", "").fillna("")
    if "emerging_pattern" in wards:
        cols["Emerging pattern"] = wards["emerging_pattern"].replace("No pattern detected", "")
    if "spc_note" in wards:
        cols["Control chart signals"] = wards["spc_note"].fillna("")
    if not cols:
        return None
    frame = pd.DataFrame({"Ward": wards["ward_name"], **cols})
    keep = (frame.drop(columns="Ward") != "").any(axis=1)
    frame = frame[keep].sort_values("Ward").reset_index(drop=True)
    if frame.empty:
        frame = pd.DataFrame({"Ward": ["No ward"], "Finding": ["No hot spot, cluster, emerging "
                                                              "pattern or control chart signal"]})
    return Table("Hot spot findings", frame)


def _focus_table(focus: pd.DataFrame) -> Table:
    frame = pd.DataFrame({"Rank": focus["rank"].astype(str),
                          "Wards": focus["ward_names"].map(_names)})
    if "score" in focus:
        frame["Score"] = focus["score"].map(lambda v: f"{v:.2f}")
    if "population" in focus and focus["population"].notna().any():
        frame["Population"] = focus["population"].map(count_text)
    if "reason" in focus:
        frame["Why"] = focus["reason"].astype(str)
    return Table("Candidate task-force focus areas", frame)


def _names(v: object) -> str:
    return ", ".join(v) if isinstance(v, list | tuple | np.ndarray) else str(v)


def data_notes(result: RunResult, public: bool, threshold: int) -> list[tuple[str, list[str]]]:
    """Accounting, sources, attribution and method, as short lines."""
    notes: list[tuple[str, list[str]]] = []
    acc = result.accounting
    if acc:
        notes.append(("Accounting", [
            f"{acc.get('input_rows', 0):,} records read: {acc.get('assigned', 0):,} inside a "
            f"ward, {acc.get('snapped', 0):,} snapped to a ward within "
            f"{result.config.inputs.snap_tolerance:,.0f} m, {acc.get('outside', 0):,} outside "
            f"the wards, {acc.get('missing_coordinates', 0):,} without a location, "
            f"{acc.get('invalid_coordinates', 0):,} with invalid coordinates and "
            f"{acc.get('filtered_out', 0):,} outside the crime types or months chosen"
            + (f"; {acc['excluded_location']:,} at map points left out of the run."
               if acc.get("excluded_location") else ".")]))
    sources = [f"{i.get('role', 'input')}: {i.get('path', '')}" for i in result.inputs]
    if sources:
        notes.append(("Sources", sources))
    attributions = list(result.meta.attributions)
    if result.meta.synthetic:
        attributions.insert(0, "Synthetic demo data: not a real place.")
    if attributions:
        notes.append(("Attribution", attributions))
    notes.append(("Method", _method_lines(result)))
    if public:
        notes.append(("Small numbers", [suppression_note(threshold)]))
    return notes


def _method_lines(result: RunResult) -> list[str]:
    stats, periods = result.config.stats, result.config.periods
    change = result.summary.get("change") or {}
    since, per_month = comparison_words(change)
    compared = ("the same months a year earlier" if change.get("year_earlier", True)
                else since.removeprefix("in "))
    lines = [
        f"Spatial weights: {stats.weights}; permutations: {stats.permutations}; seed "
        f"{stats.seed}; multiple-testing correction for local statistics: {stats.correction}; "
        f"significance level {stats.alpha}.",
        "Change: exact conditional (binomial) test of two Poisson counts, comparing the period "
        f"with {compared}{' on monthly rates' if per_month else ''}; {periods.correction} "
        "across wards.",
        "Control charts: c-chart (counts) or u-chart (rate per 1,000 residents), limits at "
        "three standard deviations; signals are points outside the limits and runs of 8 "
        "months on one side of the centre line.",
        "Emerging hot spots: Getis-Ord Gi* for each month and a Mann–Kendall trend test, "
        "classified as in ArcGIS Pro's Emerging Hot Spot Analysis (docs/periods.md).",
    ]
    return lines
