"""Local stand-ins for police.uk, the ONS FeatureServer and Nomis, answering in each service's
documented formats (../shared/DATA_SOURCES.md) from real Maidstone wards and records."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyarrow.parquet as pq
import shapely
from shapely.geometry import Point, Polygon
from werkzeug import Request, Response

MAIDSTONE = "E07000110"
# Real district codes and names (Kent and one namesake elsewhere) for the lookup.
DISTRICT_NAMES = {"E07000110": "Maidstone", "E07000105": "Ashford", "E07000170": "Ashfield",
                  "E07000115": "Tonbridge and Malling", "E07000116": "Tunbridge Wells"}
# The fake's own category table, written out independently of wardmap.fetch.police.
CRIME_TYPE_SLUGS = {
    "Anti-social behaviour": "anti-social-behaviour", "Bicycle theft": "bicycle-theft",
    "Burglary": "burglary", "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs", "Other theft": "other-theft",
    "Possession of weapons": "possession-of-weapons", "Public order": "public-order",
    "Robbery": "robbery", "Shoplifting": "shoplifting",
    "Theft from the person": "theft-from-the-person", "Vehicle crime": "vehicle-crime",
    "Violence and sexual offences": "violent-crime", "Other crime": "other-crime",
}


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _params(request: Request) -> dict[str, str]:
    return {**request.args.to_dict(), **request.form.to_dict()}


# --- ONS ArcGIS FeatureServer -----------------------------------------------------------------
class FakeONS:
    """FeatureServer query endpoints for a lookup and a boundary service (2024 field names).

    Holds Maidstone's real wards (stored in British National Grid as ONS does, sent in
    EPSG:4326 when asked with outSR=4326) and lookup rows of other real districts."""

    def __init__(self, shared: Path, *, max_records: int = 10, ignore_where: bool = False,
                 lookup: str = "WD24_LAD24_UK_LU",
                 boundaries: str = "Wards_December_2024_Boundaries_UK_BGC") -> None:
        wards = gpd.read_file(shared / "boundaries" / "maidstone_wards_2013.geojson")
        self.wards = gpd.GeoDataFrame({"WD24CD": wards["WD13CD"], "WD24NM": wards["WD13NM"]},
                                      geometry=wards.geometry.to_crs(27700))
        table = pq.read_table(shared / "boundaries" / "england_wards_2013.parquet",
                              columns=["WD13CD", "WD13NM", "LAD13CD"]).to_pandas()
        table = table[table["LAD13CD"].isin(list(DISTRICT_NAMES))]
        self.lookup_rows = [{"WD24CD": r.WD13CD, "WD24NM": r.WD13NM, "LAD24CD": r.LAD13CD,
                             "LAD24NM": DISTRICT_NAMES[r.LAD13CD]} for r in table.itertuples()]
        self.services = {lookup: "lookup", boundaries: "boundaries"}
        self.max_records, self.ignore_where = max_records, ignore_where
        self.distinct = True  # False: refuse returnDistinctValues, as some servers do
        self.requests: list[dict[str, str]] = []

    def install(self, server: Any, prefix: str = "/arcgis/rest/services") -> str:
        server.expect_request(re.compile(rf"^{prefix}/.*")).respond_with_handler(self.handle)
        return server.url_for(prefix)

    def handle(self, request: Request) -> Response:
        params = _params(request)
        self.requests.append({"path": request.path, "method": request.method, **params})
        match = re.search(r"/([^/]+)/FeatureServer/0/query$", request.path)
        kind = self.services.get(match[1]) if match else None
        if kind is None:  # ArcGIS answers an unknown service with HTTP 200 and an error body
            return _json({"error": {"code": 400, "message": "Invalid URL",
                                    "details": ["Invalid URL"]}})
        rows = self._rows(kind)
        try:
            rows = rows if self.ignore_where else [r for r in rows
                                                   if _where(params.get("where", ""), r)]
        except ValueError:
            return _json({"error": {"code": 400, "message": "Unable to complete operation.",
                                    "details": ["Unable to perform query. Please check your "
                                                "parameters."]}})
        fields = [f for f in params.get("outFields", "*").split(",") if f and f != "*"]
        if params.get("returnDistinctValues") == "true" and not self.distinct:
            return _json({"error": {"code": 400, "message": "'returnDistinctValues' is not "
                                    "supported with pagination", "details": []}})
        if params.get("returnDistinctValues") == "true":
            seen = {tuple((_name(r["properties"], f), _field(r["properties"], f))
                          for f in fields) for r in rows}
            rows = [{"properties": dict(s), "geometry": None} for s in sorted(seen)]
        if params.get("returnCountOnly") == "true":
            return _json({"count": len(rows)})
        order = params.get("orderByFields")
        if order:
            rows = sorted(rows, key=lambda r: _field(r["properties"], order.split()[0]))
        offset = int(params.get("resultOffset", 0))
        count = min(int(params.get("resultRecordCount", self.max_records)), self.max_records)
        page, more = rows[offset:offset + count], offset + count < len(rows)
        page = [{**r, "properties": {_name(r["properties"], f): _field(r["properties"], f)
                                     for f in fields or r["properties"]}} for r in page]
        if params.get("f") == "geojson":
            features = [{"type": "Feature", "id": i, "properties": r["properties"],
                         "geometry": self._geometry(r["geometry"], params.get("outSR"))}
                        for i, r in enumerate(page)]
            body = {"type": "FeatureCollection", "features": features}
            if more:
                body["properties"] = {"exceededTransferLimit": True}
            return _json(body)
        return _json({"features": [{"attributes": r["properties"]} for r in page],
                      **({"exceededTransferLimit": True} if more else {})})

    def _rows(self, kind: str) -> list[dict[str, Any]]:
        if kind == "lookup":
            return [{"properties": r, "geometry": None} for r in self.lookup_rows]
        fields = [c for c in self.wards.columns if c != "geometry"]
        return [{"properties": dict(zip(fields, values, strict=True)), "geometry": geometry}
                for *values, geometry in self.wards[[*fields, "geometry"]].itertuples(
                    index=False)]

    @staticmethod
    def _geometry(geometry: Any, out_sr: str | None) -> Any:
        if out_sr == "4326":
            geometry = gpd.GeoSeries([geometry], crs=27700).to_crs(4326).iloc[0]
        return json.loads(shapely.to_geojson(geometry))


def _name(props: dict[str, Any], field: str) -> str:
    """The field's name as the service spells it (ArcGIS field names ignore case)."""
    return next((k for k in props if k.upper() == field.upper()), field)


