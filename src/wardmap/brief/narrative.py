"""Sentences for the briefing, in the register of a Strategic Assessment, from the ward table.

Every number in the text is read from the run's tables (the ward table and summary) and
formatted by the same functions as the briefing's tables, so a reader can find each figure in
a table. With ``public`` the small-number rules of wardmap.disclosure apply to the text too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wardmap.disclosure import format_count, is_small
from wardmap.periods.presets import month_label
from wardmap.result import Moran, RunResult
from wardmap.secondary import SECONDARY, SECONDARY_LABEL, Published, published
from wardmap.vocabulary import join_words, p_phrase

NUMBER_WORDS = {0: "no", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                8: "eight", 9: "nine", 10: "ten"}
GI_HOT_LABELS = {3: "99%", 2: "95%", 1: "90%"}


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "¹ ..." under the section, small


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

    def withheld(self, row: object, *columns: str) -> bool:
        """True when a ward's count (``incidents`` by default) is withheld in public outputs,
        as too small or so that a small one cannot be worked out (wardmap.secondary)."""
        if not self.public:
            return False
        for column in columns or ("incidents",):
            status = _field(row, PUBLISHED[column])
            if status is None:
                status = int(bool(is_small([_field(row, column)], self.threshold)[0]))
            if status:
                return True
        return False

    def ward_count(self, row: object, column: str = "incidents") -> str:
        """A ward's count as published: "61", "<5", or "[c]" when withheld to protect
        another."""
        if self.public and _field(row, PUBLISHED[column]) == SECONDARY:
            return SECONDARY_LABEL
        return self.count(_field(row, column))


# Columns added to a public run's ward table: each count's published status (wardmap.secondary).
PUBLISHED = {"incidents": "published_incidents", "incidents_prev": "published_incidents_prev"}


def _field(row: object, name: str) -> object:
    if isinstance(row, pd.Series):
        return row.get(name)
    return getattr(row, name, None)


def with_published(result: RunResult, threshold: int, pattern: Published | None = None
                   ) -> RunResult:
    """The run with each count's published status on its ward table (public outputs)."""
    if "incidents" not in result.wards or PUBLISHED["incidents"] in result.wards:
        return result
    pattern = pattern or published(result.wards, threshold)
    wards = result.wards.assign(**{PUBLISHED["incidents"]: pattern.now})
    if pattern.prev is not None:
        wards[PUBLISHED["incidents_prev"]] = pattern.prev
    return dataclasses.replace(result, wards=wards)


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


def units(result: RunResult) -> tuple[str, str]:
    """(noun, phrase): ("crimes", "violent crimes") for police-recorded crime, ("incidents",
    "incidents of anti-social behaviour") for ASB, mixed or non-police data, as analysts
    write them: ASB is not a crime, and a partner's records are not police-recorded crime."""
    label = subject(result)
    records = result.records
    police = bool(result.inputs) and all(i.get("format") == "police.uk" for i in result.inputs
                                         if i.get("role") == "incidents")
    asb = "anti-social" in label.lower()
    if records is not None and "type_match" in records and "crime_type" in records:
        chosen = records.loc[records["type_match"].fillna(False).astype(bool), "crime_type"]
        asb = asb or chosen.astype(str).str.lower().str.contains("anti-social").any()
    if police and not asb and records is not None:
        if label in ("crime", "crime and anti-social behaviour"):
            return "crimes", "crimes"
        return "crimes", f"{label}s" if label.endswith("crime") else f"{label} crimes"
    return "incidents", f"incidents of {label}"


