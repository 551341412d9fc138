"""wards.xlsx: the ward table as an analyst hands it on in Excel.

wards.csv stays the machine-readable table (full precision, documented column names). The
workbook is for people: plain-English headers, values rounded to what they mean, wards ranked
by the measure analysed with each ward's share of the incidents, a total row, a frozen header
and number formats; a "Columns" sheet explains every column and a "Notes" sheet records the
run (area, period, crime types, statistics settings, warnings, attributions).

Written with XlsxWriter (column formats, no per-cell objects): England's 7,681 wards take a
fraction of a second, where openpyxl's write-only mode took 3.7 s. openpyxl reads it back in
the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wardmap import __version__
from wardmap.result import RunResult

COUNT, DECIMAL1, DECIMAL2, P_VALUE, PERCENT, TEXT = "#,##0", "#,##0.0", "0.00", "0.000", \
    "0.0%", "@"


@dataclass(frozen=True)
class Column:
    """One workbook column: its header, where it comes from and how it reads."""

    header: str
    source: str  # wards.csv column, or a derived name ("rank", "share")
    fmt: str
    digits: int | None  # rounding of the stored value (None: as it is)
    meaning: str
    width: int = 12


COLUMNS = [
    Column("Rank", "rank", COUNT, 0, "Position by the measure analysed, highest first "
           "(tied wards share a rank).", 7),
    Column("Ward code", "ward_code", TEXT, None, "ONS ward code (GSS).", 11),
    Column("Ward", "ward_name", TEXT, None, "Ward name.", 28),
    Column("Incidents", "incidents", COUNT, 0, "Recorded incidents placed in the ward in the "
           "period, after the crime-type filter."),
    Column("Share of incidents", "share", PERCENT, 4, "The ward's incidents as a share of the "
           "area's total."),
    Column("Value analysed", "value", DECIMAL2, 2, "The measure tested for clusters (a count, "
           "a rate or a partner's value, as the run's notes say)."),
    Column("Population", "population", COUNT, 0, "Residents (from the population table "
           "given), blank when unknown."),
    Column("Rate per 1,000 residents", "rate_per_1000", DECIMAL1, 1, "Incidents per 1,000 "
           "residents."),
    Column("Smoothed rate per 1,000", "rate_eb", DECIMAL1, 1, "Empirical Bayes rate: pulled "
           "towards the area's rate where the ward has few residents; use it for ranking."),
    Column("No rate because", "rate_note", TEXT, None, "Why a ward has no rate.", 18),
    Column("LISA cluster", "lisa_label", TEXT, None, "Local Moran's I: High-High and Low-Low "
           "clusters, High-Low and Low-High outliers, after the multiple-testing correction.",
           16),
    Column("LISA p", "lisa_p", P_VALUE, 3, "Permutation p-value of the ward's local Moran's "
           "I, before the correction."),
    Column("LISA p, adjusted", "lisa_p_adj", P_VALUE, 3, "The same p allowing for testing "
           "every ward (the run's correction)."),
    Column("Gi* hot or cold spot", "gi_label", TEXT, None, "Getis-Ord Gi*: hot or cold spot "
           "at 90, 95 or 99% confidence (after the correction), as ArcGIS Pro bins it.", 24),
    Column("Gi* z-score", "gi_z", DECIMAL2, 2, "Standardised Gi*: above 0 the ward and its "
           "neighbours are higher than the area's average."),
    Column("Gi* p", "gi_p", P_VALUE, 3, "p-value of Gi*, before the correction."),
    Column("Gi* p, adjusted", "gi_p_adj", P_VALUE, 3, "The same p allowing for testing every "
           "ward."),
    Column("Incidents, comparison period", "incidents_prev", COUNT, 0, "Incidents in the "
           "comparison period."),
    Column("Change (%)", "change_pct", DECIMAL1, 1, "Change on the comparison period, per "
           "cent (on monthly rates when the periods differ in length)."),
    Column("Change significant", "change_sig", TEXT, None, "Yes when the change is beyond "
           "chance for counts of that size, after allowing for the wards tested."),
    Column("Control chart signal", "spc_signal", TEXT, None, "Yes when the latest months are "
           "outside the ward's usual range (c-chart rules)."),
    Column("Emerging pattern", "emerging_pattern", TEXT, None, "Emerging hot spot category "
           "over the months (Gi* trend).", 20),
]


def write_workbook(result: RunResult, table: pd.DataFrame, path: Path) -> Path:
    """Write wards.xlsx from the ward table as written to wards.csv (``table``, suppressed
    when the run is public)."""
    import xlsxwriter

    frame = workbook_frame(table, result.meta.measure)
    # Columns with no value in any ward (no population given, say) are left out; the reason
    # column says why.
    columns = [c for c in COLUMNS if c.source in frame
               and (c.source == "rate_note" or frame[c.source].notna().any())]
    # Text stays text: a ward name such as "=HYPERLINK(...)" is never written as a formula.
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    try:
        _wards_sheet(book, frame, columns)
        _columns_sheet(book, columns)
        _notes_sheet(book, result)
    finally:
        book.close()
    return path


def workbook_frame(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The ward rows sorted by rank, with rank, share and Gi* label columns, values rounded."""
    from wardmap.maps.style import GI_LABELS, gi_bins

    frame = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
    counts = pd.to_numeric(frame.get("incidents"), errors="coerce") \
        if "incidents" in frame else None
    key = measure if measure in frame else ("incidents" if "incidents" in frame else "value")
    if key in frame:
        frame["rank"] = pd.to_numeric(frame[key], errors="coerce").rank(
            ascending=False, method="min")
    suppressed = "incidents" in frame and frame["incidents"].map(
        lambda v: isinstance(v, str)).any()
    # No shares beside suppressed counts: a share and a count give the total, and the total
    # less the counts shown gives what was suppressed.
    if counts is not None and counts.sum() > 0 and not suppressed:
        frame["share"] = counts / counts.sum()
    bins = gi_bins(frame)
    if bins is not None:
        frame["gi_label"] = [GI_LABELS[b] for b in bins]
    for name in ("change_sig", "spc_signal"):
        if name in frame:
            frame[name] = frame[name].map({True: "Yes", False: "No"})
    for column in COLUMNS:
        if column.source in frame and column.digits is not None:
            numbers = pd.to_numeric(frame[column.source], errors="coerce")
            # Text such as "<5" (public outputs) stays as it is.
            frame[column.source] = numbers.round(column.digits).where(
                numbers.notna(), frame[column.source])
    order = frame["rank"].fillna(np.inf) if "rank" in frame else pd.Series(0, frame.index)
    return frame.assign(_order=order).sort_values(["_order", "ward_code"]).drop(
        columns="_order").reset_index(drop=True)


