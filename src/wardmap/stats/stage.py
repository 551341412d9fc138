"""The test stage over the ward table: EB rates, weights, Moran's I, LISA and Gi*.

rate_eb is the empirical Bayes smoothed rate per 1,000 residents: Marshall's global EB by
default (each ward shrunk towards the whole area's rate, more so the fewer its residents), or
spatial EB (towards its neighbourhood's rate) with ``[stats] smoothing = "spatial"``. It needs
incident counts and a population; wards without a population get NaN.

The measure analysed ("auto") is rate_eb when every ward has a population, else the raw count
or value. Wards whose measure is missing are left out of the statistics and reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from geopandas import GeoDataFrame

from wardmap.config import StatsConfig
from wardmap.errors import WardmapError
from wardmap.result import Moran, SpatialTests, significant
from wardmap.stats.correction import METHODS, adjust
from wardmap.stats.getis import confidence_bins, gi_star
from wardmap.stats.local import QUADRANT_LABELS, local_moran
from wardmap.stats.moran import global_moran, moran_rate
from wardmap.stats.permutation import generator
from wardmap.stats.smoothing import global_eb, spatial_eb
from wardmap.stats.weights import Weights, build_weights

LABELS = ("High-High", "Low-Low", "High-Low", "Low-High", "Not significant", "Not tested",
          "Island")
MEASURES = ("auto", "incidents", "rate_per_1000", "rate_eb", "value", "count", "rate")
# The names of earlier releases, for the ward-table columns they mean.
MEASURE_ALIASES = {"count": "incidents", "rate": "rate_per_1000"}
MIN_WARDS = 3  # Moran's variance and LISA's conditional permutation need at least three
# Independent random streams per statistic, so adding one never shifts another's draws.
STREAM_MORAN, STREAM_MORAN_RATE, STREAM_LISA = 1, 2, 3


def test_stage(
    wards: GeoDataFrame, config: StatsConfig
) -> tuple[GeoDataFrame, dict[str, Any], Weights]:
    """``run_tests`` as a tuple: the table, the summary (with ``moran`` as a dictionary and
    ``warnings``) and the weights."""
    tests = run_tests(wards, config)
    summary = {**tests.summary, "moran": tests.moran.as_dict(), "warnings": list(tests.warnings)}
    return tests.wards, summary, tests.weights


def run_tests(wards: GeoDataFrame, config: StatsConfig) -> SpatialTests:
    """Add rate_eb, the analysed ``value`` and the LISA and Gi* columns to a copy of the ward
    table (which needs a ``value`` column, and may have ``incidents`` and ``population``).
    Same inputs and seed give identical results.
    """
    _check(wards, config)
    out = wards.copy()
    warnings: list[str] = []
    weights = build_weights(out, config.weights, config.k, config.distance, config.islands)
    codes = _codes(out)
    events, population = _events_population(out)
    out["rate_eb"] = _eb_rates(events, population, weights, config.smoothing)
    measure, y = _measure(out, config.measure, events, population)
    out["value"] = y
    valid = np.isfinite(y)
    if (~valid).any():
        missing = ", ".join(codes[i] for i in np.flatnonzero(~valid)[:10])
        warnings.append(f"{int((~valid).sum())} ward(s) have no {measure} and were left out of "
                        f"the spatial statistics: {missing}")
    _weights_warnings(weights, codes, warnings)
    moran, local = _statistics(y, valid, weights, events, population, measure, config,
                               warnings)
    _label(out, local, valid, weights, config)
    summary = _summary(out, measure, weights, codes, config)
    return SpatialTests(wards=out, moran=Moran.from_values(moran), measure=measure,
                        weights=weights, summary=summary, warnings=tuple(warnings))


def _statistics(y: np.ndarray, valid: np.ndarray, weights: Weights, events: np.ndarray,
                population: np.ndarray, measure: str, config: StatsConfig,
                warnings: list[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Global Moran and the local statistics over the wards with a value, or empty results
    (and a warning) when there is nothing to test."""
    moran, local = _nan_moran(config.permutations), _empty_local(len(y))
    if valid.sum() < MIN_WARDS:
        warnings.append(f"{int(valid.sum())} ward(s) with a value: spatial statistics need at "
                        f"least {MIN_WARDS}; none were computed")
        return moran, local
    if np.ptp(y[valid]) == 0:
        warnings.append(f"every ward has the same {measure} ({y[valid][0]:g}): there is no "
                        "spatial pattern to test; statistics left empty")
        return moran, local
    sub = _subset(weights.binary, valid)
    moran = global_moran(y[valid], sub, config.permutations,
                         generator(config.seed, STREAM_MORAN))
    is_rate = measure in ("rate_per_1000", "rate_eb")
    if is_rate and _counts(events[valid]) and (population[valid] > 0).all():
        # Assuncao-Reis: Moran's I of EB-standardised rates, for rates of unequal reliability.
        moran["eb_rate"] = Moran.from_values(moran_rate(events[valid], population[valid], sub,
                                             config.permutations,
                                             generator(config.seed, STREAM_MORAN_RATE)))
    return moran, _local(y[valid], sub, valid, config)