def _field(props: dict[str, Any], field: str) -> Any:
    return props.get(_name(props, field))


def _where(where: str, row: dict[str, Any]) -> bool:
    props = row["properties"]
    where = where.strip()
    if where in ("", "1=1"):
        return True
    if m := re.fullmatch(r"(\w+)\s*=\s*'([^']*)'", where):
        return str(_field(props, m[1])) == m[2]
    if m := re.fullmatch(r"(\w+)\s+IN\s*\((.*)\)", where, re.IGNORECASE | re.DOTALL):
        return str(_field(props, m[1])) in re.findall(r"'([^']*)'", m[2])
    raise ValueError(where)


# --- Nomis ------------------------------------------------------------------------------------
class FakeNomis:
    """NM_2014_1.data.csv: populations of the district's wards plus one ward of another
    vintage; an unknown geography is HTTP 400 with a text body, as Nomis answers."""

    EXTRA = ("E05099999", "Ward of another vintage")

    def __init__(self, ward_codes: dict[str, str]) -> None:
        self.population = {code: 4000 + 97 * i for i, code in enumerate(sorted(ward_codes))}
        self.names = ward_codes
        self.requests: list[dict[str, str]] = []

    def install(self, server: Any, prefix: str = "/nomis/api/v01") -> str:
        server.expect_request(f"{prefix}/dataset/NM_2014_1.data.csv").respond_with_handler(
            self.handle)
        return server.url_for(prefix)

    def handle(self, request: Request) -> Response:
        params = request.args.to_dict()
        self.requests.append(params)
        if params.get("geography") != f"{MAIDSTONE}TYPE182":
            return Response("Cannot find geography", status=400, content_type="text/plain")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["DATE_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "OBS_VALUE"])
        rows = [("mid-2022", c, self.names[c], p) for c, p in self.population.items()]
        rows.append(("mid-2022", *self.EXTRA, 5555))
        start = int(params.get("recordoffset", 0))
        limit = int(params.get("recordlimit", 25000))
        writer.writerows(rows[start:start + limit])
        return Response(buffer.getvalue(), content_type="text/csv")


# --- police.uk --------------------------------------------------------------------------------
class FakePolice:
    """The police.uk API over real records: crimes-street by polygon (GET or POST), 503 over
    ``limit`` crimes, 400 for GET URLs over ``get_limit`` characters, crimes-no-location,
    crimes-street-dates, crime-last-updated, locate-neighbourhood, forces."""

    def __init__(self, records: list[dict[str, Any]], months: list[str], *, limit: int = 10_000,
                 get_limit: int = 4094, no_location: int = 3, post_fails: bool = False,
                 too_many_requests: int = 0, down: bool = False, latency: float = 0.0) -> None:
        self.records, self.months = records, months
        self.limit, self.get_limit, self.post_fails = limit, get_limit, post_fails
        self.no_location, self.too_many_requests, self.down = no_location, too_many_requests, down
        self.points = [Point(float(r["location"]["longitude"]), float(r["location"]["latitude"]))
                       for r in records]
        self.latency = latency  # seconds before each answer, as over a network
        self.down_at: str | None = None  # the service goes down when this month is asked
        self.requests: list[dict[str, Any]] = []

    def install(self, server: Any, prefix: str = "/police/api") -> str:
        server.expect_request(re.compile(rf"^{prefix}/.*")).respond_with_handler(self.handle)
        return server.url_for(prefix)

    def handle(self, request: Request) -> Response:
        params = _params(request)
        path = request.path.split("/api", 1)[1]
        self.requests.append({"path": path, "method": request.method,
                              "url_length": len(request.url), **params})
        time.sleep(self.latency)
        if self.down_at and params.get("date") == self.down_at:
            self.down = True
        if self.too_many_requests > 0:
            self.too_many_requests -= 1
            return Response("Too Many Requests", status=429)
        if self.down:
            return Response("<html>Service Unavailable</html>", status=503)
        if path == "/crimes-street/all-crime":
            return self._street(request, params)
        if path == "/crimes-street-dates":
            return _json([{"date": m, "stop-and-search": ["kent"]} for m in self.months])
        if path == "/crime-last-updated":
            return _json({"date": f"{max(self.months)}-01"})
        if path == "/locate-neighbourhood":
            return _json({"force": "kent", "neighbourhood": "KMA1"})
        if path == "/forces/kent":
            return _json({"id": "kent", "name": "Kent Police", "url": "", "telephone": "101"})
        if path == "/crimes-no-location":
            if params.get("force") != "kent":
                return Response("Not found", status=404)
            n = self.no_location if params.get("date") in self.months else 0
            return _json([{"category": "burglary", "location": None, "id": 900_000 + i,
                           "month": params.get("date"), "context": "", "persistent_id": "",
                           "location_type": None, "location_subtype": "",
                           "outcome_status": None} for i in range(n)])
        return Response("Not found", status=404)

    def _street(self, request: Request, params: dict[str, str]) -> Response:
        if request.method == "GET" and len(request.url) > self.get_limit:
            return Response("Bad Request: URL too long", status=400)
        if request.method == "POST" and self.post_fails:
            return Response("Bad Request", status=400)
        polygon = poly_polygon(params["poly"])
        month = params.get("date")
        hits = self.within(polygon, month)
        if len(hits) > self.limit:
            return Response("", status=503)
        return _json(hits)

    def within(self, polygon: Polygon, month: str | None) -> list[dict[str, Any]]:
        """The records police.uk would answer for this polygon and month."""
        shapely.prepare(polygon)
        return [r for r, p in zip(self.records, self.points, strict=True)
                if r["month"] == month and polygon.covers(p)]

    def street_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == "/crimes-street/all-crime"]


