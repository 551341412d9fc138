"""The briefing's tables as display text, shared by briefing.html and briefing.docx.

Values are formatted here once, with small-number suppression when the output is public, so
the two documents and the narrative show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wardmap.brief.narrative import (
    PUBLISHED,
    comparison_title,
    comparison_words,
    pct_text,
    ranked,
    units,
    with_published,
    withheld_wards,
)
from wardmap.disclosure import mask_small_counts, suppression_note
from wardmap.result import RunResult
from wardmap.secondary import SECONDARY, SECONDARY_LABEL, Published
from wardmap.vocabulary import format_p

# Local Moran's I labels in words (the statistic is named in the methods appendix).
LISA_TEXT = {"High-High": "High, among high", "Low-Low": "Low, among low",
             "High-Low": "High, among low", "Low-High": "Low, among high",
             "Island": "No neighbours"}
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


def is_number_text(text: str) -> bool:
    """True for a figure as the tables show it: "1,204", "+5%", "-3", "12.4", "<5", "[c]"."""
    stripped = text.replace(",", "").replace("%", "").replace("+", "").replace("−", "-")
    stripped = stripped.lstrip("<")
    if stripped in ("[c]",):
        return True
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def numeric_columns(frame: pd.DataFrame) -> list[bool]:
    """Columns of figures (every non-empty cell a number), right-aligned in the documents."""
    flags = []
    for column in frame.columns:
        cells = [str(v) for v in frame[column] if str(v) != ""]
        flags.append(bool(cells) and all(is_number_text(c) for c in cells))
    return flags


def column_weights(frame: pd.DataFrame, longest: int = 40) -> list[float]:
    """Relative widths: each column's longest cell (or header word), in characters.

    Text longer than ``longest`` wraps, so a long reason does not squeeze the other columns.
    """
    weights = []
    for column in frame.columns:
        words = max((len(w) for w in str(column).split()), default=1)
        cells = max((len(str(v)) for v in frame[column]), default=1)
        # A short header stays on one line, a long one ("January 2024 to December 2024")
        # wraps at its words; bold text is wider than the body's, so a little more room.
        header = len(str(column)) if len(str(column)) <= 14 else words
        weights.append(float(max(min(max(cells, header * 1.1), longest), words * 1.1, 3) + 1))
    return weights


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


def briefing_tables(result: RunResult, public: bool = False, threshold: int = 4,
                    pattern: Published | None = None) -> BriefingTables:
    """Ranked wards, change, hot spot findings, focus areas and the data notes.

    With ``public``, counts are withheld as wardmap.secondary decides (small ones as "<5",
    those that would let a small one be worked out as "[c]") and figures worked out from a
    withheld count are left blank.
    """
    shown = result.wards
    if public:
        result = with_published(result, threshold, pattern)
        shown = published_counts(result.wards, threshold)
    wards = result.wards
    out = BriefingTables()
    out.tables.append(_ranked_table(result, wards, shown, public, threshold))
    if "change_pct" in wards:
        out.tables.append(_change_table(result, wards, shown))
    hot = _hot_spot_table(wards)
    if hot is not None:
        out.tables.append(hot)
    if result.focus is not None and len(result.focus):
        out.tables.append(_focus_table(result.focus))
    if result.clusters is not None and len(result.clusters):
        out.tables.append(_clusters_table(result.clusters))
    out.notes = data_notes(result, public, threshold)
    return out


def published_counts(wards: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The ward table as a public output shows it: withheld counts as "<5" or "[c]", and
    rates and changes worked out from them blank."""
    secondary = {column: wards[status].fillna(0).to_numpy() == SECONDARY
                 for column, status in PUBLISHED.items() if status in wards}
    return mask_small_counts(wards, threshold, secondary=secondary)


def _ranked_table(result: RunResult, wards: pd.DataFrame, shown: pd.DataFrame, public: bool,
                  threshold: int) -> Table:
    if "incidents" in wards:
        order = ranked(wards, public, threshold).index
        counts = wards.loc[order, "incidents"].astype(float)
        if public:  # ranked among the counts shown: a rank would reveal a withheld one's place
            counts = counts.mask(withheld_wards(wards.loc[order], threshold))
        rank = counts.rank(ascending=False, method="min").map(
            lambda r: "" if pd.isna(r) else str(int(r)))
        frame = pd.DataFrame({"Rank": rank, "Ward": wards.loc[order, "ward_name"],
                              units(result)[0].capitalize():
                                  shown.loc[order, "incidents"].map(count_text)})
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
        frame["Hot spot"] = pd.to_numeric(wards.loc[order, "gi_bin"], errors="coerce") \
            .fillna(0).astype(int).map(GI_TEXT)
    if "lisa_label" in wards:
        frame["Cluster"] = wards.loc[order, "lisa_label"].map(LISA_TEXT).fillna("")
    # Named after the order of its rows (incidents, else the value), not the measure tested.
    label = f"recorded {units(result)[0]}" if "incidents" in wards else \
        result.meta.measure_label
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
        "Significant": np.where(hidden, "", np.where(wards.loc[order, "change_sig"], "Yes", "")),
    })
    total = pd.DataFrame([{
        "Ward": "All wards",
        now_head: count_text(change.get("incidents")),
        then_head: count_text(change.get("incidents_prev")),
        "Change": f"{change.get('change', 0):+,.0f}",
        "% change": signed_pct(change.get("change_pct")),
        "Significant": "Yes" if change.get("sig") else "",
    }])
    note = ("Significant: a change larger than chance would give, allowing for the number of "
            "wards compared (the test is described in the appendix; each ward's p and q values "
            "are in wards.csv). % change is blank where the comparison period had none.")
    if comparison_words(change)[1]:
        note += " The periods differ in length, so % change compares monthly rates."
    return Table(comparison_title(change), pd.concat([frame, total], ignore_index=True), note)


