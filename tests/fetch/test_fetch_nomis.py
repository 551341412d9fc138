"""Nomis ward populations: matched by code, other vintages reported, errors named."""

import pytest

from tests.fetch.fakes import FakeNomis
from wardmap.fetch.http import Client, FetchError
from wardmap.fetch.nomis import ward_population


def _client():
    return Client(rate=1000, burst=100, backoff=0.001, sleep=lambda s: None)


def _fake(httpserver):
    fake = FakeNomis({"E05004982": "Allington", "E05004983": "Barming"})
    return fake, fake.install(httpserver)


def test_population_matched_by_code_and_other_vintage_reported(httpserver):
    fake, url = _fake(httpserver)
    got = ward_population(_client(), url, "E07000110", "TYPE182",
                          ["E05004982", "E05004983", "E05000001"])
    assert list(got.table.columns) == ["Ward Code", "Ward Name", "All Ages"]
    assert dict(zip(got.table["Ward Code"], got.table["All Ages"], strict=True)) == \
        fake.population
    assert got.not_in_boundaries == ["E05099999"]
    assert got.without_population == ["E05000001"]
    assert got.date == "mid-2022"
    assert fake.requests[0]["measures"] == "20100" and fake.requests[0]["c_age"] == "200"


def test_unknown_geography_is_a_clear_error(httpserver):
    _, url = _fake(httpserver)
    with pytest.raises(FetchError, match="HTTP 400.*Cannot find geography"):
        ward_population(_client(), url, "E07000999", "TYPE182", ["E05004982"])


def test_not_a_csv_is_a_clear_error(httpserver):
    httpserver.expect_request("/dataset/NM_2014_1.data.csv").respond_with_data(
        "<html>maintenance</html>", content_type="text/html")
    with pytest.raises(FetchError, match="without DATE_NAME"):
        ward_population(_client(), httpserver.url_for(""), "E07000110", "TYPE182", ["E05"])


def test_pages_past_the_cell_cap(httpserver, monkeypatch):
    import wardmap.fetch.nomis as nomis

    monkeypatch.setattr(nomis, "PAGE", 2)  # the real cap is 25,000 cells
    fake = FakeNomis({f"E0500{i:04d}": f"Ward {i}" for i in range(5)})
    url = fake.install(httpserver)
    got = ward_population(_client(), url, "E07000110", "TYPE182", list(fake.population))
    assert len(got.table) == 5 and got.not_in_boundaries == ["E05099999"]
    assert [r["recordoffset"] for r in fake.requests] == ["0", "2", "4", "6"]  # 6: empty
