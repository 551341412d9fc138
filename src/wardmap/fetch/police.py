"""police.uk street-level crimes for a district: by polygon, month by month, in parts.

An area holding more than 10,000 crimes in a month gets HTTP 503; so does a service outage.
The two are told apart by asking /crime-last-updated: if that answers, the area is split in
two and each half asked again, until every part is answered. Parts overlap at their cuts and
records are merged by their police.uk id, so none is lost or counted twice; the merged records
are then cut to the district itself (the polygons sent cover it with a small margin).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from wardmap.fetch.http import RETRY_STATUSES, Client, FetchError
from wardmap.fetch.parts import poly_param, split

SERVICE = "police.uk"
ATTRIBUTION = ("Crime data: police.uk, contains public sector information licensed under the "
               "Open Government Licence v3.0.")
GET_LIMIT = 4000  # police.uk answers 400 to GET URLs over 4,094 characters
MAX_DEPTH = 10  # splits of one part before giving up (1/1024 of it)

# The columns of police.uk's street-level CSVs, in order.
CSV_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
               "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
               "Context"]

# API category slugs → the CSVs' "Crime type" names.
CATEGORIES = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
    "other-crime": "Other crime",
}


@dataclass
class MonthRecords:
    """One month's records within the district, and how they were got."""

    month: str
    records: list[dict[str, Any]]
    parts: int = 1
    splits: int = 0
    duplicates: int = 0  # returned by two overlapping parts, kept once
    outside: int = 0  # returned for the covering polygon but outside the district
    warnings: list[str] = field(default_factory=list)


def available_months(client: Client, base: str) -> set[str] | None:
    """Months the API holds (crimes-street-dates), or None when it does not say."""
    answer = client.request("GET", f"{_root(base)}/crimes-street-dates", service=SERVICE,
                            use_cache=False)  # a new month is published every month
    if answer.status != 200:
        return None
    dates = answer.json()
    if not isinstance(dates, list):
        raise FetchError(f"{SERVICE}: crimes-street-dates is not a list")
    answer.entry["records"] = len(dates)
    return {str(d.get("date"))[:7] for d in dates if isinstance(d, dict) and d.get("date")}


def locate_force(client: Client, base: str, point: Point) -> tuple[str, str] | None:
    """(force id, force name) of the force area holding ``point``, or None when unknown."""
    answer = client.request("GET", f"{_root(base)}/locate-neighbourhood",
                            params={"q": f"{point.y:.6f},{point.x:.6f}"}, service=SERVICE)
    if answer.status != 200:
        return None
    force = (answer.json() or {}).get("force")
    return (str(force), force_name(client, base, str(force))) if force else None


def force_name(client: Client, base: str, force: str) -> str:
    """The force's name as the CSVs write it ("Kent Police"); the id when unknown."""
    answer = client.request("GET", f"{_root(base)}/forces/{force}", service=SERVICE)
    if answer.status == 404:
        raise FetchError(f"{SERVICE} knows no force {force!r} (see {_root(base)}/forces)")
    if answer.status != 200:
        return force
    return str((answer.json() or {}).get("name") or force)


def no_location_count(client: Client, base: str, force: str, month: str) -> int | None:
    """Crimes the force recorded in ``month`` without a location (force-wide), or None."""
    answer = client.request("GET", f"{_root(base)}/crimes-no-location", service=SERVICE,
                            params={"category": "all-crime", "force": force, "date": month})
    if answer.status != 200:
        return None
    records = _records(answer)
    return len(records)


def month_records(client: Client, base: str, parts: list[Polygon], area: BaseGeometry,
                  month: str) -> MonthRecords:
    """Every street-level crime of ``month`` within ``area``, asked for by the covering
    ``parts`` (split further whenever police.uk refuses one).

    Examples
    --------
    >>> got = month_records(Client(), "https://data.police.uk/api",
    ...                     covering_parts(area), area, "2024-01")  # doctest: +SKIP
    >>> got.parts, len(got.records)  # doctest: +SKIP
    (3, 14210)
    """
    answers: list[tuple[Polygon, list[dict[str, Any]]]] = []
    splits = 0
    for part in parts:
        got, n = _part_records(client, base, part, month, 0)
        answers += got
        splits += n
    result = _merge(answers, area, month)
    result.parts, result.splits = len(answers), splits
    return result


def _part_records(client: Client, base: str, part: Polygon, month: str,
                  depth: int) -> tuple[list[tuple[Polygon, list[dict[str, Any]]]], int]:
    url = f"{_root(base)}/crimes-street/all-crime"
    form = {"poly": poly_param(part), "date": month}
    long = len(url) + len("?poly=&date=") + len(form["poly"]) + len(month) > GET_LIMIT
    status = None
    for method in (["POST"] if long else ["GET", "POST"]):
        answer = client.request(method, url, service=SERVICE, retry_on=RETRY_STATUSES - {503},
                                **({"data": form} if method == "POST" else {"params": form}))
        status = answer.status
        if status == 200:
            return [(part, _records(answer))], 0
        if status != 400:  # a 400 to a GET is an over-long URL: POST instead
            break
    if status == 503:
        _check_up(client, base)
    elif status != 400 or not long:  # a 400 to a long POST: smaller parts are shorter
        raise FetchError(f"{SERVICE} answered HTTP {status} to crimes-street for {month} "
                         f"by GET and POST ({_short_poly(form['poly'])})")
    if depth >= MAX_DEPTH:
        raise FetchError(f"{SERVICE} still refused crimes-street for {month} (HTTP {status}) "
                         f"after splitting the area {depth} times: more crimes on one spot "
                         "than it answers for, or the service is failing; try later")
    got, splits = [], 1
    for piece in split(part):
        more, n = _part_records(client, base, piece, month, depth + 1)
        got += more
        splits += n
    return got, splits


