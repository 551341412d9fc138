"""Small-number suppression for published outputs (``--public``).

Counts from 1 to a threshold (default 4) could identify a victim or an offender in a small
ward, so public tables, maps, tooltips and narrative show them as "<5" (or hide them), and any
rate or change worked out from such a count is left empty. Zero is shown: "no recorded
incidents" identifies nobody. Internal analysis (``public = false``) shows every number.

Only primary suppression is done: a borough total published beside one suppressed ward lets a
reader subtract; callers publishing totals should say so in their data notes (see
``SUPPRESSION_NOTE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from wardmap.errors import WardmapError

DEFAULT_THRESHOLD = 4
# Count columns of the ward table, and the columns worked out from them (docs/ARCHITECTURE.md).
DEFAULT_COUNT_COLUMNS: tuple[str, ...] = ("incidents", "incidents_prev")
DEFAULT_RATE_COLUMNS: tuple[str, ...] = (
    "rate_per_1000",
    "rate_eb",
    "change",
    "change_pct",
    # The exact test's p values, with one count shown, would let a reader work out the other.
    "change_p",
    "change_p_adj",
    "change_q",
    "change_sig",
)


# Worked out from the current period's count only.
CURRENT_COLUMNS: tuple[str, ...] = ("rate_per_1000", "rate_eb", "value")


def suppression_label(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The text shown in place of a small count: "<5" for the default threshold of 4."""
    return f"<{threshold + 1}"


def suppression_note(threshold: int = DEFAULT_THRESHOLD) -> str:
    """One sentence for data notes explaining what was suppressed."""
    return (
        f"Counts from 1 to {threshold} are shown as \"{suppression_label(threshold)}\" and "
        "rates or changes worked out from them are left blank, so that no individual can be "
        "identified."
    )


SUPPRESSION_NOTE = suppression_note()


def is_small(values: Iterable[float] | pd.Series, threshold: int = DEFAULT_THRESHOLD) -> np.ndarray:
    """Boolean mask: True where a count is from 1 to ``threshold`` (NaN and 0 are not small)."""
    _check_threshold(threshold)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    arr = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return (arr >= 1) & (arr <= threshold)


def format_count(
    n: float | int | None, threshold: int = DEFAULT_THRESHOLD, public: bool = True
) -> str:
    """A count as text for narrative and tooltips: "863", "1,204", or "<5" when suppressed."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return "no figure"
    if public:
        _check_threshold(threshold)
        if 1 <= n <= threshold:
            return suppression_label(threshold)
    return f"{int(round(n)):,}"


def mask_small_counts(
    df: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    count_columns: Sequence[str] | None = None,
    rate_columns: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    mode: Literal["label", "hide"] = "label",
) -> pd.DataFrame:
    """Display values of a table for publication, with small counts suppressed.

    count_columns: columns of counts (default: those of DEFAULT_COUNT_COLUMNS present). Values
        1..threshold become ``suppression_label(threshold)`` ("<5") in ``mode="label"`` (the
        column becomes text-and-integers, object dtype) or missing in ``mode="hide"`` (nullable
        Int64). Counts are otherwise left as they are.
    rate_columns: columns worked out from the counts (default: DEFAULT_RATE_COLUMNS present),
        set to NaN on every row where a count it is worked out from was suppressed (current
        rates and the analysed value from ``incidents``, changes from both counts); or a mapping
        {rate column: [the count columns it is worked out from]} for finer control.

    The input is not changed; a copy (GeoDataFrame stays GeoDataFrame) is returned. Columns
    named explicitly but absent are an error, so that a renamed column is not silently
    published unsuppressed.
    """
    _check_threshold(threshold)
    if mode not in ("label", "hide"):
        raise WardmapError(f"suppression mode must be 'label' or 'hide', got {mode!r}")
    counts = _columns(df, count_columns, DEFAULT_COUNT_COLUMNS, "count")
    rates = _rate_sources(df, rate_columns, counts)
    small = {c: is_small(df[c], threshold) for c in counts}
    out = df.copy()
    for col, sources in rates.items():
        hit = np.zeros(len(df), dtype=bool)
        for src in sources:
            hit |= small[src]
        out[col] = _blank(out[col], hit)
    for col in counts:
        out[col] = _mask_counts(df[col], small[col], threshold, mode)
    return out


def _blank(values: pd.Series, hit: np.ndarray) -> pd.Series:
    """Values with the hit rows empty: NaN for numbers, None for yes/no columns."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(object).where(~hit, None)
    return pd.to_numeric(values, errors="coerce").astype(float).where(~hit)


def _mask_counts(values: pd.Series, small: np.ndarray, threshold: int, mode: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce").round().astype("Int64")
    if mode == "hide":
        return numeric.mask(small)
    label = suppression_label(threshold)
    shown = [
        label if hit else (None if pd.isna(v) else int(v))
        for v, hit in zip(numeric, small, strict=True)
    ]
    return pd.Series(shown, index=values.index, dtype=object, name=values.name)


def _columns(
    df: pd.DataFrame, named: Sequence[str] | None, default: Sequence[str], kind: str
) -> list[str]:
    if named is None:
        return [c for c in default if c in df.columns]
    if isinstance(named, str):
        named = [named]
    missing = [c for c in named if c not in df.columns]
    if missing:
        raise WardmapError(f"cannot suppress {kind} column(s) not in the table: {missing}")
    return list(named)


def _rate_sources(
    df: pd.DataFrame,
    named: Sequence[str] | Mapping[str, Sequence[str]] | None,
    counts: list[str],
) -> dict[str, list[str]]:
    if isinstance(named, Mapping):
        _columns(df, list(named), (), "rate")
        sources = {r: [s] if isinstance(s, str) else list(s) for r, s in named.items()}
        unknown = {s for ss in sources.values() for s in ss} - set(counts)
        if unknown:
            raise WardmapError(f"rates refer to count column(s) not being suppressed: {unknown}")
        return sources
    current = ["incidents"] if "incidents" in counts else counts
    # A ward's current rate (and the value analysed) comes from its current count alone, so a
    # small count a year earlier blanks its change but not its rate.
    return {r: current if r in CURRENT_COLUMNS else counts
            for r in _columns(df, named, DEFAULT_RATE_COLUMNS, "rate")}


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 1:
        raise WardmapError(f"suppression threshold must be a whole number >= 1, got {threshold!r}")
