"""Fake police.uk, ONS and Nomis services on a local pytest-httpserver, and a config for them."""

import socket
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from tests.fetch.fakes import FakeNomis, FakeONS, FakePolice, api_records
from wardmap.config import FetchConfig

MONTHS = ["2017-10", "2017-11", "2017-12"]  # 2017-10: held by the service, but empty


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fetch tests talk to local stand-ins only: any other host name fails to resolve."""
    resolve = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise socket.gaierror(f"tests must not reach {host}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture(scope="session")
def maidstone_area(shared_data: Path):
    wards = gpd.read_file(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    return shapely.union_all(wards.geometry.array).buffer(0)


@pytest.fixture(scope="session")
def police_records(shared_data: Path, maidstone_area) -> list[dict]:
    """Real Maidstone records, plus copies moved outside the district: 0.3° east, and onto a
    line 0.0002° (~20 m) outside its edge, within the margin of the polygons sent."""
    records = api_records(sorted((shared_data / "police").glob("*-street.csv")))
    edge = list(maidstone_area.buffer(0.0002).exterior.coords)
    outside = []
    for i, record in enumerate(records[:200]):
        lon = float(record["location"]["longitude"]) + 0.3
        lat = float(record["location"]["latitude"])
        if i % 2:
            lon, lat = edge[i * 7 % len(edge)]
        outside.append({**record, "id": 90_000_000 + i, "location": {
            **record["location"], "longitude": f"{lon:.6f}", "latitude": f"{lat:.6f}"}})
    return records + outside


@pytest.fixture
def fake_ons(httpserver, shared_data):
    ons = FakeONS(shared_data)
    ons.url = ons.install(httpserver)
    return ons


@pytest.fixture
def fake_nomis(httpserver, fake_ons):
    nomis = FakeNomis(dict(zip(fake_ons.wards["WD24CD"], fake_ons.wards["WD24NM"],
                               strict=True)))
    nomis.url = nomis.install(httpserver)
    return nomis


@pytest.fixture
def fake_police(httpserver, police_records):
    police = FakePolice(police_records, MONTHS, limit=400)
    police.url = police.install(httpserver)
    return police


@pytest.fixture
def fetch_config(tmp_path, fake_ons, fake_nomis, fake_police) -> FetchConfig:
    return FetchConfig(district="Maidstone", months="2017-10:2018-01", out=str(tmp_path / "out"),
                       police_url=fake_police.url, ons_url=fake_ons.url,
                       nomis_url=fake_nomis.url, backoff=0.001, rate=1000, burst=100,
                       page_size=2000)
