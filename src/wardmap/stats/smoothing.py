"""Empirical Bayes rates, so that wards with few residents do not dominate a rate map.

Rates here are per resident; the test stage multiplies by 1,000. Every function expects
positive populations; the caller leaves wards without one out.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def global_eb(events: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Marshall's global empirical Bayes rates: each raw rate shrunk towards the overall rate,
    the more so the smaller the ward (as esda.smoothing.Empirical_Bayes and GeoDa's EB rate).

    When the method-of-moments estimate of the between-ward variance is negative (the raw
    rates vary no more than chance alone would make them), it is taken as zero, as GeoDa does,
    so every ward gets the overall rate; esda leaves it negative.
    """
    e, b = np.asarray(events, float), np.asarray(population, float)
    overall = e.sum() / b.sum()
    rate = e / b
    between = (b * (rate - overall) ** 2).sum() / b.sum() - overall / b.mean()
    between = max(between, 0.0)
    weight = between / (between + overall / b) if between > 0 else np.zeros_like(b)
    return weight * rate + (1.0 - weight) * overall


def spatial_eb(events: np.ndarray, population: np.ndarray, binary: sp.csr_matrix) -> np.ndarray:
    """Spatial empirical Bayes rates: each ward shrunk towards the rate of its neighbourhood
    (itself and its neighbours), as esda.smoothing.Spatial_Empirical_Bayes.
    """
    e, b = np.asarray(events, float), np.asarray(population, float)
    local = binary + sp.identity(len(e), format="csr")
    local_b = local @ b
    prior = (local @ e) / local_b
    rate = e / b
    # Population-weighted spread of the neighbourhood's rates around its prior mean.
    rows = np.repeat(np.arange(len(e)), np.diff(local.indptr))
    cols = local.indices
    spread = np.bincount(rows, weights=b[cols] * (rate[cols] - prior[rows]) ** 2, minlength=len(e))
    size = np.diff(local.indptr)
    between = np.maximum(spread / local_b - prior / (local_b / size), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(between > 0, between / (between + prior / b), 0.0)
    return prior + (rate - prior) * shrink


def assuncao_reis(events: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Assuncao and Reis (1999) empirical Bayes standardised rates, for Moran's I of rates
    (as esda.assuncao_rate): (rate - overall) / sqrt(estimated variance of the rate).
    """
    e, b = np.asarray(events, float), np.asarray(population, float)
    rate = e / b
    overall = e.sum() / b.sum()
    spread = (b * (rate - overall) ** 2).sum() / b.sum()
    variance = spread - overall / (b.sum() / len(e)) + overall / b
    variance = np.where(variance < 0, overall / b, variance)
    return (rate - overall) / np.sqrt(variance)
