"""Position against peers: districts.csv and ward ranks, checked against pandas groupby on
England's wards, ties, denominators and suppression."""

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import grid_wards
from wardmap.cli import cli
from wardmap.peers import Basis, add_ranks, district_table, position


@pytest.mark.shared
@pytest.mark.slow
def test_england_districts_and_ranks_agree_with_groupby(shared_data, tmp_path):
    boundaries = shared_data / "boundaries/england_wards_2013.parquet"
    lookup = pd.read_parquet(boundaries, columns=["WD13CD", "LAD13CD"])
    rng = np.random.default_rng(16)
    counts = pd.DataFrame({"ward_code": lookup["WD13CD"],
                           "crimes": rng.poisson(12, len(lookup))})
    counts.to_csv(tmp_path / "counts.csv", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "run", "--boundaries", str(boundaries), "--counts", str(tmp_path / "counts.csv"),
        "--value-col", "crimes", "--district-col", "LAD13CD", "--permutations", "0",
        "--no-maps", "--out", str(out)])
    assert result.exit_code == 0, result.output
    districts = pd.read_csv(out / "districts.csv")
    wards = pd.read_csv(out / "wards.csv", dtype={"ward_code": str})
    data = counts.merge(lookup, left_on="ward_code", right_on="WD13CD")
    expected = data.groupby("LAD13CD").agg(wards=("crimes", "size"), count=("crimes", "sum"))
    expected["rank"] = expected["count"].rank(method="min", ascending=False).astype(int)
    got = districts.set_index("district").sort_index()
    assert len(got) == lookup["LAD13CD"].nunique() == 326
    pd.testing.assert_frame_equal(got[["wards", "count", "rank"]], expected.sort_index(),
                                  check_names=False, check_dtype=False)
    assert got["position"].str.endswith(" of 326").all()
    assert len(wards) == 7681 and wards["rank_overall"].notna().all()
    data["overall"] = data["crimes"].rank(method="min", ascending=False).astype(int)
    data["in_district"] = data.groupby("LAD13CD")["crimes"].rank(
        method="min", ascending=False).astype(int)
    merged = wards.merge(data, on="ward_code")
    assert len(merged) == 7681
    assert (merged["rank_overall"] == merged["overall"]).all()
    assert (merged["rank_in_district"] == merged["in_district"]).all()
    assert (merged["district"] == merged["LAD13CD"]).all()


def test_ties_share_the_higher_position():
    assert position(pd.Series([9.0, 7.0, 7.0, 3.0, np.nan])).tolist() == [1, 2, 2, 4, pd.NA]


def _wards(counts, districts, population=None):
    wards = pd.DataFrame({"ward_code": [f"W{i}" for i in range(len(counts))],
                          "ward_name": [f"Ward {i}" for i in range(len(counts))],
                          "incidents": counts, "district": districts})
    wards["population"] = population if population is not None else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        wards["rate_per_1000"] = wards["incidents"] / wards["population"] * 1000
    return wards


def test_ranks_by_rate_with_populations():
    wards = _wards([10, 20, 30, 5], ["A", "A", "B", "B"], [1000, 4000, 3000, 100])
    ranked = add_ranks(wards, Basis("incidents", "population", "residents"))
    # Rates 10, 5, 10, 50 per 1,000.
    assert ranked["rank_overall"].tolist() == [2, 4, 2, 1]
    assert ranked["rank_in_district"].tolist() == [1, 2, 2, 1]
    table = district_table(ranked, Basis("incidents", "population", "residents"))
    assert table["district"].tolist() == ["B", "A"]
    assert table["rate_per_1000"].tolist() == pytest.approx([35 / 3100 * 1000, 30 / 5000 * 1000])
    assert table["position"].tolist() == ["1 of 2", "2 of 2"]


def test_district_rate_is_empty_when_a_ward_lacks_population():
    wards = _wards([10, 20, 30], ["A", "A", "B"], [1000, np.nan, 3000])
    table = district_table(wards, Basis("incidents", "population", "residents"))
    assert table.set_index("district").loc["A", "rate_per_1000"] != \
        table.set_index("district").loc["A", "rate_per_1000"]  # NaN
    assert table.set_index("district").loc["A", "rank"] is pd.NA


