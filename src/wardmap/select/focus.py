"""Task-force focus areas: the connected groups of k wards with the highest combined score.

Each ward's score is the weighted sum of its standardised indicators; an area's score is the
mean of its wards' scores (so areas of different sizes share one scale), and each indicator's
contribution is the mean of its weighted standardised values over the area. Method, file formats
and the search's quality bound: docs/focus.md.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from wardmap.align import name_key
from wardmap.config import FocusConfig
from wardmap.errors import WardmapError
from wardmap.result import RunResult
from wardmap.select.areas import AreaSearch, top_areas
from wardmap.select.indicators import (
    build_indicators,
    default_indicators,
    parse_indicator,
    read_harm_weights,
    slug,
    standardise,
    weighted_scores,
)
from wardmap.vocabulary import join_words, ordinal

# Up to this many wards every connected area is enumerated and counted; above it the search
# stops as soon as its bound proves the top list complete (still exact, see areas.py).
EXHAUSTIVE_LIMIT = 1000
MAX_SIZE = 6
GROUP_WORDS = {1: "wards", 2: "neighbouring pairs", 3: "neighbouring groups of three",
               4: "neighbouring groups of four", 5: "neighbouring groups of five",
               6: "neighbouring groups of six"}


def find_focus_areas(result: RunResult, config: FocusConfig, *,
                     robustness: bool = True) -> pd.DataFrame:
    """Ranked candidate focus areas: rank, ward_codes, ward_names, score, population,
    ``<indicator>_contribution`` per indicator, a plain-English reason and ``robust``.

    ``robust`` is true when the area keeps its rank with each flagged map point left out
    (wardmap.select.robustness; checked unless ``robustness`` is False). ``df.attrs``
    describes the search: size, examined, exhaustive, exact, bound, excluded, indicators
    (labels), robustness (one entry per flagged map point).
    """
    _check_config(config)
    wards = result.wards.sort_values("ward_code").reset_index(drop=True)
    excluded = resolve_wards(wards, config.exclude, "--exclude")
    eligible = ~wards["ward_code"].isin(excluded)
    _check_size(config.size, int(eligible.sum()), len(wards), len(excluded))
    ordered = dataclasses.replace(result, wards=wards)
    contributions, labels, warnings = _ward_contributions(ordered, config, eligible)
    population = _population(wards, eligible, config.max_population)
    neighbors = _eligible_neighbors(wards, eligible, config.contiguity)
    scores = contributions.sum(axis=1).to_numpy()
    search = top_areas(
        neighbors, scores, config.size, config.top, population, config.max_population,
        prune=len(scores) > EXHAUSTIVE_LIMIT, max_steps=config.max_steps,
    )
    if not search.areas:
        raise WardmapError(_no_area_reason(neighbors, population, config))
    names = wards.loc[~eligible, "ward_name"].tolist()
    table = _table(search, wards[eligible].reset_index(drop=True), contributions, labels,
                   population, config, names)
    table.attrs.update(_search_facts(search, config.size, names, labels))
    table.attrs["excluded_codes"] = excluded
    table.attrs["warnings"] = list(warnings)
    if not robustness:
        return table
    from wardmap.select.robustness import check_robustness

    return check_robustness(result, table, lambda again: find_focus_areas(
        again, config, robustness=False))


def write_focus(focus: pd.DataFrame, out_dir: str | Path) -> Path:
    """focus.csv in ``out_dir``: the ranked areas, scores rounded to 4 decimals."""
    path = Path(out_dir) / "focus.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    from wardmap.export import spreadsheet_safe

    spreadsheet_safe(focus).to_csv(path, index=False, float_format="%.4f", lineterminator="\n")
    return path


def resolve_wards(wards: pd.DataFrame, given: list[str], option: str) -> list[str]:
    """Ward codes for names or codes given by the analyst, matched tolerantly.

    Case, "&"/"and", spacing and a trailing "ward" are ignored ("Parkwood" finds "Park Wood");
    an unknown ward is an error naming the closest wards.
    """
    by_code = {name_key(str(c)): str(c) for c in wards["ward_code"]}
    by_name: dict[str, list[str]] = {}
    for code, name in zip(wards["ward_code"], wards["ward_name"], strict=True):
        by_name.setdefault(name_key(str(name)), []).append(str(code))
    codes = []
    for text in given:
        key = name_key(text)
        found = [by_code[key]] if key in by_code else by_name.get(key, [])
        if not found:
            raise WardmapError(f"unknown ward '{text}' in {option}{_suggest(text, wards)}")
        if len(found) > 1:
            raise WardmapError(f"ward name '{text}' in {option} is shared by "
                               f"{', '.join(found)}: give the ward code")
        codes.append(found[0])
    return sorted(set(codes))


def _suggest(text: str, wards: pd.DataFrame) -> str:
    names = wards["ward_name"].astype(str).tolist()
    close = process.extract(text, names, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    if not close:
        return ""
    return f" (closest: {', '.join(name for name, _, _ in close)})"


def _check_config(config: FocusConfig) -> None:
    if not 1 <= config.size <= MAX_SIZE:
        raise WardmapError(f"focus area size must be 1 to {MAX_SIZE} wards (got {config.size})")
    if config.top < 1:
        raise WardmapError(f"--top must be at least 1 (got {config.top})")
    if config.max_population is not None and not config.max_population > 0:
        raise WardmapError(f"--max-population must be positive (got {config.max_population:g})")
    if config.max_steps < 1:
        raise WardmapError(f"focus.max_steps must be at least 1 (got {config.max_steps})")


def _check_size(size: int, available: int, total: int, n_excluded: int) -> None:
    if size <= available:
        return
    after = f" after excluding {n_excluded}" if n_excluded else ""
    raise WardmapError(
        f"focus area size {size} is larger than the number of wards available "
        f"({available} of {total}{after})"
    )


def _ward_contributions(
    result: RunResult, config: FocusConfig, eligible: pd.Series
) -> tuple[pd.DataFrame, dict[str, str], tuple[str, ...]]:
    """Weighted standardised indicators of the eligible wards (rows sum to ward scores)."""
    specs = [parse_indicator(t) for t in config.indicators] or default_indicators(result)
    harm = read_harm_weights(config.harm_weights) if config.harm_weights else None
    indicators = build_indicators(result, specs, harm, config.tables)
    # Standardise over the eligible wards only: an excluded outlier (a town-centre ward)
    # would otherwise compress everyone else's scores.
    values = indicators.values[eligible.to_numpy()]
    z = standardise(values, config.standardise)
    return weighted_scores(z, indicators.weights), indicators.labels, indicators.warnings


def _population(
    wards: pd.DataFrame, eligible: pd.Series, cap: float | None
) -> np.ndarray:
    if "population" not in wards.columns:
        if cap is not None:
            raise WardmapError("--max-population needs ward populations (--population)")
        return np.full(int(eligible.sum()), np.nan)
    population = wards.loc[eligible, "population"].to_numpy(dtype=float)
    if cap is not None and np.isnan(population).any():
        missing = wards.loc[eligible, "ward_name"][np.isnan(population)].tolist()
        raise WardmapError(
            f"--max-population needs a population for every ward; missing for: "
            f"{', '.join(map(str, missing[:5]))}"
        )
    return population


def _eligible_neighbors(
    wards: pd.DataFrame, eligible: pd.Series, contiguity: str
) -> list[np.ndarray]:
    """Neighbours among eligible wards, by position in the eligible table.

    Islands are not joined to their nearest ward: a focus area's wards must share a boundary.
    """
    from wardmap.stats.weights import build_weights

    weights = build_weights(wards, kind=contiguity, islands="label")
    keep = eligible.to_numpy()
    new_position = np.cumsum(keep) - 1
    return [new_position[nb[keep[nb]]] for nb, ok in zip(weights.neighbors, keep, strict=True)
            if ok]


def _no_area_reason(
    neighbors: list[np.ndarray], population: np.ndarray, config: FocusConfig
) -> str:
    k = config.size
    if config.max_population is None:
        return f"no {k} eligible wards are connected to each other"
    smallest = top_areas(neighbors, -population, k, 1, max_steps=config.max_steps)
    if not smallest.areas:
        return f"no {k} eligible wards are connected to each other"
    least = -smallest.areas[0][0] * k
    return (
        f"no connected area of {k} wards has at most {config.max_population:,.0f} residents "
        f"(the smallest has {least:,.0f})"
    )


def _table(
    search: AreaSearch,
    wards: pd.DataFrame,
    contributions: pd.DataFrame,
    labels: dict[str, str],
    population: np.ndarray,
    config: FocusConfig,
    excluded: list[str],
) -> pd.DataFrame:
    values = contributions.to_numpy()
    codes, names = wards["ward_code"].astype(str), wards["ward_name"].astype(str)
    rows = []
    for rank, (score, members) in enumerate(search.areas, start=1):
        idx = list(members)
        parts = dict(zip(contributions.columns, values[idx].mean(axis=0), strict=True))
        row = {
            "rank": rank,
            "ward_codes": ";".join(codes.iloc[idx]),
            "ward_names": "; ".join(names.iloc[idx]),
            "score": score,
            "population": float(population[idx].sum()),
        }
        row.update({f"{slug(c)}_contribution": v for c, v in parts.items()})
        row["reason"] = focus_reason(rank, names.iloc[idx].tolist(), parts, labels, config,
                                     excluded)
        rows.append(row)
    table = pd.DataFrame(rows)
    whole = table["population"].dropna()
    if len(whole) == len(table) and (whole == whole.round()).all():
        table["population"] = table["population"].astype("int64")
    return table


def focus_reason(
    rank: int,
    ward_names: list[str],
    contributions: dict[str, float],
    labels: dict[str, str],
    config: FocusConfig,
    excluded: list[str],
) -> str:
    """E.g. "Shepway North and Shepway South: highest combined ASB and violent crime rate among
    neighbouring pairs, excluding High Street"."""
    place = join_words(sorted(ward_names))
    position = "highest" if rank == 1 else f"{ordinal(rank)} highest"
    what = _drivers(contributions, labels)
    among = GROUP_WORDS.get(config.size, f"neighbouring groups of {config.size}")
    text = f"{place}: {position} {what} among {among}"
    if config.max_population is not None:
        text += f" with at most {config.max_population:,.0f} residents"
    if excluded:
        text += f", excluding {join_words(sorted(excluded))}"
    return text


def _drivers(contributions: dict[str, float], labels: dict[str, str]) -> str:
    """Words for the indicators that carry most of the area's score."""
    positive = sorted(((v, k) for k, v in contributions.items() if v > 0), reverse=True)
    if not positive:
        return "combined score"
    total = sum(v for v, _ in positive)
    chosen = [labels[k] for v, k in positive if v >= 0.25 * total][:3]
    if len(chosen) == 1:
        return chosen[0]
    last_words = {label.rsplit(" ", 1)[-1] for label in chosen}
    if len(last_words) == 1 and all(" " in label for label in chosen):
        # "ASB rate" + "violent crime rate" -> "ASB and violent crime rate"
        word = last_words.pop()
        return f"combined {join_words([label.rsplit(' ', 1)[0] for label in chosen])} {word}"
    return f"combined {join_words(chosen)}"



def _search_facts(
    search: AreaSearch, size: int, excluded: list[str], labels: dict[str, str]
) -> dict:
    return {
        "size": size,
        "examined": search.examined,
        "exhaustive": search.exhaustive,
        "exact": search.exact,
        "bound": None if math.isinf(search.bound) else search.bound,
        "excluded": excluded,
        "indicators": labels,
    }
