"""The briefing's narrative: every number comes from the tables; wording follows significance."""

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tests.periods.lattice import lattice_result, months_between
from wardmap.brief.narrative import narrative
from wardmap.errors import WardmapError
from wardmap.periods import analyse_periods
from wardmap.stats.stage import run_tests

NAMES = ["High Street", "Park Wood", "Shepway North", "Fant", "Bridge", "Heath", "Allington",
         "Boxley", "Detling and Thurnham"]
TOP = re.compile(
    r"^(?P<name>.+) ward had the highest number of recorded .+?, with (?P<now>[\d,]+) "
    r"incidents \((?P<dir>up|down) (?P<pct>\d+)% from (?P<then>[\d,]+) in the same period "
    r"last year¹\): (?P<share>\d+)% of Gridshire's total\.$"
)
NAME = "(" + "|".join(map(re.escape, NAMES)) + ")"
NAMED_COUNT = re.compile(NAME + r" \((<5|[\d,]+)(?: incidents)?(?: each)?[,)]")


def borough(then: list[int], now: list[int], permutations: int = 99):
    """Nine named wards, 24 months; each period's total spread evenly over its months."""
    months = months_between("2016-01", 24)
    monthly = np.zeros((9, 24), dtype=int)
    for w in range(9):
        monthly[w, :12] = np.bincount(np.arange(then[w]) % 12, minlength=12)
        monthly[w, 12:] = np.bincount(np.arange(now[w]) % 12, minlength=12)
    result = lattice_result(monthly, months, months[12:], side=3, population=5000, names=NAMES)
    config = replace(result.config,
                     stats=replace(result.config.stats, permutations=permutations))
    tests = run_tests(result.wards, config.stats)
    result = replace(result, config=config, wards=tests.wards, weights=tests.weights,
                     moran=tests.moran, summary={**result.summary, **tests.summary,
                                                 "moran": tests.moran.as_dict()})
    return analyse_periods(result)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _paragraphs(result, **kwargs) -> dict[str, list[str]]:
    return {s.heading: s.paragraphs for s in narrative(result, **kwargs)}


def _notes(result, **kwargs) -> dict[str, list[str]]:
    return {s.heading: s.notes for s in narrative(result, **kwargs)}


THEN = [607, 300, 250, 120, 80, 60, 40, 30, 12]
NOW = [863, 310, 240, 130, 70, 65, 35, 20, 3]


def test_top_ward_sentence_numbers_equal_the_table() -> None:
    result = borough(THEN, NOW)
    text = _paragraphs(result)["Wards"][0]
    match = TOP.match(text)
    assert match, text
    row = result.wards.set_index("ward_name").loc[match["name"]]
    assert row["incidents"] == result.wards["incidents"].max()
    assert _number(match["now"]) == row["incidents"]
    assert _number(match["then"]) == row["incidents_prev"]
    assert int(match["pct"]) == round(abs(row["change_pct"]))
    assert match["dir"] == ("up" if row["change"] > 0 else "down")
    assert bool(row["change_sig"]) is True
    assert int(match["share"]) == round(100 * row["incidents"] / sum(NOW))
    note = _notes(result)["Wards"][0]
    assert note.startswith("¹ A statistically significant increase (exact test of two Poisson "
                           "counts, p ")


def test_top_five_and_bottom_three_lists_equal_the_table() -> None:
    result = borough(THEN, NOW)
    paragraphs = _paragraphs(result)["Wards"]
    by_name = result.wards.set_index("ward_name")["incidents"]
    top = NAMED_COUNT.findall(paragraphs[1])
    assert [n for n, _ in top] == list(by_name.sort_values(ascending=False).index[:5])
    shares = re.findall(r"\([\d,]+(?: incidents)?, (\d+)%", paragraphs[1])
    assert [int(x) for x in shares] == [round(100 * by_name[n] / sum(NOW)) for n, _ in top]
    assert all(_number(c) == by_name[n] for n, c in top)
    bottom = NAMED_COUNT.findall(paragraphs[2])
    assert [n for n, _ in bottom] == list(by_name.sort_values().index[:3])
    assert all(_number(c) == by_name[n] for n, c in bottom)