def _grid_run(tmp_path, *extra):
    wards = grid_wards(3, 2)
    wards["LAD"] = ["D1", "D1", "D1", "D2", "D2", "D2"]
    boundaries = tmp_path / "wards.geojson"
    wards.to_file(boundaries, driver="GeoJSON")
    pd.DataFrame({"code": wards["WD23CD"], "crimes": [40, 3, 25, 60, 2, 25]}).to_csv(
        tmp_path / "counts.csv", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "run", "--boundaries", str(boundaries), "--counts", str(tmp_path / "counts.csv"),
        "--value-col", "crimes", "--district-col", "LAD", "--no-maps", "--permutations", "0",
        "--out", str(out), *extra])
    return result, out


def test_per_households_rates_and_labels(tmp_path):
    pd.DataFrame({"ward": [f"Ward {i}" for i in range(1, 7)],
                  "Households": [1000, 100, 500, 2000, 400, 250]}).to_csv(
        tmp_path / "households.csv", index=False)
    result, out = _grid_run(tmp_path, "--denominator", str(tmp_path / "households.csv"),
                            "--per", "households")
    assert result.exit_code == 0, result.output
    districts = pd.read_csv(out / "districts.csv")
    assert list(districts.columns) == ["district", "wards", "count", "households",
                                       "rate_per_1000_households", "rank", "position"]
    # D1: 68 / 1,600 households; D2: 87 / 2,650.
    assert districts["district"].tolist() == ["D1", "D2"]
    assert districts["rate_per_1000_households"].tolist() == pytest.approx(
        [68 / 1600 * 1000, 87 / 2650 * 1000])
    wards = pd.read_csv(out / "wards.csv")
    assert wards["rate_per_1000_households"].tolist() == pytest.approx(
        [40, 30, 50, 30, 5, 100])
    assert wards["rank_overall"].tolist() == [3, 4, 2, 4, 6, 1]


def test_denominator_without_per_is_one_line(tmp_path):
    pd.DataFrame({"ward": ["Ward 1"], "households": [10]}).to_csv(tmp_path / "h.csv",
                                                                  index=False)
    result, out = _grid_run(tmp_path, "--denominator", str(tmp_path / "h.csv"))
    assert result.exit_code == 2
    assert "--per NOUN" in result.output.strip().splitlines()[-1]


