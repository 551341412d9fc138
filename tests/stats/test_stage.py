"""test_stage over whole ward tables: columns, summary, reproducibility, degenerate input, the
demo borough's planted cluster and a no-cluster null, and England's 32,844 LSOAs."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from wardmap.config import StatsConfig
from wardmap.demo import BACKGROUND_RATE, demo_wards, hot_wards, synthetic_borough
from wardmap.errors import WardmapError
from wardmap.stats import test_stage as run_stage  # not collected as a test by pytest

SIGNIFICANT = ["High-High", "Low-Low", "High-Low", "Low-High"]
COLUMNS = ["rate_eb", "value", "lisa_I", "lisa_q", "lisa_p", "lisa_p_adj", "lisa_label",
           "gi_z", "gi_p", "gi_p_adj", "gi_bin", "stats_note"]


def grid(n_cols: int, n_rows: int, values) -> gpd.GeoDataFrame:
    boxes = [shapely.box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000)
             for r in range(n_rows) for c in range(n_cols)]
    return gpd.GeoDataFrame({"ward_code": [f"W{i:03d}" for i in range(len(boxes))],
                             "value": values}, geometry=boxes, crs=27700)


@pytest.fixture(scope="module")
def demo_layout():
    wards = demo_wards().rename(columns={"WD24CD": "ward_code", "WD24NM": "ward_name"})
    wards = wards.sort_values("ward_code").reset_index(drop=True)
    hot = wards["ward_code"].isin(hot_wards(demo_wards())).to_numpy()
    return wards, hot


def demo_counts(layout, seed: int, multiplier: float) -> gpd.GeoDataFrame:
    """A year of the demo's incidents per ward, drawn as the demo draws them (Poisson at the
    background rate, ``multiplier`` times it in the planted wards), without placing points."""
    wards, hot = layout
    rng = np.random.default_rng(seed)
    expected = wards["population"] / 1000 * BACKGROUND_RATE * np.where(hot, multiplier, 1.0)
    out = wards.copy()
    out["incidents"] = rng.poisson(expected)
    out["value"] = out["incidents"]
    out["rate_per_1000"] = out["incidents"] / out["population"] * 1000
    return out


def test_columns_and_summary(demo_layout):
    wards = demo_counts(demo_layout, 1, 2.5)
    out, summary, weights = run_stage(wards, StatsConfig())
    assert all(c in out.columns for c in COLUMNS)
    assert summary["measure"] == "rate_eb"  # population known everywhere: smoothed rate
    np.testing.assert_allclose(out["value"], out["rate_eb"])
    assert set(out["lisa_label"]) <= {*SIGNIFICANT, "Not significant", "Island"}
    assert set(summary["moran"]) >= {"I", "EI", "z", "p_norm", "p_sim", "eb_rate"}
    assert sum(summary["lisa"].values()) == len(out) == sum(summary["gi"].values())
    assert summary["weights"]["kind"] == "queen" and weights.n == len(out)
    json.dumps(summary, allow_nan=False)  # summary.json stays strict JSON
    assert wards.columns.tolist() == demo_counts(demo_layout, 1, 2.5).columns.tolist()


def test_same_seed_same_result_other_seed_other_draws(demo_layout):
    wards = demo_counts(demo_layout, 2, 2.5)
    first, summary, _ = run_stage(wards, StatsConfig(seed=7))
    again, summary_again, _ = run_stage(wards, StatsConfig(seed=7))
    pd.testing.assert_frame_equal(first, again)
    assert summary == summary_again
    other, _, _ = run_stage(wards, StatsConfig(seed=8))
    assert not np.array_equal(first["lisa_p"], other["lisa_p"])
    np.testing.assert_array_equal(first["lisa_I"], other["lisa_I"])


def test_planted_cluster_found_with_default_settings(demo_layout):
    """Gi* with the default FDR control marks the planted wards hot at 95 % or more."""
    _, hot = demo_layout
    all_three = 0
    for seed in range(30):
        out, _, _ = run_stage(demo_counts(demo_layout, seed, 2.5), StatsConfig(seed=seed))
        found = int((out["gi_bin"][hot] >= 2).sum())
        assert found >= 2, f"seed {seed}: only {found} planted wards hot"
        all_three += found == 3
    assert all_three >= 24  # most seeds (about 90 % observed)


def test_planted_cluster_high_high_without_correction(demo_layout):
    """LISA, as GeoDa maps it by default (no correction), labels the planted wards High-High.
    With FDR over 25 wards and 999 permutations LISA has little power here: its smallest
    pseudo p-value, 0.001, barely clears the first FDR step (0.05 / 25)."""
    _, hot = demo_layout
    all_three = 0
    for seed in range(30):
        config = StatsConfig(seed=seed, correction="none")
        out, _, _ = run_stage(demo_counts(demo_layout, seed, 2.5), config)
        labels = out["lisa_label"][hot]
        assert (labels == "High-High").any(), f"seed {seed}: no planted ward High-High"
        assert not labels.isin(["Low-Low", "Low-High"]).any()
        all_three += (labels == "High-High").all()
    assert all_three >= 21  # most seeds (about 85 % observed)


def flagged_shares(layout, measure: str, correction: str, seeds=range(100)):
    lisa, gi = [], []
    for seed in seeds:
        config = StatsConfig(seed=seed, measure=measure, correction=correction,
                             permutations=199)
        out, _, _ = run_stage(demo_counts(layout, 1000 + seed, 1.0), config)
        lisa.append(out["lisa_label"].isin(SIGNIFICANT).mean())
        gi.append((out["gi_bin"].abs() >= 2).mean())
    return float(np.mean(lisa)), float(np.mean(gi))


def test_null_default_settings_flag_at_most_alpha(demo_layout):
    lisa, gi = flagged_shares(demo_layout, "auto", "fdr")
    assert lisa <= 0.05 and gi <= 0.05


def test_null_uncorrected_rates_flag_near_alpha(demo_layout):
    """Without correction Gi* at 95 % flags about 5 % of wards. LISA's pseudo p-value is
    esda's and GeoDa's "folded" one (the tail the observed value falls in), a one-sided
    p-value, so about twice alpha of wards fall below 0.05 under the null."""
    lisa, gi = flagged_shares(demo_layout, "rate", "none")
    assert 0.025 <= gi <= 0.08
    assert 0.06 <= lisa <= 0.14


def test_demo_borough_end_to_end():
    """The real demo path: incidents placed as points, counted per ward, then tested."""
    wards, incidents, truth = synthetic_borough(2024)
    located = incidents[incidents["Longitude"] != ""]
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(
        located["Longitude"].astype(float), located["Latitude"].astype(float)), crs=4326)
    joined = gpd.sjoin(points.to_crs(wards.crs), wards[["ward_code", "geometry"]],
                       predicate="within")
    wards = wards.sort_values("ward_code").reset_index(drop=True)
    counts = joined["ward_code"].value_counts()
    wards["incidents"] = counts.reindex(wards["ward_code"], fill_value=0).to_numpy()
    wards["value"] = wards["incidents"]
    out, summary, _ = run_stage(wards, StatsConfig(seed=2024))
    hot = out["ward_code"].isin(truth["hot_wards"])
    assert (out["gi_bin"][hot] >= 2).all()
    assert summary["moran"]["I"] > 0 and summary["moran"]["p_sim"] < 0.05


def test_integer_counts_and_no_population():
    values = np.arange(16, dtype=np.int64) % 5
    out, summary, _ = run_stage(grid(4, 4, values), StatsConfig())
    assert summary["measure"] == "value" and out["rate_eb"].isna().all()
    assert out["value"].dtype == float and np.isfinite(out["gi_z"]).all()


def test_zero_variance_gives_a_warning_not_a_traceback():
    out, summary, _ = run_stage(grid(3, 3, [4] * 9), StatsConfig())
    assert summary["moran"]["I"] is None
    assert any("same value" in w for w in summary["warnings"])
    assert (out["lisa_label"] == "Not significant").all() and (out["gi_bin"] == 0).all()
    json.dumps(summary, allow_nan=False)


def test_all_zero_incidents_with_population():
    wards = grid(3, 3, [0] * 9).assign(incidents=0, population=5000.0)
    out, summary, _ = run_stage(wards, StatsConfig())
    assert (out["rate_eb"] == 0).all() and summary["measure"] == "rate_eb"
    assert any("same rate_eb" in w for w in summary["warnings"])


def test_missing_values_are_left_out_and_reported():
    values = np.array([1.0, 2, 3, np.nan, 5, 6, 7, 8, np.inf, 10, 11, 12])
    out, summary, _ = run_stage(grid(4, 3, values), StatsConfig())
    assert any("2 ward(s) have no value" in w for w in summary["warnings"])
    left_out = out["stats_note"] == "no value: not tested"
    assert list(np.flatnonzero(left_out)) == [3, 8]
    assert out.loc[left_out, "lisa_p"].isna().all() and out.loc[left_out, "gi_z"].isna().all()
    assert out.loc[~left_out, "gi_z"].notna().all()
    assert summary["moran"]["I"] is not None


@pytest.mark.parametrize("n", [1, 2])
def test_one_or_two_wards(n):
    out, summary, _ = run_stage(grid(n, 1, np.arange(n) + 1), StatsConfig())
    assert any("need at least 3" in w for w in summary["warnings"])
    assert (out["lisa_label"] == "Not significant").all()
    json.dumps(summary, allow_nan=False)


def test_islands_labelled_or_joined():
    boxes = [shapely.box(c * 1000, 0, (c + 1) * 1000, 1000) for c in range(4)]
    boxes.append(shapely.box(9000, 0, 10000, 1000))  # far out to sea
    wards = gpd.GeoDataFrame({"ward_code": list("ABCDE"), "value": [1, 5, 2, 8, 4]},
                             geometry=boxes, crs=27700)
    labelled, summary, _ = run_stage(wards, StatsConfig(islands="label"))
    assert labelled["lisa_label"].iloc[4] == "Island" and np.isnan(labelled["lisa_p"].iloc[4])
    assert summary["weights"]["islands"] == ["E"] and summary["lisa"]["Island"] == 1
    joined, summary, _ = run_stage(wards, StatsConfig(islands="nearest"))
    assert joined["lisa_label"].iloc[4] != "Island"
    assert joined["stats_note"].iloc[4] == "no neighbour: joined to nearest ward D"
    assert summary["weights"]["joined_islands"] == [["E", "D"]]


def test_no_permutations():
    out, summary, _ = run_stage(grid(3, 3, np.arange(9)), StatsConfig(permutations=0))
    assert out["lisa_p"].isna().all() and summary["moran"]["p_sim"] is None
    assert summary["moran"]["p_norm"] is not None


@pytest.mark.parametrize(("config", "message"), [
    (StatsConfig(permutations=-1), "permutations must be 0 or more"),
    (StatsConfig(alpha=1.5), "alpha must be between 0 and 1"),
    (StatsConfig(seed=-1), "seed must be 0 or more"),
    (StatsConfig(measure="rate_eb"), "needs incident counts and a population"),
])
def test_bad_settings_are_clear(config, message):
    with pytest.raises(WardmapError, match=message):
        run_stage(grid(3, 3, np.arange(9)), config)


def test_missing_value_column_is_clear():
    with pytest.raises(WardmapError, match="no 'value' column"):
        run_stage(grid(3, 3, np.arange(9)).drop(columns="value"), StatsConfig())


@pytest.mark.slow
def test_england_lsoas_whole_stage(shared_data):
    """esda.Moran_Local fails on this file (no LSOA shares an exact vertex with another, and
    90 geometries are invalid); the test stage runs on all 32,844."""
    lsoas = gpd.read_parquet(shared_data / "boundaries" / "england_lsoa_2011.parquet")
    lsoas = lsoas.rename(columns={"LSOA11CD": "ward_code"}).to_crs(27700)
    lsoas = lsoas.sort_values("ward_code").reset_index(drop=True)
    lsoas["value"] = np.random.default_rng(0).poisson(30, len(lsoas))
    out, summary, weights = run_stage(lsoas, StatsConfig(permutations=199))
    assert len(out) == 32_844 and (~lsoas.geometry.is_valid).sum() == 90
    assert weights.cardinalities.min() >= 1 and len(weights.inexact) > 32_000
    assert out["lisa_p"].notna().all() and out["gi_z"].notna().all()
    assert summary["moran"]["I"] is not None and abs(summary["moran"]["z"]) < 4


def test_spatial_smoothing_and_rate_measures(demo_layout):
    from wardmap.stats.smoothing import spatial_eb
    from wardmap.stats.weights import build_weights

    wards = demo_counts(demo_layout, 3, 2.5)
    out, summary, _ = run_stage(wards, StatsConfig(smoothing="spatial"))
    expected = spatial_eb(wards["incidents"], wards["population"],
                          build_weights(wards).binary) * 1000
    np.testing.assert_allclose(out["rate_eb"], expected, rtol=1e-12)
    assert summary["smoothing"] == "spatial" and summary["measure"] == "rate_eb"
    raw, summary, _ = run_stage(wards, StatsConfig(measure="rate"))
    np.testing.assert_allclose(raw["value"], wards["rate_per_1000"])
    assert summary["measure"] == "rate_per_1000" and "eb_rate" in summary["moran"]
    counts, summary, _ = run_stage(wards, StatsConfig(measure="count", weights="rook"))
    np.testing.assert_array_equal(counts["value"], wards["incidents"])
    assert summary["measure"] == "incidents" and "eb_rate" not in summary["moran"]


def test_ties_with_many_zero_wards_are_not_significant():
    # A rare crime type: most wards have none. Random neighbour sets that are all zeros tie
    # with the observed one; a tie is no evidence, so these wards must not come out at p=0.001.
    values = np.zeros(30)
    values[[0, 7, 14, 22, 28]] = [5, 1, 2, 3, 1]
    out, _, _ = run_stage(grid(5, 6, values), StatsConfig())
    # W000 (5, all neighbours 0): about 63% of random neighbour sets are all zero as well.
    assert out["lisa_p"].iloc[0] > 0.3
    assert out["lisa_p"].iloc[[7, 10, 14, 15, 20]].min() > 0.1
    assert (out["lisa_label"] == "Not significant").all()


def test_ward_neighbouring_every_other_ward_is_not_significant():
    # The middle of three wards: every permutation gives it the same neighbours.
    out, _, _ = run_stage(grid(3, 1, [1.0, 2.0, 5.0]), StatsConfig())
    assert out["lisa_p"].iloc[1] == pytest.approx(1.0)
    assert (out["lisa_label"] == "Not significant").all()


def test_every_ward_neighbouring_every_other_is_not_a_traceback():
    # k = n - 1: Moran's I is -1/(n-1) whatever the values, with zero variance.
    out, summary, _ = run_stage(grid(3, 1, [1.0, 2.0, 5.0]), StatsConfig(weights="knn", k=2))
    assert summary["moran"]["z"] is None and summary["moran"]["p_norm"] is None
    assert summary["moran"]["p_sim"] == pytest.approx(1.0)
    assert (out["lisa_label"] == "Not significant").all()
    json.dumps(summary, allow_nan=False)


def test_ward_at_the_mean_is_not_significant():
    values = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                       21, 22, 23, 24], dtype=float)  # mean 12, held by the centre ward
    out, _, _ = run_stage(grid(5, 5, values), StatsConfig(correction="none"))
    assert out["lisa_I"].iloc[12] == 0 and out["lisa_p"].iloc[12] == pytest.approx(1.0)
    assert out["lisa_label"].iloc[12] == "Not significant"
