"""Two ward measures side by side: do they rise and fall together, and where?

- Spearman's rho (the Pearson correlation of the ranks, ties given their average rank) with a
  two-sided permutation p: y's ranks shuffled among the wards.
- The bivariate Moran's I (Wartenberg 1985; Anselin, Syabri and Smirnov 2002) as esda.Moran_BV
  and GeoDa define it: x and y standardised (sample standard deviation), row-standardised
  weights, I = sum_i zx_i (W zy)_i / (n - 1), pseudo p from random reorderings of y.
- The bivariate LISA as esda.Moran_Local_BV and GeoDa: I_i = (n - 1) zx_i (W zy)_i / zx'zx with
  population standard deviations, conditional permutation (y's values among the other wards),
  GeoDa's labels: High-High (high x among high y), Low-Low, High-Low, Low-High.
- A quadrant for each ward: x and y each above or below their median.

numpy kernels shared with the test stage (wardmap.stats): no esda or scipy.stats import.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from wardmap.errors import WardmapError
from wardmap.result import RunResult
from wardmap.stats.permutation import TIE_TOLERANCE, folded_p, generator, tail_counts

# Random streams of their own, so these draws never shift the test stage's.
STREAM_SPEARMAN, STREAM_MORAN_BV, STREAM_LISA_BV = 21, 22, 23
CSV_COLUMNS = ["ward_code", "ward_name", "x", "y", "x_rank", "y_rank", "quadrant",
               "bv_lisa_label"]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average (as scipy.stats.rankdata's default)."""
    return pd.Series(values).rank(method="average").to_numpy(float)