def _subset(binary: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """Weights among the kept wards only (no copy when all are kept)."""
    return binary if keep.all() else binary[keep][:, keep]


# The pipeline stage is named "test"; this keeps pytest from collecting it where imported.
test_stage.__test__ = False  # type: ignore[attr-defined]


def _check(wards: GeoDataFrame, config: StatsConfig) -> None:
    if "value" not in wards.columns:
        raise WardmapError("the ward table has no 'value' column to analyse")
    if len(wards) == 0:
        raise WardmapError("no wards to analyse")
    if config.permutations < 0:
        raise WardmapError(f"stats.permutations must be 0 or more (got {config.permutations})")
    if config.seed < 0:  # numpy's SeedSequence takes non-negative integers only
        raise WardmapError(f"stats.seed must be 0 or more (got {config.seed})")
    if not 0 < config.alpha < 1:
        raise WardmapError(f"stats.alpha must be between 0 and 1 (got {config.alpha})")
    if config.correction not in METHODS:
        raise WardmapError(f"unknown stats.correction '{config.correction}' "
                           f"(choose from {', '.join(METHODS)})")
    if config.measure not in MEASURES:
        raise WardmapError(f"unknown stats.measure '{config.measure}' "
                           f"(choose from {', '.join(MEASURES)})")


def _codes(wards: GeoDataFrame) -> list[str]:
    if "ward_code" in wards.columns:
        return [str(c) for c in wards["ward_code"]]
    return [str(i) for i in range(len(wards))]


def _numeric(wards: GeoDataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(wards[column], errors="coerce")
    return values.to_numpy(dtype=float, na_value=np.nan)


def _events_population(wards: GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    events = _numeric(wards, "incidents" if "incidents" in wards.columns else "value")
    if "population" in wards.columns:
        population = _numeric(wards, "population")
    else:
        population = np.full(len(wards), np.nan)
    return events, population


def _counts(events: np.ndarray) -> bool:
    """Whether the events look like counts: finite, non-negative whole numbers."""
    return bool(np.isfinite(events).all() and (events >= 0).all()
                and (events == np.round(events)).all())


def _eb_rates(events: np.ndarray, population: np.ndarray, weights: Weights,
              smoothing: str) -> np.ndarray:
    """Empirical Bayes rate per 1,000 for wards with counts and a positive population."""
    rate = np.full(len(events), np.nan)
    usable = np.isfinite(events) & (events >= 0) & np.isfinite(population) & (population > 0)
    if usable.sum() < 2 or not _counts(events[usable]):
        return rate
    e, b = events[usable], population[usable]
    if e.sum() == 0:
        rate[usable] = 0.0  # no events anywhere: nothing to smooth (and no overall rate)
    elif smoothing == "spatial":
        rate[usable] = spatial_eb(e, b, _subset(weights.binary, usable))
    else:
        rate[usable] = global_eb(e, b)
    return rate * 1000.0


def _measure(wards: GeoDataFrame, measure: str, events: np.ndarray,
             population: np.ndarray) -> tuple[str, np.ndarray]:
    """The column analysed (named as in the ward table) and its values."""
    measure = MEASURE_ALIASES.get(measure, measure)
    if measure == "auto":
        known = np.isfinite(population) & (population > 0)
        measure = "rate_eb" if known.all() and _counts(events) else "incidents"
    if measure == "incidents":
        name = "incidents" if "incidents" in wards.columns else "value"
        return name, _numeric(wards, name)
    if measure == "rate_per_1000":
        if "rate_per_1000" in wards.columns:
            return "rate_per_1000", _numeric(wards, "rate_per_1000")
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(population > 0, events / population * 1000.0, np.nan)
        return "rate_per_1000", rate
    if measure == "rate_eb":
        rate_eb = wards["rate_eb"].to_numpy(dtype=float)
        if not np.isfinite(rate_eb).any():
            raise WardmapError("stats.measure 'rate_eb' needs incident counts and a population "
                               "for the wards; none have both")
        return "rate_eb", rate_eb
    return "value", _numeric(wards, "value")


def _weights_warnings(weights: Weights, codes: list[str], warnings: list[str]) -> None:
    if len(codes) == 1:
        warnings.append("only one ward: there are no neighbours, so no spatial statistics")
        return
    if weights.islands:
        names = ", ".join(codes[i] for i in weights.islands[:10])
        action = ("joined to their nearest ward" if weights.island_policy == "nearest"
                  else "labelled Island and left out of the local statistics")
        warnings.append(f"{len(weights.islands)} ward(s) have no neighbour ({names}): {action}")
    if weights.n_components > 1:
        warnings.append(f"the wards form {weights.n_components} separate groups of neighbours")


def _nan_moran(permutations: int) -> dict[str, Any]:
    keys = ("I", "EI", "VI_norm", "z", "p_norm", "p_sim", "z_sim")
    return {**dict.fromkeys(keys), "permutations": int(permutations)}


def _empty_local(n: int) -> dict[str, np.ndarray]:
    nan = np.full(n, np.nan)
    return {"lisa_I": nan.copy(), "lisa_q": np.zeros(n, np.int64), "lisa_p": nan.copy(),
            "gi_z": nan.copy(), "gi_p": nan.copy(), "tested": np.zeros(n, bool)}


def _local(y: np.ndarray, sub: sp.csr_matrix, valid: np.ndarray,
           config: StatsConfig) -> dict[str, np.ndarray]:
    """LISA and Gi* over the wards with a value, spread back to the whole table."""
    lisa = local_moran(y, sub, config.permutations, generator(config.seed, STREAM_LISA))
    gi_z, gi_p = gi_star(y, sub)
    tested = np.diff(sub.indptr) > 0
    gi_z[~tested], gi_p[~tested] = np.nan, np.nan
    local = _empty_local(len(valid))
    local["lisa_I"][valid] = np.where(tested, lisa.I, np.nan)
    local["lisa_q"][valid] = np.where(tested, lisa.q, 0)
    local["lisa_p"][valid] = lisa.p_sim
    local["gi_z"][valid], local["gi_p"][valid] = gi_z, gi_p
    local["tested"][valid] = tested
    return local


def _label(out: GeoDataFrame, local: dict[str, np.ndarray], valid: np.ndarray,
           weights: Weights, config: StatsConfig) -> None:
    lisa_adj = adjust(local["lisa_p"], config.correction)
    gi_adj = adjust(local["gi_p"], config.correction)
    quadrant = pd.Series(local["lisa_q"]).map(QUADRANT_LABELS).fillna("Not significant")
    island = _islands_left(weights, valid)

    def lisa_label(p: np.ndarray) -> np.ndarray:
        label = np.where(significant(p, config.alpha), quadrant.to_numpy(),
                         "Not significant").astype(object)
        if config.permutations == 0:  # no pseudo p-values: LISA is not tested at all
            label[:] = "Not tested"
        label[island] = "Island"
        return label

    out["lisa_I"], out["lisa_q"], out["lisa_p"] = local["lisa_I"], local["lisa_q"], local["lisa_p"]
    out["lisa_p_adj"], out["lisa_label"] = lisa_adj, lisa_label(lisa_adj)
    out["gi_z"], out["gi_p"], out["gi_p_adj"] = local["gi_z"], local["gi_p"], gi_adj
    out["gi_bin"] = confidence_bins(local["gi_z"], gi_adj)
    # Before the multiple-testing correction, as GeoDa and ArcGIS also show: maps tell the
    # wards significant only before it apart from those significant after it.
    out["lisa_label_uncorrected"] = lisa_label(local["lisa_p"])
    out["gi_bin_uncorrected"] = confidence_bins(local["gi_z"], local["gi_p"])
    out["stats_note"] = _notes(weights, valid, island)


def _islands_left(weights: Weights, valid: np.ndarray) -> np.ndarray:
    """Wards with a value but no neighbour with a value: not tested, labelled Island."""
    sub_card = np.zeros(len(valid), np.int64)
    sub_card[valid] = np.diff(_subset(weights.binary, valid).indptr)
    return valid & (sub_card == 0) & (valid.sum() >= MIN_WARDS)


def _notes(weights: Weights, valid: np.ndarray, island: np.ndarray) -> list[str]:
    notes = np.full(len(valid), "", dtype=object)
    for ward, nearest in weights.joined_islands:
        code = weights.ids[nearest] if weights.ids else str(nearest)
        notes[ward] = f"no neighbour: joined to nearest ward {code}"
    notes[island] = "no neighbour: not tested"
    notes[~valid] = "no value: not tested"
    return notes.tolist()


def _summary(out: GeoDataFrame, measure: str, weights: Weights, codes: list[str],
             config: StatsConfig) -> dict[str, Any]:
    labels = out["lisa_label"].value_counts()
    bins = out["gi_bin"].value_counts()
    card = weights.cardinalities
    return {
        "measure": measure,
        "smoothing": config.smoothing,
        "weights": {
            "kind": config.weights,
            "islands": [codes[i] for i in weights.islands],
            "island_policy": config.islands,
            "joined_islands": [[codes[i], codes[j]] for i, j in weights.joined_islands],
            "components": weights.n_components,
            "touching_not_shared_vertex": len(weights.inexact),
            "mean_neighbours": float(card.mean()),
            "min_neighbours": int(card.min()),
            "max_neighbours": int(card.max()),
        },
        "lisa": {label: int(labels.get(label, 0)) for label in LABELS},
        "gi": {str(b): int(bins.get(b, 0)) for b in range(-3, 4)},
        "correction": config.correction,
        "alpha": config.alpha,
        "permutations": config.permutations,
        "seed": config.seed,
    }