def narrative(result: RunResult, top: int = 5, bottom: int = 3, public: bool = False,
              threshold: int = 4, pattern: Published | None = None) -> list[Section]:
    """The briefing's findings in plain English: overview, wards, change, hot spots, trends.

    The statistics behind them (test names, p values, corrections) are in
    ``methods_appendix``; a change's test is in a note under its section.
    """
    style = Style(public, threshold)
    if public:
        result = with_published(result, threshold, pattern)
    wards = result.wards
    overview = _overview(result, style)
    overview.paragraphs.extend(_population_paragraphs(result))
    sections = [overview]
    if "incidents" in wards:
        sections.append(_wards_section(result, top, bottom, style))
        places = _place_paragraphs(result, style, top)
        if places:
            sections.append(Section("Places", places))
        if "change_pct" in wards:
            sections.append(Section("Change", _change_paragraphs(result, style)))
    sections.append(Section("Hot spots", _hot_spot_paragraphs(result, style)))
    trends = _trend_paragraphs(result)
    if trends:
        sections.append(Section("Trends", trends))
    if result.evaluation is not None:
        from wardmap.evaluate import evaluation_text

        sections.append(Section("Task-force evaluation", [
            evaluation_text(result.evaluation, public, threshold)]))
    if "district" in wards:
        from wardmap.peers import position_text

        text = position_text(wards, result.config.inputs.per, public, threshold)
        if text:
            sections.append(Section("Position against peers", [text]))
    if result.focus is not None and len(result.focus) and "reason" in result.focus:
        best = result.focus.iloc[0]
        sections.append(Section("Focus areas", [
            f"The strongest candidate for a task-force focus area is {best['reason']} (the "
            "candidates are ranked in the table of focus areas and outlined on its map)."]))
    if result.clusters is not None and len(result.clusters):
        sections.append(Section("Ward clusters", [_clusters_sentence(result.clusters)]))
    return sections


def _clusters_sentence(clusters: pd.DataFrame) -> str:
    """ "The 26 wards fall into 9 clusters of similar neighbouring wards (at most 4 each)..."."""
    facts = clusters.attrs
    n = int(facts.get("n_clusters", clusters["cluster"].nunique()))
    variables = join_words([str(v) for v in facts.get("variables", [])])
    text = (f"Grouped by how alike they are{' on ' + variables if variables else ''}, the "
            f"{len(clusters)} wards fall into {n} clusters of neighbouring wards of at most "
            f"{facts.get('max_size', clusters['cluster_size'].max())} wards each (listed in "
            "the table of ward clusters).")
    share = facts.get("within_share")
    if share is not None:
        text += (f" {share:.0%} of the differences between wards lie within clusters, the rest "
                 "between them: the lower this share, the more alike each cluster's wards.")
    return text


def period_words(months: list[str], label: str = "") -> str:
    """ "between November and December 2017", "in March 2018", or "in <label>"."""
    if months:
        first, last = month_label(months[0]), month_label(months[-1])
        if first == last:
            return f"in {first}"
        if first.split()[-1] == last.split()[-1]:
            first = first.split()[0]
        return f"between {first} and {last}"
    return f"in {label}" if label else ""


def _overview(result: RunResult, style: Style) -> Section:
    summary = result.summary
    change = summary.get("change") or {}
    area = result.meta.area_name
    total = summary.get("incidents")
    section = Section("Summary")
    if total is None:
        section.paragraphs.append(
            f"This briefing covers the {summary.get('wards', len(result.wards))} wards of {area}.")
        return section
    _, phrase = units(result)
    when = period_words(change.get("current_months") or [], result.meta.period_label)
    text = f"In {area}, {total:,} {phrase} were recorded {when}".rstrip()
    if change.get("available"):
        pct = change["change_pct"] if change["change_pct"] is not None else np.nan
        text += _change_parenthesis(section, change["incidents"], change["incidents_prev"], pct,
                                    bool(change["sig"]), change.get("p"), style,
                                    *comparison_words(change))
    rate = summary.get("rate_per_1000")
    if rate is not None and np.isfinite(rate):
        text += f", {rate:.1f} per 1,000 residents"
    section.paragraphs.append(text + ".")
    if not change.get("available") and change.get("reason"):
        section.paragraphs.append(change["reason"])
    if change.get("missing_label"):
        section.paragraphs.append(f"The data holds no records for {change['missing_label']}: "
                                  "those months are missing from the data, not counted as zero.")
    return section


