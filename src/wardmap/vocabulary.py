"""The project's words for its columns and classes, one table each, shared by every output."""

from __future__ import annotations

# Ward-table columns in human words (titles, legends, the briefing, focus-area reasons).
MEASURE_LABELS: dict[str, str] = {
    "incidents": "Recorded incidents",
    "rate_per_1000": "Incidents per 1,000 residents",
    "rate_eb": "Smoothed rate per 1,000 residents (empirical Bayes)",
    "change_pct": "Change on comparison period (%)",
    "value": "Value",
    "population": "Population",
    "gi_z": "Gi* hot-spot z-score",
    "lisa_I": "Local Moran's I",
}

# Fixed classes of % change (maps and the briefing pack), so that maps of different periods
# read the same way and "no change" sits at the middle of the diverging palette.
CHANGE_BREAKS: tuple[float, ...] = (-25.0, -10.0, 0.0, 10.0, 25.0)


def measure_label(column: str, fallback: str | None = None) -> str:
    """Words for a ward-table column: 'rate_eb' → 'Smoothed rate per 1,000 residents ...'."""
    return MEASURE_LABELS.get(column, fallback or column.replace("_", " ").capitalize())


def in_sentence(label: str) -> str:
    """A label as it reads mid-sentence: 'Recorded incidents' → 'recorded incidents'."""
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) < 2 else label


def format_p(p: object) -> str | None:
    """A p-value as printed everywhere: '<0.001' or three decimals; None when missing.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.04321), format_p(float("nan"))
    ('<0.001', '0.043', None)
    """
    if p is None or p != p:  # None or NaN
        return None
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def p_phrase(p: object) -> str:
    """'p < 0.001', 'p = 0.043' or 'p = n/a', as a sentence or a terminal line says it.

    Examples
    --------
    >>> p_phrase(0.0004), p_phrase(0.04321), p_phrase(None)
    ('p < 0.001', 'p = 0.043', 'p = n/a')
    """
    text = format_p(p)
    if text is None:
        return "p = n/a"
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def join_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c': a list as it reads in a sentence."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def ordinal(n: int) -> str:
    """1 → '1st', 2 → '2nd', 11 → '11th', 23 → '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
