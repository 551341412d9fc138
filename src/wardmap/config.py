"""One validated configuration object for a run, loaded from TOML and overridden by flags.

Each pipeline stage owns one section (a dataclass). Validation is generic: it walks the
dataclass type hints, so adding a field to a section is all a stage needs to do. Unknown keys
and wrong types are errors that name the key, e.g. ``stats.permutations: expected an integer``.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wardmap.errors import ConfigError

# Named groups of police.uk crime types; a config's [groups] table adds to or replaces these.
DEFAULT_GROUPS: dict[str, list[str]] = {
    "violent crime": ["Violence and sexual offences", "Robbery"],
    "acquisitive crime": [
        "Burglary",
        "Vehicle crime",
        "Shoplifting",
        "Theft from the person",
        "Bicycle theft",
        "Other theft",
        "Robbery",
    ],
    "asb": ["Anti-social behaviour"],
    "criminal damage": ["Criminal damage and arson"],
}
# Named groups of places (police.uk place types or Location texts, e.g. "High Street"); a
# config's [places] table adds to or replaces these. Each gives wards.csv a share_<group>.
DEFAULT_PLACES: dict[str, list[str]] = {
    "night_time_economy": ["Nightclub", "Theatre/Concert Hall"],
}


@dataclass
class InputsConfig:
    """Where the run's data comes from. Paths in a TOML file are relative to that file."""

    boundaries: str | None = None
    code_col: str | None = None
    name_col: str | None = None
    incidents: list[str] = field(default_factory=list)
    encoding: str = "utf-8"  # of CSV inputs; Excel on Windows often writes "cp1252"
    # Generic point CSVs: name the coordinate columns (lon/lat in WGS84, or x/y in `points_crs`).
    lon_col: str | None = None
    lat_col: str | None = None
    x_col: str | None = None
    y_col: str | None = None
    points_crs: str = "EPSG:27700"
    date_col: str | None = None
    crime_type_col: str | None = None
    counts: str | None = None
    value_col: str | None = None
    counts_key_col: str | None = None
    population: str | None = None
    population_key_col: str | None = None
    population_col: str | None = None
    area_name: str | None = None
    # Synthetic inputs (the demo borough): outputs say so and carry no data attribution.
    synthetic: bool = False
    # A projected CRS for analysis; British National Grid for England and Wales.
    crs: str = "EPSG:27700"
    # Records outside every ward but within this many metres are snapped to the nearest ward.
    snap_tolerance: float = 100.0
    # Boundary column naming each ward's district (e.g. LAD13CD): districts.csv and ward ranks.
    district_col: str | None = None
    # Rates per 1,000 of another denominator (households, dwellings) for ranks and districts.
    denominator: str | None = None  # a ward table, read like the population
    denominator_col: str | None = None
    per: str | None = None  # the denominator's noun: "households", "dwellings"
    # A cube.parquet written by an earlier run, instead of incident records (docs/ARCHITECTURE.md).
    cube: str | None = None


@dataclass
class FiltersConfig:
    """Which incident records count. A record is kept when it matches every filter given."""

    months: str | None = None  # "YYYY-MM:YYYY-MM", inclusive
    crime_types: list[str] = field(default_factory=list)  # types or group names


@dataclass
class StatsConfig:
    """The test stage: spatial weights, global and local statistics."""

    # The ward-table column to test, by the name it has in wards.csv and summary.json
    # ("incidents", "rate_per_1000", "rate_eb", "value"); "count" and "rate" are accepted for
    # incidents and rate_per_1000. "auto": rate_eb when every ward has a population, else the
    # count or value.
    measure: Literal["auto", "incidents", "rate_per_1000", "rate_eb", "value", "count",
                     "rate"] = "auto"
    weights: Literal["queen", "rook", "knn", "distance"] = "queen"
    k: int = 6
    distance: float | None = None  # metres, for distance-band weights
    islands: Literal["nearest", "label"] = "nearest"
    permutations: int = 999
    seed: int = 12345
    correction: Literal["fdr", "bonferroni", "none"] = "fdr"
    alpha: float = 0.05
    # rate_eb: "global" shrinks each ward's rate towards the whole area's (Marshall), "spatial"
    # towards its neighbourhood's.
    smoothing: Literal["global", "spatial"] = "global"