def test_overview_total_and_change_equal_the_summary() -> None:
    result = borough(THEN, NOW)
    text = _paragraphs(result)["Summary"][0]
    change = result.summary["change"]
    numbers = [_number(n) for n in re.findall(r"\d[\d,]*", text.split(" between ")[0])]
    assert change["incidents"] in numbers and change["incidents"] == sum(NOW)
    assert "between January and December 2017 (" in text
    after = text.split("December 2017 (")[1]
    pct, then = re.match(r"(?:up|down) (\d+)% from ([\d,]+)", after).groups()
    assert int(pct) == round(abs(change["change_pct"]))
    assert _number(then) == change["incidents_prev"] == sum(THEN)


def test_wording_follows_significance() -> None:
    flat = borough([607, *THEN[1:]], [640, *NOW[1:]])  # +5%: within chance
    text = _paragraphs(flat)["Wards"][0]
    assert bool(flat.wards.set_index("ward_name").loc["High Street", "change_sig"]) is False
    assert "(up 5% from 607 in the same period last year¹)" in text
    assert _notes(flat)["Wards"][0].startswith("¹ Not a statistically significant change: "
                                               "within what chance alone produces")
    down = borough([863, *THEN[1:]], [607, *NOW[1:]])
    text = _paragraphs(down)["Wards"][0]
    assert "(down 30% from 863 in the same period last year¹)" in text
    assert _notes(down)["Wards"][0].startswith("¹ A statistically significant reduction")


def test_change_paragraph_numbers_equal_the_table() -> None:
    result = borough(THEN, NOW)
    text = _paragraphs(result)["Change"][0]
    wards = result.wards.set_index("ward_name")
    items = re.findall(NAME + r" \(up ([\d,]+) or (\d+)%, from ([\d,]+) to ([\d,]+)", text)
    # Largest rises first; Fant and Park Wood tie on +10 and are listed by name.
    assert [i[0] for i in items] == ["High Street", "Fant", "Park Wood"]
    for name, by, pct, then, now in items:
        assert _number(by) == wards.loc[name, "change"]
        assert int(pct) == round(wards.loc[name, "change_pct"])
        assert (_number(then), _number(now)) == (wards.loc[name, "incidents_prev"],
                                                 wards.loc[name, "incidents"])


def test_public_narrative_suppresses_small_counts() -> None:
    result = borough(THEN, NOW)
    internal = " ".join(p for ps in _paragraphs(result).values() for p in ps)
    public = " ".join(p for ps in _paragraphs(result, public=True).values() for p in ps)
    assert "Detling and Thurnham (3)" in internal
    assert "Detling and Thurnham (<5)" in public
    assert "(3)" not in public


def test_no_comparison_is_said_plainly() -> None:
    months = months_between("2017-11", 2)
    result = analyse_periods(lattice_result(np.full((9, 2), 5), months, months, side=3))
    summary = _paragraphs(result)["Summary"]
    assert "no year-on-year comparison is made" in summary[1]
    assert "Change" not in _paragraphs(result)
    trends = _paragraphs(result)["Trends"]
    assert trends[0].startswith("No control chart: control charts need at least 12 months")
    assert "spc_note" not in result.wards.columns


def test_a_period_the_data_does_not_cover_is_a_clear_error() -> None:
    months = months_between("2017-11", 2)
    result = lattice_result(np.full((9, 2), 5), months, months, side=3)
    result.config.periods.period = "rolling12"
    with pytest.raises(WardmapError, match="not covered by the data"):
        analyse_periods(result)
    assert isinstance(result.wards, pd.DataFrame)


