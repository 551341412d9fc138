"""Sentences for the briefing, in the register of a Strategic Assessment, from the ward table.

Every number in the text is read from the run's tables (the ward table and summary) and
formatted by the same functions as the briefing's tables, so a reader can find each figure in
a table. With ``public`` the small-number rules of wardmap.disclosure apply to the text too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wardmap.disclosure import format_count, is_small
from wardmap.periods.presets import month_label
from wardmap.result import Moran, RunResult
from wardmap.vocabulary import join_words, p_phrase

NUMBER_WORDS = {0: "no", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                8: "eight", 9: "nine", 10: "ten"}
GI_HOT_LABELS = {3: "99%", 2: "95%", 1: "90%"}


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Style:
    """How numbers are shown: suppression for public outputs."""

    public: bool = False
    threshold: int = 4

    def count(self, n: float | int | None) -> str:
        return format_count(n, self.threshold, self.public)

    def hidden(self, *counts: float) -> bool:
        """True when any count is suppressed: figures worked out from it are not shown."""
        return self.public and bool(is_small(list(counts), self.threshold).any())


def pct_text(pct: float) -> str:
    """A percentage change as the text and tables show it: whole numbers, "42%"."""
    return f"{abs(pct):.0f}%"


def ward_label(name: str) -> str:
    """ "High Street" → "High Street ward" (names already ending in "ward" are kept)."""
    name = str(name).strip()
    return name if name.lower().endswith("ward") else f"{name} ward"


def subject(result: RunResult) -> str:
    """What is counted, for "the highest level of recorded ..."."""
    label = result.meta.crime_types_label
    if not label or label == "All crime types":
        return "crime and anti-social behaviour"
    return label[0].lower() + label[1:] if not label[:2].isupper() else label


def comparison_words(change: dict) -> tuple[str, bool]:
    """How the text names the comparison period ("in the same period last year" or "in
    January 2016 to March 2016"), and whether its length differs from the period's, in which
    case % changes are on monthly rates (wardmap.periods.change.percent_change)."""
    if change.get("year_earlier", True):
        since = "in the same period last year"
    else:
        since = f"in {change.get('comparison_label') or 'the comparison period'}"
    now = change.get("current_months") or []
    return since, len(now) != len(change.get("comparison_months") or now)


def comparison_title(change: dict) -> str:
    """Title of the change table and map."""
    if change.get("year_earlier", True):
        return "Change on the same period last year"
    return f"Change on {change.get('comparison_label') or 'the comparison period'}"


def change_clause(now: float, then: float, pct: float, sig: bool, style: Style,
                  since: str = "in the same period last year", per_month: bool = False) -> str:
    """ "up 42% from 607 in the same period last year (a statistically significant increase)"."""
    if style.hidden(now, then):
        return ""
    if then == 0:
        return f", up from none {since}"
    rate = " in monthly rate" if per_month else ""
    # With periods of different lengths the direction is that of the monthly rate.
    if (pct == 0) if per_month else (now == then):
        return f", the same{' monthly rate' if per_month else ''} as {since} ({style.count(then)})"
    up = pct > 0
    if sig:
        verdict = "a statistically significant " + ("increase" if up else "reduction")
    else:
        verdict = "not a statistically significant change"
    return (f", {'up' if up else 'down'} {pct_text(pct)}{rate} from {style.count(then)} "
            f"{since} ({verdict})")


def narrative(result: RunResult, top: int = 5, bottom: int = 3, public: bool = False,
              threshold: int = 4) -> list[Section]:
    """The briefing's text: overview, wards, change, hot spots and trends."""
    style = Style(public, threshold)
    wards = result.wards
    sections = [Section("Summary", _overview(result, style) + _population_paragraphs(result))]
    if "incidents" in wards:
        sections.append(Section("Wards", _ward_paragraphs(result, top, bottom, style)))
        places = _place_paragraphs(result, style, top)
        if places:
            sections.append(Section("Places", places))
        if "change_pct" in wards:
            sections.append(Section("Change", _change_paragraphs(result, style)))
    sections.append(Section("Hot spots", _hot_spot_paragraphs(result, style)))
    trends = _trend_paragraphs(result)
    if trends:
        sections.append(Section("Trends", trends))
    if result.focus is not None and len(result.focus) and "reason" in result.focus:
        best = result.focus.iloc[0]
        sections.append(Section("Focus areas", [
            f"The strongest candidate for a task-force focus area is {best['reason']} (the "
            "candidates are ranked in the table of focus areas)."]))
    return sections


def _overview(result: RunResult, style: Style) -> list[str]:
    summary = result.summary
    change = summary.get("change") or {}
    area = result.meta.area_name
    when = change.get("current_label") or result.meta.period_label
    total = summary.get("incidents")
    if total is None:
        return [f"This briefing covers {summary.get('wards', len(result.wards))} wards of {area}."]
    text = (f"In {area}, {style.count(total)} incidents of recorded {subject(result)} were "
            f"placed in its {summary.get('wards', len(result.wards))} wards"
            + (f" between {when.replace(' to ', ' and ')}" if " to " in when else
               f" in {when}" if when else ""))
    if change.get("available"):
        pct = change["change_pct"] if change["change_pct"] is not None else np.nan
        text += change_clause(change["incidents"], change["incidents_prev"], pct,
                              bool(change["sig"]), style, *comparison_words(change))
    text += "."
    paragraphs = [text]
    if not change.get("available") and change.get("reason"):
        paragraphs.append(change["reason"])
    return paragraphs


def ranked(wards: pd.DataFrame, public: bool = False, threshold: int = 4,
           ascending: bool = False) -> pd.DataFrame:
    """Wards from the most incidents to the fewest (ties by name, so the order is stable).

    With ``public``, suppressed counts rank as equal, so the order does not reveal them.
    """
    key = wards["incidents"].astype(float)
    if public:
        key = key.mask(is_small(wards["incidents"], threshold), float(threshold))
    order = wards.assign(_key=key).sort_values(["_key", "ward_name"],
                                               ascending=[ascending, True], kind="stable")
    return order.drop(columns="_key")


def _cut(order: pd.DataFrame, n: int, style: Style) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``n`` wards of a ranking, and the wards left out though tied with the last of
    them (naming only some of a tie would be arbitrary, so the text names them too). A
    suppressed tie that the cut splits is left out whole, as suppressed wards are not ranked
    against each other."""
    if n <= 0 or order.empty:
        return order.head(0), order.head(0)
    key = order["incidents"].astype(float)
    small = is_small(order["incidents"], style.threshold) if style.public else \
        np.zeros(len(order), dtype=bool)
    key = key.mask(small, float(style.threshold)).to_numpy()
    head = order.head(n)
    if len(order) > n and key[n] == key[n - 1]:
        if small[n - 1]:
            return head[~small[:n]], order.head(0)
        last = int(np.flatnonzero(key == key[n - 1]).max())
        return head, order.iloc[n: last + 1]
    return head, order.head(0)


def _tied_text(head: pd.DataFrame, tied: pd.DataFrame, style: Style) -> str:
    """ " Heath also had 70 incidents, as many as Bridge." for wards cut from a tie."""
    if tied.empty:
        return ""
    last = head.iloc[-1]
    return (f" {join_words([str(n) for n in tied['ward_name']])} also had "
            f"{style.count(last['incidents'])} incidents, as many as {last['ward_name']}.")


def _ward_paragraphs(result: RunResult, top: int, bottom: int, style: Style) -> list[str]:
    order = ranked(result.wards, style.public, style.threshold)
    first_one, level = _cut(order, 1, style)
    leaders = pd.concat([first_one, level])
    if leaders.empty:  # the highest count is suppressed, and so is every other
        return [f"No ward had more than {style.threshold} recorded incidents of "
                f"{subject(result)}."]
    first = leaders.iloc[0]
    if len(leaders) > 1:
        names = join_words([str(n) for n in leaders["ward_name"]])
        text = (f"{names} wards had the highest level of recorded {subject(result)}, with "
                f"{style.count(first['incidents'])} incidents each")
    else:
        text = (f"{ward_label(first['ward_name'])} had the highest level of recorded "
                f"{subject(result)}, with {style.count(first['incidents'])} incidents")
    if "change_pct" in order and len(leaders) == 1:
        text += change_clause(first["incidents"], first["incidents_prev"], first["change_pct"],
                              bool(first["change_sig"]), style,
                              *comparison_words(result.summary.get("change") or {}))
    paragraphs = [text + "."]
    head, tied = _cut(order, top, style)
    if len(head):
        paragraphs.append(
            f"The {NUMBER_WORDS.get(len(head), len(head))} wards with the most recorded "
            f"incidents were {_name_list(head, style)}." + _tied_text(head, tied, style)
        )
    rest = order.drop(index=head.index.append(tied.index))
    tail, tied = _cut(ranked(rest, style.public, style.threshold, ascending=True), bottom, style)
    if len(tail):
        paragraphs.append(f"The fewest were recorded in {_name_list(tail, style)}."
                          + _tied_text(tail, tied, style))
    return paragraphs


def _name_list(rows: pd.DataFrame, style: Style) -> str:
    items = [f"{r.ward_name} ({style.count(r.incidents)})" for r in rows.itertuples()]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _change_paragraphs(result: RunResult, style: Style) -> list[str]:
    wards = result.wards
    change = result.summary.get("change", {})
    _, per_month = comparison_words(change)
    shown = wards[~wards.apply(lambda r: style.hidden(r["incidents"], r["incidents_prev"]),
                               axis=1)]
    # Ranked on the period's length: the comparison count scaled to as many months.
    scale = len(change.get("current_months") or []) / len(change.get("comparison_months") or [1])
    shown = shown.assign(_excess=shown["incidents"] - shown["incidents_prev"] *
                         (scale if per_month else 1))
    rises = shown[shown["_excess"] > 0].sort_values(["_excess", "ward_name"],
                                                    ascending=[False, True]).head(3)
    paragraphs = []
    if len(rises):
        items = [_rise_text(r, style, per_month) for _, r in rises.iterrows()]
        paragraphs.append("The largest increases were in " + join_words(items) + ".")
    falls = shown[shown["_excess"] < 0].sort_values(["_excess", "ward_name"]).head(3)
    if len(falls):
        items = [_rise_text(r, style, per_month) for _, r in falls.iterrows()]
        paragraphs.append("The largest reductions were in " + join_words(items) + ".")
    up, down = change.get("wards_up_sig", 0), change.get("wards_down_sig", 0)
    how = {"fdr": "false discovery rate", "bonferroni": "Bonferroni correction",
           "none": "no correction"}.get(change.get("correction", "fdr"), "")
    if up or down:
        paragraphs.append(
            f"After allowing for the number of wards tested ({how}), {_wards_n(up)} "
            f"had a statistically significant increase and {_wards_n(down)} a statistically "
            "significant reduction."
        )
    else:
        paragraphs.append(
            f"After allowing for the number of wards tested ({how}), no ward's change was "
            "statistically significant: the differences are within what chance alone produces."
        )
    return paragraphs


def _rise_text(row: pd.Series, style: Style, per_month: bool = False) -> str:
    change = row["change"]
    # Both counts are shown (not suppressed) here, so their difference may be too.
    by = f"{'up' if change > 0 else 'down'} {int(abs(change)):,}"
    if row["incidents_prev"] == 0:
        return f"{row['ward_name']} ({by}, from none to {style.count(row['incidents'])})"
    sig = "significant" if row["change_sig"] else "not significant"
    if per_month:  # counts of periods of different lengths: only the rate change is meaningful
        by = f"{'up' if row['change_pct'] > 0 else 'down'} {pct_text(row['change_pct'])} in " \
             "monthly rate"
        return (f"{row['ward_name']} ({by}, from {style.count(row['incidents_prev'])} to "
                f"{style.count(row['incidents'])}; {sig})")
    return (f"{row['ward_name']} ({by} or {pct_text(row['change_pct'])}, from "
            f"{style.count(row['incidents_prev'])} to {style.count(row['incidents'])}; {sig})")


def _hot_spot_paragraphs(result: RunResult, style: Style) -> list[str]:
    wards, summary = result.wards, result.summary
    paragraphs = []
    moran = result.moran or Moran.from_values(summary.get("moran") or {})
    if moran.I is not None:
        verdict = ("is clustered: wards with high values tend to neighbour each other"
                   if moran.clustered(result.config.stats.alpha)
                   else "shows no significant clustering across the wards")
        paragraphs.append(f"The pattern {verdict} (Moran's I = {moran.I:.3f}, "
                          f"{p_phrase(moran.p)}).")
    if "gi_bin" in wards:
        bins = pd.to_numeric(wards["gi_bin"], errors="coerce").fillna(0)
        hot = wards[bins >= 2].assign(_bin=bins[bins >= 2]).sort_values(["_bin", "ward_name"],
                                                                          ascending=[False, True])
        cold = wards[bins <= -2]
        if len(hot):
            names = join_words([f"{n} ({GI_HOT_LABELS[int(b)]})" for n, b in
                           zip(hot["ward_name"], hot["_bin"], strict=True)])
            spots = "a hot spot" if len(hot) == 1 else "hot spots"
            paragraphs.append(f"Getis-Ord Gi* found {_wards_n(len(hot))} to be {spots} at 95% "
                              f"confidence or more: {names}.")
        else:
            paragraphs.append("Getis-Ord Gi* found no hot spot at 95% confidence or more.")
        paragraphs += _before_correction(result)
        paragraphs += _top_not_hot(result, bins)
        if len(cold):
            were = "was a cold spot" if len(cold) == 1 else "were cold spots"
            paragraphs.append(f"{_wards_n(len(cold)).capitalize()} {were} at 95% "
                              f"confidence or more: {join_words(sorted(cold['ward_name']))}.")
    if "lisa_label" in wards:
        hh = sorted(wards.loc[wards["lisa_label"] == "High-High", "ward_name"])
        if hh:
            paragraphs.append(f"Local Moran's I places {join_words(hh)} in a high-high cluster "
                              "(high values surrounded by high values).")
    if not paragraphs:
        paragraphs.append("No spatial statistics were computed for this run.")
    return paragraphs


def _population_paragraphs(result: RunResult) -> list[str]:
    """Counts standing in for rates, said plainly."""
    wards = result.wards
    if "population" in wards and (wards["population"] > 0).all():
        return []
    if "population" in wards and (wards["population"] > 0).any():
        missing = sorted(wards.loc[~(wards["population"] > 0), "ward_name"].astype(str))
        return [f"No population was available for {join_words(missing)}: their rates are left "
                "blank and they are compared by counts only."]
    return ["The figures are counts, not rates: no population was given, so a ward with "
            "more residents, or more visitors to a town centre, hospital or shops, has more "
            "recorded incidents for that alone."]


def _place_paragraphs(result: RunResult, style: Style, top: int = 5) -> list[str]:
    """Flagged map points, how concentrated records are, and the top ward's place groups."""
    from wardmap.locations import flag_meaning

    found = result.locations
    if found is None or found.points.empty:
        return []
    flagged, others = _flags_to_name(result, found.flagged, style, top)
    paragraphs = []
    for flag in flagged.itertuples():
        row = pd.Series(flag._asdict())
        paragraphs.append(
            f"{style.count(row['count'])} of {row['ward_name']}'s "
            f"{style.count(row['incidents'])} incidents of {subject(result)} were recorded at "
            f"one map point, {row['location']} ({row['share']:.0%}): {flag_meaning(row)}.")
    if others:
        many = others > 1
        paragraphs.append(f"{str(NUMBER_WORDS.get(others, others)).capitalize()} more "
                          f"ward{'s' if many else ''} also rest{'' if many else 's'} on one "
                          "map point (wards.csv, location_flag).")
    if paragraphs:
        paragraphs[-1] += (" Each record is published at an anonymised police.uk map point; "
                           "locations.csv lists every point.")
    spread = found.concentration
    if spread.points >= 20:
        paragraphs.append(
            f"Incidents are concentrated on few places: the busiest 5% of the "
            f"{spread.points:,} map points with a record hold {spread.top5_share:.0%} of the "
            f"incidents and the busiest 10% hold {spread.top10_share:.0%} (Gini coefficient "
            f"{spread.gini:.2f}).")
    order = ranked(result.wards, style.public, style.threshold)
    leader = order.iloc[0] if len(order) else None
    if leader is not None and not style.hidden(leader["incidents"]):
        groups = result.config.place_groups()
        months = found.by_month
        anywhere = months.groupby("place_group")["total"].sum()
        # A group with no record anywhere in the area (no such places) is not worth a word.
        shares = {g: leader.get(f"share_{g}") if anywhere.get(g, 0) else np.nan
                  for g in groups}
        # A public briefing gives no share that reveals a suppressed count.
        items = [f"{shares[g]:.0%} were recorded at {g.replace('_', '-')} places "
                 f"({', '.join(m)})" for g, m in groups.items() if pd.notna(shares[g])
                 and not style.hidden(round(shares[g] * leader["incidents"]))]
        if items:
            paragraphs.append(f"Of {ward_label(leader['ward_name'])}'s incidents, "
                              f"{'; '.join(items)}.")
    return paragraphs


def _before_correction(result: RunResult) -> list[str]:
    """Wards that are hot or cold spots only before allowing for the number tested."""
    wards = result.wards
    if "gi_bin_uncorrected" not in wards or result.config.stats.correction == "none":
        return []
    from wardmap.maps.style import gi_map_bins

    shown = gi_map_bins(wards)  # the classes the Gi* maps draw: ±4 before correction only
    hot = sorted(wards.loc[shown == 4, "ward_name"].astype(str))
    cold = sorted(wards.loc[shown == -4, "ward_name"].astype(str))
    if not hot and not cold:
        return []
    how = {"fdr": "the false discovery rate", "bonferroni": "Bonferroni's correction"}.get(
        result.config.stats.correction, "the correction")
    found = [f"{join_words(names)} {kind}" for names, kind in
             ((hot, "were hot spots" if len(hot) > 1 else "was a hot spot"),
              (cold, "were cold spots" if len(cold) > 1 else "was a cold spot")) if names]
    return [f"Before allowing for the number of wards tested ({how}), {'; '.join(found)} "
            "at 90% confidence or more; after it, not at any level. The Gi* maps show them in "
            "a paler colour, apart from the wards significant after the correction."]


def _top_not_hot(result: RunResult, bins: pd.Series) -> list[str]:
    """Why the ward with the most incidents need not be a hot spot."""
    wards = result.wards
    if "incidents" not in wards or wards.empty:
        return []
    top = wards.loc[wards["incidents"].astype(float).idxmax()]
    if bins.loc[top.name] >= 2:
        return []
    from wardmap.maps.style import gi_map_bins

    name = ward_label(top["ward_name"])
    if gi_map_bins(wards).loc[top.name] == 4:
        return [f"{name} had the most recorded incidents; it is a Gi* hot spot only before "
                "allowing for the number of wards tested."]
    return [f"{name} had the most recorded incidents but is not a Gi* hot spot: Gi* asks "
            "whether a ward and its neighbours together stand out, so a busy ward among "
            "quieter neighbours is not one."]


def _flags_to_name(result: RunResult, flagged: pd.DataFrame, style: Style,
                   top: int) -> tuple[pd.DataFrame, int]:
    """The flagged wards worth a sentence each (all of a few; else those among the top wards
    and in the leading focus area), and how many others there are."""
    if len(flagged) <= 3:
        return flagged, 0
    wanted = set(ranked(result.wards, style.public, style.threshold).head(top)["ward_code"])
    if result.focus is not None and len(result.focus) and "ward_codes" in result.focus:
        wanted |= set(str(result.focus["ward_codes"].iloc[0]).split(";"))
    named = flagged[flagged["ward_code"].isin(wanted)]
    return named, len(flagged) - len(named)


def _trend_paragraphs(result: RunResult) -> list[str]:
    paragraphs = []
    spc = result.summary.get("spc") or {}
    if spc.get("points"):
        paragraphs.append(_spc_sentence(spc))
    elif spc.get("reason"):
        paragraphs.append(f"No control chart: {spc['reason']}.")
    emerging = result.summary.get("emerging") or {}
    if emerging.get("available") and "emerging_pattern" in result.wards:
        found = result.wards[result.wards["emerging_pattern"] != "No pattern detected"]
        if len(found):
            groups = found.groupby("emerging_pattern")["ward_name"].apply(sorted)
            items = [f"{_plural(p.lower(), len(n))}: {join_words(list(n))}"
                     for p, n in groups.items()]
            paragraphs.append("Emerging hot spot analysis of the months of the period found " +
                              "; ".join(items) + ".")
        else:
            paragraphs.append("Emerging hot spot analysis found no ward with a hot or cold spot "
                              "pattern over the months of the period.")
    elif emerging.get("reason"):
        paragraphs.append(f"No emerging hot spot analysis: {emerging['reason']}.")
    return paragraphs


def _spc_sentence(spc: dict) -> str:
    what = "rate per 1,000 residents" if spc.get("chart") == "u" else "count"
    points = spc["points"]
    above = [month_label(p["period"]) for p in points if p["above_ucl"]]
    below = [month_label(p["period"]) for p in points if p["below_lcl"]]
    runs = [f"it stayed {side} the centre line for {len(months)} months in a row "
            f"({month_label(months[0])} to {month_label(months[-1])})"
            for side, months in _runs(points)]
    found = []
    if above:
        found.append(f"it was above its upper control limit in {join_words(above)}")
    if below:
        found.append(f"it was below its lower control limit in {join_words(below)}")
    found += runs
    if not found:
        return (f"The area's monthly {what} stayed within its control limits "
                f"({spc['label']}), with no run of 8 months on one side of the average: no "
                "sign of a change beyond normal variation.")
    return (f"On a control chart of the area's monthly {what} ({spc['label']}), "
            + "; ".join(found) + ".")


def _runs(points: list[dict]) -> list[tuple[str, list[str]]]:
    """(above/below, months) for each run of 8 or more that the chart flags."""
    runs: list[tuple[str, list[str]]] = []
    previous = None
    for p in points:
        side = "above" if p["value"] > p["centre"] else "below"
        if p["run"] and previous == side:
            runs[-1][1].append(p["period"])
        elif p["run"]:
            runs.append((side, [p["period"]]))
        previous = side if p["run"] else None
    return runs


def _plural(noun: str, n: int) -> str:
    if n > 1:
        return f"{noun}s"
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _wards_n(n: int) -> str:
    return f"{NUMBER_WORDS.get(n, n)} ward" + ("" if n == 1 else "s")