@dataclass
class MapsConfig:
    """The export stage's maps (wardmap.maps): map.html and report-ready static images."""

    enabled: bool = True
    # Static image formats; PNG is always written, SVG and PDF on request.
    formats: list[Literal["png", "svg", "pdf"]] = field(default_factory=lambda: ["png"])
    # Choropleth classes (mapclassify): natural breaks is Fisher-Jenks.
    scheme: Literal["natural_breaks", "quantiles", "equal_interval", "user"] = "natural_breaks"
    k: int = 5
    breaks: list[float] = field(default_factory=list)  # upper class bounds, for scheme "user"
    palette: str = "YlOrRd"  # a matplotlib colormap; sequential and colour-blind safe
    change_palette: str = "RdBu_r"
    page: Literal["a4-portrait", "a4-landscape"] = "a4-portrait"
    dpi: int = 300
    labels: bool = True  # ward names on static maps, where they fit (up to 120 wards)
    # Clustered incident points on map.html: off by default for privacy, never when public.
    incident_points: bool = False
    web_tolerance: float | None = None  # metres; None picks one from the area's extent
    # map.html's background: none (the page needs nothing from the internet) or OpenStreetMap
    # tiles (fetched by the reader's browser).
    basemap: Literal["none", "osm"] = "none"
    # A line or polygon layer (e.g. OS Open Roads) drawn under the wards on the static maps.
    context: str | None = None


@dataclass
class ComputeConfig:
    """How incident records are read and counted (wardmap.engine, docs/ARCHITECTURE.md).

    engine: "local" streams the records through this process a block at a time; "dask" reads
    and places files (or Parquet row groups) on a dask.distributed cluster: the one at
    `scheduler` (an address such as tcp://10.0.0.5:8786), else a local cluster of `workers`
    processes (default: one per core).
    """

    engine: Literal["local", "dask"] = "local"
    scheduler: str | None = None
    workers: int | None = None


@dataclass
class OutputConfig:
    out: str = "outputs/run"
    public: bool = False
    # cube.parquet: the counts by map point, crime type and month, for a later run (--cube).
    cube: bool = False
    # With `public`, counts from 1 to this are shown as "<5" and rates from them left blank.
    threshold: int = 4


@dataclass
class PeriodsConfig:
    """Which months are analysed and what they are compared with (wardmap.periods).

    period: "filter" uses [filters].months (or every month in the data); "rolling12" is the 12
    months ending `end`; "fytd" April to `end`; "calendar" January to December of `end`'s
    year; "custom" the `months` range. `end` defaults to the latest month in the data.
    compare: "YYYY-MM:YYYY-MM"; by default the same months a year earlier when the data
    covers them.
    """

    period: Literal["filter", "rolling12", "fytd", "calendar", "custom"] = "filter"
    end: str | None = None  # "YYYY-MM"
    months: str | None = None  # "YYYY-MM:YYYY-MM", for period = "custom"
    compare: str | None = None
    alpha: float = 0.05
    correction: Literal["fdr", "bonferroni", "none"] = "fdr"
    chart: Literal["auto", "c", "u"] = "auto"  # SPC chart; auto is u with population, else c
    emerging: bool = True


@dataclass
class LocationsConfig:
    """Map points (wardmap.locations): which to leave out and when a ward is flagged."""

    # Location texts ("On or near Hospital" or "Hospital") or "LON,LAT" map points left out.
    exclude: list[str] = field(default_factory=list)
    # A ward is flagged when one map point holds at least this share of its records...
    flag_share: float = 0.25
    # ...and at least this many of them.
    flag_min_count: int = 10
    top: int = 3  # top locations named in each ward's map popup
    map_points: int = 100  # busiest map points drawn on map.html's locations layer


@dataclass
class BriefConfig:
    """The committee briefing pack (wardmap.brief)."""

    title: str | None = None
    top: int = 5
    bottom: int = 3
    formats: list[Literal["html", "docx", "pdf"]] = field(
        default_factory=lambda: ["html", "docx", "pdf"])
    dpi: int = 200  # images in briefing.docx, print resolution
    marking: str = "OFFICIAL"  # protective marking in the header and footer of every page
    template: str | None = None  # a council's Word template (.docx) to build the briefing on
    author: str | None = None  # the partnership, for the document's properties (default: area)
    focus: bool = False  # also choose task-force focus areas ([focus]) and report them
    clusters: bool = False  # also group the wards into clusters ([clusters]) and report them


# --- select stage: focus areas and ward clusters (see docs/focus.md) ---
@dataclass
class PartnerTableConfig:
    """A ward-level partner table (e.g. hospital admissions) usable as an indicator by name."""

    name: str = ""
    path: str = ""
    value_col: str | None = None
    key_col: str | None = None