def _short_poly(poly: str) -> str:
    return f"poly={poly[:60]}…" if len(poly) > 60 else f"poly={poly}"


def _check_up(client: Client, base: str) -> None:
    """After a 503: raise if police.uk is down, return if it is up (so the area was too big)."""
    answer = client.request("GET", f"{_root(base)}/crime-last-updated", service=SERVICE,
                            use_cache=False)
    if answer.status != 200:
        raise FetchError(f"{SERVICE} answered HTTP 503 and /crime-last-updated HTTP "
                         f"{answer.status}: the service is down; try again later")


def _records(answer: Any) -> list[dict[str, Any]]:
    records = answer.json()
    if not isinstance(records, list):
        raise FetchError(f"{SERVICE}: {answer.entry['url']} answered JSON that is not a list")
    answer.entry["records"] = len(records)
    return records


def _merge(answers: list[tuple[Polygon, list[dict[str, Any]]]], area: BaseGeometry,
           month: str) -> MonthRecords:
    """One copy of each record (by id; by the first part holding it when it has no id),
    keeping those within ``area``."""
    kept: list[dict[str, Any]] = []
    seen: set[Any] = set()
    duplicates = 0
    for index, (_part, records) in enumerate(answers):
        for record in records:
            key = record.get("id")
            if key is None:  # no id: kept only from the first part holding its point
                if _owner(record, answers, index) == index:
                    kept.append(record)
                else:
                    duplicates += 1
                continue
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            kept.append(record)
    inside = _inside(kept, area)
    result = MonthRecords(month, [r for r, keep in zip(kept, inside, strict=True) if keep],
                          duplicates=duplicates, outside=int((~inside).sum()))
    wrong = sum(1 for r in result.records if r.get("month") not in (None, month))
    if wrong:
        result.warnings.append(f"{month}: {wrong} record(s) carry another month")
    return result


def _owner(record: dict[str, Any], answers: list[tuple[Polygon, Any]], index: int) -> int:
    lon, lat = _lonlat(record)
    if np.isnan(lon) or np.isnan(lat):
        return index
    point = Point(lon, lat)
    return next((i for i, (part, _) in enumerate(answers) if part.covers(point)), index)


def _inside(records: list[dict[str, Any]], area: BaseGeometry) -> np.ndarray:
    """Within (or on the edge of) the area; records without coordinates are kept (police.uk
    placed them in the polygon) and the run counts them as lacking coordinates."""
    if not records:
        return np.zeros(0, bool)
    lon, lat = np.array([_lonlat(r) for r in records]).T
    missing = np.isnan(lon) | np.isnan(lat)
    shapely.prepare(area)
    return missing | shapely.intersects_xy(area, np.nan_to_num(lon), np.nan_to_num(lat))


def _lonlat(record: dict[str, Any]) -> tuple[float, float]:
    location = record.get("location") or {}
    try:
        return float(location.get("longitude")), float(location.get("latitude"))
    except (TypeError, ValueError):
        return float("nan"), float("nan")


def csv_rows(records: list[dict[str, Any]], falls_within: str = "") -> tuple[list[list[str]],
                                                                             list[str]]:
    """Records as rows of police.uk's street-level CSV layout (sorted by id), and warnings.

    LSOA code and name and "Reported by" are not in the API's records and are left empty.

    Examples
    --------
    >>> rows, _ = csv_rows([{"id": 1, "category": "drugs", "month": "2024-01",
    ...     "persistent_id": "ab", "context": "", "outcome_status": None,
    ...     "location": {"latitude": "51.2", "longitude": "0.5",
    ...                  "street": {"id": 9, "name": "On or near High Street"}}}])
    >>> rows[0]
    ['ab', '2024-01', '', '', '0.5', '51.2', 'On or near High Street', '', '', 'Drugs', '', '']
    """
    unknown: dict[str, int] = {}
    rows = []
    for record in sorted(records, key=_sort_key):
        slug = str(record.get("category") or "")
        if slug not in CATEGORIES:
            unknown[slug] = unknown.get(slug, 0) + 1
        location = record.get("location") or {}
        outcome = record.get("outcome_status") or {}
        rows.append([
            _text(record.get("persistent_id")), _text(record.get("month")), "", falls_within,
            _text(location.get("longitude")), _text(location.get("latitude")),
            _text((location.get("street") or {}).get("name")), "", "",
            CATEGORIES.get(slug, slug.replace("-", " ").capitalize()),
            _text(outcome.get("category")), _text(record.get("context")),
        ])
    warnings = [f"{n} record(s) of category {slug!r}, not a known police.uk category: written "
                f"as {slug.replace('-', ' ').capitalize()!r}" for slug, n in unknown.items()]
    return rows, warnings


def csv_bytes(rows: list[list[str]]) -> bytes:
    """The CSV file: police.uk's header, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _sort_key(record: dict[str, Any]) -> tuple[int, str]:
    rid = record.get("id")
    return (0, f"{int(rid):020d}") if isinstance(rid, int) else (1, str(rid))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _root(base: str) -> str:
    return base.rstrip("/")