def _hot_spot_table(wards: pd.DataFrame) -> Table | None:
    cols = {}
    if "gi_bin" in wards:
        cols["Hot spot"] = pd.to_numeric(wards["gi_bin"], errors="coerce").fillna(0) \
            .astype(int).map(GI_TEXT)
    if "lisa_label" in wards:
        cols["Cluster"] = wards["lisa_label"].map(LISA_TEXT).fillna("")
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


def _clusters_table(clusters: pd.DataFrame) -> Table:
    """One row per cluster: its wards (no values, which public outputs could not show)."""
    groups = clusters.groupby("cluster", sort=True)["ward_name"].agg(lambda n: sorted(n))
    frame = pd.DataFrame({"Cluster": [str(c) for c in groups.index],
                          "Wards": [str(len(n)) for n in groups],
                          "Ward names": [", ".join(n) for n in groups]})
    return Table("Ward clusters", frame)


def _names(v: object) -> str:
    return ", ".join(v) if isinstance(v, list | tuple | np.ndarray) else str(v)


def data_notes(result: RunResult, public: bool, threshold: int) -> list[tuple[str, list[str]]]:
    """Accounting, sources, attribution and method, as short lines."""
    notes: list[tuple[str, list[str]]] = []
    acc = result.accounting
    if acc and "assigned" not in acc:  # a ward-level table's rows
        notes.append(("Accounting", [
            f"{acc.get('input_rows', 0):,} table rows read: {acc.get('matched', 0):,} matched "
            f"to a ward with a value, {acc.get('no_value', 0):,} without a value and "
            f"{acc.get('outside', 0):,} for areas outside the wards."]))
    elif acc:
        notes.append(("Accounting", [
            f"{acc.get('input_rows', 0):,} records read: {acc.get('assigned', 0):,} inside a "
            f"ward, {acc.get('snapped', 0):,} snapped to a ward within "
            f"{result.config.inputs.snap_tolerance:,.0f} m, {acc.get('outside', 0):,} outside "
            f"the wards, {acc.get('missing_coordinates', 0):,} without a location, "
            f"{acc.get('invalid_coordinates', 0):,} with invalid coordinates, "
            f"{acc.get('filtered_out', 0):,} outside the crime types or months chosen and "
            f"{acc.get('duplicates', 0):,} duplicates (records given twice, counted once)"
            + (f"; {acc['excluded_location']:,} at map points left out of the run."
               if acc.get("excluded_location") else ".")]))
    sources = source_lines(result)
    if sources:
        notes.append(("Sources", sources))
    attributions = list(result.meta.attributions)
    if result.meta.synthetic:
        attributions.insert(0, "Synthetic demo data: not a real place.")
    if attributions:
        notes.append(("Attribution", attributions))
    if public:
        notes.append(("Small numbers", [
            suppression_note(threshold),
            f"Counts shown as \"{SECONDARY_LABEL}\" are withheld too, so that no suppressed "
            "count can be worked out by subtracting the figures shown from a total (secondary "
            "suppression, as in ONS disclosure practice); ward counts, monthly counts and "
            "totals in this briefing are protected together."]))
    return notes


def _source_note(entry: dict) -> str:
    """What happened to an input that was not read as given (wardmap.load.duplicates)."""
    if entry.get("skipped"):
        return f" (skipped: {entry['skipped']})"
    if entry.get("duplicate_of"):
        return " (the same file as one above: read once)"
    if entry.get("duplicates"):
        return f" ({entry['duplicates']:,} records already read from another file)"
    return ""



ROLE_WORDS = {"boundaries": "ward boundaries", "incidents": "records",
              "population": "population", "counts": "ward table"}


def source_lines(result: RunResult) -> list[str]:
    """Each input by file name (never its folder: paths on an analyst's machine mean nothing
    to a reader and can reveal user names), with what it held, its months and a sha256 prefix
    that identifies the exact file."""
    months = _months_by_source(result)
    lines = []
    for item in result.inputs:
        name = Path(str(item.get("path", ""))).name or "(unnamed)"
        role = item.get("role", "input")
        what = ROLE_WORDS.get(role, role)
        if role == "incidents" and item.get("format") == "police.uk":
            what = "police.uk street-level records"
        parts = [f"{name}: {what}"]
        if item.get("rows") is not None:
            unit = "wards" if role == "boundaries" else "rows"
            parts.append(f"{int(item['rows']):,} {unit}")
        if name in months:
            parts.append(months[name])
        if item.get("sha256"):
            parts.append(f"sha256 {str(item['sha256'])[:12]}")
        lines.append(", ".join(parts) + _source_note(item) + ".")
    return lines


def _months_by_source(result: RunResult) -> dict[str, str]:
    from wardmap.periods.presets import period_label

    records = result.records
    if records is None or "source" not in records or "month" not in records:
        return {}
    found = records.dropna(subset=["month"]).groupby("source", observed=True)["month"]
    return {str(name): period_label(sorted({str(m) for m in months}))
            for name, months in found}
