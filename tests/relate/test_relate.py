"""wardmap relate against independent implementations: scipy's Spearman, esda's bivariate
Moran's I and bivariate LISA (GeoDa's definitions)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import spearmanr

from tests.helpers import grid_wards
from wardmap.cli import cli
from wardmap.relate import bivariate_local, bivariate_moran, spearman
from wardmap.stats.permutation import generator
from wardmap.stats.weights import build_weights

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def maidstone(shared_data, tmp_path_factory):
    """relate.json and relate.csv for ASB against violent crime on the shared Maidstone months."""
    out = tmp_path_factory.mktemp("relate") / "out"
    result = CliRunner().invoke(cli, [
        "relate", "--boundaries", str(shared_data / "boundaries/maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--x", "asb", "--y", "violent crime",
        "--permutations", "9999", "--out", str(out), "--area-name", "Maidstone"])
    assert result.exit_code == 0, result.output
    return (json.loads((out / "relate.json").read_text()),
            pd.read_csv(out / "relate.csv", dtype={"ward_code": str}), out)


@pytest.fixture(scope="module")
def esda_values(maidstone, shared_data, tmp_path_factory):
    _, table, _ = maidstone
    folder = tmp_path_factory.mktemp("esda_bv")
    np.savez(folder / "in.npz", x=table["x"].to_numpy(float), y=table["y"].to_numpy(float),
             permutations=9999, seed=11)
    subprocess.run([sys.executable, str(HERE / "esda_bv_reference.py"),
                    str(shared_data / "boundaries/maidstone_wards_2013.geojson"), "WD13CD",
                    str(folder / "in.npz"), str(folder / "out.npz")], check=True, timeout=600)
    return np.load(folder / "out.npz")


@pytest.mark.shared
def test_maidstone_rho_equals_scipy(maidstone):
    summary, table, _ = maidstone
    assert len(table) == 26 and summary["wards"] == 26
    rho, p = spearmanr(table["x"], table["y"])
    assert summary["spearman_rho"] == pytest.approx(rho, abs=1e-12)
    assert summary["spearman_rho"] > 0.5
    # Strongly correlated: no shuffle of 9,999 reaches it, as scipy's t-test says.
    assert p < 1e-6 and summary["spearman_p"] == pytest.approx(1 / 10_000)


@pytest.mark.shared
def test_maidstone_bivariate_moran_equals_esda(maidstone, esda_values):
    summary, _, _ = maidstone
    assert summary["bivariate_moran_I"] == pytest.approx(float(esda_values["I"]), abs=1e-12)
    # Pseudo p-values from different random draws: equal within sampling error.
    assert summary["bivariate_moran_p_sim"] == pytest.approx(float(esda_values["p_sim"]),
                                                             abs=0.015)


@pytest.mark.shared
def test_maidstone_bivariate_lisa_equals_esda(maidstone, esda_values, shared_data):
    _, table, _ = maidstone
    wards = _maidstone_wards(shared_data)
    binary = build_weights(wards).binary
    local = bivariate_local(table["x"].to_numpy(float), table["y"].to_numpy(float), binary,
                            9999, generator(5, 0))
    np.testing.assert_allclose(local.I, esda_values["Is"], atol=1e-12)
    np.testing.assert_array_equal(local.q, esda_values["q"])
    np.testing.assert_allclose(local.p_sim, esda_values["local_p"], atol=0.03)
    significant = local.p_sim < 0.01
    assert (esda_values["local_p"][significant] < 0.05).all()


def _maidstone_wards(shared_data):
    from wardmap.load.boundaries import read_boundaries

    wards, _ = read_boundaries(shared_data / "boundaries/maidstone_wards_2013.geojson")
    return wards


@pytest.mark.shared
def test_maidstone_files(maidstone):
    summary, table, out = maidstone
    assert list(table.columns) == ["ward_code", "ward_name", "x", "y", "x_rank", "y_rank",
                                   "quadrant", "bv_lisa_label"]
    top = table.sort_values("x", ascending=False).iloc[0]
    assert top["x_rank"] == 1
    # Ranks: ties share the higher position.
    for axis in ("x", "y"):
        expected = table[axis].rank(method="min", ascending=False).astype(int)
        assert (table[f"{axis}_rank"] == expected).all()
    assert sum(q["wards"] for q in summary["quadrants"].values()) == 26
    assert table.loc[table["ward_name"] == "High Street", "quadrant"].item() == \
        "high ASB count, high violent crime count"
    assert set(table["bv_lisa_label"]) <= {"High-High", "Low-Low", "High-Low", "Low-High",
                                          "Not significant", "Island"}
    assert (out / "relate.png").stat().st_size > 50_000


def test_spearman_with_ties_equals_scipy():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 40).astype(float)
    y = x + rng.integers(0, 4, 40)
    rho, p = spearman(x, y, 9999, generator(1, 0))
    expected = spearmanr(x, y)
    assert rho == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, abs=0.01)


def test_spearman_without_association_is_not_significant():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=60), rng.normal(size=60)
    rho, p = spearman(x, y, 4999, generator(2, 0))
    expected = spearmanr(x, y)
    assert rho == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, abs=0.03)
    assert p > 0.05


def test_bivariate_moran_same_variable_is_morans_i():
    # With y = x and row-standardised weights (S0 = n) the bivariate I, zx'W zx / (n - 1)
    # with sample standard deviations, is Moran's I, n / S0 * z'Wz / z'z.
    from wardmap.stats.moran import global_moran

    wards = grid_wards(6, 6)
    binary = build_weights(wards.rename(columns={"WD23CD": "ward_code"})).binary
    x = np.random.default_rng(4).normal(size=36)
    bv = bivariate_moran(x, x, binary, 99, generator(1, 0))
    uni = global_moran(x, binary, 0, generator(1, 1))
    assert bv["I"] == pytest.approx(uni["I"], rel=1e-12)


def test_relate_unknown_measure_is_one_line(tmp_path, shared_data):
    result = CliRunner().invoke(cli, [
        "relate", "--boundaries", str(shared_data / "boundaries/maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--x", "asb", "--y", "worry",
        "--no-maps", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown indicator 'worry'" in result.output.strip().splitlines()[-1]


@pytest.mark.shared
def test_public_relate_shows_no_ward_values(shared_data, tmp_path):
    out = tmp_path / "p"
    result = CliRunner().invoke(cli, [
        "relate", "--boundaries", str(shared_data / "boundaries/maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--x", "asb", "--y", "violent crime",
        "--public", "--permutations", "99", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "relate.csv", dtype=str, keep_default_na=False)
    assert (table[["x", "y", "x_rank", "y_rank"]] == "").all().all()
    assert (table["quadrant"] != "").all()
    assert (out / "relate.png").is_file()


@pytest.mark.shared
def test_asb_against_a_partner_table_with_suppressed_wards(shared_data, tmp_path):
    """ "A clear connection between the wards with the highest ASB rates and the wards with
    the highest substance misuse admissions": the shared partner table, '*' for 4 or fewer."""
    partner = shared_data / "partners/maidstone_psychoactive_admissions_2011-06_2012-05.csv"
    config = tmp_path / "run.toml"
    config.write_text(
        f'[inputs]\nboundaries = "{shared_data / "boundaries/maidstone_wards_2013.geojson"}"\n'
        f'incidents = ["{shared_data / "police"}"]\n'
        f'[[focus.tables]]\nname = "admissions"\npath = "{partner}"\n'
        'value_col = "Admissions"\n[relate]\nx = "asb"\ny = "admissions"\n')
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["relate", str(config), "--no-maps", "--permutations",
                                      "999", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "relate.json").read_text())
    table = pd.read_csv(out / "relate.csv")
    assert summary["wards"] == 24  # two suppressed wards left out, and named
    assert "North Downs" in summary["warnings"][0]
    left_out = table[table["bv_lisa_label"] == "No value"]
    assert sorted(left_out["ward_name"]) == ["Boughton Monchelsea and Chart Sutton",
                                             "North Downs"]
    kept = table[table["bv_lisa_label"] != "No value"]
    rho, _ = spearmanr(kept["x"], kept["y"])
    assert summary["spearman_rho"] == pytest.approx(rho, abs=1e-12)
    assert summary["spearman_rho"] > 0.5 and summary["spearman_p"] < 0.01
    assert "high ASB count, high admissions" in summary["quadrants"]
