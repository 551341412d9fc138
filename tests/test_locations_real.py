"""Map points on Maidstone's real months (../shared/data): violence and sexual offences and
robbery, November and December 2017."""

import html
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tests.test_locations import gini_direct, top_share_direct
from wardmap.cli import cli

pytestmark = pytest.mark.shared
VIOLENT = ["Violence and sexual offences", "Robbery"]


@pytest.fixture(scope="module")
def maidstone_focus(shared_data, tmp_path_factory):
    """`wardmap brief` with focus areas of two wards, High Street excluded."""
    folder = tmp_path_factory.mktemp("maidstone_locations")
    config = folder / "run.toml"
    config.write_text(f"""
[inputs]
boundaries = "{shared_data / 'boundaries' / 'maidstone_wards_2013.geojson'}"
incidents = ["{shared_data / 'police'}"]
area_name = "Maidstone"
[filters]
crime_types = ["violent crime"]
[focus]
size = 2
exclude = ["High Street"]
[brief]
focus = true
formats = ["html"]
""", encoding="utf-8")
    out = folder / "out"
    result = CliRunner().invoke(cli, ["brief", str(config), "--no-maps", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def violent_records(shared_data):
    raw = pd.concat([pd.read_csv(p) for p in sorted((shared_data / "police").glob("*.csv"))])
    return raw[raw["Crime type"].isin(VIOLENT)]


def test_heath_is_flagged_at_the_hospital(maidstone_focus):
    out, console = maidstone_focus
    wards = pd.read_csv(out / "wards.csv").set_index("ward_name")
    heath = wards.loc["Heath"]
    assert heath["top_location"] == "On or near Hospital"
    assert (heath["top_location_count"], heath["incidents"]) == (53, 105)
    assert heath["top_location_share"] == pytest.approx(53 / 105)
    assert bool(heath["location_flag"])
    message = "53 of Heath's 105 records were recorded at one map point, On or near Hospital"
    assert message in console
    summary = json.loads((out / "summary.json").read_text())
    assert any(message in w for w in summary["warnings"])


def test_focus_area_is_not_robust_to_the_hospital_point(maidstone_focus):
    out, _ = maidstone_focus
    focus = pd.read_csv(out / "focus.csv")
    best = focus.iloc[0]
    assert best["ward_names"] == "Fant; Heath"
    assert not bool(best["robust"])
    assert ("Not robust: without the 53 records at On or near Hospital in Heath, Bridge and "
            "Fant leads and this area ranks 2nd") in best["reason"]


def test_briefing_says_both(maidstone_focus):
    out, _ = maidstone_focus
    text = html.unescape((out / "briefing.html").read_text())
    assert ("53 of Heath's 105 violent crimes were recorded at one map point, "
            "On or near Hospital (50%)") in text
    assert "Fant and Heath" in text and "Not robust" in text
    assert "Bridge and Fant leads" in text


def test_locations_add_up_to_each_wards_incidents(maidstone_focus):
    out, _ = maidstone_focus
    locations = pd.read_csv(out / "locations.csv")
    wards = pd.read_csv(out / "wards.csv")
    sums = locations.groupby("ward_code")["count"].sum()
    assert sums.reindex(wards["ward_code"], fill_value=0).tolist() == wards["incidents"].tolist()
    assert locations.groupby("ward_code")["share_of_ward"].sum().to_numpy() == \
        pytest.approx(np.ones(locations["ward_code"].nunique()))


def test_concentration_matches_the_raw_files(maidstone_focus, violent_records):
    out, _ = maidstone_focus
    summary = json.loads((out / "summary.json").read_text())
    per_point = violent_records.groupby(["Longitude", "Latitude"]).size().to_numpy()
    found = summary["concentration"]
    assert found["points"] == len(per_point)
    assert found["records"] == per_point.sum() == summary["incidents"]
    assert found["gini"] == pytest.approx(gini_direct(per_point), abs=1e-12)
    assert found["top5_share"] == pytest.approx(top_share_direct(per_point, 0.05))
    assert found["top10_share"] == pytest.approx(top_share_direct(per_point, 0.10))


def test_excluding_the_hospital_point_changes_the_leader(shared_data, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "focus", "--boundaries", str(shared_data / "boundaries" / "maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--crime-type", "violent crime",
        "--exclude", "High Street", "--size", "2", "--no-maps", "--out", str(out),
        "--exclude-location", "0.486383,51.273404"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    accounting = json.loads((out / "accounting.json").read_text())
    assert accounting["excluded_location"] == 53
    focus = pd.read_csv(out / "focus.csv")
    assert focus["ward_names"].tolist()[:2] == ["Bridge; Fant", "Fant; Heath"]
