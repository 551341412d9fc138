"""Flags that conflict, populations with gaps and zeros, and the smaller items."""

import json

import geopandas as gpd
import pandas as pd
import pytest

from tests.downloads.conftest import invoke
from wardmap.export import spreadsheet_safe


def _run(wards, police, out, *extra):
    return invoke("run", "--boundaries", wards, "--incidents", police, "--no-maps",
                  "--permutations", 9, "--out", out, *extra)


@pytest.mark.parametrize(("flags", "message"), [
    (("--months", "2017-11:2017-11", "--period", "rolling12"), "either --months or --period"),
    (("--period-end", "2017-12"), "--period-end needs --period"),
    (("--snap-tolerance", "-5"), "--snap-tolerance must be 0 metres or more"),
])
def test_conflicting_or_meaningless_flags_are_errors(flags, message, police, wards_path,
                                                     tmp_path):
    """Items 8 and 10: --months was silently replaced by --period; --period-end alone and a
    negative tolerance were accepted."""
    result = _run(wards_path, police, tmp_path / "out", *flags)
    assert result.exit_code == 2 and message in result.output
    assert "unexpected" not in result.output


@pytest.fixture
def population(wards_path, tmp_path):
    wards = gpd.read_file(wards_path)
    table = pd.DataFrame({"Ward Code": wards["WD13CD"], "Ward Name": wards["WD13NM"],
                          "All Ages": 5000})
    return table


def test_zero_and_missing_populations_are_named_and_explained(population, police,
                                                               wards_path, tmp_path):
    """Item 9: a 0 switched the run to counts silently; a missing ward was named by code."""
    population.loc[0, "All Ages"] = 0
    path = tmp_path / "pop.csv"
    population.drop(index=1).to_csv(path, index=False)
    result = _run(wards_path, police, tmp_path / "out", "--population", path)
    assert result.exit_code == 0, result.output
    assert "population is 0 for 1 ward(s): Allington (E05004982)" in result.output
    assert "no population for 1 ward(s): Barming (E05004983)" in result.output
    assert "the run analyses counts" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["measure"] == "incidents"


def test_missing_population_column_names_population_col(population, police, wards_path,
                                                         tmp_path):
    """Item 9: the error named --value-col."""
    path = tmp_path / "pop.csv"
    population.rename(columns={"All Ages": "Persons 2017"}).to_csv(path, index=False)
    result = _run(wards_path, police, tmp_path / "out", "--population", path)
    assert result.exit_code == 2
    assert "--population-col" in result.output and "--value-col" not in result.output


def test_permutations_zero_is_not_tested(police, wards_path, tmp_path):
    """Item 10: every ward was 'Not significant'."""
    out = tmp_path / "out"
    result = invoke("run", "--boundaries", wards_path, "--incidents", police, "--no-maps",
                    "--permutations", 0, "--out", out)
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out / "wards.csv")["lisa_label"]) == {"Not tested"}


def test_counts_runs_write_accounting(population, wards_path, tmp_path):
    """Item 10: a --counts run accounts for the table's rows."""
    table = population.rename(columns={"All Ages": "Admissions"})
    table["Admissions"] = range(len(table))
    extra = pd.DataFrame({"Ward Code": ["E05009999"], "Ward Name": ["Elsewhere"],
                          "Admissions": [4]})
    blank = table.copy()
    blank.loc[2, "Admissions"] = None
    cases = [(pd.concat([table, extra]), {"input_rows": 27, "matched": 26, "no_value": 0,
                                          "outside": 1}),
             (blank, {"input_rows": 26, "matched": 25, "no_value": 1, "outside": 0})]
    for i, (frame, expected) in enumerate(cases):
        path = tmp_path / f"admissions{i}.csv"
        frame.to_csv(path, index=False)
        out = tmp_path / f"out{i}"
        result = invoke("run", "--boundaries", wards_path, "--counts", path, "--value-col",
                        "Admissions", "--no-maps", "--permutations", 9, "--out", out)
        assert result.exit_code == 0, result.output
        assert json.loads((out / "accounting.json").read_text()) == expected
        assert "value value" not in result.output
    assert "no value for 1 ward(s): Bearsted (E05004984)" in result.output


def test_formula_text_is_prefixed_but_numbers_are_not(wards_path, police, tmp_path):
    """Item 10: a ward named '=HYPERLINK(...)' became a live formula in wards.csv."""
    wards = gpd.read_file(wards_path)
    wards.loc[0, "WD13NM"] = '=HYPERLINK("http://x","y")'
    wards.loc[1, "WD13NM"] = "@SUM(1)"
    path = tmp_path / "wards.geojson"
    wards.to_file(path)
    out = tmp_path / "out"
    assert _run(path, police, out).exit_code == 0
    table = pd.read_csv(out / "wards.csv")
    assert set(table["ward_name"]) >= {'\'=HYPERLINK("http://x","y")', "'@SUM(1)"}
    frame = spreadsheet_safe(pd.DataFrame({"t": ["-x", "+1", "ok"], "n": [-3, 1, 2]}))
    assert frame["t"].tolist() == ["'-x", "'+1", "ok"] and frame["n"].tolist() == [-3, 1, 2]


def test_one_ward_is_not_joined_to_a_nearest_ward(wards_path, police, tmp_path):
    """Item 10: 'joined to their nearest ward' when there is only one ward."""
    wards = gpd.read_file(wards_path).iloc[[6]]
    path = tmp_path / "one.geojson"
    wards.to_file(path)
    result = _run(path, police, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "only one ward" in result.output and "nearest ward" not in result.output


def test_a_semicolon_population_table_is_read(population, police, wards_path, tmp_path):
    """European Excel saves CSVs with semicolons."""
    path = tmp_path / "pop.csv"
    population.to_csv(path, index=False, sep=";")
    out = tmp_path / "out"
    result = _run(wards_path, police, out, "--population", path)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "wards.csv")["population"].eq(5000).all()


def test_briefing_without_permutations_uses_the_normal_p_and_says_not_tested(
        police, wards_path, tmp_path):
    out = tmp_path / "out"
    result = invoke("brief", "--boundaries", wards_path, "--incidents", police, "--no-maps",
                    "--permutations", 0, "--out", out)
    assert result.exit_code == 0, result.output
    html = (out / "briefing.html").read_text()
    moran = json.loads((out / "summary.json").read_text())["moran"]
    assert moran["p_sim"] is None
    assert f"(normal approximation) is {moran['p_norm']:.3f}" in html
    assert "not tested" in html and "p = n/a" not in html


def test_a_period_flag_replaces_the_demo_boroughs_month_range(tmp_path):
    """--demo brings its own month range; --period asked for on top of it is not a conflict."""
    out = tmp_path / "out"
    result = invoke("brief", "--demo", "--period", "rolling12", "--no-maps", "--permutations",
                    9, "--out", out)
    assert result.exit_code == 0, result.output
    assert len(json.loads((out / "summary.json").read_text())["change"]["current_months"]) == 12
