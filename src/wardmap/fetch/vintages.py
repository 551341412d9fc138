"""Ward vintages and the ONS and Nomis names that serve them (update each May and December).

Ward codes and boundaries change every May; the ONS Open Geography Portal publishes each vintage
under its own FeatureServer service, and Nomis serves ward populations under a geography TYPE.
Names come from this table, not from listing the server: a listing would need paging through
thousands of services and guessing which is meant. Entries not yet confirmed against the live
service are marked, and `wardmap fetch` says so in fetch.json; every name can be overridden in
the [fetch] section of a config.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wardmap.errors import WardmapError


@dataclass(frozen=True)
class WardVintage:
    """One ward vintage: where its boundaries, ward→district lookup and populations are."""

    year: str
    label: str
    boundaries_service: str  # generalised, clipped (BGC) boundaries
    lookup_service: str  # ward → local authority district
    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str
    nomis_geography_type: str  # Nomis TYPE code for wards in NM_2014_1 (ward populations)
    confirmed: bool  # names checked against the live services' documentation


VINTAGES: dict[str, WardVintage] = {
    "2024": WardVintage(
        year="2024", label="December 2024",
        boundaries_service="Wards_December_2024_Boundaries_UK_BGC",
        lookup_service="WD24_LAD24_UK_LU",
        ward_code="WD24CD", ward_name="WD24NM", lad_code="LAD24CD", lad_name="LAD24NM",
        # TYPE182 is wards as of May 2025: codes that changed since are reported, not guessed.
        nomis_geography_type="TYPE182", confirmed=True,
    ),
    "2025": WardVintage(
        year="2025", label="December 2025",
        boundaries_service="WD_DEC_2025_UK_BGC",
        lookup_service="WD25_LAD25_UK_LU",
        ward_code="WD25CD", ward_name="WD25NM", lad_code="LAD25CD", lad_name="LAD25NM",
        nomis_geography_type="TYPE182", confirmed=False,
    ),
}

# The latest vintage whose service names are confirmed.
DEFAULT_YEAR = max(year for year, v in VINTAGES.items() if v.confirmed)


def ward_vintage(year: str | None = None, *, boundaries_service: str | None = None,
                 lookup_service: str | None = None,
                 nomis_geography_type: str | None = None) -> WardVintage:
    """The vintage for ``year`` (default: the latest confirmed), with any names overridden.

    Examples
    --------
    >>> ward_vintage("2024").ward_code
    'WD24CD'
    """
    year = str(year or DEFAULT_YEAR)
    if year not in VINTAGES:
        known = ", ".join(sorted(VINTAGES))
        raise WardmapError(f"unknown ward year {year!r} (known: {known}); for another vintage "
                           "give [fetch] boundaries_service and lookup_service in a config")
    vintage = VINTAGES[year]
    overrides = {k: v for k, v in {"boundaries_service": boundaries_service,
                                   "lookup_service": lookup_service,
                                   "nomis_geography_type": nomis_geography_type}.items() if v}
    return replace(vintage, **overrides) if overrides else vintage
