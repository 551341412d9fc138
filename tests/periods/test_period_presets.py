"""Period presets and their comparison periods."""

import pytest

from wardmap.config import Config, PeriodsConfig
from wardmap.errors import WardmapError
from wardmap.periods import month_range, period_filter, resolve_period
from wardmap.periods.presets import period_label

TWO_YEARS = month_range("2016-01", "2017-12")


def test_rolling_twelve_months_and_year_earlier() -> None:
    current, comparison = resolve_period(PeriodsConfig(period="rolling12", end="2017-09"),
                                         TWO_YEARS)
    assert current[0] == "2016-10" and current[-1] == "2017-09" and len(current) == 12
    # Only 2016-01.. is in the data, so October 2015 onwards is not covered: no comparison.
    assert comparison is None


def test_financial_year_to_date_starts_in_april() -> None:
    current, comparison = resolve_period(PeriodsConfig(period="fytd", end="2017-12"), TWO_YEARS)
    assert current == month_range("2017-04", "2017-12")
    assert comparison == month_range("2016-04", "2016-12")
    current, _ = resolve_period(PeriodsConfig(period="fytd", end="2017-02"), TWO_YEARS)
    assert current == month_range("2016-04", "2017-02")


def test_calendar_year_defaults_to_latest_complete_year() -> None:
    months = month_range("2016-01", "2017-11")
    current, comparison = resolve_period(PeriodsConfig(period="calendar"), months)
    assert current == month_range("2016-01", "2016-12")
    assert comparison is None
    current, comparison = resolve_period(PeriodsConfig(period="calendar", end="2017-12"),
                                         TWO_YEARS)
    assert comparison == month_range("2016-01", "2016-12")


def test_custom_and_explicit_comparison() -> None:
    config = PeriodsConfig(period="custom", months="2017-06:2017-08", compare="2017-01:2017-04")
    current, comparison = resolve_period(config, TWO_YEARS)
    assert current == ["2017-06", "2017-07", "2017-08"]
    assert comparison == month_range("2017-01", "2017-04")


def test_filter_period_uses_the_month_filter_or_all_months() -> None:
    current, comparison = resolve_period(PeriodsConfig(), TWO_YEARS, "2017-01:2017-12")
    assert current == month_range("2017-01", "2017-12")
    assert comparison == month_range("2016-01", "2016-12")
    assert resolve_period(PeriodsConfig(), ["2017-11", "2017-12"])[0] == ["2017-11", "2017-12"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (PeriodsConfig(period="rolling12", end="2019-12"), "2019 is not covered by the data"),
        (PeriodsConfig(period="custom"), "needs periods.months"),
        (PeriodsConfig(period="custom", months="2017-13:2017-14"), "YYYY-MM"),
        (PeriodsConfig(period="custom", months="2017-06:2017-01"), "after"),
        (PeriodsConfig(compare="2014-01:2014-12"), "comparison period.*not covered"),
        (PeriodsConfig(compare="2017-06:2017-11"), "overlaps"),
    ],
)
def test_periods_the_data_does_not_cover_are_clear_errors(config, message) -> None:
    with pytest.raises(WardmapError, match=message):
        resolve_period(config, TWO_YEARS, "2017-01:2017-12")


def test_period_filter_for_the_pipeline() -> None:
    config = Config()
    config.periods = PeriodsConfig(period="rolling12")
    assert period_filter(config, TWO_YEARS) == "2017-01:2017-12"
    config = Config()
    config.filters.months = "2017-03:2017-05"
    assert period_filter(config, TWO_YEARS) == "2017-03:2017-05"


def test_labels() -> None:
    assert period_label(month_range("2017-01", "2017-12")) == "January 2017 to December 2017"
    assert period_label(["2017-11"]) == "November 2017"
