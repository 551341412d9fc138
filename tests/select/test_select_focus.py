"""Focus areas on the demo borough, checked against brute force with independent tools
(libpysal queen contiguity, scipy z-scores and ranks, shapely intersections)."""

import dataclasses
import itertools
import math

import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.select.select_helpers import is_connected, touching
from wardmap.config import FocusConfig, PartnerTableConfig
from wardmap.errors import WardmapError
from wardmap.select.focus import find_focus_areas, write_focus
from wardmap.select.indicators import read_harm_weights, standardise
from wardmap.select.outputs import focus_writer


def brute_best(result, k, exclude=(), column="rate_eb", cap=None):
    """Best connected k-area by mean z-score, by brute force over every k-subset."""
    wards = result.wards.sort_values("ward_code").reset_index(drop=True)
    queen = libpysal.weights.Queen.from_dataframe(wards, use_index=False, silence_warnings=True)
    keep = [i for i, c in enumerate(wards["ward_code"]) if c not in exclude]
    z = dict(zip(keep, stats.zscore(wards[column].to_numpy(float)[keep]), strict=True))
    best = None
    for subset in itertools.combinations(keep, k):
        if cap is not None and wards["population"].iloc[list(subset)].sum() > cap:
            continue
        if not _queen_connected(subset, queen.neighbors):
            continue
        score = math.fsum(z[i] for i in subset) / k
        if best is None or score > best[0]:
            best = (score, ";".join(wards["ward_code"].iloc[list(subset)]))
    return best


def _queen_connected(subset, neighbors):
    members, seen, todo = set(subset), {subset[0]}, [subset[0]]
    while todo:
        for u in neighbors[todo.pop()]:
            if u in members and u not in seen:
                seen.add(u)
                todo.append(u)
    return seen == members


def test_planted_cluster_is_the_top_area_of_three(demo_result, planted):
    focus = find_focus_areas(demo_result, FocusConfig(size=3))
    assert focus.loc[0, "ward_codes"].split(";") == planted
    assert focus.attrs["exhaustive"] and focus.attrs["exact"]
    score, codes = brute_best(demo_result, 3)
    assert codes == focus.loc[0, "ward_codes"]
    assert focus.loc[0, "score"] == pytest.approx(score)


def test_with_the_planted_cluster_excluded_the_next_area_is_found(demo_result, planted):
    names = demo_result.wards.set_index("ward_code").loc[planted, "ward_name"]
    given = [names.iloc[0].upper(), f"{names.iloc[1]} ward", planted[2]]  # tolerant matching
    focus = find_focus_areas(demo_result, FocusConfig(size=3, exclude=given))
    top = focus.loc[0, "ward_codes"].split(";")
    assert not set(top) & set(planted)
    score, codes = brute_best(demo_result, 3, exclude=planted)
    assert focus.loc[0, "ward_codes"] == codes
    assert focus.loc[0, "score"] == pytest.approx(score)
    assert "excluding " + ", ".join(sorted(names)[:2]) in focus.loc[0, "reason"]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_every_candidate_is_connected_and_ranked(demo_result, k):
    focus = find_focus_areas(demo_result, FocusConfig(size=k, top=40))
    adjacency = touching(demo_result.wards)
    for codes in focus["ward_codes"]:
        members = codes.split(";")
        assert len(members) == len(set(members)) == k
        assert is_connected(members, adjacency)
    assert focus["score"].is_monotonic_decreasing
    assert focus["rank"].tolist() == list(range(1, len(focus) + 1))
    assert len(set(focus["ward_codes"])) == len(focus)


def test_contributions_add_up_and_reason_names_the_drivers(demo_result):
    config = FocusConfig(size=2, indicators=["asb", "violent crime:2"])
    focus = find_focus_areas(demo_result, config)
    parts = focus[["asb_contribution", "violent_crime_contribution"]].sum(axis=1)
    assert np.allclose(parts, focus["score"])
    reason = focus.loc[0, "reason"]
    first, second = focus.loc[0, "ward_names"].split("; ")
    assert reason.startswith(f"{min(first, second)} and {max(first, second)}: highest")
    assert "among neighbouring pairs" in reason
    assert "violent crime" in reason


def test_rates_follow_the_records(demo_result):
    """The ASB rate indicator equals an independent count of the records per 1,000 residents."""
    focus = find_focus_areas(demo_result, FocusConfig(size=1, top=100, indicators=["asb"]))
    records = demo_result.records
    chosen = records[(records["crime_type"] == "Anti-social behaviour")
                     & records["period_match"] & records["ward_code"].notna()]
    wards = demo_result.wards.set_index("ward_code")
    rate = chosen.groupby("ward_code").size().reindex(wards.index, fill_value=0)
    rate = rate / wards["population"] * 1000
    z = pd.Series(stats.zscore(rate.to_numpy()), index=rate.index)
    got = focus.set_index("ward_codes")["score"]
    assert np.allclose(got.sort_index(), z.sort_index())


