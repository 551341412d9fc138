"""`wardmap fetch` then `wardmap run` against local stand-ins for police.uk, ONS and Nomis."""

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from tests.fetch.fakes import MAIDSTONE, poly_polygon
from wardmap.cli import cli
from wardmap.fetch.http import FetchError

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def _fetch_args(config, *extra):
    return ["fetch", "--district", "Maidstone", "--months", "2017-10:2018-01",
            "--out", config.out, "--police-url", config.police_url, "--ons-url", config.ons_url,
            "--nomis-url", config.nomis_url, *extra]


def _speed_toml(tmp_path: Path) -> str:
    path = tmp_path / "speed.toml"
    path.write_text("[fetch]\nbackoff = 0.001\nrate = 1000.0\nburst = 100\n", encoding="utf-8")
    return str(path)


def _expected_rows(fake_police, area, month):
    """The fake service's records in the district for the month, as CSV field tuples."""
    rows = []
    for r in fake_police.within(area, month):
        loc = r["location"]
        rows.append((r["month"], loc["longitude"], loc["latitude"], loc["street"]["name"],
                     r["category"], (r["outcome_status"] or {}).get("category", ""),
                     r["persistent_id"]))
    return sorted(rows)


def _written_rows(path: Path):
    slugs = {"Violence and sexual offences": "violent-crime",
             "Anti-social behaviour": "anti-social-behaviour",
             "Criminal damage and arson": "criminal-damage-arson"}
    with path.open(encoding="utf-8") as handle:
        return sorted((r["Month"], r["Longitude"], r["Latitude"], r["Location"],
                       slugs.get(r["Crime type"], r["Crime type"].lower().replace(" ", "-")),
                       r["Last outcome category"], r["Crime ID"])
                      for r in csv.DictReader(handle))


def test_fetch_then_run(tmp_path, fetch_config, fake_police, fake_ons, fake_nomis,
                        maidstone_area):
    runner = CliRunner()
    result = runner.invoke(cli, _fetch_args(fetch_config, _speed_toml(tmp_path)))
    assert result.exit_code == 0, result.output
    out = Path(fetch_config.out)
    assert sorted(p.name for p in (out / "police").iterdir()) == [
        "2017-10-maidstone-street.csv", "2017-11-maidstone-street.csv",
        "2017-12-maidstone-street.csv"]
    assert "2018-01" in result.output  # a month the service does not hold is named

    # Exactly the records the service holds inside the district, month by month.
    for month in ("2017-10", "2017-11", "2017-12"):
        written = _written_rows(out / "police" / f"{month}-maidstone-street.csv")
        assert written == _expected_rows(fake_police, maidstone_area, month)
    assert len(_written_rows(out / "police" / "2017-11-maidstone-street.csv")) > 1000
    # The polygon was split because the service refused it (limit 400 crimes a request).
    street = fake_police.street_requests()
    assert any(r for r in street) and len({r["poly"] for r in street}) > 4

    # ONS was asked for EPSG:4326; boundaries carry the vintage's columns.
    assert all(r.get("outSR") == "4326" for r in fake_ons.requests
               if r.get("f") == "geojson")
    record = json.loads((out / "fetch.json").read_text(encoding="utf-8"))
    assert record["district"]["code"] == MAIDSTONE and record["complete"]
    assert record["months_unavailable"] == ["2018-01"]
    for entry in record["files"]:
        digest = hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["path"]
    assert {"url", "time", "status", "sha256"} <= set(record["requests"][0])
    assert "Open Government Licence" in record["attribution"]["crime"]
    months = {m["month"]: m for m in record["police"]["months"]}
    assert months["2017-11"]["splits"] >= 1 and months["2017-11"]["outside_district"] > 0
    assert months["2017-11"]["no_location_force_wide"] == 3

    # The run reads the folder unchanged; rates come from the fetched population.
    run_out = tmp_path / "run"
    result = runner.invoke(cli, ["run", str(out / "wardmap.toml"), "--out", str(run_out),
                                 "--no-maps", "--permutations", "99"])
    assert result.exit_code == 0, result.output
    wards = pd.read_csv(run_out / "wards.csv")
    population = pd.read_csv(out / "population.csv")
    assert len(wards) == 26 and len(population) == 26
    merged = wards.merge(population, left_on="ward_code", right_on="Ward Code")
    assert (merged["population"] == merged["All Ages"]).all()
    expected_rate = merged["incidents"] / merged["All Ages"] * 1000
    assert (merged["rate_per_1000"] - expected_rate).abs().max() < 1e-6
    accounting = json.loads((run_out / "accounting.json").read_text(encoding="utf-8"))
    total = sum(len(fake_police.within(maidstone_area, m)) for m in ("2017-11", "2017-12"))
    assert accounting["input_rows"] == total


