"""Ward indicators for choosing focus areas and clusters: build, weight and standardise them.

An indicator is named by the analyst and resolved, in this order, as:

- ``NAME change``: the change in a crime group's rate (or count) against the previous period of
  the same length, e.g. ``asb change``;
- ``NAME count``: a crime group's (or crime type's) count in the period;
- ``harm`` / ``all crime``: every crime type, harm-weighted or not;
- a crime group from the config (``asb``, ``violent crime``...) or a police.uk crime type: its
  rate per 1,000 residents (the count when no ward has a population);
- a partner table from ``[[focus.tables]]`` (e.g. hospital admissions), by its name;
- a column of the ward table (``gi_z``, ``rate_eb``, ``population``...).

With harm weights, every crime-type indicator counts harm (the sum of each incident's weight)
instead of incidents, so a ranking can reflect harm and not only volume.
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from wardmap.config import PartnerTableConfig
from wardmap.errors import InputError, WardmapError
from wardmap.result import RunResult
from wardmap.vocabulary import MEASURE_LABELS, in_sentence

ACRONYMS = {"asb": "ASB"}


@dataclass(frozen=True)
class IndicatorSpec:
    """One named indicator and its weight in the combined score."""

    name: str
    weight: float = 1.0


@dataclass
class Indicators:
    """Raw indicator values per ward (index ward_code, one column per indicator name)."""

    values: pd.DataFrame
    labels: dict[str, str]
    weights: dict[str, float]
    warnings: tuple[str, ...] = ()  # from reading partner tables (near-miss ward names...)


def parse_indicator(text: str) -> IndicatorSpec:
    """``"asb"`` or ``"asb:2"`` (weight after the last colon) -> IndicatorSpec."""
    name, sep, tail = text.rpartition(":")
    if sep:
        try:
            weight = float(tail)
        except ValueError:
            name, weight = text, 1.0  # a colon inside the name itself
    else:
        name, weight = text, 1.0
    name = name.strip()
    if not name:
        raise WardmapError(f"indicator '{text}' has no name")
    if not math.isfinite(weight):
        raise WardmapError(f"indicator '{text}': weight must be a finite number")
    return IndicatorSpec(name, weight)


def read_harm_weights(path: str | Path) -> dict[str, float]:
    """A harm weight per crime type, from TOML or CSV (format in docs/focus.md)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"harm weights file not found: {path}")
    weights = _harm_from_toml(path) if path.suffix.lower() == ".toml" else _harm_from_csv(path)
    if not weights:
        raise InputError(f"{path}: no harm weights found")
    for crime_type, weight in weights.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise InputError(f"{path}: harm weight for '{crime_type}' must be a number >= 0")
    return weights


def _harm_from_toml(path: Path) -> dict[str, float]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("harm_weights", data)
    out = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{path}: harm weight for '{key}' must be a number")
        out[str(key)] = float(value)
    return out


def _harm_from_csv(path: Path) -> dict[str, float]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read harm weights: {exc}") from None
    if not rows or not {"crime_type", "weight"} <= {k.strip().lower() for k in rows[0]}:
        raise InputError(f"{path}: harm weights CSV needs columns crime_type and weight")
    out = {}
    for line, row in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        try:
            out[row["crime_type"]] = float(row["weight"])
        except ValueError:
            text = row["weight"]
            raise InputError(f"{path} line {line}: weight '{text}' is not a number") from None
    return out


def build_indicators(
    result: RunResult,
    specs: list[IndicatorSpec],
    harm_weights: dict[str, float] | None = None,
    tables: list[PartnerTableConfig] | None = None,
) -> Indicators:
    """Raw values of each named indicator for every ward in ``result.wards``."""
    if not specs:
        raise WardmapError("no indicators named")
    names = [s.name for s in specs]
    # Compared as column names: "asb" and "ASB" would share one contribution column.
    keys = [slug(n) for n in names]
    if len(set(keys)) < len(keys):
        twice = {n for n, k in zip(names, keys, strict=True) if keys.count(k) > 1}
        raise WardmapError(f"indicator named twice: {', '.join(sorted(twice))}")
    source = _Source(result, harm_weights or None, tables or [])
    columns, labels = {}, {}
    for spec in specs:
        columns[spec.name], labels[spec.name] = source.indicator(spec.name)
    values = pd.DataFrame(columns, index=pd.Index(result.wards["ward_code"], name="ward_code"))
    return Indicators(values, labels, {s.name: s.weight for s in specs}, tuple(source.warnings))


