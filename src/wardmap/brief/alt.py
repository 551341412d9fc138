"""Alt text for the briefing's figures: what each one shows, for a reader who cannot see it.

Accessibility regulations ask that a chart's alternative text give its finding, not its kind
("map"). Each text names the figure and the few facts a sighted reader takes from it, with
the same small-number rules as the tables.
"""

from __future__ import annotations

import pandas as pd

from wardmap.brief.figures import Image
from wardmap.brief.narrative import GI_HOT_LABELS, Style, units
from wardmap.result import RunResult
from wardmap.vocabulary import join_words


def alt_texts(result: RunResult, images: list[Image], public: bool, threshold: int) -> list[str]:
    """One alt text per image; ``result`` carries the published statuses when public."""
    style = Style(public, threshold)
    return [_alt(result, image, style) for image in images]


def _alt(result: RunResult, image: Image, style: Style) -> str:
    title = image.title
    if title.startswith("Hot spots"):
        return f"{title}. {_gi_finding(result.wards)}"
    if title.startswith("Clusters"):
        return f"{title}. {_lisa_finding(result.wards)}"
    if title.startswith("Change"):
        return f"{title}. {_change_finding(result.wards, style)}"
    if title.startswith("Monthly"):
        return f"{title}. {_spc_finding(result.summary.get('spc') or {})}"
    if title == "Candidate focus area" and result.focus is not None and len(result.focus):
        names = str(result.focus.iloc[0].get("ward_names", "")).replace(";", ",")
        return f"Map of the wards with the best candidate focus area outlined: {names}."
    if "by ward and month" in title:
        return f"{title}: a grid of wards by month, shaded by count. {_busiest(result, style)}"
    return f"Map: {title}. {_busiest(result, style)}"


def _busiest(result: RunResult, style: Style) -> str:
    wards = result.wards
    if "incidents" not in wards:
        top = wards.sort_values("value", ascending=False).head(3)
        return "Highest values in " + join_words([str(n) for n in top["ward_name"]]) + "."
    _, phrase = units(result)
    shown = wards[[not style.withheld(r) for _, r in wards.iterrows()]]
    top = shown.sort_values(["incidents", "ward_name"], ascending=[False, True]).head(3)
    low = shown.sort_values(["incidents", "ward_name"]).head(3)
    text = (f"Darker shading is more {phrase}. The most were in "
            + join_words([f"{r.ward_name} ({style.ward_count(r)})" for r in top.itertuples()]))
    if len(low):
        text += "; the fewest in " + join_words([f"{r.ward_name} ({style.ward_count(r)})"
                                            for r in low.itertuples()])
    return text + "."


def _gi_finding(wards: pd.DataFrame) -> str:
    bins = pd.to_numeric(wards["gi_bin"], errors="coerce").fillna(0).astype(int)
    parts = []
    for side, sign in (("hot", 1), ("cold", -1)):
        found = wards[bins * sign > 0].assign(_b=(bins * sign)[bins * sign > 0])
        for level in (3, 2, 1):
            names = sorted(found.loc[found["_b"] == level, "ward_name"].astype(str))
            if names:
                parts.append(f"{join_words(names)}: {side} spot at {GI_HOT_LABELS[level]} "
                             "confidence")
    if not parts:
        return "No ward is a hot or cold spot at 90% confidence or more."
    return "; ".join(parts) + ". Every other ward is not significant."


def _lisa_finding(wards: pd.DataFrame) -> str:
    labels = wards["lisa_label"].astype(str)
    found = [f"{join_words(sorted(wards.loc[labels == k, 'ward_name'].astype(str)))}: {k.lower()}"
             for k in ("High-High", "Low-Low", "High-Low", "Low-High") if (labels == k).any()]
    if not found:
        return "No ward is in a significant cluster or is an outlier: every ward is shaded as "\
               "not significant."
    return "; ".join(found) + ". Every other ward is not significant."


def _change_finding(wards: pd.DataFrame, style: Style) -> str:
    shown = wards[[not style.withheld(r, "incidents", "incidents_prev")
                   for _, r in wards.iterrows()]]
    shown = shown[shown["change_pct"].notna()]
    if shown.empty:
        return "No ward's change can be shown."
    up = shown.sort_values("change_pct", ascending=False).head(2)
    down = shown.sort_values("change_pct").head(2)
    rises = join_words([f"{r.ward_name} ({r.change_pct:+.0f}%)" for r in up.itertuples()
                   if r.change_pct > 0])
    falls = join_words([f"{r.ward_name} ({r.change_pct:+.0f}%)" for r in down.itertuples()
                   if r.change_pct < 0])
    text = (f"Red is a rise, blue a fall. Largest rises: {rises or 'none'}; largest falls: "
            f"{falls or 'none'}.")
    return text


def _spc_finding(spc: dict) -> str:
    from wardmap.brief.narrative import _spc_sentence

    return _spc_sentence(spc)