def test_fetch_resumes_and_refreshes(tmp_path, fetch_config, fake_police):
    runner = CliRunner()
    args = _fetch_args(fetch_config, _speed_toml(tmp_path))
    assert runner.invoke(cli, args).exit_code == 0
    first = len(fake_police.street_requests())
    assert runner.invoke(cli, args).exit_code == 0
    assert len(fake_police.street_requests()) == first  # months kept, nothing re-asked
    record = json.loads((Path(fetch_config.out) / "fetch.json").read_text(encoding="utf-8"))
    assert all("kept_from" in m for m in record["police"]["months"])
    result = runner.invoke(cli, [*args, "--refresh"])
    assert result.exit_code == 0, result.output
    assert len(fake_police.street_requests()) == 2 * first


def test_fetch_from_archive(tmp_path, fetch_config, shared_data, maidstone_area):
    import zipfile

    archive = tmp_path / "2017-12.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((shared_data / "police").glob("*-street.csv")):
            month = path.name[:7]
            rows = pd.read_csv(path, dtype=str, keep_default_na=False)
            moved = rows.head(100).assign(  # records of a neighbouring district
                Longitude=(rows["Longitude"].head(100).astype(float) + 0.3).map("{:.6f}".format))
            unplaced = rows.head(5).assign(Longitude="", Latitude="")  # no location
            zf.writestr(f"{month}/{month}-kent-street.csv",
                        "\ufeff" + pd.concat([rows, moved, unplaced]).to_csv(index=False))
            zf.writestr(f"{month}/{month}-kent-outcomes.csv", "Crime ID,Month\n")
    result = CliRunner().invoke(cli, _fetch_args(fetch_config, _speed_toml(tmp_path),
                                                 "--source", "archive", "--archive",
                                                 str(archive)))
    assert result.exit_code == 0, result.output
    out = Path(fetch_config.out)
    record = json.loads((out / "fetch.json").read_text(encoding="utf-8"))
    assert [(m["outside_district"], m["without_coordinates"], m["rows_read"] - m["records"])
            for m in record["police"]["months"]] == [(100, 5, 105)] * 2
    for path in sorted((shared_data / "police").glob("*-street.csv")):
        source = pd.read_csv(path, dtype=str, keep_default_na=False)

        inside = shapely.intersects_xy(maidstone_area, source["Longitude"].astype(float),
                                       source["Latitude"].astype(float))
        written = pd.read_csv(out / "police" / f"{path.name[:7]}-maidstone-street.csv",
                              dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(written, source[inside].reset_index(drop=True))
        assert len(written) > 1000
    assert "2017-10" in result.output and "2018-01" in result.output


def test_unknown_district_lists_close_matches(tmp_path, fetch_config):
    fetch_config.district = "Maidstown"
    args = _fetch_args(fetch_config, _speed_toml(tmp_path))
    args[args.index("--district") + 1] = "Maidstown"
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "Maidstone (E07000110)" in result.output and "Traceback" not in result.output


def test_ambiguous_district(tmp_path, fetch_config):
    args = _fetch_args(fetch_config, _speed_toml(tmp_path))
    args[args.index("--district") + 1] = "Ash"
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "ambiguous" in result.output
    assert "Ashford (E07000105)" in result.output and "Ashfield (E07000170)" in result.output


def test_poly_round_trip():
    assert poly_polygon("51.2,0.5:51.3,0.5:51.3,0.6").bounds == (0.5, 51.2, 0.6, 51.3)


def test_outage_mid_fetch_keeps_months_and_resumes(tmp_path, fetch_config, fake_police):
    from wardmap.fetch.stage import fetch_district

    fake_police.down_at = "2017-11"  # the service fails once 2017-10 is written
    fetch_config.workers = 1  # months in order, so 2017-12 is not fetched before 2017-11
    fetch_config.retries = 1
    with pytest.raises(FetchError, match="down"):
        fetch_district(fetch_config)
    out = Path(fetch_config.out)
    assert [p.name for p in (out / "police").iterdir()] == ["2017-10-maidstone-street.csv"]
    assert not (out / "fetch.json").exists()
    fake_police.down, fake_police.down_at = False, None
    before = len(fake_police.street_requests())
    report = fetch_district(fetch_config)
    asked = {r["date"] for r in fake_police.street_requests()[before:]}
    assert asked == {"2017-11", "2017-12"}  # 2017-10 was kept
    assert sorted(report.records) == ["2017-10", "2017-11", "2017-12"]


def test_force_without_data_is_reported(tmp_path, fetch_config, fake_police):
    fake_police.records, fake_police.points, fake_police.no_location = [], [], 0
    result = CliRunner().invoke(cli, _fetch_args(fetch_config, _speed_toml(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "no street-level records for Kent Police in any month" in result.output
    text = (Path(fetch_config.out) / "wardmap.toml").read_text(encoding="utf-8")
    assert "[filters]" not in text


def test_urls_from_config(tmp_path, fetch_config, fake_police):
    config = tmp_path / "fetch.toml"
    config.write_text(
        "[fetch]\n"
        f'district = "E07000110"\nmonths = "2017-11:2017-11"\nout = "data"\n'
        f'police_url = "{fetch_config.police_url}"\nons_url = "{fetch_config.ons_url}"\n'
        f'nomis_url = "{fetch_config.nomis_url}"\nbackoff = 0.001\nrate = 1000.0\n',
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["fetch", str(config)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "police" / "2017-11-maidstone-street.csv").is_file()
    again = CliRunner().invoke(cli, ["fetch", str(tmp_path / "data" / "wardmap.toml")])
    assert again.exit_code == 0, again.output  # the written config fetches again


def test_list_districts(fetch_config):
    result = CliRunner().invoke(cli, ["fetch", "--list-districts", "--ons-url",
                                      fetch_config.ons_url])
    assert result.exit_code == 0, result.output
    assert "E07000110\tMaidstone" in result.output.splitlines()


def test_months_fetched_at_once_match_months_fetched_in_turn(tmp_path, shared_data,
                                                             fetch_config, police_records):
    from pytest_httpserver import HTTPServer

    from tests.fetch.fakes import FakePolice
    from wardmap.fetch.stage import fetch_district

    server = HTTPServer(threaded=True)  # answers several requests at once, as police.uk does
    server.start()
    try:
        fake = FakePolice(police_records, ["2017-10", "2017-11", "2017-12"], limit=400,
                          latency=0.01)
        fetch_config.police_url = fake.install(server)
        files = {}
        for workers in (1, 3):
            fetch_config.workers = workers
            fetch_config.out = str(tmp_path / f"workers{workers}")
            fetch_district(fetch_config)
            police = Path(fetch_config.out) / "police"
            files[workers] = {p.name: p.read_bytes() for p in police.iterdir()}
            record = json.loads((Path(fetch_config.out) / "fetch.json").read_text("utf-8"))
            for month in record["police"]["months"]:
                street = [r for r in month["requests"] if "crimes-street/all-crime" in r["url"]]
                assert street and all(r.get("form", {}).get("date", month["month"]) ==
                                      month["month"] for r in street)
                assert all(f"date={month['month']}" in r["url"] for r in street
                           if r["method"] == "GET")
    finally:
        server.stop()
    assert files[1] == files[3] and len(files[1]) == 3


def test_latest_twelve_months_by_default(tmp_path, fetch_config, fake_police):
    from wardmap.fetch.stage import fetch_district

    fetch_config.months = None
    report = fetch_district(fetch_config)
    assert sorted(report.records) == ["2017-10", "2017-11", "2017-12"]  # all the fake holds
    text = (Path(fetch_config.out) / "wardmap.toml").read_text(encoding="utf-8")
    assert 'months = "2017-10:2017-12"' in text  # the months used, for the next fetch
