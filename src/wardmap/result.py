"""What the stages produce: frozen result objects, never changed once made.

Each stage returns a new object; a later stage that adds to a run returns a copy made with
``dataclasses.replace``. Attribute names follow esda's (``I``, ``EI``, ``z_norm``, ``p_norm``,
``p_sim``) so that a reader who knows esda knows these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from wardmap.config import Config

BOUNDARY_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; "
    "contains National Statistics data © Crown copyright and database right"
)
POLICE_ATTRIBUTION = "Crime data: police.uk, Open Government Licence v3.0"
SYNTHETIC_NOTICE = "Synthetic demo data: not a real place"


def significant(p: Any, alpha: float) -> Any:
    """The one significance rule: a p-value strictly below ``alpha`` (NaN/None never is).

    Works on a number or a numpy array.

    Examples
    --------
    >>> significant(0.01, 0.05), significant(0.05, 0.05), significant(None, 0.05)
    (True, False, False)
    """
    if p is None:
        return False
    if isinstance(p, float | int):
        return bool(p < alpha)  # NaN compares False
    import numpy as np

    return np.nan_to_num(np.asarray(p, dtype=float), nan=1.0) < alpha


def _number(value: Any) -> float | None:
    """A float, or None for a statistic that could not be computed (NaN or missing)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class Moran:
    """Global Moran's I and its inference, as esda.Moran names them.

    ``None`` marks a statistic that could not be computed (too few wards, no variation,
    or ``p_sim`` with ``permutations=0``). ``eb_rate`` holds the Assuncao-Reis empirical Bayes
    version for rates, when the measure is a rate of counts.
    """

    I: float | None  # noqa: E741 - esda's name for the statistic
    EI: float | None
    VI_norm: float | None = None
    z_norm: float | None = None
    p_norm: float | None = None
    p_sim: float | None = None
    z_sim: float | None = None
    permutations: int = 0
    eb_rate: Moran | None = None

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Moran:
        """Build from the kernel's dictionary (which calls the normal z-score ``z``)."""
        eb = values.get("eb_rate")
        return cls(
            I=_number(values.get("I")), EI=_number(values.get("EI")),
            VI_norm=_number(values.get("VI_norm")),
            z_norm=_number(values.get("z_norm", values.get("z"))),
            p_norm=_number(values.get("p_norm")), p_sim=_number(values.get("p_sim")),
            z_sim=_number(values.get("z_sim")), permutations=int(values.get("permutations", 0)),
            eb_rate=cls.from_values(eb) if isinstance(eb, dict) else eb,
        )

    @property
    def p(self) -> float | None:
        """The p-value to report: the permutation one when permutations were run, else the
        normal approximation's."""
        return self.p_sim if self.p_sim is not None else self.p_norm

    def clustered(self, alpha: float) -> bool:
        """Positive spatial autocorrelation, significant at ``alpha``."""
        return self.I is not None and self.I > 0 and significant(self.p, alpha)

    def as_dict(self) -> dict[str, Any]:
        """summary.json's ``moran`` object: ``z`` (kept for existing readers) and ``z_norm``
        are the same number."""
        out: dict[str, Any] = {"I": self.I, "EI": self.EI, "VI_norm": self.VI_norm,
                               "z": self.z_norm, "z_norm": self.z_norm, "p_norm": self.p_norm,
                               "p_sim": self.p_sim, "z_sim": self.z_sim,
                               "permutations": self.permutations}
        if self.eb_rate is not None:
            out["eb_rate"] = self.eb_rate.as_dict()
        return out


