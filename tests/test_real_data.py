"""Maidstone's 26 wards and police.uk records from ../shared/data, checked independently."""

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from wardmap.aggregate import place_records
from wardmap.cli import cli
from wardmap.config import Config
from wardmap.load.boundaries import read_boundaries
from wardmap.load.incidents import read_incidents

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def maidstone_run(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("maidstone") / "run"
    result = CliRunner().invoke(cli, [
        "run", "--boundaries", str(shared_data / "boundaries" / "maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--area-name", "Maidstone",
        "--no-maps", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_accounting_adds_up(maidstone_run, shared_data):
    accounting = json.loads((maidstone_run / "accounting.json").read_text())
    rows = sum(len(pd.read_csv(p)) for p in (shared_data / "police").glob("*.csv"))
    assert accounting["input_rows"] == rows
    parts = ["assigned", "snapped", "outside", "missing_coordinates", "invalid_coordinates",
             "filtered_out", "excluded_location"]
    assert sum(accounting[k] for k in parts) == rows
    assert accounting["assigned"] > 0.95 * rows


def test_ward_totals_equal_an_independent_sjoin(maidstone_run, shared_data):
    wards = gpd.read_file(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    records = pd.concat([pd.read_csv(p) for p in sorted((shared_data / "police").glob("*.csv"))],
                        ignore_index=True)
    records = records.dropna(subset=["Longitude", "Latitude"])
    points = gpd.GeoDataFrame(records, geometry=gpd.points_from_xy(
        records.Longitude, records.Latitude), crs="EPSG:4326").to_crs(27700)
    joined = gpd.sjoin(points, wards.to_crs(27700), predicate="within")
    assert not joined.index.duplicated().any()  # the check itself: one ward per point
    expected = joined.groupby("WD13CD").size()
    table = pd.read_csv(maidstone_run / "wards.csv").set_index("ward_code")
    accounting = json.loads((maidstone_run / "accounting.json").read_text())
    assert accounting["assigned"] == len(joined)
    # wardmap's counts are the sjoin's plus the records it snapped from just outside.
    extra = table["incidents"] - expected.reindex(table.index, fill_value=0)
    assert (extra >= 0).all() and extra.sum() == accounting["snapped"]


def test_points_fall_in_the_lsoa_police_uk_names(shared_data):
    """An independent truth for the point-in-polygon step: police.uk names each record's LSOA."""
    lsoas, _ = read_boundaries(shared_data / "boundaries" / "maidstone_lsoa_2011.geojson")
    records, _ = read_incidents([str(shared_data / "police")], Config().inputs)
    raw = pd.concat([pd.read_csv(p) for p in sorted((shared_data / "police").glob("*.csv"))],
                    ignore_index=True)
    placed = place_records(records, lsoas, Config()).records
    named = raw["LSOA code"].to_numpy()
    has_point = placed["status"].isin(["assigned", "snapped"]).to_numpy()
    agree = (placed["ward_code"].to_numpy()[has_point] == named[has_point]).mean()
    assert has_point.sum() > 0.95 * len(raw)
    assert agree >= 0.95, f"only {agree:.1%} in police.uk's LSOA"


def test_example_config_runs(shared_data, tmp_path):
    example = Path(__file__).resolve().parents[1] / "examples" / "maidstone.toml"
    result = CliRunner().invoke(cli, ["run", str(example), "--no-maps", "--permutations", "99",
                                      "--out", str(tmp_path / "ex")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    focus = pd.read_csv(tmp_path / "ex" / "focus.csv")
    assert "E05004996" not in ";".join(focus["ward_codes"])  # High Street left out
    accounting = json.loads((tmp_path / "ex" / "accounting.json").read_text())
    assert accounting["filtered_out"] > 0