def test_standardisation_matches_scipy():
    values = pd.DataFrame({"a": [3.0, 1.0, 4.0, 1.0, 5.0], "b": [2.0, 7.0, 1.0, 8.0, 2.0]})
    z = standardise(values, "z")
    assert np.allclose(z.to_numpy(), stats.zscore(values.to_numpy(), axis=0))
    ranks = standardise(values, "rank")
    expected = (np.column_stack([stats.rankdata(values[c]) for c in values]) - 1) / 4 * 2 - 1
    assert np.allclose(ranks.to_numpy(), expected)


def test_harm_weights_from_toml_and_csv_agree_and_weight_the_counts(demo_result, tmp_path):
    weights = {"Violence and sexual offences": 5.0, "Robbery": 20.0}
    toml = tmp_path / "harm.toml"
    toml.write_text("[harm_weights]\n" + "".join(f'"{k}" = {v}\n' for k, v in weights.items()))
    csv = tmp_path / "harm.csv"
    csv.write_text("crime_type,weight\n" + "".join(f"{k},{v}\n" for k, v in weights.items()))
    assert read_harm_weights(toml) == read_harm_weights(csv) == weights
    config = FocusConfig(size=1, top=100, indicators=["violent crime count"],
                         harm_weights=str(csv))
    focus = find_focus_areas(demo_result, config).set_index("ward_codes")
    records = demo_result.records
    chosen = records[records["crime_type"].isin(weights) & records["period_match"]
                     & records["ward_code"].notna()]
    harm = chosen["crime_type"].map(weights).groupby(chosen["ward_code"]).sum()
    harm = harm.reindex(demo_result.wards["ward_code"], fill_value=0)
    z = pd.Series(stats.zscore(harm.to_numpy(float)), index=harm.index)
    assert np.allclose(focus["score"].sort_index(), z.sort_index())
    assert "harm-weighted violent crime count" in focus["reason"].iloc[0]


def test_population_cap_is_respected_and_still_exact(demo_result):
    cap = 22_000
    focus = find_focus_areas(demo_result, FocusConfig(size=3, max_population=cap, top=30))
    assert (focus["population"] <= cap).all()
    score, codes = brute_best(demo_result, 3, cap=cap)
    assert focus.loc[0, "ward_codes"] == codes
    assert "with at most 22,000 residents" in focus.loc[0, "reason"]