@dataclass
class FocusConfig:
    """Task-force focus areas: connected groups of `size` wards ranked by a combined score."""

    size: int = 2
    exclude: list[str] = field(default_factory=list)  # ward codes or names
    max_population: float | None = None
    top: int = 10
    indicators: list[str] = field(default_factory=list)  # "NAME" or "NAME:WEIGHT"
    standardise: Literal["z", "rank"] = "z"
    harm_weights: str | None = None  # TOML or CSV: crime type -> harm weight
    tables: list[PartnerTableConfig] = field(default_factory=list)
    contiguity: Literal["queen", "rook"] = "queen"
    # Search budget (areas examined) before settling for the best found plus a quality bound.
    max_steps: int = 2_000_000
    # `wardmap run` also chooses focus areas when on; a [focus] section in a TOML turns it on.
    enabled: bool = False


@dataclass
class ClustersConfig:
    """Ward clusters: contiguous groups of at most `max_size` wards, similar on `variables`."""

    max_size: int = 4
    variables: list[str] = field(default_factory=list)  # indicator names, as for focus areas
    contiguity: Literal["queen", "rook"] = "queen"


@dataclass
class FetchConfig:
    """`wardmap fetch`: a district's boundaries, populations and police.uk records
    (wardmap.fetch; docs/guide.md). Base URLs are the roots the services' paths hang from."""

    district: str | None = None  # a local authority name or code, e.g. "Maidstone", E07000110
    months: str | None = None  # "YYYY-MM:YYYY-MM"
    out: str | None = None  # the data folder written
    ward_year: str | None = None  # a ward vintage of wardmap.fetch.vintages (default latest)
    source: Literal["api", "archive"] = "api"  # police.uk records from the API or a zip
    archive: str | None = None  # a police.uk archive or custom-download zip, for "archive"
    force: str | None = None  # police.uk force id, e.g. "kent" (found from the district)
    police_url: str = "https://data.police.uk/api"
    ons_url: str = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
    nomis_url: str = "https://www.nomisweb.co.uk/api/v01"
    # Service names for a vintage the package does not list, or after ONS renames one.
    boundaries_service: str | None = None
    lookup_service: str | None = None
    nomis_geography_type: str | None = None
    cache: str | None = None  # default: a "cache" folder beside the outputs
    rate: float = 15.0  # requests a second per service (police.uk allows 15)
    burst: int = 10  # most requests sent at once (police.uk allows 30)
    retries: int = 5  # after 429, 5xx or a timeout, with exponential backoff
    backoff: float = 1.0  # seconds before the first retry
    timeout: float = 60.0  # seconds
    page_size: int = 2000  # ArcGIS records per page (the portal's maxRecordCount)
    workers: int = 4  # police.uk months fetched at once (all within `rate`)


@dataclass
class EvaluateConfig:
    """Before/after evaluation of a task-force area with a buffer and a control (docs/evaluate.md).

    target: ward codes or names (empty: the rank-1 focus area of the [focus] settings).
    buffer: ["neighbours"] (wards touching the target), ["none"], or ward codes or names.
    control: ["rest"] (every other ward) or ward codes or names.
    scale_control: the control's change is scaled to each area's size before the start (its
    count before over the control's); false uses the control's raw change, as Wheeler and
    Ratcliffe (2018) do for control areas of similar size.
    """

    target: list[str] = field(default_factory=list)
    start: str | None = None  # "YYYY-MM": the first month of the intervention
    before: int = 12
    after: int = 12
    buffer: list[str] = field(default_factory=lambda: ["neighbours"])
    control: list[str] = field(default_factory=lambda: ["rest"])
    scale_control: bool = True
    alpha: float = 0.05
    # A [evaluate] section in a TOML turns it on: the briefing then reports the evaluation.
    enabled: bool = False


@dataclass
class RelateConfig:
    """Two ward measures compared (wardmap.relate): names as for focus indicators."""

    x: str | None = None
    y: str | None = None