def spearman(x: np.ndarray, y: np.ndarray, permutations: int,
             rng: np.random.Generator) -> tuple[float, float]:
    """Spearman's rho and its two-sided permutation p ((extreme + 1) / (permutations + 1)).

    Examples
    --------
    >>> rho, p = spearman(np.arange(10.0), np.arange(10.0) ** 2, 99, generator(1, 0))
    >>> rho, p
    (1.0, 0.01)
    """
    rx = average_ranks(x) - (len(x) + 1) / 2.0
    ry = average_ranks(y) - (len(y) + 1) / 2.0
    den = np.sqrt((rx @ rx) * (ry @ ry))
    if den == 0:
        return float("nan"), float("nan")
    rho = float(rx @ ry / den)
    if permutations <= 0:
        return rho, float("nan")
    sims = np.empty(permutations)
    step = max(1, 4_000_000 // len(x))
    for start in range(0, permutations, step):
        rows = min(step, permutations - start)
        shuffled = rng.permuted(np.broadcast_to(ry, (rows, len(ry))), axis=1)
        sims[start: start + rows] = shuffled @ rx / den
    extreme = (np.abs(sims) >= abs(rho) - TIE_TOLERANCE).sum()
    return rho, float((extreme + 1) / (permutations + 1))


def bivariate_moran(x: np.ndarray, y: np.ndarray, binary: sp.csr_matrix, permutations: int,
                    rng: np.random.Generator) -> dict[str, float]:
    """Global bivariate Moran's I of x with the spatial lag of y: I, p_sim, EI_sim, z_sim."""
    from wardmap.stats.moran import permuted_products, row_standardise

    zx = _standardised(x, ddof=1)
    zy = _standardised(y, ddof=1)
    w = row_standardise(binary)
    n = len(x)
    out = {"I": float(zx @ (w @ zy)) / (n - 1), "p_sim": np.nan, "EI_sim": np.nan,
           "z_sim": np.nan, "permutations": int(permutations)}
    if permutations > 0:
        sims = permuted_products(zy, w, permutations, rng, fixed=zx) / (n - 1)
        larger, smaller = tail_counts(sims, out["I"])
        out["p_sim"] = float(folded_p(larger, permutations, smaller))
        out["EI_sim"] = float(sims.mean())
        sd = sims.std()
        out["z_sim"] = float((out["I"] - sims.mean()) / sd) if sd > 0 else np.nan
    return out


@dataclass
class BivariateLocal:
    """Per ward: I, quadrant q (esda's codes: 1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low),
    pseudo p (NaN for wards without neighbours)."""

    I: np.ndarray  # noqa: E741 - esda's name
    q: np.ndarray
    p_sim: np.ndarray


def bivariate_local(x: np.ndarray, y: np.ndarray, binary: sp.csr_matrix, permutations: int,
                    rng: np.random.Generator) -> BivariateLocal:
    """The bivariate LISA of x with the spatial lag of y (esda.Moran_Local_BV)."""
    from wardmap.stats.local import conditional_p
    from wardmap.stats.moran import row_standardise

    n = len(x)
    zx, zy = _standardised(x, ddof=0), _standardised(y, ddof=0)
    lag = row_standardise(binary) @ zy
    den = float(zx @ zx)
    scale = (n - 1) / den if den > 0 else 0.0
    local_i = scale * zx * lag
    q = np.where(zx > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    card = np.diff(binary.indptr)
    p_sim = np.full(n, np.nan)
    if permutations > 0 and den > 0 and card.max(initial=0) > 0 and n > 2:
        p = conditional_p(zy, card, local_i, scale, permutations, rng, own=zx)
        p_sim[card > 0] = p[card > 0]
    return BivariateLocal(I=local_i, q=q, p_sim=p_sim)


def _standardised(v: np.ndarray, ddof: int) -> np.ndarray:
    sd = v.std(ddof=ddof)
    if not sd > 0:
        raise WardmapError("a measure is the same in every ward: there is nothing to relate")
    return (v - v.mean()) / sd


@dataclass
class Relation:
    """relate.json's content (``summary``) and relate.csv's rows (``table``)."""

    summary: dict[str, Any]
    table: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)


def relate(result: RunResult, x: str, y: str) -> Relation:
    """Relate two ward measures of a run, each named as a focus indicator (crime group or
    type, partner table, ward column), with the run's weights and statistics settings."""
    from wardmap.select.indicators import IndicatorSpec, build_indicators, read_harm_weights

    if not x or not y:
        raise WardmapError("name two measures: --x NAME and --y NAME (as for focus indicators)")
    focus = result.config.focus
    harm = read_harm_weights(focus.harm_weights) if focus.harm_weights else None
    built = build_indicators(result, [IndicatorSpec(x), IndicatorSpec(y)], harm, focus.tables)
    weights = result.weights
    if weights is None:
        from wardmap.stats.weights import build_weights

        stats = result.config.stats
        weights = build_weights(result.wards, stats.weights, stats.k, stats.distance,
                                stats.islands)
    return _relation(result.wards, built.values[x].to_numpy(float),
                     built.values[y].to_numpy(float), (x, y),
                     (built.labels[x], built.labels[y]), weights.binary, result.config.stats)


def relate_columns(
    wards: gpd.GeoDataFrame,
    x: str,
    y: str,
    *,
    weights: str = "queen",
    k: int = 6,
    distance: float | None = None,
    islands: str = "nearest",
    permutations: int = 999,
    seed: int = 12345,
    correction: str = "fdr",
    alpha: float = 0.05,
) -> Relation:
    """Relate two numeric columns of a ward table: Spearman's rho, bivariate Moran's I and
    bivariate LISA, quadrants.

    Parameters
    ----------
    wards : GeoDataFrame
        Ward polygons with ward_code, ward_name and the two columns (rows with either
        missing are left out of the statistics and named in the warnings).
    x, y : str
        The columns: x is the ward's own value, y its neighbours' in the bivariate statistics.
    weights, k, distance, islands
        Spatial weights, as for ``wardmap.spatial_tests``.
    permutations, seed : int
        Permutations for the pseudo p-values, and their random seed.
    correction, alpha
        Multiple-testing correction and level for the bivariate LISA labels.

    Returns
    -------
    Relation
        ``summary`` (relate.json: spearman_rho, spearman_p, bivariate_moran_I,
        bivariate_moran_p_sim, quadrants ...) and ``table`` (relate.csv's rows).

    Examples
    --------
    >>> import wardmap
    >>> from wardmap.demo import example_grid
    >>> grid = example_grid().assign(asb=[5, 6, 1, 4, 3, 1, 2, 0, 1])
    >>> relation = wardmap.relate_columns(grid, "asb", "crimes", permutations=99)
    >>> round(relation.summary["spearman_rho"], 3), relation.table["x_rank"].tolist()[:3]
    (0.893, [2, 1, 6])
    """
    from wardmap.config import StatsConfig
    from wardmap.stats.weights import build_weights

    for column in (x, y):
        if column not in wards:
            raise WardmapError(f"no column {column!r} in the ward table")
    stats = StatsConfig(weights=weights, k=k, distance=distance, islands=islands,
                        permutations=permutations, seed=seed, correction=correction,
                        alpha=alpha)
    binary = build_weights(wards, weights, k, distance, islands).binary
    values = [pd.to_numeric(wards[c], errors="coerce").to_numpy(float) for c in (x, y)]
    return _relation(wards, values[0], values[1], (x, y), (x, y), binary, stats)


def _relation(wards: pd.DataFrame, xs: np.ndarray, ys: np.ndarray, names: tuple[str, str],
              labels: tuple[str, str], binary: sp.csr_matrix, stats: Any) -> Relation:
    """The statistics, table and summary over the wards with both values."""
    from wardmap.result import significant
    from wardmap.stats.correction import adjust
    from wardmap.stats.local import QUADRANT_LABELS

    x, y = names
    valid = np.isfinite(xs) & np.isfinite(ys)
    warnings = _missing_warning(wards, valid, x, y)
    if valid.sum() < 3:
        raise WardmapError(f"only {int(valid.sum())} ward(s) have both '{x}' and '{y}': "
                           "relating them needs at least 3")
    binary = binary if valid.all() else binary[valid][:, valid]
    rho, p = spearman(xs[valid], ys[valid], stats.permutations,
                      generator(stats.seed, STREAM_SPEARMAN))
    moran = bivariate_moran(xs[valid], ys[valid], binary, stats.permutations,
                            generator(stats.seed, STREAM_MORAN_BV))
    local = bivariate_local(xs[valid], ys[valid], binary, stats.permutations,
                            generator(stats.seed, STREAM_LISA_BV))
    quadrant = pd.Series(local.q).map(QUADRANT_LABELS).to_numpy()
    bv = np.where(significant(adjust(local.p_sim, stats.correction), stats.alpha), quadrant,
                  "Not significant").astype(object)
    bv[np.diff(binary.indptr) == 0] = "Island"
    words = {"x": labels[0], "y": labels[1]}
    table = _table(wards, xs, ys, valid, bv, words)
    summary = {
        "x": x, "y": y, "x_label": words["x"], "y_label": words["y"],
        "wards": int(valid.sum()),
        "spearman_rho": rho, "spearman_p": p,
        "bivariate_moran_I": moran["I"], "bivariate_moran_p_sim": moran["p_sim"],
        "bivariate_moran_z_sim": moran["z_sim"],
        "quadrants": _quadrants(table),
        "bv_lisa": {k: int((bv == k).sum()) for k in (*QUADRANT_LABELS.values(),
                                                       "Not significant", "Island")},
        "permutations": stats.permutations, "seed": stats.seed,
        "weights": stats.weights, "correction": stats.correction,
        "alpha": stats.alpha, "warnings": warnings,
    }
    summary["summary"] = relation_text(summary)
    return Relation(summary, table, words)


def _missing_warning(wards: pd.DataFrame, valid: np.ndarray, x: str, y: str) -> list[str]:
    if valid.all():
        return []
    names = ", ".join(wards.loc[~valid, "ward_name"].astype(str).head(10))
    return [f"{int((~valid).sum())} ward(s) lack '{x}' or '{y}' and were left out: {names}"]


def _table(wards: pd.DataFrame, xs: np.ndarray, ys: np.ndarray, valid: np.ndarray,
           bv: np.ndarray, labels: dict[str, str]) -> pd.DataFrame:
    table = pd.DataFrame({"ward_code": wards["ward_code"].to_numpy(),
                          "ward_name": wards["ward_name"].to_numpy(), "x": xs, "y": ys})
    for axis, v in (("x", xs), ("y", ys)):
        # Rank 1 is the highest; ties share the higher position (1, 2, 2, 4).
        table[f"{axis}_rank"] = pd.Series(np.where(valid, v, np.nan)).rank(
            method="min", ascending=False).astype("Int64")
    high_x = xs > np.median(xs[valid])
    high_y = ys > np.median(ys[valid])
    quadrant = [quadrant_name(hx, hy, labels) for hx, hy in zip(high_x, high_y, strict=True)]
    table["quadrant"] = np.where(valid, quadrant, "")
    label = np.full(len(xs), "No value", dtype=object)
    label[valid] = bv
    table["bv_lisa_label"] = label
    return table[CSV_COLUMNS]


def quadrant_name(high_x: bool, high_y: bool, labels: dict[str, str]) -> str:
    """ "high ASB rate, low violent crime rate"."""
    return (f"{'high' if high_x else 'low'} {labels['x']}, "
            f"{'high' if high_y else 'low'} {labels['y']}")


def _quadrants(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    shown = table[table["quadrant"] != ""]
    return {name: {"wards": len(group), "ward_names": sorted(group["ward_name"].astype(str))}
            for name, group in shown.groupby("quadrant", sort=True)}


def relation_text(summary: dict[str, Any]) -> str:
    """One plain sentence on the correlation and its spatial form."""
    from wardmap.result import significant
    from wardmap.vocabulary import p_phrase

    rho, p, alpha = summary["spearman_rho"], summary["spearman_p"], summary["alpha"]
    strength = ("strongly " if abs(rho) >= 0.7 else "moderately " if abs(rho) >= 0.4 else
                "weakly " if abs(rho) >= 0.2 else "")
    sign = ("show little or no relationship" if not strength else
            "go together" if rho > 0 else "go opposite ways")
    sig = "statistically significant" if significant(p, alpha) else \
        "not statistically significant"
    text = (f"Across {summary['wards']:,} wards, {summary['x_label']} and {summary['y_label']} "
            f"{strength}{sign} (Spearman's rho = {rho:.2f}, permutation {p_phrase(p)}, "
            f"{sig}).")
    moran_p = summary["bivariate_moran_p_sim"]
    text += (f" Bivariate Moran's I = {summary['bivariate_moran_I']:.3f} "
             f"({p_phrase(moran_p)}): wards with high {summary['x_label']} "
             + ("tend to neighbour wards with high " if summary["bivariate_moran_I"] > 0 else
                "tend to neighbour wards with low ") + f"{summary['y_label']}"
             + ("." if significant(moran_p, alpha) else ", though not significantly."))
    return text


# --- files -----------------------------------------------------------------------------------

def with_relation(result: RunResult) -> RunResult:
    """The run with its two measures related (``result.relation``) by the [relate] settings."""
    relation = relate(result, result.config.relate.x, result.config.relate.y)
    return replace(result, relation=relation).with_warnings(*relation.summary["warnings"])


def relate_writer(result: RunResult, folder: Path) -> RunResult:
    """An export-stage writer: relate.json, relate.csv and relate.png."""
    from wardmap.export import write_json

    if result.relation is None:
        result = with_relation(result)
    relation = result.relation
    public = result.config.output.public
    table = public_table(relation.table) if public else relation.table
    write_json(folder / "relate.json", relation.summary)
    from wardmap.export import spreadsheet_safe

    spreadsheet_safe(table).to_csv(folder / "relate.csv", index=False, lineterminator="\n",
                                   float_format="%.6g")
    if result.config.maps.enabled:
        from wardmap.maps.compare import relate_figure

        figure = relate_figure(relation, result, scatter=not public)
        figure.savefig(folder / "relate.png", dpi=result.config.maps.dpi)
    return result


def public_table(table: pd.DataFrame) -> pd.DataFrame:
    """relate.csv for publication: no ward's values or ranks (a small count, or a rate or rank
    worked out from one, could identify someone); quadrants and LISA labels stay."""
    out = table.copy()
    for column in ("x", "y"):
        out[column] = np.nan
        out[f"{column}_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out


def run_relate(config, out_dir: str | Path | None = None, steps=None) -> RunResult:
    """The full run plus relate.json, relate.csv and relate.png, as ``wardmap relate`` does."""
    from wardmap.pipeline import run

    return run(config, out_dir, steps, [relate_writer],
               select=("relating the two measures", with_relation))
