"""ONS Open Geography Portal (ArcGIS FeatureServer): the ward→district lookup and ward
boundaries of one vintage.

ArcGIS pages results (maxRecordCount, usually 2,000), reports errors inside a HTTP 200 JSON
body, and treats a `where` clause as a request rather than a guarantee: every query here pages
to the end, checks the body for "error", compares the total with returnCountOnly, and filters
the rows again on this side.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import pandas as pd
from rapidfuzz import fuzz, process

from wardmap.fetch.http import Answer, Client, FetchError
from wardmap.fetch.vintages import WardVintage

SERVICE = "the ONS Open Geography Portal"
ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government "
               "Licence v.3.0. Contains OS data © Crown copyright and database right.")


class QueryError(FetchError):
    """The FeatureServer answered, but refused or botched the query."""


_LONG_QUERY = 1800  # characters of URL above which the query is POSTed (ArcGIS accepts both)
_CODE = re.compile(r"^[EWSN]\d{8}$", re.IGNORECASE)


def query(client: Client, base: str, service: str, params: dict[str, Any], *,
          page_size: int = 2000, what: str = "rows") -> list[dict[str, Any]]:
    """Every feature a FeatureServer query matches, page by page (f=json or f=geojson).

    Examples
    --------
    >>> query(client, "https://…/rest/services", "WD24_LAD24_UK_LU",
    ...       {"where": "1=1", "outFields": "WD24CD", "f": "json"})  # doctest: +SKIP
    """
    url = f"{base.rstrip('/')}/{service}/FeatureServer/0/query"
    expected = _count(client, url, params)
    features: list[dict[str, Any]] = []
    while True:
        page = {**params, "resultOffset": len(features), "resultRecordCount": page_size}
        answer = _send(client, url, page)
        body = _body(answer, url)
        batch = body.get("features")
        if not isinstance(batch, list):
            raise FetchError(f"{SERVICE}: {service} answered without a feature list "
                             f"(keys: {', '.join(sorted(body))})")
        answer.entry["records"] = len(batch)
        features += batch
        more = body.get("exceededTransferLimit") or (body.get("properties") or {}).get(
            "exceededTransferLimit")
        if not batch or not (more or len(batch) >= page_size):
            break
    if expected is not None and len(features) != expected:
        raise QueryError(f"{SERVICE}: {service} counted {expected} {what} but paging returned "
                         f"{len(features)}; try again later")
    return features


def _count(client: Client, url: str, params: dict[str, Any]) -> int | None:
    counting = {k: v for k, v in params.items() if k not in ("orderByFields", "outSR")}
    body = _body(_send(client, url, {**counting, "returnCountOnly": "true", "f": "json"}), url)
    count = body.get("count")
    return int(count) if isinstance(count, int) else None


def _send(client: Client, url: str, params: dict[str, Any]) -> Answer:
    long = len(url) + sum(len(str(k)) + len(str(v)) + 2 for k, v in params.items())
    if long > _LONG_QUERY:
        answer = client.request("POST", url, data=params, service=SERVICE)
    else:
        answer = client.request("GET", url, params=params, service=SERVICE)
    if answer.status != 200:
        raise FetchError(f"{SERVICE} answered HTTP {answer.status} to {answer.entry['url']}"
                         f"{_not_found_hint(answer.status)}")
    return answer


def _body(answer: Answer, url: str) -> dict[str, Any]:
    body = answer.json()
    if not isinstance(body, dict):
        raise FetchError(f"{SERVICE}: {url} answered JSON that is not an object")
    if "error" in body:
        error = body["error"] if isinstance(body["error"], dict) else {"message": body["error"]}
        details = "; ".join(str(d) for d in error.get("details") or [] if d)
        raise QueryError(f"{SERVICE}: {url} reported error {error.get('code', '?')}: "
                         f"{error.get('message', 'no message')}{f' ({details})' if details else ''}"
                         f"{_not_found_hint(error.get('code'))}")
    return body


def _not_found_hint(code: Any) -> str:
    if code in (400, 404, "400", "404"):
        return (" (the service name may have changed: set [fetch] boundaries_service or "
                "lookup_service in a config, or choose another --ward-year)")
    return ""


def districts(client: Client, base: str, vintage: WardVintage, *,
              page_size: int = 2000) -> pd.DataFrame:
    """Every local authority district in the lookup: columns lad_code, lad_name.

    Asks for distinct values (a few hundred rows); a server that refuses to page them gets the
    plain query (one row per ward), made distinct here.

    Examples
    --------
    >>> districts(Client(), ONS_URL, ward_vintage("2024")).head(1)  # doctest: +SKIP
        lad_code        lad_name
    0  E06000001      Hartlepool
    """
    params = {"where": "1=1", "outFields": f"{vintage.lad_code},{vintage.lad_name}",
              "returnGeometry": "false", "orderByFields": vintage.lad_code, "f": "json"}
    try:
        rows = query(client, base, vintage.lookup_service,
                     {**params, "returnDistinctValues": "true"}, page_size=page_size,
                     what="districts")
    except QueryError:
        rows = query(client, base, vintage.lookup_service, params, page_size=page_size,
                     what="rows")
    table = _attributes(rows, {vintage.lad_code: "lad_code", vintage.lad_name: "lad_name"},
                        vintage.lookup_service)
    return table.drop_duplicates().sort_values("lad_code", ignore_index=True)


def resolve_district(name_or_code: str, table: pd.DataFrame) -> tuple[str, str]:
    """(code, name) of the district meant: its code, its exact name, or the one name with
    words starting as given. Anything else is an error listing close matches.

    Examples
    --------
    >>> table = pd.DataFrame({"lad_code": ["E07000110", "E07000105"],
    ...                       "lad_name": ["Maidstone", "Ashford"]})
    >>> resolve_district("maidstone", table)
    ('E07000110', 'Maidstone')
    """
    wanted = _norm(name_or_code)
    if not wanted:
        raise FetchError("--district is empty: give a district name or code, e.g. Maidstone "
                         "or E07000110")
    codes = table["lad_code"].str.upper()
    names = table["lad_name"].map(_norm)
    for hit in (codes == name_or_code.strip().upper(), names == wanted):
        if hit.sum() == 1:
            row = table[hit.to_numpy()].iloc[0]
            return row["lad_code"], row["lad_name"]
    contains = names.map(lambda n: f" {wanted}" in f" {n}")  # words starting as given
    if contains.sum() == 1:
        row = table[contains.to_numpy()].iloc[0]
        return row["lad_code"], row["lad_name"]
    if contains.sum() > 1:
        options = table[contains.to_numpy()]
        raise FetchError(f"district {name_or_code!r} is ambiguous: it could be "
                         f"{_listing(options)}; give the name in full or the code")
    kind = "code" if _CODE.match(name_or_code.strip()) else "name"
    close = process.extract(wanted, dict(zip(table.index, names, strict=True)),
                            scorer=fuzz.WRatio, limit=5, score_cutoff=60)
    hint = (f"; close matches: {_listing(table.loc[[k for _, _, k in close]])}" if close
            else "; `wardmap fetch --list-districts` lists them all")
    raise FetchError(f"no local authority district with the {kind} {name_or_code!r} in the "
                     f"ward lookup{hint}")


def _listing(table: pd.DataFrame) -> str:
    return ", ".join(f"{r.lad_name} ({r.lad_code})" for r in table.itertuples())


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(text).lower().replace("&", " and ")).split())


def district_wards(client: Client, base: str, vintage: WardVintage, lad_code: str, *,
                   page_size: int = 2000) -> pd.DataFrame:
    """The district's wards from the lookup: columns ward_code, ward_name (sorted by code).

    Examples
    --------
    >>> len(district_wards(Client(), ONS_URL, ward_vintage("2024"), "E07000110"))  # doctest: +SKIP
    26
    """
    rows = query(client, base, vintage.lookup_service, {
        "where": f"{vintage.lad_code} = '{_quote(lad_code)}'",
        "outFields": f"{vintage.ward_code},{vintage.ward_name},{vintage.lad_code}",
        "returnGeometry": "false", "orderByFields": vintage.ward_code, "f": "json"},
        page_size=page_size, what="wards")
    table = _attributes(rows, {vintage.ward_code: "ward_code", vintage.ward_name: "ward_name",
                               vintage.lad_code: "lad_code"}, vintage.lookup_service)
    table = table[table["lad_code"] == lad_code]  # the where clause is a request, not a promise
    table = table.drop(columns="lad_code").drop_duplicates("ward_code")
    if table.empty:
        raise FetchError(f"{SERVICE}: the lookup {vintage.lookup_service} lists no wards for "
                         f"{lad_code}")
    return table.sort_values("ward_code", ignore_index=True)


def ward_boundaries(client: Client, base: str, vintage: WardVintage, wards: pd.DataFrame, *,
                    page_size: int = 2000, chunk: int = 200) -> gpd.GeoDataFrame:
    """The wards' generalised clipped boundaries in EPSG:4326, with the vintage's code and
    name columns; a ward the lookup names but the boundary service lacks is an error.

    Examples
    --------
    >>> wards = district_wards(client, ONS_URL, vintage, "E07000110")  # doctest: +SKIP
    >>> ward_boundaries(client, ONS_URL, vintage, wards).crs.to_epsg()  # doctest: +SKIP
    4326
    """
    codes = list(wards["ward_code"])
    features: list[dict[str, Any]] = []
    for start in range(0, len(codes), chunk):  # keeps each where clause a sensible length
        listed = ", ".join(f"'{_quote(c)}'" for c in codes[start:start + chunk])
        features += query(client, base, vintage.boundaries_service, {
            "where": f"{vintage.ward_code} IN ({listed})",
            "outFields": f"{vintage.ward_code},{vintage.ward_name}", "outSR": "4326",
            "returnGeometry": "true", "orderByFields": vintage.ward_code, "f": "geojson"},
            page_size=page_size, what="wards")
    frame = _features(features, vintage)
    frame = frame[frame[vintage.ward_code].isin(codes)]
    frame = frame.drop_duplicates(vintage.ward_code).sort_values(vintage.ward_code,
                                                                 ignore_index=True)
    missing = sorted(set(codes) - set(frame[vintage.ward_code]))
    if missing:
        raise FetchError(f"{SERVICE}: {vintage.boundaries_service} has no boundary for "
                         f"{len(missing)} ward(s) of the lookup: {', '.join(missing[:10])}; "
                         "the lookup and boundaries may be of different vintages")
    return frame


def _features(features: list[dict[str, Any]], vintage: WardVintage) -> gpd.GeoDataFrame:
    columns = [vintage.ward_code, vintage.ward_name]
    if not features:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    except (KeyError, TypeError, ValueError) as exc:
        raise FetchError(f"{SERVICE}: {vintage.boundaries_service} answered features that are "
                         f"not GeoJSON ({exc})") from None
    # Field names differ in case between ONS services (WD24CD, wd19cd): match either.
    frame = frame.rename(columns={c: w for c in frame.columns for w in columns
                                  if str(c).upper() == w.upper()})
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise FetchError(f"{SERVICE}: {vintage.boundaries_service} features lack "
                         f"{', '.join(lacking)} (fields: {', '.join(map(str, frame.columns))})")
    return frame[[*columns, "geometry"]]


def _attributes(rows: list[dict[str, Any]], rename: dict[str, str],
                service: str) -> pd.DataFrame:
    records = [r.get("attributes", r.get("properties")) for r in rows]
    if any(not isinstance(r, dict) for r in records):
        raise FetchError(f"{SERVICE}: {service} answered rows without attributes")
    wanted = {k.upper(): k for k in rename}  # field names differ in case between services
    records = [{wanted.get(str(k).upper(), k): v for k, v in r.items()} for r in records]
    table = pd.DataFrame.from_records(records, columns=list(rename))
    if table.isna().all().any():
        lacking = [c for c in rename if table[c].isna().all()]
        if len(table):
            raise FetchError(f"{SERVICE}: {service} rows lack {', '.join(lacking)}")
    return table.rename(columns=rename).dropna().astype(str)


def _quote(value: str) -> str:
    return str(value).replace("'", "''")
