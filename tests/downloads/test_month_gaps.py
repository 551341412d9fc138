"""Any set of months: gaps are named, never a crash, never a quiet zero."""

import json

from tests.downloads.conftest import invoke, shifted_copy
from wardmap.config import PeriodsConfig
from wardmap.periods import resolve_period
from wardmap.periods.presets import default_months, missing_months, months_text

YEAR_ON_YEAR = ["2016-11", "2016-12", "2017-11", "2017-12"]


def test_default_period_is_the_latest_block_with_its_year_earlier_months():
    assert default_months(YEAR_ON_YEAR) == ["2017-11", "2017-12"]
    current, comparison = resolve_period(PeriodsConfig(), YEAR_ON_YEAR)
    assert (current, comparison) == (["2017-11", "2017-12"], ["2016-11", "2016-12"])


def test_default_period_without_a_year_earlier_is_every_month():
    months = ["2017-01", "2017-02", "2017-05"]
    assert default_months(months) == months
    assert resolve_period(PeriodsConfig(), months) == (months, None)
    # Unbroken data keeps its old meaning: every month, compared when a year earlier exists.
    assert default_months(["2017-11", "2017-12"]) == ["2017-11", "2017-12"]


def test_missing_months_are_named_as_runs():
    assert missing_months(YEAR_ON_YEAR, YEAR_ON_YEAR) == [f"2017-{m:02d}" for m in range(1, 11)]
    assert months_text(["2017-01", "2017-02", "2017-05"]) == (
        "January 2017 to February 2017, May 2017")


def test_month_gap_regression_every_command(police, wards_path, tmp_path):
    """Item 1: this year's months plus the same months last year (a gap between)."""
    for csv in list(police.glob("2017-*.csv")):
        month = csv.name[:7]
        shifted_copy(csv, police / csv.name.replace("2017-", "2016-"), month,
                     month.replace("2017-", "2016-"))
    for command in ("run", "brief", "focus", "clusters"):
        out = tmp_path / command
        result = invoke(command, "--boundaries", wards_path, "--incidents", police,
                        "--no-maps", "--permutations", 99, "--out", out)
        assert result.exit_code == 0, (command, result.output)
        summary = json.loads((out / "summary.json").read_text())
        change = summary["change"]
        assert change["available"] is True
        assert change["current_months"] == ["2017-11", "2017-12"]
        assert change["comparison_months"] == ["2016-11", "2016-12"]
        assert change["incidents_prev"] == change["incidents"] == 2951
        assert change["missing_label"] == "January 2017 to October 2017"
        assert any("January 2017 to October 2017" in w for w in summary["warnings"])
    briefing = (tmp_path / "brief" / "briefing.html").read_text()
    assert "no records for January 2017 to October 2017" in briefing


def test_a_missing_month_inside_the_data_is_named(police, wards_path, tmp_path):
    shifted_copy(police / "2017-11-maidstone-street.csv", police / "2017-09-x-street.csv",
                 "2017-11", "2017-09")
    out = tmp_path / "out"
    result = invoke("brief", "--boundaries", wards_path, "--incidents", police, "--no-maps",
                    "--permutations", 99, "--out", out)
    assert result.exit_code == 0, result.output
    change = json.loads((out / "summary.json").read_text())["change"]
    assert change["available"] is False
    assert change["current_months"] == ["2017-09", "2017-11", "2017-12"]
    assert change["missing_months"] == ["2017-10"]
    assert "October 2017" in (out / "briefing.html").read_text()


def test_the_heatmap_leaves_a_missing_month_blank(police, wards_path):
    """A missing month is a blank column with a note, never a column of zeros."""
    from wardmap.config import Config
    from wardmap.maps.heatmap import ward_month_counts, ward_month_figure
    from wardmap.pipeline import analyse

    shifted_copy(police / "2017-11-maidstone-street.csv", police / "2017-09-x-street.csv",
                 "2017-11", "2017-09")
    config = Config()
    config.inputs.boundaries, config.inputs.incidents = str(wards_path), [str(police)]
    config.stats.permutations = 0
    result = analyse(config)
    table = ward_month_counts(result.records, result.wards)
    assert list(table.columns) == ["2017-09", "2017-10", "2017-11", "2017-12"]
    assert table["2017-10"].isna().all() and table["2017-11"].sum() == 1577
    figure = ward_month_figure(table)
    texts = [t.get_text() for t in figure.texts]
    assert any("No records in the data for 2017-10" in t for t in texts)
