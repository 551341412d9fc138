"""police.uk: polygon parts split on 503 until answered, none lost or doubled; 400s, outages,
the CSV layout."""

import csv
import random

import pytest
import shapely
from shapely.geometry import Polygon, box

from tests.fetch.fakes import FakePolice, api_record
from wardmap.fetch import police
from wardmap.fetch.http import Client, FetchError
from wardmap.fetch.parts import covering_parts, poly_param, split


def _client():
    return Client(rate=1000, burst=100, backoff=0.001, sleep=lambda s: None)


def _fake(httpserver, records, **kwargs):
    fake = FakePolice(records, ["2024-01"], **kwargs)
    fake.url = fake.install(httpserver)
    return fake


def _records(n, seed, area=box(0.4, 51.1, 0.7, 51.35)):
    rng = random.Random(seed)
    minx, miny, maxx, maxy = area.bounds
    out = []
    for i in range(n):
        row = {"Month": "2024-01", "Longitude": f"{rng.uniform(minx - 0.05, maxx + 0.05):.6f}",
               "Latitude": f"{rng.uniform(miny - 0.05, maxy + 0.05):.6f}",
               "Location": f"On or near Street {i % 40}", "Crime type": "Burglary",
               "Last outcome category": "Under investigation", "Context": ""}
        out.append(api_record(row, i))
    # Stacked records on one snap point, and points exactly on the first cut lines.
    out += [api_record({**row, "Longitude": "0.55", "Latitude": "51.2"}, n + i)
            for i in range(30)]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_split_parts_lose_and_double_nothing(httpserver, seed):
    area = box(0.4, 51.1, 0.7, 51.35) if seed % 2 else Polygon(
        [(0.4, 51.1), (0.7, 51.12), (0.55, 51.2), (0.7, 51.35), (0.42, 51.3)])
    records = _records(600, seed, area)
    fake = _fake(httpserver, records, limit=random.Random(seed).choice([40, 90, 250]))
    got = police.month_records(_client(), fake.url, covering_parts(area), area, "2024-01")
    ids = [r["id"] for r in got.records]
    assert len(ids) == len(set(ids))
    expected = {r["id"] for r in fake.within(area, "2024-01")}
    assert set(ids) == expected
    assert got.splits > 0 and got.parts >= 2
    assert len(got.records) + got.outside == len({r["id"] for r in records if any(
        part.covers(shapely.Point(float(r["location"]["longitude"]),
                                  float(r["location"]["latitude"])))
        for part in covering_parts(area))})


def test_overlong_get_is_sent_as_post(httpserver):
    area = box(0.4, 51.1, 0.7, 51.35)
    fake = _fake(httpserver, _records(50, 1, area), get_limit=60)
    got = police.month_records(_client(), fake.url, covering_parts(area), area, "2024-01")
    methods = [r["method"] for r in fake.street_requests()]
    assert methods == ["GET", "POST"] and len(got.records) > 0


def test_refused_post_splits_until_get_fits(httpserver):
    area = shapely.Point(0.55, 51.22).buffer(0.1, quad_segs=64)  # 256 vertices: long poly
    fake = _fake(httpserver, _records(50, 2, area), get_limit=3000, post_fails=True)
    got = police.month_records(_client(), fake.url, covering_parts(area, margin=1e-5), area,
                               "2024-01")
    assert {r["id"] for r in got.records} == {r["id"] for r in fake.within(area, "2024-01")}
    assert "POST" in {r["method"] for r in fake.street_requests()}
    assert got.splits > 0


def test_bad_request_is_an_error_not_a_split(httpserver):
    area = box(0.4, 51.1, 0.7, 51.35)
    fake = _fake(httpserver, _records(20, 5, area), get_limit=0, post_fails=True)
    with pytest.raises(FetchError, match="HTTP 400 to crimes-street for 2024-01 by GET and"):
        police.month_records(_client(), fake.url, covering_parts(area), area, "2024-01")
    assert [r["method"] for r in fake.street_requests()] == ["GET", "POST"]


def test_outage_is_told_apart_from_too_many(httpserver):
    area = box(0.4, 51.1, 0.7, 51.35)
    fake = _fake(httpserver, _records(20, 3, area), down=True)
    client = Client(retries=2, backoff=0.001, sleep=lambda s: None)
    with pytest.raises(FetchError, match="police.uk .*503"):
        police.month_records(client, fake.url, covering_parts(area), area, "2024-01")
    assert len(fake.street_requests()) == 1  # no splitting while the service is down


def test_429_then_success(httpserver):
    area = box(0.4, 51.1, 0.7, 51.35)
    fake = _fake(httpserver, _records(20, 4, area), too_many_requests=2)
    got = police.month_records(_client(), fake.url, covering_parts(area), area, "2024-01")
    assert len(got.records) == len(fake.within(area, "2024-01"))


