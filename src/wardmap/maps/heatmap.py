"""Ward-by-month heat map: wards as rows, months as columns, counts (or change) in the cells.

Like the domestic abuse heat map in Maidstone's 2020/21 Strategic Assessment: a table an
analyst can read row by row, shaded so that the hot wards and months stand out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wardmap.errors import WardmapError
from wardmap.maps import static

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_ROWS = 60  # more wards than this do not fit an A4 page legibly: the busiest are shown


def ward_month_counts(records: pd.DataFrame, wards: pd.DataFrame) -> pd.DataFrame:
    """Wards × months counts of placed records passing the crime-type and period filters,
    indexed by ward name (ward code where names repeat), months as "YYYY-MM" columns."""
    from wardmap.aggregate import monthly_counts

    if records is None or "month" not in records or records["month"].notna().sum() == 0:
        raise WardmapError("no incident records with months: cannot draw a ward-by-month table")
    mask = records["ward_code"].notna()
    for col in ("type_match", "period_match"):
        if col in records:
            mask &= records[col].fillna(False).astype(bool)
    table = monthly_counts(records, wards, mask=mask)
    if table.shape[1]:  # a month with no record is missing, drawn blank: never a quiet 0
        from wardmap.periods.presets import month_range

        table = table.reindex(columns=month_range(str(table.columns[0]),
                                                  str(table.columns[-1])))
    names = wards.set_index("ward_code")["ward_name"].astype(str)
    labels = names.reindex(table.index)
    if labels.duplicated().any():
        labels = labels + " (" + labels.index.astype(str) + ")"
    table.index = labels.to_numpy()
    table.index.name = "ward"
    return table


def ward_month_figure(
    counts: pd.DataFrame,
    *,
    title: str = "",
    subtitle: str = "Recorded incidents by ward and month",
    change: bool = False,
    small_threshold: int | None = None,
    page: str = "a4-portrait",
    attributions: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Figure:
    """The heat map of a wards × months table (counts, or change when `change` is True).

    Rows are sorted by their total, busiest first, with a total column at the right. With
    `small_threshold` (public outputs) counts from 1 to it are written "<5".
    """
    table = _checked(counts)
    shown, note = _busiest(table, change)
    gaps = [str(m) for m in table.columns[table.isna().all(axis=0).to_numpy()]]
    if gaps:
        notes = [*notes, f"No records in the data for {', '.join(gaps)}: left blank"]
    fig = static.new_figure(page if page in static.PAGES else "a4-portrait")
    static.page_text(fig, title, subtitle, attributions, [*notes, *([note] if note else [])])
    ax = fig.add_axes((0.30, 0.11, 0.58, 0.74))
    values = shown.to_numpy(dtype=float)
    cmap, vmin, vmax = _scale(values, change)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax,
                      aspect="auto", interpolation="nearest")
    _annotate(ax, values, image, change, small_threshold)
    _axes_labels(ax, shown, fontsize=_font(len(shown)))
    if not change:
        _totals(ax, shown, small_threshold, _font(len(shown)))
    # A horizontal colour bar under the table, clear of the totals column.
    colorbar = fig.colorbar(image, cax=fig.add_axes((0.30, 0.05, 0.40, 0.01)),
                            orientation="horizontal")
    colorbar.set_label("Change on comparison period" if change else "Incidents", fontsize=8)
    colorbar.ax.xaxis.set_label_position("top")
    colorbar.ax.tick_params(labelsize=7)
    return fig


def _checked(counts: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(counts, pd.DataFrame) or counts.empty:
        raise WardmapError("ward-by-month table is empty: no wards or no months")
    table = counts.apply(pd.to_numeric, errors="coerce")
    if table.isna().all().all():
        raise WardmapError("ward-by-month table holds no numbers")
    return table


def _busiest(table: pd.DataFrame, change: bool) -> tuple[pd.DataFrame, str | None]:
    key = table.abs().sum(axis=1) if change else table.sum(axis=1)
    ordered = table.loc[key.sort_values(ascending=False, kind="stable").index]
    if len(ordered) <= MAX_ROWS:
        return ordered, None
    return ordered.head(MAX_ROWS), f"Busiest {MAX_ROWS} of {len(ordered):,} wards shown"


def _scale(values: np.ndarray, change: bool) -> tuple[str, float, float]:
    finite = values[np.isfinite(values)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    if change:
        return "RdBu_r", -max(top, 1.0), max(top, 1.0)
    return "YlOrRd", 0.0, max(top, 1.0)


def _annotate(ax, values: np.ndarray, image, change: bool, small: int | None) -> None:
    if values.size > 1500:
        return  # numbers would be unreadable; colour carries the table
    size = _font(values.shape[0])
    for (r, c), v in np.ndenumerate(values):
        if not np.isfinite(v):
            continue
        rgba = image.cmap(image.norm(v))
        dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
        ax.text(c, r, _cell(v, change, small), ha="center", va="center", fontsize=size,
                color="white" if dark else "#111111")


def _cell(v: float, change: bool, small: int | None) -> str:
    if change:
        return f"{v:+.0f}"
    if small is not None and 1 <= v <= small:
        return f"<{small + 1}"
    return f"{v:,.0f}"


def _axes_labels(ax, table: pd.DataFrame, fontsize: float) -> None:
    ax.set_xticks(range(table.shape[1]))
    rotation = 0 if table.shape[1] <= 8 else 90
    ax.set_xticklabels([str(m) for m in table.columns], rotation=rotation, fontsize=7)
    ax.set_yticks(range(table.shape[0]))
    names = [static._plain(n)[:40] for n in table.index]
    ax.set_yticklabels(names, fontsize=fontsize)
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_parse_math(False)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for spine in ax.spines.values():
        spine.set_visible(False)


def _totals(ax, table: pd.DataFrame, small: int | None, fontsize: float) -> None:
    x = table.shape[1] - 0.5 + 0.4
    ax.text(x, -0.9, "Total", ha="left", va="bottom", fontsize=7, fontweight="bold")
    for r, total in enumerate(table.sum(axis=1, min_count=1)):
        if np.isfinite(total):
            ax.text(x, r, _cell(total, False, small), ha="left", va="center", fontsize=fontsize,
                    fontweight="bold")


def _font(rows: int) -> float:
    return float(np.clip(420 / max(rows, 1), 4.5, 8))
