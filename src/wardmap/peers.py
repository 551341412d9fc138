"""Position against peers: each district's count and rate, and every ward's rank in its
district and overall ("County position: 3 of 12", "High Street ranks 5th in the county").

Ranks run from 1 (the highest rate, or count when there are no populations); tied wards or
districts share the higher position (1, 2, 2, 4), as league tables do. With a denominator
table (``--denominator households.csv --per households``) rates are per 1,000 of that noun
instead of residents, and the column names and labels say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wardmap.errors import InputError

DISTRICT_COLUMNS = ["district", "wards", "count", "population", "rate_per_1000", "rank",
                    "position"]


@dataclass(frozen=True)
class Basis:
    """What ranks are by: the count column, the denominator column and their words."""

    count: str  # "incidents" or "value"
    denominator: str | None  # "population", "denominator", or None (rank by count)
    noun: str  # "residents", "households", ...

    @property
    def rate(self) -> str | None:
        """The ward table's rate column, or None when ranks are by count."""
        if self.denominator is None:
            return None
        return "rate_per_1000" if self.denominator == "population" else \
            f"rate_per_1000_{self.noun}"

    @property
    def label(self) -> str:
        return f"rate per 1,000 {self.noun}" if self.rate else "count"


def ranking_basis(wards: pd.DataFrame, per: str | None = None) -> Basis:
    """Rate per 1,000 of the denominator when wards have one, else per 1,000 residents when
    they have a population, else the count."""
    count = "incidents" if "incidents" in wards else "value"
    if per and "denominator" in wards and wards["denominator"].gt(0).any():
        return Basis(count, "denominator", per)
    if "population" in wards and wards["population"].gt(0).any():
        return Basis(count, "population", "residents")
    return Basis(count, None, "residents")


