"""The briefing's tables and hot spot sentences: titles, public order, singular wording."""

from dataclasses import replace

from tests.brief.test_brief_narrative import NOW, THEN, borough
from wardmap.brief.narrative import narrative
from wardmap.brief.tables import briefing_tables, signed_pct

RANKED = "Wards ranked by recorded incidents"
CHANGE = "Change on the same period last year"


def _tables(result, **kwargs) -> dict:
    return {t.title: t.frame for t in briefing_tables(result, **kwargs).tables}


def test_ranked_table_title_names_its_order_not_the_measure_tested() -> None:
    # The table is ordered by incidents whatever measure the statistics used.
    result = borough(THEN, NOW)
    result = replace(result, meta=replace(
        result.meta, measure_label="Smoothed rate per 1,000 residents (empirical Bayes)"))
    assert RANKED in _tables(result)


def test_public_change_table_does_not_order_suppressed_changes() -> None:
    # Boxley (4 now, 30 then: -26) and Detling and Thurnham (3 now, 12 then: -9) are both
    # suppressed; ordering them by their hidden change would reveal which fell more.
    result = borough(THEN[:7] + [30, 12], NOW[:7] + [4, 3])
    frame = _tables(result, public=True)[CHANGE]
    wards = frame["Ward"].tolist()
    assert wards[-3:] == ["Boxley", "Detling and Thurnham", "All wards"]
    internal = _tables(result)[CHANGE]["Ward"].tolist()
    assert internal.index("Detling and Thurnham") < internal.index("Boxley")


def test_public_ranked_table_keeps_rates_of_wards_shown() -> None:
    # Boxley: 40 incidents now (shown), 3 a year earlier (suppressed). Its rate per 1,000 is
    # worked out from the 40 alone; only its change depends on the suppressed 3.
    result = borough(THEN[:7] + [3, 12], NOW[:7] + [40, 3])
    result.wards["rate_per_1000"] = result.wards["incidents"] / 5.0
    row = _tables(result, public=True)[RANKED].set_index("Ward").loc["Boxley"]
    assert row["Incidents"] == "40"
    assert row["Rate per 1,000"] == "8.0"
    assert row["Change"] == ""
    detling = _tables(result, public=True)[RANKED].set_index("Ward").loc["Detling and Thurnham"]
    assert detling["Rate per 1,000"] == ""


def test_one_hot_spot_and_one_cold_spot_are_singular() -> None:
    result = borough(THEN, NOW)
    result.wards["gi_bin"] = [3, 0, 0, 0, 0, 0, 0, 0, -2]
    hot = {s.heading: s.paragraphs for s in narrative(result)}["Hot spots"]
    text = " ".join(hot)
    assert "found one ward to be a hot spot at 95% confidence or more: High Street (99%)." in text
    assert "One ward was a cold spot at 95% confidence or more: Detling and Thurnham." in text


def test_signed_percent_has_no_sign_when_it_rounds_to_zero() -> None:
    assert signed_pct(-0.3) == "0%"
    assert signed_pct(0.4) == "0%"
    assert signed_pct(-0.6) == "-1%"
    assert signed_pct(12.0) == "+12%"


def test_a_named_comparison_period_is_named_and_compared_per_month() -> None:
    from wardmap.periods import analyse_periods

    result = borough(THEN, NOW)
    result.config.periods.compare = "2016-01:2016-03"  # a quarter of the 2016 totals
    result.summary.pop("change", None)
    result = analyse_periods(result)
    text = " ".join(p for s in narrative(result) for p in s.paragraphs)
    assert "same period last year" not in text
    # High Street: 863 in 12 months against 607 / 4 = 151.75 in 3 months (152 recorded).
    row = result.wards.set_index("ward_name").loc["High Street"]
    pct = round(100 * (863 - row["incidents_prev"] * 4) / (row["incidents_prev"] * 4))
    assert (f"up {pct}% in monthly rate from {row['incidents_prev']} in January 2016 to "
            "March 2016") in text
    assert "Change on January 2016 to March 2016" in _tables(result)


def _wards_text(result, **kwargs) -> list[str]:
    return {s.heading: s.paragraphs for s in narrative(result, **kwargs)}["Wards"]


def test_wards_tied_for_the_most_are_all_named() -> None:
    result = borough(THEN, [310, 310, *NOW[2:]])
    first = _wards_text(result)[0]
    assert first.startswith("High Street and Park Wood wards had the highest level of recorded")
    assert first.endswith("with 310 incidents each.")


def test_a_list_does_not_cut_through_a_tie() -> None:
    # Bridge and Heath tie on 70 for fifth place: naming only one would be arbitrary.
    result = borough(THEN, [863, 310, 240, 130, 70, 70, 35, 20, 3])
    top = _wards_text(result)[1]
    assert top.startswith("The five wards with the most recorded incidents were")
    assert top.endswith("Bridge (70). Heath also had 70 incidents, as many as Bridge.")


def test_public_list_does_not_pick_some_suppressed_wards_by_name() -> None:
    result = borough(THEN, [863, 310, 240, 130, 70, 65, 4, 3, 2])
    text = " ".join(_wards_text(result, bottom=2, public=True))
    assert "Allington" not in text and "Boxley" not in text
    assert "The fewest were recorded in" not in text
    everyone_small = borough(THEN, NOW)
    everyone_small.wards["incidents"] = [4, 3, 2, 1, 0, 0, 4, 3, 2]
    first = _wards_text(everyone_small, public=True)[0]
    assert first == ("No ward had more than 4 recorded incidents of crime and "
                     "anti-social behaviour.")