@dataclass(frozen=True)
class SpatialTests:
    """What ``wardmap.spatial_tests`` returns.

    wards: a new GeoDataFrame in the input's row order and index, with the input's columns
        plus lisa_I, lisa_q (quadrant 1-4), lisa_p, lisa_p_adj, lisa_label, gi_z, gi_p,
        gi_p_adj, gi_bin, stats_note (and rate_eb when counts and a population were given).
    moran: global Moran's I.
    measure: the column analysed.
    weights: the spatial weights (wardmap.stats.Weights).
    summary: the statistics' part of summary.json (weights, lisa, gi counts...).
    warnings: what the analyst should be told (islands, wards without a value...).
    """

    wards: gpd.GeoDataFrame
    moran: Moran
    measure: str
    weights: Any
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    """What ``wardmap.count_incidents`` returns.

    wards: a new GeoDataFrame (the input's rows and index) with an ``incidents`` column.
    records: one row per input record with its status, analysis-CRS x/y and ward_code.
    accounting: rows per status; they add up to ``input_rows``.
    invalid_detail: why coordinates were invalid, by reason.
    overlaps: a warning per pair of overlapping wards that records fall inside.
    """

    wards: gpd.GeoDataFrame | None
    records: pd.DataFrame
    accounting: dict[str, int]
    invalid_detail: dict[str, int] = field(default_factory=dict)
    # Records inside two wards at once (overlapping polygons): counted in the first by code.
    overlaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunMeta:
    """Words for titles, legends and notes."""

    area_name: str = "Study area"
    measure: str = "incidents"  # the column analysed: incidents, rate_per_1000, rate_eb, value
    measure_label: str = "Recorded incidents"
    period_label: str = ""
    crime_types_label: str = "All crime types"
    attributions: list[str] = field(default_factory=list)
    synthetic: bool = False


@dataclass(frozen=True)
class RunResult:
    """The ward table and its companions after load → align → aggregate → normalise → test.

    wards: one row per ward, projected CRS (EPSG:27700 by default), sorted by ward_code,
        columns per docs/ARCHITECTURE.md (ward_code, ward_name, value, incidents, population,
        rate_per_1000, ..., geometry).
    summary: the analysis's part of summary.json; the export stage adds ``warnings`` (all of
        the run's, writers' included) when it writes the file, so that summary.json and
        manifest.json list the same ones.
    moran: global Moran's I (None before the test stage).
    records: one row per incident input row (None for ward-level tables): month ("YYYY-MM" or
        None), crime_type, location, x, y (analysis CRS), lon, lat (WGS84: the map point),
        ward_code (None when not placed or left out), status (assigned, snapped, outside,
        missing_coordinates, invalid_coordinates, filtered_out, excluded_location),
        type_match and period_match (the filters, evaluated separately so that comparison
        periods can be drawn from the same records).
    config: the configuration as run (the month filter resolved from any period preset); a
        copy, never the caller's object.
    """

    config: Config
    wards: gpd.GeoDataFrame
    summary: dict[str, Any]
    meta: RunMeta
    records: pd.DataFrame | None = None
    # The records reduced to counts (wardmap.cube.Cube) and counted by ward, status, crime
    # type and month with the filters applied (the records table's columns plus ``count``):
    # the stages after placement read the tally (wardmap.cube.counted). Records are kept only
    # when asked for or small (docs/ARCHITECTURE.md).
    cube: Any = None
    tally: pd.DataFrame | None = None
    accounting: dict[str, int] | None = None
    weights: Any = None
    inputs: tuple[dict[str, Any], ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    moran: Moran | None = None
    # Filled by the select stage when asked: ranked candidate focus areas and ward clusters.
    focus: pd.DataFrame | None = None
    clusters: pd.DataFrame | None = None
    # Filled by `wardmap evaluate` (or a briefing with [evaluate]): evaluation.json's content;
    # by `wardmap relate`: the two measures related (wardmap.relate.Relation).
    evaluation: dict[str, Any] | None = None
    relation: Any = None
    # Map points, place groups and concentration (wardmap.locations), when records were given.
    locations: Any = None

    def with_warnings(self, *messages: str) -> RunResult:
        """A copy with ``messages`` added to the warnings (each listed once); the summary's
        ``warnings`` follow."""
        warnings = tuple(dict.fromkeys((*self.warnings, *messages)))
        return replace(self, warnings=warnings, summary={**self.summary,
                                                         "warnings": list(warnings)})

    def summary_json(self) -> dict[str, Any]:
        """summary.json as written: the summary with every warning of the run."""
        return {**self.summary, "warnings": list(self.warnings)}
