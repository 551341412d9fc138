"""Ward values as text for tooltips, popups and labels, with small-number suppression.

Strings here are plain text; whoever puts them into HTML escapes them (interactive.py does it
in the browser, at the one place where HTML is built).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wardmap.disclosure import is_small, mask_small_counts, suppression_label
from wardmap.maps.style import GI_LABELS, format_number, gi_bins, lisa_labels
from wardmap.vocabulary import format_p


def count_column(wards: pd.DataFrame) -> str:
    """The count shown on the first layer: incidents when records were placed, else value
    (which may be absent too: callers check `in wards`)."""
    return "incidents" if "incidents" in wards else "value"


def colour_values(wards: pd.DataFrame, public: bool, threshold: int) -> pd.DataFrame:
    """Numbers used for colouring: with `public`, rates and changes from small counts are NaN.

    Counts themselves keep their value (their legend classes are widened instead, see
    style.classify's `small_threshold`) so that a ward with 3 incidents is not drawn as "no data".
    """
    if not public:
        return wards
    return mask_small_counts(wards, threshold=threshold, mode="hide").assign(
        **{c: wards[c] for c in ("incidents", "incidents_prev") if c in wards}
    )


def ward_text(
    wards: pd.DataFrame, measure: str, public: bool = False, threshold: int = 4
) -> pd.DataFrame:
    """Display strings per ward: n, c (name, code), and i, p, r, e, ch, k, l, lp, g when known."""
    shown = mask_small_counts(wards, threshold=threshold, mode="label") if public else wards
    text = pd.DataFrame(index=wards.index)
    text["n"] = wards["ward_name"].astype(str)
    text["c"] = wards["ward_code"].astype(str)
    counts = count_column(wards)
    if counts in wards:
        # "value" is whatever was analysed (a partner's rate, say): shown as it is, not rounded.
        show = _count if counts == "incidents" else _value
        text["i"] = [show(v) for v in shown[counts]]
    if "population" in wards:
        text["p"] = [_count(v) for v in wards["population"]]
    for key, col in (("r", "rate_per_1000"), ("e", "rate_eb")):
        if col in wards:
            text[key] = [_rate(v) for v in shown[col]]
    if "rate_note" in wards and "rate_per_1000" in wards:
        # Why a ward has no rate (e.g. "population unknown"), shown only where the rate is.
        missing = pd.to_numeric(wards["rate_per_1000"], errors="coerce").isna()
        notes = wards["rate_note"].where(missing & wards["rate_note"].notna(), None)
        text["rn"] = [n if isinstance(n, str) and n.strip() else None for n in notes]
    if "change_pct" in wards:
        text["ch"] = _change_text(wards, shown)
    text["k"] = rank_text(colour_values(wards, public, threshold), measure, public, threshold)
    labels = lisa_labels(wards)
    if labels is not None:
        text["l"] = labels.astype(str)
        if "lisa_p" in wards:
            text["lp"] = [_p(v) for v in wards["lisa_p"]]
    bins = gi_bins(wards)
    if bins is not None:
        text["g"] = [GI_LABELS[b] for b in bins]
    return text


def ranks(wards: pd.DataFrame, measure: str, public: bool, threshold: int) -> pd.Series:
    """Rank by the measure analysed, highest first (ties share the better rank), NaN unranked."""
    column = measure if measure in wards else count_column(wards)
    if column not in wards:
        return pd.Series(pd.NA, index=wards.index, dtype="Int64")
    values = pd.to_numeric(wards[column], errors="coerce")
    if public and column in ("incidents", "value") and "incidents" in wards:
        # Ranks among small counts would let a reader order suppressed wards.
        values = values.mask(is_small(wards["incidents"], threshold))
    return values.rank(ascending=False, method="min").astype("Int64")


def rank_text(wards: pd.DataFrame, measure: str, public: bool, threshold: int) -> list[str | None]:
    """ "3 of 26" per ward (None where unranked)."""
    rank = ranks(wards, measure, public, threshold)
    total = int(rank.notna().sum())
    return [None if pd.isna(r) else f"{int(r)} of {total}" for r in rank]


def _count(v: object) -> str | None:
    if isinstance(v, str):
        return v  # already "<5"
    if v is None or pd.isna(v):
        return None
    return f"{int(round(float(v))):,}"


def _value(v: object) -> str | None:
    if isinstance(v, str):
        return v
    return _rate(v)


def _rate(v: object) -> str | None:
    if v is None or pd.isna(v):
        return None
    return format_number(float(v))


def _p(v: object) -> str | None:
    return format_p(v)


def _change_text(wards: pd.DataFrame, shown: pd.DataFrame) -> list[str | None]:
    out: list[str | None] = []
    prev = shown["incidents_prev"] if "incidents_prev" in shown else [None] * len(wards)
    now = shown[count_column(wards)] if count_column(wards) in shown else [None] * len(wards)
    sig = wards["change_sig"] if "change_sig" in wards else [False] * len(wards)
    for pct, before, after, s in zip(shown["change_pct"], prev, now, sig, strict=True):
        if pct is None or pd.isna(pct):
            out.append(None)
            continue
        text = f"{pct:+.0f}%"
        if before is not None and not (isinstance(before, float) and np.isnan(before)):
            text += f" ({_count(before)} → {_count(after)})"
        if s is True or s is np.True_:
            text += ", significant"
        out.append(text)
    return out


__all__ = ["colour_values", "count_column", "rank_text", "suppression_label", "ward_text"]