@dataclass
class Config:
    """A whole run: one dataclass per section, built in code or read by ``load_config``.

    Examples
    --------
    >>> from wardmap import Config
    >>> config = Config()
    >>> config.inputs.boundaries = "wards.gpkg"
    >>> config.stats.permutations, config.stats.weights
    (999, 'queen')
    """

    inputs: InputsConfig = field(default_factory=InputsConfig)
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    groups: dict[str, list[str]] = field(default_factory=dict)
    stats: StatsConfig = field(default_factory=StatsConfig)
    maps: MapsConfig = field(default_factory=MapsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    focus: FocusConfig = field(default_factory=FocusConfig)
    clusters: ClustersConfig = field(default_factory=ClustersConfig)
    periods: PeriodsConfig = field(default_factory=PeriodsConfig)
    brief: BriefConfig = field(default_factory=BriefConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    relate: RelateConfig = field(default_factory=RelateConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    locations: LocationsConfig = field(default_factory=LocationsConfig)
    places: dict[str, list[str]] = field(default_factory=dict)

    def crime_groups(self) -> dict[str, list[str]]:
        return {**DEFAULT_GROUPS, **self.groups}

    def place_groups(self) -> dict[str, list[str]]:
        """Place groups by column-name form ("night_time_economy")."""
        import re

        merged = {**DEFAULT_PLACES, **self.places}
        return {re.sub(r"[^0-9a-z]+", "_", k.casefold()).strip("_"): v
                for k, v in merged.items()}


# Input fields holding paths: resolved against the TOML file's folder.
_PATH_FIELDS = {"boundaries", "incidents", "counts", "population", "denominator", "cube"}


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML run description.

    Parameters
    ----------
    path : str or Path
        A TOML file with any of the sections [inputs], [filters], [groups], [stats], [maps],
        [output], [focus], [clusters], [periods], [brief]; paths in it are relative to it.

    Returns
    -------
    Config
        Every setting not in the file keeps its default. Unknown keys and wrong types are a
        ``ConfigError`` naming the key.

    Examples
    --------
    >>> import pathlib, tempfile, wardmap
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.toml"
    >>> _ = path.write_text('[inputs]\\nboundaries = "wards.gpkg"\\n[stats]\\npermutations = 99\\n')
    >>> config = wardmap.load_config(path)
    >>> config.stats.permutations, pathlib.Path(config.inputs.boundaries).name
    (99, 'wards.gpkg')
    >>> wardmap.load_config(path.with_name("x.toml"))
    Traceback (most recent call last):
    ...
    wardmap.errors.ConfigError: config file not found: ...x.toml
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = from_dict(Config, data)
    base = path.parent
    focus = _resolve_focus_paths(config.focus, base)
    brief = config.brief
    if brief.template:
        brief = dataclasses.replace(brief, template=_resolve(brief.template, base))
    if "focus" in data and "enabled" not in data["focus"]:
        focus = dataclasses.replace(focus, enabled=True)
    evaluate = config.evaluate
    if "evaluate" in data and "enabled" not in data["evaluate"]:
        evaluate = dataclasses.replace(evaluate, enabled=True)
    output = config.output
    if "output" in data and "out" in data["output"]:
        output = dataclasses.replace(output, out=_resolve(output.out, base))
    maps = config.maps
    if maps.context:
        maps = dataclasses.replace(maps, context=_resolve(maps.context, base))
    return dataclasses.replace(config, inputs=_resolve_paths(config.inputs, base), focus=focus,
                               output=output, maps=maps,
                               fetch=_resolve_fetch_paths(config.fetch, base),
                               evaluate=evaluate, brief=brief)


def _resolve(path: str, base: Path) -> str:
    return path if Path(path).is_absolute() else str(base / path)


def _resolve_paths(inputs: InputsConfig, base: Path) -> InputsConfig:
    changes: dict[str, Any] = {}
    for name in _PATH_FIELDS:
        value = getattr(inputs, name)
        if isinstance(value, list):
            changes[name] = [_resolve(v, base) for v in value]
        elif value is not None:
            changes[name] = _resolve(value, base)
    return dataclasses.replace(inputs, **changes)


def _resolve_focus_paths(focus: FocusConfig, base: Path) -> FocusConfig:
    tables = [dataclasses.replace(t, path=_resolve(t.path, base)) if t.path else t
              for t in focus.tables]
    harm = _resolve(focus.harm_weights, base) if focus.harm_weights else focus.harm_weights
    return dataclasses.replace(focus, harm_weights=harm, tables=tables)


def _resolve_fetch_paths(fetch: FetchConfig, base: Path) -> FetchConfig:
    return dataclasses.replace(fetch, **{
        name: _resolve(getattr(fetch, name), base) for name in ("out", "archive", "cache")
        if getattr(fetch, name) is not None})


def from_dict(cls: type, data: Any, where: str = "") -> Any:
    """Build dataclass ``cls`` from a TOML table, naming any unknown key or wrong type."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a table")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        dotted = f"{where}.{key}" if where else key
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"unknown key '{dotted}' (known keys here: {known})")
        kwargs[key] = _coerce(hints[key], value, dotted)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{where}: {value!r} is not one of {choices}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {_kind(value)}")
        return [_coerce(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {_kind(value)}")
        return {str(k): _coerce(args[1], v, f"{where}.{k}") for k, v in value.items()}
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {_kind(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected an integer, got {_kind(value)}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {_kind(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {_kind(value)}")
    if hint is Any:
        return value
    raise ConfigError(f"{where}: unsupported setting type {hint}")


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"
