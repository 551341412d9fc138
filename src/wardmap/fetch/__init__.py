"""Fetch a district's ward boundaries, ward populations and police.uk records.

`wardmap fetch` writes a folder `wardmap run` reads unchanged: boundaries.gpkg, population.csv,
police/YYYY-MM-<district>-street.csv, wardmap.toml and fetch.json (provenance). Each service
has its own module (ons, nomis, police); http.py is the one well-behaved client they share.
"""

from wardmap.fetch.stage import FetchReport, fetch_district

__all__ = ["FetchReport", "fetch_district"]
