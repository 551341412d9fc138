"""ONS FeatureServer: paging, error bodies, client-side filtering, district names."""

import pandas as pd
import pytest

from tests.fetch.fakes import MAIDSTONE, FakeONS
from wardmap.fetch import ons
from wardmap.fetch.http import Client, FetchError
from wardmap.fetch.vintages import ward_vintage

pytestmark = pytest.mark.shared


def _client():
    return Client(rate=1000, burst=100, backoff=0.001, sleep=lambda s: None)


def test_boundaries_are_paged_in_wgs84(fake_ons):
    vintage = ward_vintage("2024")
    client = _client()
    wards = ons.district_wards(client, fake_ons.url, vintage, MAIDSTONE, page_size=10)
    assert len(wards) == 26 and wards["ward_code"].is_monotonic_increasing
    frame = ons.ward_boundaries(client, fake_ons.url, vintage, wards, page_size=10)
    assert list(frame.columns) == ["WD24CD", "WD24NM", "geometry"]
    assert len(frame) == 26 and frame.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = frame.total_bounds
    assert 0.3 < minx < maxx < 0.9 and 51.0 < miny < maxy < 51.4
    pages = [r for r in fake_ons.requests if r.get("f") == "geojson"]
    assert [int(r["resultOffset"]) for r in pages] == [0, 10, 20]
    assert all(r["outSR"] == "4326" and r["orderByFields"] == "WD24CD" for r in pages)


def test_server_page_cap_below_the_request_still_pages(fake_ons):
    fake_ons.max_records = 7  # smaller than the page size asked for
    vintage = ward_vintage("2024")
    wards = ons.district_wards(_client(), fake_ons.url, vintage, MAIDSTONE, page_size=2000)
    assert len(wards) == 26


def test_where_clause_not_honoured_is_filtered_here(fake_ons):
    fake_ons.ignore_where = True  # the server answers every district's wards
    wards = ons.district_wards(_client(), fake_ons.url, ward_vintage("2024"), MAIDSTONE)
    assert len(wards) == 26


def test_json_error_body_is_an_error(fake_ons):
    vintage = ward_vintage("2024", lookup_service="WD99_LAD99_UK_LU")
    with pytest.raises(FetchError, match=r"reported error 400: Invalid URL.*service name"):
        ons.districts(_client(), fake_ons.url, vintage)


def test_ward_without_boundary_is_named(fake_ons):
    wards = pd.DataFrame({"ward_code": ["E05004982", "E05999999"],
                          "ward_name": ["Allington", "Nowhere"]})
    with pytest.raises(FetchError, match="E05999999"):
        ons.ward_boundaries(_client(), fake_ons.url, ward_vintage("2024"), wards)


@pytest.mark.parametrize("distinct", [True, False])
def test_districts_are_distinct(fake_ons, distinct):
    fake_ons.distinct = distinct
    table = ons.districts(_client(), fake_ons.url, ward_vintage("2024"), page_size=2)
    assert sorted(table["lad_name"]) == ["Ashfield", "Ashford", "Maidstone",
                                         "Tonbridge and Malling", "Tunbridge Wells"]


TABLE = pd.DataFrame({"lad_code": ["E07000110", "E07000105", "E07000170", "E07000116",
                                   "E07000115"],
                      "lad_name": ["Maidstone", "Ashford", "Ashfield", "Tunbridge Wells",
                                   "Tonbridge and Malling"]})


@pytest.mark.parametrize("given", ["Maidstone", "maidstone ", "E07000110", "e07000110"])
def test_district_by_name_or_code(given):
    assert ons.resolve_district(given, TABLE) == ("E07000110", "Maidstone")


def test_district_by_the_start_of_a_word():
    assert ons.resolve_district("Tunbridge", TABLE) == ("E07000116", "Tunbridge Wells")
    assert ons.resolve_district("Tonbridge & Malling", TABLE)[0] == "E07000115"


def test_ambiguous_and_unknown_districts():
    with pytest.raises(FetchError, match=r"ambiguous.*Ashford \(E07000105\).*Ashfield"):
        ons.resolve_district("Ash", TABLE)
    with pytest.raises(FetchError, match=r"no local authority district with the name "
                       r"'Maidstown'.*close matches: Maidstone \(E07000110\)"):
        ons.resolve_district("Maidstown", TABLE)
    with pytest.raises(FetchError, match=r"with the code 'E07000999'"):
        ons.resolve_district("E07000999", TABLE)


def test_fake_holds_real_boundaries(shared_data):
    assert len(FakeONS(shared_data).wards) == 26


def test_long_queries_are_posted(fake_ons, monkeypatch):
    monkeypatch.setattr(ons, "_LONG_QUERY", 200)
    client = _client()
    vintage = ward_vintage("2024")
    wards = ons.district_wards(client, fake_ons.url, vintage, MAIDSTONE)
    frame = ons.ward_boundaries(client, fake_ons.url, vintage, wards, page_size=10)
    assert len(frame) == 26
    posted = [r for r in fake_ons.requests if r["method"] == "POST" and r.get("f") == "geojson"]
    assert len(posted) == 3 and "IN (" in posted[0]["where"]


def test_field_names_in_another_case(fake_ons):
    fake_ons.lookup_rows = [{k.lower(): v for k, v in r.items()} for r in fake_ons.lookup_rows]
    fake_ons.wards = fake_ons.wards.rename(columns={"WD24CD": "wd24cd", "WD24NM": "wd24nm"})
    vintage = ward_vintage("2024")
    client = _client()
    assert ons.resolve_district("Maidstone", ons.districts(client, fake_ons.url, vintage))
    wards = ons.district_wards(client, fake_ons.url, vintage, MAIDSTONE)
    frame = ons.ward_boundaries(client, fake_ons.url, vintage, wards)
    assert list(frame.columns) == ["WD24CD", "WD24NM", "geometry"] and len(frame) == 26