def poly_polygon(poly: str) -> Polygon:
    """police.uk's poly parameter (lat,lng:lat,lng:...) as a lon/lat polygon."""
    pairs = [tuple(map(float, p.split(","))) for p in poly.split(":")]
    return Polygon([(lng, lat) for lat, lng in pairs])


def api_records(csv_paths: list[Path]) -> list[dict[str, Any]]:
    """police.uk street CSV rows as the API's JSON records (ids made up, as the API has them
    and the CSVs do not)."""
    records = []
    for path in csv_paths:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                records.append(api_record(row, len(records)))
    return records


def api_record(row: dict[str, str], index: int) -> dict[str, Any]:
    slug = CRIME_TYPE_SLUGS[row["Crime type"]]
    persistent = ("" if slug == "anti-social-behaviour" else
                  hashlib.sha256(f"crime-{index}".encode()).hexdigest())
    outcome = row["Last outcome category"]
    return {"category": slug, "location_type": "Force",
            "location": {"latitude": row["Latitude"], "longitude": row["Longitude"],
                         "street": {"id": 1_000_000 + index, "name": row["Location"]}},
            "context": row["Context"], "persistent_id": persistent, "id": 50_000_000 + index,
            "location_subtype": "", "month": row["Month"],
            "outcome_status": {"category": outcome, "date": row["Month"]} if outcome else None}