def add_denominator(wards: pd.DataFrame, values: pd.Series, per: str) -> pd.DataFrame:
    """wards with ``denominator`` and ``rate_per_1000_<per>`` (NaN where it is 0 or unknown)."""
    out = wards.copy()
    denominator = values.reindex(out["ward_code"]).to_numpy(float)
    out["denominator"] = denominator
    count = out["incidents" if "incidents" in out else "value"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out[f"rate_per_1000_{per}"] = np.where(denominator > 0, count / denominator * 1000.0,
                                               np.nan)
    return out


def position(values: pd.Series) -> pd.Series:
    """1 for the highest; ties share the higher position (1, 2, 2, 4); NaN stays unranked."""
    return values.rank(method="min", ascending=False).astype("Int64")


def add_ranks(wards: pd.DataFrame, basis: Basis) -> pd.DataFrame:
    """wards with rank_overall and, when wards carry a ``district``, rank_in_district."""
    out = wards.copy()
    key = pd.to_numeric(out[basis.rate or basis.count], errors="coerce").astype(float)
    out["rank_overall"] = position(key)
    if "district" in out:
        out["rank_in_district"] = key.groupby(out["district"]).transform(
            lambda v: v.rank(method="min", ascending=False)).astype("Int64")
    return out


def district_table(wards: pd.DataFrame, basis: Basis) -> pd.DataFrame:
    """One row per district: wards, count, the denominator, rate per 1,000, rank, position.

    A district's rate is left empty when any of its wards lacks the denominator (a partial
    sum would overstate it).
    """
    if "district" not in wards:
        raise InputError("no district column: give --district-col naming the boundary column "
                         "of each ward's district (e.g. LAD13CD)")
    count = pd.to_numeric(wards[basis.count], errors="coerce")
    grouped = pd.DataFrame({"district": wards["district"], "count": count})
    if basis.denominator:
        grouped["denominator"] = pd.to_numeric(wards[basis.denominator], errors="coerce")
    table = grouped.groupby("district", sort=True).agg(
        wards=("count", "size"), count=("count", "sum"),
        **({"denominator": ("denominator", lambda v: v.sum() if v.notna().all()
                            else np.nan)} if basis.denominator else {}))
    table = table.reset_index()
    if basis.denominator:
        table["rate_per_1000"] = np.where(table["denominator"] > 0,
                                          table["count"] / table["denominator"] * 1000.0,
                                          np.nan)
        key = table["rate_per_1000"]
    else:
        table["denominator"] = np.nan
        table["rate_per_1000"] = np.nan
        key = table["count"]
    table["rank"] = position(key)
    total = int(table["rank"].notna().sum())
    table["position"] = [f"{r} of {total}" if pd.notna(r) else "" for r in table["rank"]]
    for column in ("count", "denominator"):  # whole numbers stay whole (missing stays empty)
        values = table[column]
        if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
            table[column] = values.astype("Int64")
    table = table.rename(columns={"denominator": _denominator_column(basis)})
    columns = [_denominator_column(basis) if c == "population" else c for c in DISTRICT_COLUMNS]
    if basis.rate and basis.rate != "rate_per_1000":
        table = table.rename(columns={"rate_per_1000": basis.rate})
        columns = [basis.rate if c == "rate_per_1000" else c for c in columns]
    return table[columns].sort_values(["rank", "district"], na_position="last",
                                      kind="stable").reset_index(drop=True)


def _denominator_column(basis: Basis) -> str:
    return "population" if basis.denominator in (None, "population") else basis.noun


def check_district(wards: pd.DataFrame, column: str) -> None:
    """Every ward needs a district: a gap would silently drop wards from districts.csv."""
    missing = wards["district"].isna() | (wards["district"].astype(str).str.strip() == "")
    if missing.any():
        names = ", ".join(wards.loc[missing, "ward_code"].astype(str).head(5))
        raise InputError(f"boundary column {column!r} is empty for {int(missing.sum())} "
                         f"ward(s): {names} (fill it or choose another --district-col)")


def rank_districts(
    wards: pd.DataFrame,
    *,
    district_col: str = "district",
    count_col: str = "incidents",
    denominator_col: str | None = None,
    per: str = "residents",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wards ranked in their district and overall, and a table of districts.

    Parameters
    ----------
    wards : DataFrame
        One row per ward: ward_code, the district and the count (and the denominator).
    district_col, count_col : str
        The columns holding each ward's district and its count.
    denominator_col : str, optional
        Residents, households...: ranks are then by rate per 1,000 of it, else by count.
    per : str
        What the denominator counts, for the rate column's name ("residents" keeps
        ``rate_per_1000`` and ``population``).

    Returns
    -------
    (DataFrame, DataFrame)
        The wards with rank_in_district and rank_overall (1 the highest; ties share the
        higher position), and districts.csv's table.

    Examples
    --------
    >>> import pandas as pd
    >>> wards = pd.DataFrame({"ward_code": list("abcd"), "lad": ["X", "X", "Y", "Y"],
    ...                       "crimes": [5, 9, 9, 1]})
    >>> ranked, districts = rank_districts(wards, district_col="lad", count_col="crimes")
    >>> ranked["rank_overall"].tolist(), ranked["rank_in_district"].tolist()
    ([3, 1, 1, 4], [2, 1, 1, 2])
    >>> districts[["district", "count", "rank", "position"]].values.tolist()
    [['X', 14, 1, '1 of 2'], ['Y', 10, 2, '2 of 2']]
    """
    for column in (district_col, count_col, *([denominator_col] if denominator_col else [])):
        if column not in wards:
            raise InputError(f"no column {column!r} in the ward table")
    table = wards.rename(columns={district_col: "district"})
    if denominator_col is None:
        basis = Basis(count_col, None, per)
    elif per == "residents":
        table = table.assign(population=table[denominator_col])
        table["rate_per_1000"] = table[count_col] / table["population"].where(
            table["population"] > 0) * 1000.0
        basis = Basis(count_col, "population", per)
    else:
        table = add_denominator(table.assign(incidents=table[count_col]),
                                table.set_index("ward_code")[denominator_col], per)
        basis = Basis(count_col, "denominator", per)
    ranked = add_ranks(table, basis)
    return ranked.rename(columns={"district": district_col}), district_table(ranked, basis)


def position_text(wards: pd.DataFrame, per: str | None = None, public: bool = False,
                  threshold: int = 4) -> str:
    """A sentence for the briefing: the districts at the top and bottom, and the top ward.

    Examples
    --------
    >>> wards = pd.DataFrame({"ward_code": list("abcd"), "ward_name": list("ABCD"),
    ...                       "district": ["X", "X", "Y", "Z"], "incidents": [5, 9, 8, 1]})
    >>> position_text(wards)  # doctest: +NORMALIZE_WHITESPACE
    'Of 3 districts, X had the highest count (14), ahead of Y (8); Z had the lowest (1).
    B (X) has the highest count of the 4 wards.'
    """
    from wardmap.disclosure import format_count, is_small
    from wardmap.vocabulary import join_words

    basis = ranking_basis(wards, per)
    table = district_table(wards, basis).dropna(subset=["rank"])
    if len(table) < 2:
        return ""
    rate = basis.rate if basis.rate and basis.rate in table else None

    def figure(row: pd.Series) -> str:
        return f"{row[rate]:.1f}" if rate else format_count(row["count"], threshold, public)

    first, second, last = table.iloc[0], table.iloc[1], table.iloc[-1]
    if len(table) == 2:
        text = (f"Of 2 districts, {first['district']} had the higher {basis.label} "
                f"({figure(first)}) and {last['district']} the lower ({figure(last)}).")
    else:
        text = (f"Of {len(table)} districts, {first['district']} had the highest "
                f"{basis.label} ({figure(first)}), ahead of {second['district']} "
                f"({figure(second)}); {last['district']} had the lowest ({figure(last)}).")
    ranked = add_ranks(wards, basis)
    top = ranked[ranked["rank_overall"] == 1]
    if public and "incidents" in top:  # a suppressed ward is never picked out by name
        top = top[~is_small(top["incidents"], threshold)]
    if len(top):
        names = join_words([f"{n} ({d})" for n, d in zip(top["ward_name"], top["district"],
                                                          strict=True)])
        verb = "has" if len(top) == 1 else "share"
        text += f" {names} {verb} the highest {basis.label} of the {len(ranked)} wards."
    return text