def test_force_without_data(httpserver):
    area = box(0.4, 51.1, 0.7, 51.35)
    fake = _fake(httpserver, [], no_location=0)
    got = police.month_records(_client(), fake.url, covering_parts(area), area, "2024-01")
    assert got.records == []
    assert police.no_location_count(_client(), fake.url, "kent", "2024-01") == 0
    assert police.no_location_count(_client(), fake.url, "greater-manchester", "2024-01") is None


def test_split_halves_cover_the_part_and_overlap_slightly():
    part = Polygon([(0, 0), (4, 0), (4, 1), (2, 0.5), (0, 1)])
    pieces = split(part)
    assert len(pieces) == 2
    assert shapely.union_all(pieces).covers(part)
    assert 0 < shapely.intersection(*pieces).area < 1e-5


def test_covering_parts_cover_area_with_holes_and_islands():
    area = shapely.union_all([box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6)),
                              box(2, 2, 2.1, 2.1)])
    parts = covering_parts(area)
    assert len(parts) == 2 and all(not p.interiors for p in parts)
    assert shapely.union_all(parts).covers(area)


def test_poly_param_is_lat_lng():
    assert poly_param(box(0.5, 51.2, 0.6, 51.3)) == "51.2,0.6:51.3,0.6:51.3,0.5:51.2,0.5"


@pytest.mark.shared
def test_csv_rows_give_back_the_published_rows(shared_data):
    path = shared_data / "police" / "2017-12-maidstone-street.csv"
    with path.open(encoding="utf-8") as handle:
        published = list(csv.DictReader(handle))
    records = [api_record(row, i) for i, row in enumerate(published)]
    rows, warnings = police.csv_rows(records, "Kent Police")
    assert warnings == []
    columns = ["Month", "Falls within", "Longitude", "Latitude", "Location", "Crime type",
               "Last outcome category", "Context"]
    index = [police.CSV_COLUMNS.index(c) for c in columns]
    assert [[r[i] for i in index] for r in rows] == [[p[c] for c in columns] for p in published]
    asb = [r for r in rows if r[9] == "Anti-social behaviour"]
    assert asb and all(r[0] == "" for r in asb)  # ASB has no Crime ID
    assert all(len(r[0]) == 64 for r in rows if r[9] != "Anti-social behaviour")


def test_unknown_category_is_reported_not_dropped():
    record = api_record({"Month": "2024-01", "Longitude": "0.5", "Latitude": "51.2",
                         "Location": "On or near X", "Crime type": "Drugs",
                         "Last outcome category": "", "Context": ""}, 0)
    rows, warnings = police.csv_rows([{**record, "category": "new-kind-of-crime"}])
    assert rows[0][9] == "New kind of crime" and "new-kind-of-crime" in warnings[0]


# Property: whatever the points, the area and the service's limit, the records fetched are
# exactly the service's records inside the area, each once.
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_coordinate = st.tuples(st.integers(0, 40), st.integers(0, 40))  # a 0.01° grid: shared points


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stacks=st.lists(st.tuples(_coordinate, st.integers(1, 12)), min_size=5, max_size=80),
       corners=st.lists(_coordinate, min_size=3, max_size=8, unique=True),
       limit=st.integers(5, 60))
def test_any_points_any_area_any_limit(httpserver, stacks, corners, limit):
    area = shapely.convex_hull(shapely.MultiPoint(
        [(0.4 + x / 100, 51.0 + y / 100) for x, y in corners]))
    if area.area == 0:
        return
    points = [p for p, k in stacks for _ in range(k)]  # records share map points, as police.uk's
    records = [api_record({"Month": "2024-01", "Longitude": f"{0.4 + x / 100:.6f}",
                           "Latitude": f"{51.0 + y / 100:.6f}", "Location": "On or near X",
                           "Crime type": "Drugs", "Last outcome category": "", "Context": ""},
                          i) for i, (x, y) in enumerate(points)]
    httpserver.clear()
    fake = _fake(httpserver, records, limit=limit)
    try:
        got = police.month_records(_client(), fake.url, covering_parts(area), area, "2024-01")
    except FetchError as exc:
        # Only when the records crowd a spot no split can separate (1/1024 of the area).
        assert "after splitting" in str(exc)
        near = [sum(1 for q in points if abs(q[0] - p[0]) <= 2 and abs(q[1] - p[1]) <= 2)
                for p in set(points)]
        assert max(near) > limit
        event("crowded: no split can answer")
        return
    ids = [r["id"] for r in got.records]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r["id"] for r in fake.within(area, "2024-01")}
    event(f"split: {got.splits > 0}")


def test_every_category_maps_to_its_csv_crime_type():
    from tests.fetch.fakes import CRIME_TYPE_SLUGS

    assert {slug: name for name, slug in CRIME_TYPE_SLUGS.items()} == police.CATEGORIES
