"""Periods at national scale: England's 7,681 wards (../shared/data), 24 months of counts.

Synthetic Poisson counts (mean 3 a ward-month, ~550,000 records) in the records table layout.
Side by side in one process:
  - the wards x months table: category codes and one bincount against pandas' crosstab;
  - 7,681 exact conditional tests: the symmetric-binomial tail in one call against a scipy
    binomtest per ward (the same p values), and add_change end to end;
  - ward control charts: wardmap's vectorised signals against one c_chart per ward (the
    straightforward loop, which gives the same sentences);
  - emerging hot spots: 12 monthly Gi* against esda's G_Local (star, binary, no
    permutations), Mann-Kendall for all wards at once against one ward at a time, and the
    classification end to end;
  - analyse_periods end to end.

    .venv/bin/python benchmarks/bench_periods.py
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from wardmap.config import Config
from wardmap.periods import add_change, analyse_periods, monthly_table
from wardmap.periods.change import poisson_change_ps
from wardmap.periods.emerging import (
    emerging_hot_spots,
    mann_kendall,
    mann_kendall_rows,
    monthly_gi,
)
from wardmap.periods.presets import month_range, range_text
from wardmap.periods.spc import c_chart, describe_signals, ward_signals
from wardmap.result import RunMeta, RunResult
from wardmap.stats.weights import build_weights

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MONTHS = month_range("2016-01", "2017-12")


def england_result() -> RunResult:
    wards = gpd.read_parquet(SHARED / "boundaries" / "england_wards_2013.parquet")
    wards = wards.rename(columns={"WD13CD": "ward_code", "WD13NM": "ward_name"})
    wards = wards.to_crs(27700).sort_values("ward_code").reset_index(drop=True)
    rng = np.random.default_rng(2024)
    counts = rng.poisson(3.0, size=(len(wards), len(MONTHS)))
    codes = np.repeat(np.repeat(wards["ward_code"].to_numpy(), len(MONTHS)), counts.ravel())
    months = np.repeat(np.tile(np.array(MONTHS, dtype=object), len(wards)), counts.ravel())
    records = pd.DataFrame({"month": months, "ward_code": codes, "type_match": True})
    current = MONTHS[12:]
    records["period_match"] = records["month"].isin(current)
    wards["incidents"] = counts[:, 12:].sum(axis=1)
    wards["population"] = np.nan
    config = Config()
    config.filters.months = range_text(current)
    return RunResult(config=config, wards=wards, summary={}, meta=RunMeta(), records=records)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def crosstab_table(records: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """The usual pandas way: crosstab, then reindex to every ward and month."""
    table = pd.crosstab(records["ward_code"], records["month"])
    return table.reindex(index=codes, columns=MONTHS, fill_value=0)


def esda_gi(table: pd.DataFrame, weights) -> np.ndarray:
    from esda.getisord import G_Local
    from libpysal.weights import W

    neighbours = {i: [int(j) for j in nb] for i, nb in enumerate(weights.neighbors)}
    w = W(neighbours, silence_warnings=True)
    return np.column_stack([G_Local(table[m].to_numpy(float), w, transform="B",
                                    permutations=0, star=True).Zs for m in table.columns])


def main() -> None:
    result, t_build = timed(england_result)
    print(f"{len(result.wards):,} wards, {len(result.records):,} records, "
          f"{len(MONTHS)} months (built in {t_build:.2f} s)\n")
    weights, t_w = timed(build_weights, result.wards)
    result = dataclasses.replace(result, weights=weights)
    codes = result.wards["ward_code"].tolist()
    table, t_table = timed(monthly_table, result.records, codes, MONTHS)
    ref_table, t_cross = timed(crosstab_table, result.records, codes)
    same = "same" if (ref_table.to_numpy() == table.to_numpy()).all() else "DIFFERENT"
    rows = [("monthly wards x months table (vs pandas crosstab)", t_table, t_cross, same)]

    now, then = table[MONTHS[12:]].sum(axis=1), table[MONTHS[:12]].sum(axis=1)
    ps, t_ps = timed(poisson_change_ps, now.to_numpy(), then.to_numpy())
    ref_ps, t_binom = timed(lambda: [stats.binomtest(int(a), int(a + b), 0.5).pvalue
                                     for a, b in zip(now, then, strict=True)])
    same = "same" if np.allclose(ps, ref_ps, rtol=1e-9) else "DIFFERENT"
    rows.append(("7,681 exact tests (vs a binomtest per ward)", t_ps, t_binom, same))
    _, t_change = timed(add_change, result)
    rows.append(("add_change (counts, tests, FDR, columns)", t_change, None, ""))

    counts = table.to_numpy()
    fast, t_fast = timed(ward_signals, counts, MONTHS)
    slow, t_slow = timed(lambda: [describe_signals(c_chart(r, MONTHS)) for r in counts])
    same = "same" if fast == slow else "DIFFERENT"
    rows.append(("ward control charts", t_fast, t_slow, same))

    current = table.loc[:, MONTHS[12:]]
    (z, _), t_gi = timed(monthly_gi, current, weights.binary)
    ref, t_esda = timed(esda_gi, current, weights)
    agree = "same" if np.allclose(z, ref, equal_nan=True) else "DIFFERENT"
    rows.append(("Gi* for 12 months", t_gi, t_esda, agree))
    zz = np.nan_to_num(z)
    trends, t_mk = timed(mann_kendall_rows, zz)
    ref_mk, t_mk_loop = timed(lambda: [mann_kendall(row) for row in zz])
    same = "same" if trends == ref_mk else "DIFFERENT"
    rows.append(("Mann-Kendall per ward (vs one at a time)", t_mk, t_mk_loop, same))
    _, t_ehsa = timed(emerging_hot_spots, current, weights.binary)
    rows.append(("emerging hot spots (Gi* + Mann-Kendall + class)", t_ehsa, None, ""))
    _, t_all = timed(analyse_periods, result)
    rows.append(("analyse_periods end to end", t_all, None, ""))

    print(f"(weights built once: {t_w:.2f} s)\n")
    print("| step | wardmap s | reference s | ratio | result |")
    print("|---|---|---|---|---|")
    for name, ours, ref_t, note in rows:
        ref_text = f"{ref_t:.3f}" if ref_t is not None else ""
        ratio = f"{ours / ref_t:.2g}" if ref_t else ""
        print(f"| {name} | {ours:.3f} | {ref_text} | {ratio} | {note} |")


if __name__ == "__main__":
    main()