def test_public_tables_hide_small_counts_their_order_and_their_changes() -> None:
    from wardmap.brief.tables import briefing_tables

    # Boxley 4 and Detling and Thurnham 3 are suppressed; Allington (35) is not.
    result = borough(THEN, NOW[:7] + [4, 3])
    tables = {t.title: t.frame for t in briefing_tables(result, public=True).tables}
    ranked_rows = tables["Wards ranked by recorded incidents"].tail(2)
    assert ranked_rows["Ward"].tolist() == ["Boxley", "Detling and Thurnham"]  # by name
    assert ranked_rows["Incidents"].tolist() == ["<5", "<5"]
    assert ranked_rows["Rank"].tolist() == ["", ""]
    change = tables["Change on the same period last year"].set_index("Ward")
    for name in ("Boxley", "Detling and Thurnham"):
        assert change.loc[name, "Change"] == "" and change.loc[name, "% change"] == ""
    assert change.loc["Allington", "Change"] == "-5"
    internal = {t.title: t.frame for t in briefing_tables(result).tables}
    assert internal["Wards ranked by recorded incidents"]["Incidents"].iloc[-1] == "3"


def test_focus_areas_appear_when_present() -> None:
    from wardmap.brief.tables import briefing_tables
    from wardmap.select.focus import find_focus_areas

    result = borough(THEN, NOW)
    result = replace(result, focus=find_focus_areas(result, replace(result.config.focus,
                                                                      size=2)))
    text = _paragraphs(result)["Focus areas"][0]
    assert result.focus["reason"].iloc[0] in text
    tables = {t.title: t.frame for t in briefing_tables(result).tables}
    focus = tables["Candidate task-force focus areas"]
    assert focus["Rank"].iloc[0] == "1"
    assert "High Street" in focus["Wards"].iloc[0]


def test_crimes_for_police_recorded_crime_incidents_for_asb_and_other_data() -> None:
    from wardmap.brief.narrative import units

    result = borough(THEN, NOW)
    assert units(result)[0] == "incidents"  # no police.uk input named: not police-recorded
    police = [{"role": "incidents", "format": "police.uk", "path": "a.csv"}]
    result = replace(result, inputs=police,
                     meta=replace(result.meta, crime_types_label="violent crime"))
    assert units(result) == ("crimes", "violent crimes")
    asb = result.records.assign(crime_type="Anti-social behaviour")
    result = replace(result, records=asb, meta=replace(result.meta, crime_types_label="asb"))
    assert units(result)[0] == "incidents"
    result = replace(result, meta=replace(result.meta, crime_types_label="All crime types"))
    assert units(result) == ("incidents", "incidents of crime and anti-social behaviour")


def test_a_clustering_result_near_the_threshold_is_not_stated_as_firm() -> None:
    from wardmap.brief.narrative import moran_stability

    near = {"I": 0.2, "p_sim": 0.045, "p_norm": 0.04, "permutations": 999}
    assert "could change with another random simulation" in moran_stability(near, 0.05)
    # Within two Monte Carlo standard errors (99 permutations: about 0.03 at p = 0.03).
    rough = {"I": 0.2, "p_sim": 0.03, "p_norm": 0.02, "permutations": 99}
    assert moran_stability(rough, 0.05)
    split = {"I": 0.2, "p_sim": 0.009, "p_norm": 0.088, "permutations": 999}
    assert moran_stability(split, 0.05) == "the two standard ways of testing it disagree"
    firm = {"I": 0.4, "p_sim": 0.001, "p_norm": 0.0005, "permutations": 999}
    assert moran_stability(firm, 0.05) == ""
    from wardmap.result import Moran

    result = replace(borough(THEN, NOW), moran=Moran.from_values(near))
    text = " ".join(_paragraphs(result)["Hot spots"])
    assert "the evidence is not firm" in text and "permutation" not in text


def test_counts_not_rates_said_without_population() -> None:
    result = borough(THEN, NOW)
    assert not any("counts, not rates" in p for p in _paragraphs(result)["Summary"])
    result.wards["population"] = np.nan
    assert any(p.startswith("The figures are counts, not rates: no population was given")
               for p in _paragraphs(result)["Summary"])
    result.wards.loc[0, "population"] = 5000.0
    assert any("No population was available for" in p for p in _paragraphs(result)["Summary"])