def _wards_sheet(book: Any, frame: pd.DataFrame, columns: list[Column]) -> None:
    sheet = book.add_worksheet("Wards")
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for i, column in enumerate(columns):
        # The column's number format applies to every cell written in it.
        sheet.set_column(i, i, column.width, book.add_format({"num_format": column.fmt}))
    sheet.write_row(0, 0, [c.header for c in columns], header)
    values = [[_plain(v) for v in frame[c.source].tolist()] for c in columns]
    for r, row in enumerate(zip(*values, strict=True), start=1):
        sheet.write_row(r, 0, row)
    last = len(frame) + 1
    totals = [_total(frame, c) for c in columns]
    totals[1] = "Total"
    for i, (value, column) in enumerate(zip(totals, columns, strict=True)):
        if value is not None:
            sheet.write(last, i, value, book.add_format({"bold": True,
                                                         "num_format": column.fmt}))
    sheet.set_row(last, None, bold)
    sheet.freeze_panes(1, 3)  # header row and rank, code, name stay in view
    sheet.autofilter(0, 0, len(frame), len(columns) - 1)


def _total(frame: pd.DataFrame, column: Column) -> Any:
    """The total row: sums of counts, the area's rate, 100% share; blank elsewhere."""
    numbers = pd.to_numeric(frame.get(column.source), errors="coerce")
    if column.source in ("incidents", "population", "incidents_prev"):
        if frame[column.source].map(lambda v: isinstance(v, str)).any():
            return None  # suppressed counts: no total that would give them away
        return int(numbers.sum()) if numbers.notna().any() else None
    if column.source == "share":
        return 1.0
    if column.source == "rate_per_1000" and {"incidents", "population"} <= set(frame):
        counts = pd.to_numeric(frame["incidents"], errors="coerce")
        pop = pd.to_numeric(frame["population"], errors="coerce")
        known = counts.notna() & pop.notna() & (pop > 0)
        if known.any() and known.all():
            return round(1000 * counts[known].sum() / pop[known].sum(), 1)
    return None


def _plain(value: Any) -> Any:
    """A cell value: blanks for missing numbers, Python numbers, whole counts as int."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not np.isfinite(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _columns_sheet(book: Any, columns: list[Column]) -> None:
    sheet = book.add_worksheet("Columns")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90)
    sheet.set_column(2, 2, 18)
    sheet.write_row(0, 0, ["Column", "What it means", "wards.csv column"],
                    book.add_format({"bold": True}))
    for r, column in enumerate(columns, start=1):
        derived = column.source in ("rank", "share", "gi_label")
        sheet.write_row(r, 0, [column.header, column.meaning,
                               "(worked out here)" if derived else column.source])


def _notes_sheet(book: Any, result: RunResult) -> None:
    meta, stats = result.meta, result.config.stats
    sheet = book.add_worksheet("Notes")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 100)
    sheet.write_row(0, 0, ["Run", ""], book.add_format({"bold": True}))
    rows = [
        ("Area", meta.area_name),
        ("Period", meta.period_label),
        ("Crime types", meta.crime_types_label),
        ("Measure analysed", meta.measure_label),
        ("Spatial weights", stats.weights),
        ("Permutations", stats.permutations),
        ("Multiple-testing correction", stats.correction),
        ("Significance level", stats.alpha),
        ("Random seed", stats.seed),
        ("Made with", f"wardmap {__version__}"),
    ]
    if result.config.output.public:
        from wardmap.disclosure import suppression_label

        shown = suppression_label(result.config.output.threshold)
        rows.append(("Small counts", f"shown as {shown}; rates from them left blank"))
    if meta.synthetic:
        from wardmap.result import SYNTHETIC_NOTICE

        rows.append(("Data", SYNTHETIC_NOTICE))
    rows += [("Warning", w) for w in result.warnings]
    rows += [("Attribution", a) for a in meta.attributions]
    for r, (label, value) in enumerate(rows, start=1):
        sheet.write_row(r, 0, [label, "" if value is None else value])
