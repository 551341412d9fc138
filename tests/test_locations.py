"""Map points, place types, place groups and concentration (wardmap.locations), each checked
against a direct computation."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import POLICE_HEADER, grid_wards
from wardmap.cli import cli
from wardmap.locations import (
    analyse_locations,
    concentration,
    excluded_by,
    group_months,
    group_shares,
    location_rows,
    map_points,
    place_type,
)


def gini_direct(x):
    """Mean absolute difference over twice the mean (every pair, both orders)."""
    x = np.asarray(x, float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


def top_share_direct(x, fraction):
    """Records at the busiest ceil(fraction * n) points, counted one point at a time."""
    x = sorted((v for v in x if v > 0), reverse=True)
    k, taken = 0, 0
    while k < len(x) and k < fraction * len(x):
        taken += x[k]
        k += 1
    return taken / sum(x)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=300).filter(lambda v: sum(v) > 0))
def test_concentration_matches_a_direct_computation(counts):
    found = concentration(counts)
    positive = [c for c in counts if c > 0]
    assert found.points == len(positive)
    assert found.records == sum(counts)
    assert found.gini == pytest.approx(gini_direct(positive), abs=1e-12)
    assert found.top5_share == pytest.approx(top_share_direct(counts, 0.05))
    assert found.top10_share == pytest.approx(top_share_direct(counts, 0.10))
    assert 0 <= found.gini < 1


def test_concentration_textbook_cases():
    assert concentration([5, 5, 5, 5]).gini == 0
    # 20 points: the busiest 5% is one point, 10% two.
    counts = [81] + [1] * 19
    assert concentration(counts).top5_share == pytest.approx(0.81)
    assert concentration(counts).top10_share == pytest.approx(0.82)
    assert np.isnan(concentration([0, 0]).gini)


def test_place_types_from_police_uk_location_text():
    texts = pd.Series(["On or near Hospital", "on or near shopping area", "On or near Week "
                       "Street", "Nightclub", "", None, "On or near Theatre/Concert Hall"])
    assert place_type(texts).tolist() == ["Hospital", "Shopping Area", "street", "Nightclub",
                                          "unknown", "unknown", "Theatre/Concert Hall"]


def rows():
    return pd.DataFrame({
        "ward_code": ["A", "A", "A", "A", "B", "B"],
        "location": ["On or near Hospital", "On or near Hospital", "On or near Mill Lane",
                     "On or near Nightclub", "On or near High Street", "On or near Mill Lane"],
        "lon": [0.1, 0.1, 0.2, 0.3, 0.4, 0.5],
        "lat": [51.0, 51.0, 51.1, 51.2, 51.3, 51.4],
        "crime_type": ["V", "Robbery", "V", "V", "V", "V"],
        "month": ["2017-11", "2017-12", "2017-11", "2017-12", "2017-11", "2017-11"],
        "count": [9, 4, 3, 2, 6, 6],
    })


def test_map_points_add_up_to_each_ward_and_sort_by_count():
    points = map_points(rows())
    assert points.groupby("ward_code")["count"].sum().to_dict() == {"A": 18, "B": 12}
    assert points.groupby("ward_code")["share_of_ward"].sum().tolist() == pytest.approx([1, 1])
    first = points.iloc[0]
    assert (first["location"], first["count"], first["place_type"]) == ("On or near Hospital",
                                                                        13, "Hospital")
    assert first["share_of_ward"] == pytest.approx(13 / 18)
    # Ties within a ward are ordered by location text, so the file is stable.
    assert points.loc[points["ward_code"] == "B", "location"].tolist() == [
        "On or near High Street", "On or near Mill Lane"]


def test_ward_columns_flag_and_group_shares():
    wards = pd.DataFrame({"ward_code": ["A", "B", "C"], "ward_name": ["Ay", "Bee", "Cee"]})
    groups = {"night_time_economy": ["Nightclub", "high street"]}
    columns, found = analyse_locations(rows(), wards, groups, flag_share=0.5, flag_min_count=10)
    assert columns["location_flag"].tolist() == [True, False, False]  # B: 6 records < 10
    assert columns.loc["A", "top_location_share"] == pytest.approx(13 / 18)
    assert columns.loc["C", "top_location_count"] == 0 and pd.isna(columns.loc["C",
                                                                               "top_location"])
    assert columns["share_night_time_economy"].tolist()[:2] == pytest.approx([2 / 18, 6 / 12])
    assert found.flagged[["ward_name", "count", "incidents"]].values.tolist() == [["Ay", 13, 18]]
    assert found.concentration.records == 30


def test_group_months_table_totals_each_ward():
    wards = pd.DataFrame({"ward_code": ["A", "B"], "ward_name": ["Ay", "Bee"]})
    table = group_months(rows(), {"nte": ["Nightclub"]}, wards)
    assert table.columns.tolist() == ["ward_code", "ward_name", "place_group", "2017-11",
                                      "2017-12", "total"]
    assert table.groupby("ward_code")["total"].sum().to_dict() == {"A": 18, "B": 12}
    nte_a = table[(table["ward_code"] == "A") & (table["place_group"] == "nte")]
    assert nte_a[["2017-11", "2017-12"]].values.tolist() == [[0, 2]]
    shares = group_shares(rows(), {"nte": ["Nightclub"]}, ["A", "B"])
    assert shares["share_nte"].tolist() == pytest.approx([2 / 18, 0])


def test_exclusion_by_text_or_point():
    location = pd.Series(["On or near Hospital", "On or near hospital", "On or near Mill Lane"])
    lonlat = (np.array([0.1, 0.9, 0.2]), np.array([51.0, 51.5, 51.1]))
    hit, matched = excluded_by(location, lonlat, ["Hospital"])
    assert hit.tolist() == [True, True, False] and matched == {"Hospital": 2}
    hit, _ = excluded_by(location, lonlat, ["0.2,51.1"])
    assert hit.tolist() == [False, False, True]


def write_police(path, rows):
    """rows: (month, lon, lat, location, crime type)."""
    lines = [POLICE_HEADER] + [f",{m},Kent Police,Kent Police,{lon},{lat},{loc},,,{t},,"
                               for m, lon, lat, loc, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_area(tmp_path):
    wards = grid_wards(2, 1)
    wards.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    centre = wards.to_crs("EPSG:4326").representative_point()
    (lon1, lat1), (lon2, lat2) = [(round(p.x, 6), round(p.y, 6)) for p in centre]
    rows = ([("2017-11", lon1, lat1, "On or near Hospital", "Robbery")] * 12
            + [("2017-11", lon1 + 0.001, lat1, "On or near Mill Lane", "Robbery")] * 3
            + [("2017-12", lon2, lat2, "On or near Nightclub", "Robbery")] * 5
            + [("2017-12", lon2, lat2, "On or near Nightclub", "Drugs")] * 2)
    write_police(tmp_path / "records.csv", rows)
    return tmp_path


def run(folder, *extra):
    out = folder / "out"
    result = CliRunner().invoke(cli, ["run", "--boundaries", str(folder / "wards.geojson"),
                                      "--incidents", str(folder / "records.csv"), "--no-maps",
                                      "--out", str(out), *extra], catch_exceptions=False)
    return result, out


def test_run_writes_locations_and_flags_the_ward(small_area):
    result, out = run(small_area, "--crime-type", "Robbery")
    assert result.exit_code == 0, result.output
    locations = pd.read_csv(out / "locations.csv")
    wards = pd.read_csv(out / "wards.csv")
    assert locations.groupby("ward_code")["count"].sum().to_dict() == \
        dict(zip(wards["ward_code"], wards["incidents"], strict=True))
    first = wards.set_index("ward_name").loc["Ward 1"]
    assert (first["top_location"], first["top_location_count"], bool(first["location_flag"])) \
        == ("On or near Hospital", 12, True)
    assert first["top_location_share"] == pytest.approx(12 / 15)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["location_flags"][0]["location"] == "On or near Hospital"
    assert any("12 of Ward 1's 15 records" in w for w in summary["warnings"])
    assert any("no population given" in w for w in summary["warnings"])
    assert "12 of Ward 1's 15 records" in result.output
    by_month = pd.read_csv(out / "places_by_month.csv")
    nte = by_month[(by_month["ward_name"] == "Ward 2")
                   & (by_month["place_group"] == "night_time_economy")]
    assert nte[["2017-11", "2017-12", "total"]].values.tolist() == [[0, 5, 5]]


def test_exclude_location_is_accounted_and_left_out_everywhere(small_area):
    result, out = run(small_area, "--exclude-location", "On or near Hospital")
    assert result.exit_code == 0, result.output
    accounting = json.loads((out / "accounting.json").read_text())
    assert accounting["excluded_location"] == 12
    statuses = ["assigned", "snapped", "outside", "missing_coordinates", "invalid_coordinates",
                "filtered_out", "excluded_location"]
    assert sum(accounting[s] for s in statuses) == accounting["input_rows"] == 22
    wards = pd.read_csv(out / "wards.csv")
    assert wards["incidents"].tolist() == [3, 7]
    assert "Hospital" not in (out / "locations.csv").read_text()
    # Filtered-out records at the point stay filtered out: the identity holds either way.
    result, out = run(small_area, "--exclude-location", "Nightclub", "--crime-type", "Robbery")
    accounting = json.loads((out / "accounting.json").read_text())
    assert (accounting["excluded_location"], accounting["filtered_out"]) == (5, 2)


def test_exclude_location_matching_nothing_is_a_clear_error(small_area):
    result, _ = run(small_area, "--exclude-location", "Hospitl")
    assert result.exit_code == 2
    assert "'Hospitl' matches no record" in result.output
    assert "Hospital" in result.output and "Traceback" not in result.output


def test_public_run_suppresses_small_location_counts(small_area):
    result, out = run(small_area, "--public")
    assert result.exit_code == 0, result.output
    locations = pd.read_csv(out / "locations.csv", dtype=str)
    mill = locations[locations["location"] == "On or near Mill Lane"].iloc[0]
    assert mill["count"] == "<5" and pd.isna(mill["share_of_ward"])
    by_month = pd.read_csv(out / "places_by_month.csv", dtype=str)
    assert "2" not in by_month["2017-12"].tolist()  # the two drugs records at the nightclub


def test_maps_tell_significance_before_correction_apart():
    from wardmap.maps import style

    wards = pd.DataFrame({
        "lisa_label": ["High-High", "Not significant", "Not significant", "Island"],
        "lisa_label_uncorrected": ["High-High", "Low-Low", "Not significant", "Island"],
        "gi_bin": [2, 0, 0, -1],
        "gi_bin_uncorrected": [3, 1, 0, -3],
    })
    assert style.lisa_map_labels(wards).tolist() == [
        "High-High", style.BEFORE_CORRECTION_LISA, "Not significant", "Island"]
    assert style.gi_map_bins(wards).tolist() == [2, 4, 0, -1]
    rows = style.gi_legend_rows(style.gi_map_bins(wards))
    assert ("#fddbc7", "Hot spot before correction only", 1) in rows
    assert all(label != "Cold spot before correction only" for _, label, _ in rows)


def test_population_warnings_name_the_wards_without_one():
    from wardmap.normalise import population_note, population_warnings

    wards = pd.DataFrame({"ward_name": ["Ay", "Bee"], "population": [np.nan, np.nan]})
    assert "counts, not rates" in population_warnings(wards)[0]
    assert population_note(wards) == "Counts, not rates: no population given"
    wards["population"] = [1200.0, np.nan]
    assert population_warnings(wards) == ["no population for 1 ward(s): Bee; their rates are "
                                          "left blank and they are compared by counts only"]
    wards["population"] = [1200.0, 900.0]
    assert population_warnings(wards) == [] and population_note(wards) is None


def test_exclude_location_by_text_needs_a_location_column(tmp_path):
    wards = grid_wards(2, 1)
    wards.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    (tmp_path / "records.csv").write_text("Longitude,Latitude\n0.5,51.2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--boundaries", str(tmp_path / "wards.geojson"),
                                      "--incidents", str(tmp_path / "records.csv"),
                                      "--exclude-location", "Hospital", "--no-maps",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no Location column (give the map point as LON,LAT)" in result.output


def test_focus_lead_that_does_not_rest_on_the_flagged_point_is_robust(small_area):
    out = small_area / "focus"
    result = CliRunner().invoke(cli, ["focus", "--boundaries", str(small_area / "wards.geojson"),
                                      "--incidents", str(small_area / "records.csv"), "--size",
                                      "1", "--no-maps", "--out", str(out), "--permutations",
                                      "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    focus = pd.read_csv(out / "focus.csv")
    # Ward 1 (15 records, 12 at the hospital) leads; without the hospital Ward 2 (7) does.
    assert focus["ward_names"].tolist() == ["Ward 1", "Ward 2"]
    assert focus["robust"].tolist() == [False, False]
    assert "without the 12 records at On or near Hospital in Ward 1, Ward 2 leads" in \
        focus["reason"].iloc[0]
    # Flag only Ward 2's nightclub (7 of its 7 records): Ward 1 leads with it or without it.
    config = small_area / "run.toml"
    config.write_text("[locations]\nflag_share = 0.85\nflag_min_count = 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["focus", str(config), "--boundaries",
                                      str(small_area / "wards.geojson"), "--incidents",
                                      str(small_area / "records.csv"), "--size", "1",
                                      "--no-maps", "--out", str(out), "--permutations", "0"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    focus = pd.read_csv(out / "focus.csv")
    assert focus["robust"].tolist() == [True, True]
    assert focus["reason"].iloc[0].endswith(
        "Robust: it still leads with each flagged map point left out (On or near Nightclub in "
        "Ward 2)")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 5),
                          st.sampled_from(["2017-11", "2017-12", None]),
                          st.sampled_from(["On or near Hospital", "On or near Nightclub",
                                           "On or near Mill Lane", None])),
                min_size=1, max_size=80))
def test_every_table_adds_up_to_the_records(records):
    """Location rows, map points and the place-group table all count every record once."""
    recs = pd.DataFrame(records, columns=["ward_code", "point", "month", "location"])
    recs["crime_type"] = "Robbery"
    lon, lat = 0.1 * recs["point"].to_numpy(float), 51 + 0.1 * recs["point"].to_numpy(float)
    rows = location_rows(recs, (lon, lat), np.ones(len(recs), bool))
    wards = pd.DataFrame({"ward_code": ["A", "B", "C", "D"], "ward_name": list("abcd")})
    columns, found = analyse_locations(rows, wards, {"nte": ["Nightclub"]})
    expected = recs["ward_code"].value_counts().reindex(wards["ward_code"], fill_value=0)
    assert rows["count"].sum() == len(recs)
    points = found.points.groupby("ward_code")["count"].sum()
    assert points.reindex(wards["ward_code"], fill_value=0).tolist() == expected.tolist()
    table = found.by_month.groupby("ward_code")["total"].sum()
    assert table.reindex(wards["ward_code"]).tolist() == expected.tolist()
    assert found.concentration.records == len(recs)
    assert (columns["top_location_count"] <= expected).all()


def test_excluded_map_points_leave_the_comparison_period_too(small_area):
    # The hospital's 12 records are in November: the comparison period.
    result, out = run(small_area, "--months", "2017-12", "--compare", "2017-11",
                      "--exclude-location", "Hospital")
    assert result.exit_code == 0, result.output
    wards = pd.read_csv(out / "wards.csv").set_index("ward_name")
    assert wards.loc["Ward 1", "incidents_prev"] == 3
    accounting = json.loads((out / "accounting.json").read_text())
    # Filters come first: November's hospital records are outside the period chosen.
    assert (accounting["filtered_out"], accounting["excluded_location"]) == (15, 0)


def test_points_without_location_text_are_named_by_coordinates(tmp_path):
    wards = grid_wards(2, 1)
    wards.to_file(tmp_path / "wards.geojson", driver="GeoJSON")
    x, y = wards.representative_point().iloc[0].x, wards.representative_point().iloc[0].y
    lines = ["easting,northing"] + [f"{x},{y}"] * 12 + [f"{x + 50},{y}"] * 2
    (tmp_path / "points.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["run", "--boundaries", str(tmp_path / "wards.geojson"), "--incidents",
            str(tmp_path / "points.csv"), "--no-maps", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    flag = summary["location_flags"][0]
    point = f"{flag['lon']:.6f},{flag['lat']:.6f}"
    assert f"12 of Ward 1's 14 records were recorded at one map point, {point}" in result.output
    result = CliRunner().invoke(cli, [*args, "--exclude-location", point],
                                catch_exceptions=False)
    assert json.loads((tmp_path / "out" / "accounting.json").read_text())[
        "excluded_location"] == 12


@pytest.mark.parametrize("toml, message", [
    ('[places]\nnte = "Nightclub"\n', "places.nte: expected a list"),
    ("[locations]\nflag_share = 1.5\n", "locations.flag_share must be above 0 and at most 1"),
    ("[locations]\nflag_min_count = 0\n", "locations.flag_min_count at least 1"),
    ("[locations]\nflag = 0.3\n", "unknown key 'locations.flag'"),
])
def test_location_settings_are_checked(small_area, toml, message):
    config = small_area / "bad.toml"
    config.write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(config), "--boundaries",
                                      str(small_area / "wards.geojson"), "--incidents",
                                      str(small_area / "records.csv"), "--no-maps", "--out",
                                      str(small_area / "out")])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_docstring_examples_hold():
    import doctest

    import wardmap.locations

    failures, tried = doctest.testmod(wardmap.locations, optionflags=doctest.ELLIPSIS)
    assert tried > 10 and failures == 0


def test_no_placed_record_gives_empty_tables(small_area):
    result, out = run(small_area, "--crime-type", "Robbery", "--months", "2017-11",
                      "--exclude-location", "Hospital", "--exclude-location", "Mill Lane")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "locations.csv").empty
    by_month = pd.read_csv(out / "places_by_month.csv")
    assert len(by_month) == 4 and by_month["total"].sum() == 0
    wards = pd.read_csv(out / "wards.csv")
    assert not wards["location_flag"].any() and wards["top_location_count"].sum() == 0


def test_briefing_names_the_flagged_wards_that_matter():
    from wardmap.brief.narrative import narrative
    from wardmap.demo import demo_config
    from wardmap.pipeline import analyse

    config = demo_config()
    config.locations.flag_share, config.locations.flag_min_count = 0.02, 5
    config.stats.permutations = 0
    result = analyse(config)
    places = next(s.paragraphs for s in narrative(result, top=5) if s.heading == "Places")
    flagged = result.locations.flagged
    top = set(result.wards.nlargest(5, "incidents")["ward_name"])
    named = [n for n in flagged["ward_name"] if any(p.startswith(f"{n}'s") or f" of {n}'s "
                                                     in p for p in places)]
    assert set(named) == set(flagged["ward_name"]) & top
    assert f"{len(flagged) - len(named)} more wards also rest on one map point" in \
        " ".join(places)


def test_python_api_gives_the_runs_map_points(small_area):
    import wardmap

    result, out = run(small_area)
    assert result.exit_code == 0, result.output
    wards = wardmap.read_boundaries(small_area / "wards.geojson")
    records = wardmap.read_incidents([small_area / "records.csv"])
    placed = wardmap.count_incidents(records, wards)
    before = placed.wards.copy()
    table, found = wardmap.map_points(placed, name_col="ward_name",
                                      places={"night_time_economy": ["Nightclub",
                                                                     "Theatre/Concert Hall"]})
    assert placed.wards.equals(before)
    written = pd.read_csv(out / "locations.csv")
    assert found.points["count"].tolist() == written["count"].tolist()
    assert found.points["location"].tolist() == written["location"].tolist()
    csv = pd.read_csv(out / "wards.csv")
    for column in ("top_location_count", "location_flag", "share_night_time_economy"):
        assert table[column].tolist() == csv[column].tolist()