def test_unknown_district_column_is_one_line(tmp_path):
    wards = grid_wards(2, 1)
    wards.to_file(tmp_path / "w.geojson", driver="GeoJSON")
    pd.DataFrame({"code": wards["WD23CD"], "n": [1, 2]}).to_csv(tmp_path / "c.csv",
                                                                index=False)
    result = CliRunner().invoke(cli, ["run", "--boundaries", str(tmp_path / "w.geojson"),
                                      "--counts", str(tmp_path / "c.csv"), "--value-col", "n",
                                      "--district-col", "LAD99CD", "--no-maps",
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no column 'LAD99CD'" in result.output.strip().splitlines()[-1]


def test_public_run_blanks_ranks_of_suppressed_wards(tmp_path):
    from pyproj import Transformer

    from tests.helpers import police_csv

    wards = grid_wards(3, 1)
    wards["LAD"] = ["D1", "D1", "D2"]
    wards.to_file(tmp_path / "w.geojson", driver="GeoJSON")
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    rows = []
    for n, point in zip([12, 2, 30], wards.geometry.representative_point(), strict=True):
        lon, lat = to_wgs.transform(point.x, point.y)
        rows += [("2020-01", f"{lon:.6f}", f"{lat:.6f}", "Burglary")] * n
    police_csv(tmp_path / "p.csv", rows)
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["run", "--boundaries", str(tmp_path / "w.geojson"),
                                      "--incidents", str(tmp_path / "p.csv"), "--district-col",
                                      "LAD", "--public", "--no-maps", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "wards.csv", dtype=str, keep_default_na=False)
    # The 12 is withheld too ("[c]", secondary suppression): with the total published, it
    # would give the "<5" away by subtraction (docs/disclosure.md).
    assert table["incidents"].tolist() == ["[c]", "<5", "30"]
    assert table["rank_overall"].tolist() == ["", "", "1"]
    assert table["rank_in_district"].tolist() == ["", "", "1"]
    districts = pd.read_csv(out / "districts.csv", dtype=str)
    assert districts["count"].tolist() == ["30", "14"]


def test_per_noun_map_is_labelled_with_the_noun(tmp_path):
    from wardmap.maps.writer import _per_noun_map

    pd.DataFrame({"ward": [f"Ward {i}" for i in range(1, 7)],
                  "dwellings": [1000, 100, 500, 2000, 400, 250]}).to_csv(
        tmp_path / "dwellings.csv", index=False)
    result, out = _grid_run(tmp_path, "--denominator", str(tmp_path / "dwellings.csv"),
                            "--per", "dwellings")
    assert result.exit_code == 0, result.output
    from wardmap.config import Config
    from wardmap.pipeline import analyse

    config = Config()
    inputs = dict(boundaries=str(tmp_path / "wards.geojson"),
                  counts=str(tmp_path / "counts.csv"), value_col="crimes",
                  denominator=str(tmp_path / "dwellings.csv"), per="dwellings")
    import dataclasses

    config = dataclasses.replace(config, inputs=dataclasses.replace(config.inputs, **inputs),
                                 stats=dataclasses.replace(config.stats, permutations=0))
    run = analyse(config)
    stem, figure = _per_noun_map(run, run.wards, "rate_per_1000_dwellings", {},
                                 {"page": "a4-portrait", "attributions": [], "notes": []})
    assert stem == "map_rate_dwellings"
    texts = [t.get_text() for t in figure.texts]
    assert any("crimes per 1,000 dwellings" in t for t in texts)
    legend = figure.axes[1].get_legend()
    assert legend.get_title().get_text() == "crimes per 1,000 dwellings"


def test_briefing_names_the_district_positions(tmp_path):
    result, out = _grid_run(tmp_path)
    assert result.exit_code == 0
    brief = CliRunner().invoke(cli, [
        "brief", "--boundaries", str(tmp_path / "wards.geojson"), "--counts",
        str(tmp_path / "counts.csv"), "--value-col", "crimes", "--district-col", "LAD",
        "--no-maps", "--permutations", "0", "--out", str(tmp_path / "b")])
    assert brief.exit_code == 0, brief.output
    html = (tmp_path / "b" / "briefing.html").read_text()
    # D1: 40 + 3 + 25 = 68, D2: 60 + 2 + 25 = 87; the top ward is Ward 4 (60) in D2.
    assert re.search(r"<h2[^>]*>Position against peers</h2>", html)
    assert ("Of 2 districts, D2 had the higher count (87) and D1 the lower (68). Ward 4 (D2) "
            "has the highest count of the 6 wards.") in html


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 6)), min_size=1,
                max_size=30))
def test_a_rank_is_one_more_than_the_wards_above(rows):
    """Position r means exactly r - 1 wards (in the district, or overall) have more."""
    wards = pd.DataFrame({"ward_code": [f"W{i}" for i in range(len(rows))],
                          "district": [d for d, _ in rows],
                          "incidents": [n for _, n in rows]})
    ranked = add_ranks(wards, Basis("incidents", None, "residents"))
    for i, (district, n) in enumerate(rows):
        above = sum(m > n for _, m in rows)
        above_here = sum(m > n for d, m in rows if d == district)
        assert ranked["rank_overall"].iloc[i] == above + 1
        assert ranked["rank_in_district"].iloc[i] == above_here + 1
    table = district_table(ranked, Basis("incidents", None, "residents"))
    totals = {d: sum(m for e, m in rows if e == d) for d, _ in rows}
    for row in table.itertuples():
        assert row.count == totals[row.district]
        assert row.rank == sum(t > totals[row.district] for t in totals.values()) + 1
