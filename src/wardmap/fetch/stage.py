"""`wardmap fetch`: district → wards → boundaries, population and police.uk records, written
as a folder `wardmap run` reads unchanged, with fetch.json saying where everything came from.

Resumable: a month already written (same district outline, same file hash) is kept unless
`refresh`; every other answer comes from the HTTP cache until `refresh`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from wardmap import __version__
from wardmap.config import FetchConfig
from wardmap.errors import WardmapError
from wardmap.fetch import nomis, ons, police
from wardmap.fetch.archive import archive_months
from wardmap.fetch.http import Client, FetchError, write_atomic
from wardmap.fetch.parts import covering_parts
from wardmap.fetch.provenance import file_entry, write_fetch_json, write_run_toml
from wardmap.fetch.vintages import WardVintage, ward_vintage

LATEST = 12  # months fetched when none are named: the latest the API holds
LICENCE = {"name": "Open Government Licence v3.0",
           "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}


@dataclass
class FetchReport:
    """What a fetch wrote, for the command line's summary."""

    out: Path
    district_code: str
    district_name: str
    wards: int
    months: list[str]
    records: dict[str, int]
    population_wards: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Run:
    """The state one fetch carries between its steps."""

    config: FetchConfig
    out: Path
    cache: Path
    client: Client
    vintage: WardVintage
    refresh: bool
    bar: Any
    record: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def fetch_district(config: FetchConfig, *, refresh: bool = False, show: bool | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> FetchReport:
    """Fetch one district's ward boundaries, populations and police.uk records into
    ``config.out``.

    Examples
    --------
    >>> from wardmap.config import FetchConfig
    >>> fetch_district(FetchConfig(district="Maidstone", months="2024-04:2025-03",
    ...                            out="data/maidstone"))  # doctest: +SKIP
    """
    months = _months(config)
    if not config.district or not config.out:
        raise WardmapError("give --district (a district name or code) and --out (a folder)")
    if config.source == "archive" and not config.archive:
        raise WardmapError("--source archive needs --archive PATH (a police.uk zip)")
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(config.cache) if config.cache else out / "cache"
    vintage = ward_vintage(config.ward_year, boundaries_service=config.boundaries_service,
                           lookup_service=config.lookup_service,
                           nomis_geography_type=config.nomis_geography_type)
    with _progress(show) as bar:
        run = _Run(config, out, cache, _client(config, cache, refresh, sleep), vintage,
                   refresh, bar, _start_record(config, vintage, months))
        if not vintage.confirmed:
            run.warnings.append(f"the service names of ward year {vintage.year} are not yet "
                                "confirmed against the live ONS and Nomis services")
        code, name, boundaries = _boundaries(run)
        population = _population(run, code, list(boundaries[vintage.ward_code]))
        area = shapely.union_all(shapely.make_valid(boundaries.geometry.array))
        fetched = (_police_archive(run, area, _slug(name), months or [])
                   if config.source == "archive"
                   else _police_api(run, area, _slug(name), months))
    _finish(run, name, population is not None, fetched)
    return FetchReport(out, code, name, len(boundaries), sorted(fetched), fetched,
                       0 if population is None else len(population), run.warnings)


def list_districts(config: FetchConfig) -> list[tuple[str, str]]:
    """(code, name) of every district in the ward lookup of the chosen vintage."""
    vintage = ward_vintage(config.ward_year, lookup_service=config.lookup_service)
    cache = Path(config.cache) if config.cache else None
    table = ons.districts(_client(config, cache, False, time.sleep), config.ons_url, vintage,
                          page_size=config.page_size)
    return list(zip(table["lad_code"], table["lad_name"], strict=True))


def _months(config: FetchConfig) -> list[str] | None:
    """The months asked for; None for the API's latest 12."""
    from wardmap.periods.presets import parse_range

    if not config.months:
        if config.source == "archive":
            raise WardmapError("--source archive needs --months YYYY-MM:YYYY-MM")
        return None
    return parse_range(config.months, "--months")


def _client(config: FetchConfig, cache: Path | None, refresh: bool,
            sleep: Callable[[float], None]) -> Client:
    return Client(cache=cache / "http" if cache else None, refresh=refresh, rate=config.rate,
                  burst=config.burst, retries=config.retries, backoff=config.backoff,
                  timeout=config.timeout, sleep=sleep)


def _start_record(config: FetchConfig, vintage: WardVintage,
                  months: list[str] | None) -> dict[str, Any]:
    return {
        "wardmap_version": __version__, "started": _now(), "complete": False,
        "district": {"asked": config.district}, "ward_vintage": dataclasses.asdict(vintage),
        "months_requested": months or f"the latest {LATEST} police.uk holds",
        "source": config.source,
        "services": {"police_url": config.police_url, "ons_url": config.ons_url,
                     "nomis_url": config.nomis_url},
        "licence": LICENCE,
        "attribution": {"boundaries": ons.ATTRIBUTION, "population": nomis.ATTRIBUTION,
                        "crime": police.ATTRIBUTION},
    }


def _boundaries(run: _Run) -> tuple[str, str, gpd.GeoDataFrame]:
    config, vintage = run.config, run.vintage
    task = run.bar.add_task("ONS: district, wards, boundaries", total=3)
    table = ons.districts(run.client, config.ons_url, vintage, page_size=config.page_size)
    code, name = ons.resolve_district(str(config.district), table)
    run.bar.advance(task)
    wards = ons.district_wards(run.client, config.ons_url, vintage, code,
                               page_size=config.page_size)
    run.bar.advance(task)
    boundaries = ons.ward_boundaries(run.client, config.ons_url, vintage, wards,
                                     page_size=config.page_size)
    run.bar.advance(task)
    path = run.out / "boundaries.gpkg"
    tmp = path.with_name(".boundaries.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    boundaries.to_file(tmp, layer="wards", driver="GPKG")
    tmp.replace(path)
    run.files.append(file_entry(run.out, path, len(boundaries)))
    run.record["district"] |= {"code": code, "name": name}
    run.record["boundaries"] = {"service": vintage.boundaries_service,
                                "lookup": vintage.lookup_service, "wards": len(boundaries)}
    return code, name, boundaries


def _population(run: _Run, code: str, ward_codes: list[str]) -> Any:
    """population.csv from Nomis; when Nomis fails the fetch goes on without it, saying so."""
    task = run.bar.add_task("Nomis: ward populations", total=1)
    try:
        population = nomis.ward_population(run.client, run.config.nomis_url, code,
                                           run.vintage.nomis_geography_type, ward_codes)
    except FetchError as exc:
        run.warnings.append(f"no population fetched, so the run maps counts, not rates: {exc}")
        run.record["population"] = {"error": str(exc)}
        return None
    run.bar.advance(task)
    path = run.out / "population.csv"
    write_atomic(path, population.table.to_csv(index=False, lineterminator="\n").encode())
    run.files.append(file_entry(run.out, path, len(population.table)))
    run.record["population"] = {
        "dataset": nomis.DATASET, "date": population.date, "wards": len(population.table),
        "not_in_boundaries": population.not_in_boundaries,
        "without_population": population.without_population}
    if population.not_in_boundaries:
        run.warnings.append(f"Nomis lists {len(population.not_in_boundaries)} ward(s) of another "
                            f"vintage, left out: {', '.join(population.not_in_boundaries[:8])}")
    if population.without_population:
        run.warnings.append(f"{len(population.without_population)} ward(s) have no Nomis "
                            f"population: {', '.join(population.without_population[:8])}")
    return population.table


def _police_api(run: _Run, area: Any, slug: str, months: list[str] | None) -> dict[str, int]:
    """Every month held, `workers` months at once (the client's rate limit is shared)."""
    wanted = _available(run, months)
    force = _force(run, area)
    month = _MonthFetch(run, area, slug, force, covering_parts(area),
                        _area_key(area, "api", run.config.police_url),
                        run.bar.add_task("police.uk: months", total=len(wanted)))
    pool = ThreadPoolExecutor(max_workers=max(1, run.config.workers))
    try:
        results = list(pool.map(month.fetch, wanted))  # in month order; re-raises a failure
    finally:  # on a failure or Ctrl-C, months not yet started are not started
        pool.shutdown(cancel_futures=True)
    entries = [entry for entry, _ in results]
    for entry, warnings in results:
        run.warnings += warnings
        run.files.append(entry["file"])
    counts = {e["month"]: e["records"] for e in entries}
    run.record["police"] = {"force": {"id": force[0], "name": force[1]} if force else None,
                            "query_parts": len(month.parts), "months": entries}
    _police_warnings(run, counts, entries, force)
    return counts


@dataclass
class _MonthFetch:
    """One month of police.uk records: kept from an earlier fetch, or fetched and written."""

    run: _Run
    area: Any
    slug: str
    force: tuple[str, str] | None
    parts: list[Any]
    key: str  # the outline and source the month was fetched for
    task: Any

    def fetch(self, month: str) -> tuple[dict[str, Any], list[str]]:
        run, client, base = self.run, self.run.client, self.run.config.police_url
        path = run.out / "police" / f"{month}-{self.slug}-street.csv"
        state = run.cache / "police" / f"{month}-{self.slug}.json"
        kept = None if run.refresh else _kept(state, path, self.key)
        if kept is not None:
            run.bar.advance(self.task)
            return {**kept, "kept_from": kept.get("fetched", "an earlier fetch")}, []
        with client.tagged(month):
            got = police.month_records(client, base, self.parts, self.area, month)
            rows, warnings = police.csv_rows(got.records, self.force[1] if self.force else "")
            write_atomic(path, police.csv_bytes(rows))
            no_location = (police.no_location_count(client, base, self.force[0], month)
                           if self.force else None)
        entry = {"month": month, "records": len(rows), "parts": got.parts,
                 "splits": got.splits, "duplicates_dropped": got.duplicates,
                 "outside_district": got.outside, "no_location_force_wide": no_location,
                 "area": self.key, "file": file_entry(run.out, path, len(rows)),
                 "fetched": _now(), "requests": client.entries(month)}
        write_atomic(state, json.dumps(entry, indent=1).encode("utf-8"))
        run.bar.advance(self.task)
        return entry, got.warnings + warnings


def _available(run: _Run, months: list[str] | None) -> list[str]:
    held = police.available_months(run.client, run.config.police_url)
    if months is None:
        if not held:
            raise FetchError("police.uk did not list the months it holds: give --months")
        return sorted(held)[-LATEST:]
    if held is None:
        run.warnings.append("police.uk did not list the months it holds; asked for each")
        return months
    missing = [m for m in months if m not in held]
    span = f"{min(held)} to {max(held)}" if held else "no months"
    if len(missing) == len(months):
        raise FetchError(f"police.uk holds none of the months asked for ({months[0]} to "
                         f"{months[-1]}); it holds {span}")
    if missing:
        run.warnings.append(f"police.uk does not hold {', '.join(missing)} (it holds {span}): "
                            "not fetched")
    run.record["months_unavailable"] = missing
    return [m for m in months if m in held]


def _force(run: _Run, area: Any) -> tuple[str, str] | None:
    config = run.config
    if config.force:
        return config.force, police.force_name(run.client, config.police_url, config.force)
    force = police.locate_force(run.client, config.police_url, area.representative_point())
    if force is None:
        run.warnings.append("police.uk could not name the district's force: crimes without a "
                            "location are not counted (give --force, e.g. --force kent)")
    return force


def _kept(state: Path, path: Path, key: str) -> dict[str, Any] | None:
    """An earlier fetch's month, when its file is still as written for the same outline."""
    if not (state.is_file() and path.is_file()):
        return None
    try:
        entry = json.loads(state.read_text(encoding="utf-8"))
    except ValueError:
        return None
    same = entry.get("area") == key and entry.get("file", {}).get("sha256") == _sha(path)
    return entry if same else None


def _police_warnings(run: _Run, counts: dict[str, int], entries: list[dict[str, Any]],
                     force: tuple[str, str] | None) -> None:
    empty = [m for m, n in counts.items() if n == 0]
    if counts and len(empty) == len(counts):
        who = force[1] if force else "this district's force"
        run.warnings.append(f"police.uk holds no street-level records for {who} in any month "
                            "fetched (some forces publish none, e.g. Greater Manchester Police "
                            "since 2019); the run will find no records")
    elif empty:
        run.warnings.append(f"no records in {', '.join(empty)} (an empty month from "
                            "police.uk); wardmap.toml's months leave out empty first and last "
                            "months")
    no_location = [(e["month"], e.get("no_location_force_wide")) for e in entries]
    total = sum(n for _, n in no_location if n)
    if total:
        run.warnings.append(f"{total} crime(s) force-wide had no location in these months "
                            "(police.uk crimes-no-location; not in any ward, see fetch.json)")


def _police_archive(run: _Run, area: Any, slug: str, months: list[str]) -> dict[str, int]:
    task = run.bar.add_task("police.uk archive: months", total=1)
    found, missing = archive_months(str(run.config.archive), months, area, run.config.force)
    if not found:
        raise FetchError(f"{run.config.archive} holds none of the months {months[0]} to "
                         f"{months[-1]}" + (f" for force {run.config.force!r}"
                                            if run.config.force else ""))
    if missing:
        run.warnings.append(f"the archive does not hold {', '.join(missing)}: not fetched")
    entries, counts = [], {}
    for month, got in sorted(found.items()):
        path = run.out / "police" / f"{month}-{slug}-street.csv"
        write_atomic(path, got.table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
        counts[month] = len(got.table)
        entry = {"month": month, "records": len(got.table), "members": got.members,
                 "rows_read": got.rows_read, "without_coordinates": got.without_coordinates,
                 "outside_district": got.rows_read - len(got.table) - got.without_coordinates,
                 "file": file_entry(run.out, path, len(got.table))}
        entries.append(entry)
        run.files.append(entry["file"])
    run.bar.advance(task)
    run.record["months_unavailable"] = missing
    run.record["police"] = {"archive": {"path": str(run.config.archive),
                                        "sha256": _sha(Path(str(run.config.archive)))},
                            "months": entries}
    _police_warnings(run, counts, entries, None)
    unplaced = sum(e["without_coordinates"] for e in entries)
    if unplaced:
        run.warnings.append(f"{unplaced} archive row(s) have no coordinates and cannot be placed "
                            "in the district (counted in fetch.json, not written)")
    return counts


def _finish(run: _Run, name: str, population: bool, fetched: dict[str, int]) -> None:
    _check_police_folder(run)
    # The run's period: months with records (it refuses a period the records do not cover).
    months = sorted(m for m, n in fetched.items() if n)
    config = run.config
    asked = config.months or (f"{min(fetched)}:{max(fetched)}" if fetched else None)
    fetch_section = {"district": run.record["district"]["code"], "months": asked,
                     "out": ".", "ward_year": run.vintage.year, "source": config.source,
                     "archive": str(Path(config.archive).resolve()) if config.archive else None,
                     "force": config.force,
                     "police_url": config.police_url, "ons_url": config.ons_url,
                     "nomis_url": config.nomis_url}
    toml = run.out / "wardmap.toml"
    write_run_toml(toml, area_name=name, code_col=run.vintage.ward_code,
                   name_col=run.vintage.ward_name,
                   months=f"{months[0]}:{months[-1]}" if months else None,
                   population=population, attributions=list(run.record["attribution"].values()),
                   fetch=fetch_section)
    run.files.append(file_entry(run.out, toml))
    run.record |= {"finished": _now(), "complete": True, "months_fetched": sorted(fetched),
                   "files": run.files, "warnings": run.warnings, "requests": run.client.log}
    write_fetch_json(run.out / "fetch.json", run.record)


def _check_police_folder(run: _Run) -> None:
    written = {Path(f["path"]).name for f in run.files if f["path"].startswith("police/")}
    others = sorted(p.name for p in (run.out / "police").glob("*") if p.name not in written)
    if others:
        run.warnings.append(f"{run.out / 'police'} also holds files this fetch did not write, "
                            f"which `wardmap run` reads too: {', '.join(others[:5])}")


@contextmanager
def _progress(show: bool | None) -> Iterator[Any]:
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    visible = sys.stderr.isatty() if show is None else show
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), disable=not visible) as bar:
        yield bar


def _area_key(area: Any, source: str, url: str) -> str:
    text = shapely.to_wkb(area, output_dimension=2) + source.encode() + url.encode()
    return hashlib.sha256(text).hexdigest()


def _sha(path: Path) -> str:
    from wardmap.load.files import sha256

    return sha256(path)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "district"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