def test_same_inputs_give_the_same_focus_csv(demo_result, tmp_path):
    config = FocusConfig(size=3, indicators=["asb", "gi_z:0.5", "asb change"], top=15)
    first = write_focus(find_focus_areas(demo_result, config), tmp_path / "a")
    second = write_focus(find_focus_areas(demo_result, config), tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    header = first.read_text().splitlines()[0].split(",")
    assert header[:5] == ["rank", "ward_codes", "ward_names", "score", "population"]
    assert "gi_z_contribution" in header and header[-1] == "reason"


def test_partner_table_indicator(demo_result, tmp_path):
    wards = demo_result.wards
    admissions = pd.DataFrame({"Ward": wards["ward_name"],
                               "admissions": np.arange(len(wards), dtype=float)})
    path = tmp_path / "admissions.csv"
    admissions.to_csv(path, index=False)
    table = PartnerTableConfig(name="hospital admissions", path=str(path),
                               value_col="admissions")
    config = FocusConfig(size=1, indicators=["hospital admissions"], tables=[table])
    focus = find_focus_areas(demo_result, config)
    assert focus.loc[0, "ward_names"] == wards["ward_name"].iloc[-1]
    assert "hospital admissions" in focus.loc[0, "reason"]


@pytest.mark.parametrize(("config", "message"), [
    (FocusConfig(size=4, exclude=[f"DEMO{i:04d}" for i in range(1, 23)]),
     "larger than the number of wards available (3 of 25 after excluding 22)"),
    (FocusConfig(exclude=["Hazelwod"]), "unknown ward 'Hazelwod' in --exclude (closest: Hazelwood"),
    (FocusConfig(indicators=["hospital_admissions"]), "unknown indicator 'hospital_admissions'"),
    (FocusConfig(indicators=["constant"]), "indicator 'constant' is the same in every ward"),
    (FocusConfig(size=3, max_population=1000), "no connected area of 3 wards has at most 1,000"),
    (FocusConfig(size=0), "focus area size must be 1 to"),
    (FocusConfig(indicators=["harm"]), "needs a harm weights file"),
])
def test_bad_input_is_a_clear_message(demo_result, config, message):
    result = dataclasses.replace(demo_result, wards=demo_result.wards.assign(constant=7.0))
    with pytest.raises(WardmapError) as caught:
        find_focus_areas(result, config)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_harm_weights_missing_a_type_is_a_clear_message(demo_result, tmp_path):
    path = tmp_path / "harm.csv"
    path.write_text("crime_type,weight\nRobbery,10\n")
    config = FocusConfig(indicators=["violent crime"], harm_weights=str(path))
    with pytest.raises(WardmapError, match="no harm weight for crime type.*Violence and sexual"):
        find_focus_areas(demo_result, config)


def test_change_indicator_is_the_rate_difference_from_the_previous_period(demo_result):
    focus = find_focus_areas(demo_result, FocusConfig(size=1, top=100,
                                                      indicators=["asb change"]))
    records = demo_result.records
    in_period = records.loc[records["period_match"], "month"].astype(str)
    first, last = pd.Period(in_period.min(), "M"), pd.Period(in_period.max(), "M")
    span = (last - first).n + 1
    before = {str(first - i) for i in range(1, span + 1)}
    asb = records[(records["crime_type"] == "Anti-social behaviour")
                  & records["ward_code"].notna()]
    wards = demo_result.wards.set_index("ward_code")
    now = asb[asb["period_match"]].groupby("ward_code").size()
    then = asb[asb["month"].isin(before)].groupby("ward_code").size()
    change = (now.reindex(wards.index, fill_value=0) - then.reindex(wards.index, fill_value=0))
    change = change / wards["population"] * 1000
    z = pd.Series(stats.zscore(change.to_numpy(float)), index=change.index)
    assert np.allclose(focus.set_index("ward_codes")["score"].sort_index(), z.sort_index())
    assert "change in ASB rate" in focus["reason"].iloc[0]


def test_ward_level_tables_need_no_records(demo_result):
    counts_only = dataclasses.replace(demo_result, records=None, tally=None, cube=None)
    focus = find_focus_areas(counts_only, FocusConfig(size=2, indicators=["rate_per_1000"]))
    assert len(focus) == 10
    with pytest.raises(WardmapError, match="crime-type indicators need incident records"):
        find_focus_areas(counts_only, FocusConfig(indicators=["asb count"]))


def test_a_ward_name_shared_by_two_wards_needs_its_code(demo_result):
    wards = demo_result.wards.copy()
    wards.loc[wards.index[:2], "ward_name"] = "Abbey"
    result = dataclasses.replace(demo_result, wards=wards)
    with pytest.raises(WardmapError, match="ward name 'abbey' in --exclude is shared by"):
        find_focus_areas(result, FocusConfig(exclude=["abbey"]))


def test_focus_writer_draws_the_best_area(demo_result, tmp_path):
    focus = find_focus_areas(demo_result, FocusConfig(size=2, exclude=["DEMO0001"]))
    assert focus.attrs["excluded_codes"] == ["DEMO0001"]
    focus_writer(dataclasses.replace(demo_result, focus=focus), tmp_path)
    assert (tmp_path / "focus.csv").is_file()
    assert (tmp_path / "focus.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(tmp_path / "focus.png") as im:  # A4 at 300 dpi, recorded in the file
        assert im.size == (2481, 3507)
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_focus_page_shows_the_top_areas_as_small_multiples(demo_result):
    from wardmap.maps.areas import focus_figure

    focus = find_focus_areas(demo_result, FocusConfig(size=2))
    fig = focus_figure(focus, demo_result.wards, title="Demo", subtitle="Nov 2017")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert len(titles) == min(4, len(focus))
    assert titles[0].startswith("1. ")
    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text)]
    assert any(t.endswith(" km") or t.endswith(" m") for t in texts)  # scale bars
    assert texts.count("N") == len(titles)  # a north arrow per panel


def test_focus_map_draws_names_with_dollar_signs_as_text(demo_result, tmp_path):
    # Names and the reason come from input files: "$...$" must not be parsed as mathtext
    # (an unparsable formula crashed the whole run).
    wards = demo_result.wards.copy()
    wards["ward_name"] = wards["ward_name"] + " $\\frac$"
    result = dataclasses.replace(demo_result, wards=wards)
    focus = find_focus_areas(result, FocusConfig(size=2))
    focus_writer(dataclasses.replace(result, focus=focus), tmp_path)
    assert (tmp_path / "focus.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_indicators_differing_only_in_case_are_named_twice(demo_result):
    # "asb" and "ASB" share one contribution column: accepted, the contributions no longer
    # added up to the score and the reason read "combined ASB and ASB rate".
    with pytest.raises(WardmapError, match="indicator named twice: ASB, asb"):
        find_focus_areas(demo_result, FocusConfig(indicators=["asb", "ASB:2"]))


def test_focus_map_of_the_demo_says_it_is_synthetic(demo_result, tmp_path, figure_texts):
    from wardmap.result import SYNTHETIC_NOTICE

    assert demo_result.meta.synthetic
    focus = find_focus_areas(demo_result, FocusConfig(size=2))
    focus_writer(dataclasses.replace(demo_result, focus=focus), tmp_path)
    assert SYNTHETIC_NOTICE in figure_texts