def _change_parenthesis(section: Section, now: float, then: float, pct: float, sig: bool,
                        p: float | None, style: Style, since: str, per_month: bool) -> str:
    """ " (up 42% from 607 in the same period last year¹)", the test in note ¹ below."""
    clause = change_clause(now, then, pct, sig, style, since, per_month)
    if not clause:
        return ""
    plain = clause.removeprefix(", ").split(" (")[0]
    if then == 0 or now == then:
        return f" ({plain})"
    mark = NOTE_MARKS[len(section.notes) % len(NOTE_MARKS)]
    verdict = ("a statistically significant " + ("increase" if pct > 0 else "reduction")
               if sig else "not a statistically significant change: within what chance "
               "alone produces")
    test = "exact test of two Poisson counts" + (", on monthly rates" if per_month else "")
    section.notes.append(f"{mark} {verdict[0].upper()}{verdict[1:]} ({test}, "
                         f"{p_phrase(p)}).")
    return f" ({plain}{mark})"


NOTE_MARKS = ["¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]


def ranked(wards: pd.DataFrame, public: bool = False, threshold: int = 4,
           ascending: bool = False) -> pd.DataFrame:
    """Wards from the most incidents to the fewest (ties by name, so the order is stable).

    With ``public``, suppressed counts rank as equal, so the order does not reveal them.
    """
    key = wards["incidents"].astype(float)
    if public:
        key = key.mask(withheld_wards(wards, threshold), float(threshold))
    order = wards.assign(_key=key).sort_values(["_key", "ward_name"],
                                               ascending=[ascending, True], kind="stable")
    return order.drop(columns="_key")


def withheld_wards(wards: pd.DataFrame, threshold: int, column: str = "incidents") -> np.ndarray:
    """Public outputs: the wards whose count is withheld (small, or protecting a small one)."""
    status = PUBLISHED[column]
    if status in wards:
        return wards[status].fillna(0).to_numpy() != 0
    return is_small(wards[column], threshold)


def _cut(order: pd.DataFrame, n: int, style: Style) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``n`` wards of a ranking, and the wards left out though tied with the last of
    them (naming only some of a tie would be arbitrary, so the text names them too). A
    suppressed tie that the cut splits is left out whole, as suppressed wards are not ranked
    against each other."""
    if n <= 0 or order.empty:
        return order.head(0), order.head(0)
    key = order["incidents"].astype(float)
    small = withheld_wards(order, style.threshold) if style.public else \
        np.zeros(len(order), dtype=bool)
    key = key.mask(small, float(style.threshold)).to_numpy()
    head = order.head(n)
    if len(order) > n and key[n] == key[n - 1]:
        if small[n - 1]:
            return head[~small[:n]], order.head(0)
        last = int(np.flatnonzero(key == key[n - 1]).max())
        return head, order.iloc[n: last + 1]
    return head, order.head(0)


def _groups(rows: pd.DataFrame, style: Style) -> list[pd.DataFrame]:
    """Consecutive wards of a ranking with the same count shown, one group each."""
    shown = [style.ward_count(r) for _, r in rows.iterrows()]
    starts = [i for i in range(len(shown)) if i == 0 or shown[i] != shown[i - 1]]
    return [rows.iloc[a:b] for a, b in zip(starts, [*starts[1:], len(rows)], strict=True)]


def _share(n: float, total: float) -> str:
    """Share of the area's total in whole per cent ("<1%" rather than "0%" for a few)."""
    if not total:
        return ""
    share = 100 * float(n) / float(total)
    return "<1%" if 0 < share < 0.5 else f"{share:.0f}%"


def _group_text(group: pd.DataFrame, result: RunResult, style: Style, first: bool) -> str:
    """ "High Street (278 crimes, 25%)" or "East and North (61 each, 5% each)"; with
    populations the rate per 1,000 too."""
    noun, _ = units(result)
    n = group["incidents"].iloc[0]
    tie = len(group) > 1
    names = _join_names(list(group["ward_name"].astype(str)))
    count = style.ward_count(group.iloc[0])
    if style.withheld(group.iloc[0]):
        return f"{names} ({count}{' each' if tie else ''})"
    total = result.summary.get("incidents") or result.wards["incidents"].sum()
    each = " each" if tie else ""
    # The units are named once, on the first item; the leading sentence has given the area's
    # total and rate to compare with.
    parts = [f"{count} {noun}{each}" if first else f"{count}{each}",
             f"{_share(n, total)}{each}"]
    rates = group["rate_per_1000"] if "rate_per_1000" in group else pd.Series(dtype=float)
    if rates.notna().all() and len(rates) and not style.withheld(group.iloc[0]):
        values = join_words([f"{r:.1f}" for r in rates])
        parts.append(f"{values} per 1,000" if first else values)
    return f"{names} ({', '.join(parts)})"


def _join_names(names: list[str]) -> str:
    """Ward names joined with "and"; with a serial comma when a name has "and" in it."""
    if len(names) >= 2 and any(" and " in n for n in names):
        return ", ".join(names[:-1]) + ", and " + names[-1]
    return join_words(names)


def _wards_section(result: RunResult, top: int, bottom: int, style: Style) -> Section:
    section = Section("Wards")
    _, phrase = units(result)
    order = ranked(result.wards, style.public, style.threshold)
    first_one, level = _cut(order, 1, style)
    leaders = pd.concat([first_one, level])
    if leaders.empty:  # the highest count is suppressed, and so is every other
        section.paragraphs.append(f"No ward had more than {style.threshold} recorded {phrase}.")
        return section
    section.paragraphs.append(_leader_sentence(section, leaders, result, style))
    head, tied = _cut(order, top, style)
    listed = pd.concat([head, tied])
    if len(listed) > len(leaders):
        items = [_group_text(g, result, style, i == 0) for i, g in
                 enumerate(_groups(listed, style))]
        total = result.summary.get("incidents") or result.wards["incidents"].sum()
        together = listed["incidents"].sum()
        text = (f"The {NUMBER_WORDS.get(len(listed), len(listed))} wards with the most recorded "
                f"{phrase} were {_join_groups(items)}.")
        if not any(style.withheld(r) for _, r in listed.iterrows()):
            text += (f" Together they accounted for {_share(together, total)} of "
                     f"{result.meta.area_name}'s {phrase}.")
        section.paragraphs.append(text)
    rest = order.drop(index=listed.index)
    if PUBLISHED["incidents"] in rest:
        # A count withheld to protect a small one is not small: naming it among the fewest
        # would mislead, and place it.
        rest = rest[rest[PUBLISHED["incidents"]] != SECONDARY]
    tail, tied = _cut(ranked(rest, style.public, style.threshold, ascending=True), bottom, style)
    fewest = pd.concat([tail, tied])
    if len(fewest):
        items = [f"{_join_names(list(g['ward_name'].astype(str)))} "
                 f"({style.ward_count(g.iloc[0])}"
                 f"{' each' if len(g) > 1 and not style.withheld(g.iloc[0]) else ''})"
                 for g in _groups(fewest, style)]
        section.paragraphs.append(f"The fewest were recorded in {_join_groups(items)}.")
    not_hot = _not_hot_text(leaders, result, phrase)
    if not_hot:
        section.paragraphs.append(not_hot)
    return section


def _join_groups(items: list[str]) -> str:
    """Groups of wards: "; " between them when a name holds "and" or ",", else commas."""
    if any(" and " in i.split(" (")[0] for i in items):
        return "; ".join(items[:-1]) + ("; and " if len(items) > 1 else "") + items[-1]
    return join_words(items)


def _leader_sentence(section: Section, leaders: pd.DataFrame, result: RunResult,
                     style: Style) -> str:
    """The model sentence: "High Street ward had the highest number of recorded violent crimes,
    with 863 crimes (up 42% from 607 in the same period last year¹): 25% of Maidstone's
    total"."""
    noun, phrase = units(result)
    first = leaders.iloc[0]
    n = first["incidents"]
    if len(leaders) > 1:
        names = _join_names(list(leaders["ward_name"].astype(str)))
        text = (f"{names} wards had the highest number of recorded {phrase}, with "
                f"{style.ward_count(first)} {noun} each")
    else:
        text = (f"{ward_label(first['ward_name'])} had the highest number of recorded "
                f"{phrase}, with {style.ward_count(first)} {noun}")
        if "change_pct" in leaders and not style.withheld(first, "incidents", "incidents_prev"):
            change = result.summary.get("change") or {}
            text += _change_parenthesis(section, n, first["incidents_prev"],
                                        first["change_pct"], bool(first["change_sig"]),
                                        first.get("change_p"), style,
                                        *comparison_words(change))
    if style.withheld(first):
        return text + "."
    total = result.summary.get("incidents") or result.wards["incidents"].sum()
    each = " each" if len(leaders) > 1 else ""
    text += f": {_share(n, total)}{each} of {result.meta.area_name}'s total"
    area_rate = result.summary.get("rate_per_1000")
    rates = leaders["rate_per_1000"] if "rate_per_1000" in leaders else pd.Series(dtype=float)
    if len(rates) and rates.notna().all() and area_rate is not None:
        text += (f", {join_words([f'{r:.1f}' for r in rates])} per 1,000 residents against "
                 f"{area_rate:.1f} across {result.meta.area_name}")
    return text + "."


def _not_hot_text(leaders: pd.DataFrame, result: RunResult, phrase: str) -> str:
    """Why the busiest ward is not a hot spot, when it is not: the hot spot analysis looks at a
    ward together with its neighbours."""
    if "gi_bin" not in leaders:
        return ""
    bins = pd.to_numeric(leaders["gi_bin"], errors="coerce").fillna(0)
    cold = leaders[bins <= 0]
    if cold.empty:
        return ""
    names = _join_names([str(n) for n in cold["ward_name"]])
    verb = "is" if len(cold) == 1 else "are"
    text = (f"{names} {verb} not a hot spot even so: the hot spot analysis asks whether a "
            "ward and its neighbours together have more than chance would give")
    lower = _neighbours_lower(cold, result)
    if lower is True:
        text += (f", and the wards around {names} had fewer recorded {phrase} than the "
                 "average ward, so its high count stands alone rather than forming part of a "
                 "wider area of high numbers")
    elif lower is False:
        text += (", and although its neighbours also had more than the average ward, the "
                 "difference was not large enough to rule out chance")
    return text + "."


def _neighbours_lower(rows: pd.DataFrame, result: RunResult) -> bool | None:
    """True when the neighbours of ``rows`` average fewer incidents than the wards overall."""
    weights = result.weights
    neighbours = getattr(weights, "neighbors", None)
    if neighbours is None or len(neighbours) != len(result.wards):
        return None
    counts = result.wards["incidents"].astype(float).to_numpy()
    positions = [result.wards.index.get_loc(i) for i in rows.index]
    around = np.concatenate([np.asarray(neighbours[p], dtype=int) for p in positions])
    around = np.setdiff1d(around, positions)
    if around.size == 0:
        return None
    return bool(counts[around].mean() < counts.mean())


def _change_paragraphs(result: RunResult, style: Style) -> list[str]:
    wards = result.wards
    change = result.summary.get("change", {})
    _, per_month = comparison_words(change)
    shown = wards[~wards.apply(lambda r: style.withheld(r, "incidents", "incidents_prev"),
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
    # Counted over the wards whose change is shown: a suppressed ward is in neither count.
    sig = shown["change_sig"].fillna(False).astype(bool)
    up, down = int((sig & (shown["_excess"] > 0)).sum()), int((sig & (shown["_excess"] < 0)).sum())
    left_out = len(wards) - len(shown)
    among = (f" (of the {len(shown)} wards whose change can be published)" if left_out
             else "")
    if up or down:
        paragraphs.append(
            f"Allowing for the number of wards compared, {_wards_n(up)}{among} had a "
            f"statistically significant increase and {_wards_n(down)} a statistically "
            "significant reduction."
        )
    else:
        paragraphs.append(
            f"Allowing for the number of wards compared, no ward's change{among} was "
            "statistically significant: the differences are within what chance alone produces."
        )
    return paragraphs


def _rise_text(row: pd.Series, style: Style, per_month: bool = False) -> str:
    change = row["change"]
    # Both counts are shown (not suppressed) here, so their difference may be too.
    by = f"{'up' if change > 0 else 'down'} {int(abs(change)):,}"
    if row["incidents_prev"] == 0:
        return f"{row['ward_name']} ({by}, from none to {style.count(row['incidents'])})"
    sig = "significant" if row["change_sig"] else "within chance"
    if per_month:  # counts of periods of different lengths: only the rate change is meaningful
        by = f"{'up' if row['change_pct'] > 0 else 'down'} {pct_text(row['change_pct'])} in " \
             "monthly rate"
        return (f"{row['ward_name']} ({by}, from {style.count(row['incidents_prev'])} to "
                f"{style.count(row['incidents'])}; {sig})")
    return (f"{row['ward_name']} ({by} or {pct_text(row['change_pct'])}, from "
            f"{style.count(row['incidents_prev'])} to {style.count(row['incidents'])}; {sig})")


def run_moran(result: RunResult) -> Moran:
    """The run's global Moran's I (from summary.json's values for a run read back)."""
    return result.moran or Moran.from_values(result.summary.get("moran") or {})


def moran_stability(moran: Moran, alpha: float) -> str:
    """Why the area-wide clustering result is not firm, or "" when it is.

    Unstable: a permutation p within 0.01 of alpha; or within two Monte Carlo standard
    errors of it (another random seed could carry it across); or a permutation p and the
    normal approximation's p on different sides of alpha.
    """
    if isinstance(moran, dict):
        moran = Moran.from_values(moran)
    p_sim, p_norm = moran.p_sim, moran.p_norm
    if p_sim is not None:
        permutations = moran.permutations or 0
        error = np.sqrt(p_sim * (1 - p_sim) / (permutations + 1)) if permutations else 0.0
        if abs(p_sim - alpha) <= max(0.01, 2 * error):
            return ("the result sits close to the threshold and could change with another "
                    "random simulation")
        if p_norm is not None and (p_sim < alpha) != (p_norm < alpha):
            return "the two standard ways of testing it disagree"
    return ""


def _hot_spot_paragraphs(result: RunResult, style: Style) -> list[str]:
    wards = result.wards
    label = result.meta.measure_label
    _, phrase = units(result) if "incidents" in wards else ("", label[:1].lower() + label[1:])
    paragraphs = []
    alpha = result.config.stats.alpha
    moran = run_moran(result)
    if moran.I is not None:
        clustered = moran.clustered(alpha)
        shaky = moran_stability(moran, alpha)
        area = result.meta.area_name
        if clustered and not shaky:
            text = (f"Wards with high numbers of {phrase} tend to sit next to each other: the "
                    f"pattern across {area} is clustered rather than random.")
        elif clustered:
            text = (f"There are signs that wards with high numbers of {phrase} sit next to "
                    f"each other, but the evidence is not firm: {shaky}. Treat this as a "
                    "pattern to watch rather than a finding to act on.")
        elif shaky:
            text = (f"Across {area}, wards with high numbers are not clearly grouped together, "
                    f"but this is borderline: {shaky}.")
        else:
            text = (f"Across {area}, wards with high numbers are not grouped together: the "
                    "pattern is no different from a random spread.")
        paragraphs.append(text)
    if "gi_bin" in wards:
        paragraphs += _gi_sentences(wards, phrase)
        paragraphs += _before_correction(result)
    if "lisa_label" in wards:
        paragraphs.append(_lisa_sentence(wards))
    from wardmap.hotspot_change import hot_spot_change_paragraphs

    paragraphs += hot_spot_change_paragraphs(result)
    if not paragraphs:
        paragraphs.append("No spatial statistics were computed for this run.")
    return paragraphs


def _gi_sentences(wards: pd.DataFrame, phrase: str) -> list[str]:
    bins = pd.to_numeric(wards["gi_bin"], errors="coerce").fillna(0)
    out = []
    for side, sign, more in (("hot", 1, "more"), ("cold", -1, "fewer")):
        strong = wards[bins * sign >= 2].assign(_b=(bins * sign)[bins * sign >= 2]) \
            .sort_values(["_b", "ward_name"], ascending=[False, True])
        weak = sorted(wards.loc[bins * sign == 1, "ward_name"].astype(str))
        spot = f"{side} spot"
        if len(strong):
            names = join_words([f"{n} ({GI_HOT_LABELS[int(b)]} confidence)" for n, b in
                           zip(strong["ward_name"], strong["_b"], strict=True)])
            one = len(strong) == 1
            what = (f"one {spot}, a ward that with its neighbours had" if one else
                    f"{NUMBER_WORDS.get(len(strong), len(strong))} {spot}s, wards that with "
                    "their neighbours had")
            out.append(f"The hot spot analysis found {what} {more} {phrase} than chance would "
                       f"produce: {names}.")
        elif side == "hot":
            out.append("No ward is a hot spot with 95% confidence or more.")
        if weak:
            verb = "is a" if len(weak) == 1 else "are"
            plural = "" if len(weak) == 1 else "s"
            out.append(f"{_join_names(weak)} {verb} {spot}{plural} at 90% confidence only: "
                       "weaker evidence, shown in the tables and maps, that should not be "
                       "relied on alone.")
    return out


def _lisa_sentence(wards: pd.DataFrame) -> str:
    labels = wards["lisa_label"].astype(str)
    kinds = {
        "High-High": "a cluster of high values (wards with high numbers whose neighbours also "
                     "have high numbers)",
        "Low-Low": "a cluster of low values",
        "High-Low": "a high value among low neighbours",
        "Low-High": "a low value among high neighbours",
    }
    found = []
    for label, words in kinds.items():
        names = sorted(wards.loc[labels == label, "ward_name"].astype(str))
        if names:
            found.append(f"{_join_names(names)} {'is' if len(names) == 1 else 'are'} {words}")
    if found:
        return "The cluster map shows that " + "; ".join(found) + "."
    if (labels == "Not tested").any():
        return "Local clusters were not tested: the run used no permutations."
    return (f"The cluster map shows no ward in a cluster or standing out from its neighbours: "
            f"no ward's pattern with its neighbours was strong enough to rule out chance, once "
            f"allowance is made for testing {len(wards)} wards at once.")


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
            f"recorded {units(result)[0]} for that alone."]


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
            f"{style.count(row['incidents'])} {units(result)[1]} were recorded at "
            f"one map point, {row['location']} ({row['share']:.0%}): {flag_meaning(row)}.")
    if others:
        many = others > 1
        paragraphs.append(f"{str(NUMBER_WORDS.get(others, others)).capitalize()} more "
                          f"ward{'s' if many else ''} also rest{'' if many else 's'} on one "
                          "map point (wards.csv, location_flag).")
    if paragraphs:
        paragraphs[-1] += (" Each record is published at an anonymised police.uk map point; "
                           "locations.csv lists every point.")
    noun = units(result)[0]
    spread = found.concentration
    if spread.points >= 20:
        paragraphs.append(
            f"{noun.capitalize()} are concentrated on few places: the busiest 5% of the "
            f"{spread.points:,} map points with a record hold {spread.top5_share:.0%} of the "
            f"{noun} and the busiest 10% hold {spread.top10_share:.0%} (Gini coefficient "
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
            paragraphs.append(f"Of {ward_label(leader['ward_name'])}'s {noun}, "
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
    found = [f"{join_words(names)} {kind}" for names, kind in
             ((hot, "were hot spots" if len(hot) > 1 else "was a hot spot"),
              (cold, "were cold spots" if len(cold) > 1 else "was a cold spot")) if names]
    return [f"Before allowing for the number of wards tested, {'; '.join(found)} at 90% "
            "confidence or more; after it, not at any level. The hot spot maps show them in a "
            "paler colour, apart from the wards that remain significant."]


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