def default_indicators(result: RunResult) -> list[IndicatorSpec]:
    """The measure the run analysed, when the analyst names no indicator."""
    measure = result.meta.measure if result.meta.measure in result.wards.columns else "value"
    return [IndicatorSpec(measure)]


def standardise(values: pd.DataFrame, method: Literal["z", "rank"]) -> pd.DataFrame:
    """Each indicator on a common scale over the wards given.

    z: (x - mean) / standard deviation (population, ddof=0). rank: average ranks scaled to
    -1..1 (lowest to highest), robust to one extreme ward.
    """
    for name in values.columns:
        column = values[name]
        missing = column.index[column.isna()].tolist()
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            raise WardmapError(
                f"indicator '{name}' has no value for {len(missing)} ward(s): {shown} "
                "(exclude them or supply the values)"
            )
        if column.nunique() < 2:
            raise WardmapError(
                f"indicator '{name}' is the same in every ward ({column.iloc[0]:g}); "
                "it cannot separate wards"
            )
    if method == "z":
        return (values - values.mean()) / values.std(ddof=0)
    if method == "rank":
        n = len(values)
        return (values.rank(method="average") - 1) / (n - 1) * 2 - 1
    raise WardmapError(f"unknown standardisation '{method}' (choose z or rank)")


class _Source:
    """Resolves indicator names against the run's records, partner tables and ward table."""

    def __init__(
        self,
        result: RunResult,
        harm: dict[str, float] | None,
        tables: list[PartnerTableConfig],
    ) -> None:
        self.result = result
        self.warnings: list[str] = []
        self.wards = result.wards
        self.codes = pd.Index(result.wards["ward_code"])
        self.harm = harm
        self.tables = {t.name.strip().casefold(): t for t in tables}
        self.groups = {k.casefold(): v for k, v in result.config.crime_groups().items()}

    def indicator(self, name: str) -> tuple[pd.Series, str]:
        key = name.strip().casefold()
        for suffix, kind in ((" change", "change"), (" count", "count")):
            if key.endswith(suffix):
                types, label = self._crime_types(key[: -len(suffix)], name)
                if kind == "count":
                    return self._count(types, self._period_mask()), f"{label} count"
                return self._change(types), f"change in {label} {self._unit()}"
        if key in self.tables:
            return self._partner(self.tables[key]), name
        if key in self.groups or key in {"harm", "all crime"} or self._is_crime_type(key):
            types, label = self._crime_types(key, name)
            rate = self._per_resident(self._count(types, self._period_mask()))
            return rate, f"{label} {self._unit()}"
        if name in self.wards.columns:
            return self._column(name), self._column_label(name)
        raise WardmapError(self._unknown(name))

    # -- crime types from the records ------------------------------------------------------
    def _records(self) -> pd.DataFrame:
        records = self.result.records
        if records is None or len(records) == 0:
            raise WardmapError("crime-type indicators need incident records (--incidents)")
        return records

    def _is_crime_type(self, key: str) -> bool:
        records = self.result.records
        if records is None:
            return False
        return key in {str(t).casefold() for t in records["crime_type"].dropna().unique()}

    def _crime_types(self, key: str, name: str) -> tuple[list[str] | None, str]:
        """Crime types of a group (None: all types) and words for it."""
        records = self._records()
        known = {str(t).casefold(): str(t) for t in records["crime_type"].dropna().unique()}
        if key in {"harm", "all crime"}:
            if key == "harm" and not self.harm:
                raise WardmapError("indicator 'harm' needs a harm weights file (--harm-weights)")
            return None, "harm-weighted crime" if self.harm else "all crime"
        if key in self.groups:
            types = self.groups[key]
        elif key in known:
            types = [known[key]]
        else:
            raise WardmapError(self._unknown(name))
        label = ACRONYMS.get(key, key)
        return types, f"harm-weighted {label}" if self.harm else label

    def _unit(self) -> str:
        return "rate" if self._has_population() else "count"

    def _period_mask(self) -> pd.Series:
        records = self._records()
        return records["period_match"].astype(bool)

    def _count(self, types: list[str] | None, mask: pd.Series) -> pd.Series:
        records = self._records()
        keep = mask & records["ward_code"].notna()
        if types is not None:
            keep &= records["crime_type"].isin(types)
        chosen = records.loc[keep, ["ward_code", "crime_type"]]
        if self.harm:
            weight = chosen["crime_type"].map(self.harm)
            unweighted = sorted(chosen.loc[weight.isna(), "crime_type"].astype(str).unique())
            if unweighted:
                raise WardmapError(
                    f"no harm weight for crime type(s): {', '.join(unweighted)} "
                    "(add them to the harm weights file; 0 leaves a type out)"
                )
        else:
            weight = pd.Series(1.0, index=chosen.index)
        counts = weight.groupby(chosen["ward_code"]).sum()
        return counts.reindex(self.codes, fill_value=0.0).astype(float)

    def _has_population(self) -> bool:
        return "population" in self.wards.columns and self.wards["population"].notna().any()

    def _per_resident(self, counts: pd.Series) -> pd.Series:
        if not self._has_population():
            return counts
        population = pd.Series(self.wards["population"].to_numpy(float), index=self.codes)
        rate = counts / population * 1000.0
        return rate.where(population > 0)

    def _change(self, types: list[str] | None) -> pd.Series:
        records = self._records()
        in_period = records["period_match"].astype(bool)
        current = sorted(records.loc[in_period, "month"].dropna().unique())
        if not current:
            raise WardmapError("change indicators need records with a month in the period")
        first, last = pd.Period(current[0], "M"), pd.Period(current[-1], "M")
        length = (last - first).n + 1
        previous = {str(first - i) for i in range(1, length + 1)}
        before = records["month"].isin(previous)
        if not (before & records["ward_code"].notna()).any():
            span = f"{first - length}:{first - 1}"
            raise WardmapError(
                f"change indicators need records for the previous period {span}; none were given"
            )
        now = self._per_resident(self._count(types, self._period_mask()))
        then = self._per_resident(self._count(types, before))
        return now - then

    # -- partner tables and ward-table columns ----------------------------------------------
    def _partner(self, table: PartnerTableConfig) -> pd.Series:
        if not table.path:
            raise WardmapError(f"partner table '{table.name}' has no path")
        from wardmap.load.tables import read_ward_values

        encoding = getattr(self.result.config.inputs, "encoding", "utf-8")
        read = read_ward_values(table.path, self.wards, table.value_col, table.key_col,
                                f"'{table.name}'", encoding)
        self.warnings.extend(read.warnings)
        return read.values.reindex(self.codes).astype(float)

    def _column_label(self, name: str) -> str:
        value_col = self.result.config.inputs.value_col
        if name == "value" and value_col:
            return value_col  # the analyst's own column name reads better than "value"
        return in_sentence(MEASURE_LABELS.get(name, name))

    def _column(self, name: str) -> pd.Series:
        column = pd.to_numeric(self.wards[name], errors="coerce")
        if column.notna().sum() == 0:
            raise WardmapError(f"indicator '{name}': ward table column holds no numbers")
        return pd.Series(column.to_numpy(float), index=self.codes)

    def _unknown(self, name: str) -> str:
        choices = sorted(self.groups) + sorted(t.name for t in self.tables.values())
        numeric = [
            c for c in self.wards.columns
            if c != "geometry" and pd.api.types.is_numeric_dtype(self.wards[c])
        ]
        shown = ", ".join(choices + numeric)
        return f"unknown indicator '{name}' (crime groups, crime types, partner tables or ward " \
            f"columns: {shown})"


def slug(name: str) -> str:
    """A column-name form of an indicator name: "violent crime" -> "violent_crime"."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_") or "indicator"


def weighted_scores(z: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Each indicator's weighted standardised value per ward (sum across = ward score)."""
    return z.mul(pd.Series(weights)[z.columns], axis=1)
