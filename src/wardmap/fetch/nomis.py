"""Ward population estimates from Nomis (dataset NM_2014_1), matched to wards by code.

Nomis serves wards of its own vintage (a geography TYPE); a ward whose code is not among the
boundaries' wards is reported, never matched by name, since a renamed or redrawn ward has a
different population.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd

from wardmap.fetch.http import Client, FetchError

SERVICE = "Nomis"
DATASET = "NM_2014_1"  # population estimates, small area (ward) level
ATTRIBUTION = ("Population: ONS mid-year population estimates, from Nomis, licensed under "
               "the Open Government Licence v3.0.")
PAGE = 25_000  # Nomis's cap on cells per anonymous request
_COLUMNS = ["DATE_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "OBS_VALUE"]


@dataclass
class Population:
    """Residents per ward (columns: Ward Code, Ward Name, All Ages) and what did not match."""

    table: pd.DataFrame
    date: str
    not_in_boundaries: list[str] = field(default_factory=list)  # Nomis wards of another vintage
    without_population: list[str] = field(default_factory=list)  # boundary wards Nomis lacks


def ward_population(client: Client, base: str, lad_code: str, geography_type: str,
                    ward_codes: list[str]) -> Population:
    """All-ages residents of each ward of the district, latest estimate.

    Examples
    --------
    >>> ward_population(client, "https://www.nomisweb.co.uk/api/v01", "E07000110", "TYPE182",
    ...                 ["E05015839"])  # doctest: +SKIP
    """
    url = f"{base.rstrip('/')}/dataset/{DATASET}.data.csv"
    params = {"geography": f"{lad_code}{geography_type}", "date": "latest", "gender": "0",
              "c_age": "200", "measures": "20100",
              "select": ",".join(c.lower() for c in _COLUMNS)}
    pages = []
    while True:
        offset = sum(len(p) for p in pages)
        answer = client.request("GET", url, params={**params, "recordoffset": offset,
                                                    "recordlimit": PAGE}, service=SERVICE)
        if answer.status != 200:
            raise FetchError(f"{SERVICE} answered HTTP {answer.status} to {answer.entry['url']}"
                             f": {_first_line(answer.body)}")
        page = _parse(answer.body, answer.entry["url"])
        answer.entry["records"] = len(page)
        pages.append(page)
        if len(page) < PAGE:
            break
    table = pd.concat(pages, ignore_index=True).drop_duplicates("GEOGRAPHY_CODE")
    if table.empty:
        raise FetchError(f"{SERVICE} has no ward populations for {lad_code} ({geography_type}); "
                         "set [fetch] nomis_geography_type, or give a population table to "
                         "`wardmap run --population`")
    return _match(table, ward_codes)


def _parse(body: bytes, url: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise FetchError(f"{SERVICE}: {url} is not a CSV: {_first_line(body)}") from None
    table.columns = [c.strip().upper() for c in table.columns]
    lacking = [c for c in _COLUMNS if c not in table.columns]
    if lacking:
        raise FetchError(f"{SERVICE}: {url} answered without {', '.join(lacking)}: "
                         f"{_first_line(body)}")
    values = pd.to_numeric(table["OBS_VALUE"], errors="coerce")
    bad = table.loc[values.isna() | (values < 0), "GEOGRAPHY_CODE"]
    if len(bad):
        raise FetchError(f"{SERVICE}: {url}: population of {bad.iloc[0]} is not a count "
                         f"({table.loc[bad.index[0], 'OBS_VALUE']!r})")
    return table.assign(OBS_VALUE=values)


def _match(table: pd.DataFrame, ward_codes: list[str]) -> Population:
    wanted = set(ward_codes)
    matched = table[table["GEOGRAPHY_CODE"].isin(wanted)]
    out = pd.DataFrame({"Ward Code": matched["GEOGRAPHY_CODE"],
                        "Ward Name": matched["GEOGRAPHY_NAME"],
                        "All Ages": matched["OBS_VALUE"].round().astype("int64")})
    dates = sorted(set(table["DATE_NAME"]))
    return Population(
        table=out.sort_values("Ward Code", ignore_index=True),
        date=", ".join(dates),
        not_in_boundaries=sorted(set(table["GEOGRAPHY_CODE"]) - wanted),
        without_population=sorted(wanted - set(matched["GEOGRAPHY_CODE"])),
    )


def _first_line(body: bytes) -> str:
    text = body[:200].decode("utf-8", "replace").strip().splitlines()
    return repr(text[0]) if text else "(empty answer)"
