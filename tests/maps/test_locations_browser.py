"""The locations layer and top locations of map.html in headless Chromium, on Maidstone's real
months (violent crime, November and December 2017)."""

from __future__ import annotations

import pytest

from tests.maps.test_browser import Page, browser  # noqa: F401 - the browser fixture
from wardmap.config import Config
from wardmap.maps import interactive
from wardmap.maps.locations import LAYER_NAME
from wardmap.pipeline import analyse

pytestmark = [pytest.mark.browser, pytest.mark.shared]


@pytest.fixture(scope="module")
def violent_result(shared_data):
    config = Config()
    config.inputs.boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.incidents = [str(shared_data / "police")]
    config.inputs.area_name = "Maidstone"
    config.filters.crime_types = ["violent crime"]
    config.stats.permutations = 99
    return analyse(config)


def test_locations_layer_and_popup(browser, violent_result, tmp_path):  # noqa: F811
    path = interactive.write_html(violent_result, tmp_path / "map.html")
    page = Page(browser, path)
    wards = violent_result.wards
    # Off when the map opens: only the ward shapes are drawn.
    assert page.page.locator("path.leaflet-interactive").count() == len(wards)
    assert "Counts, not rates: no population given" in page.page.inner_text(".wm-box")
    page.page.get_by_text(LAYER_NAME, exact=True).click()
    circles = violent_result.config.locations.map_points
    assert page.page.locator("path.leaflet-interactive").count() == len(wards) + circles
    page.page.screenshot(path=str(tmp_path / "screenshot_points.png"))
    page.page.get_by_text(LAYER_NAME, exact=True).click()

    heath = wards.loc[wards["ward_name"] == "Heath", "ward_code"].iloc[0]
    tooltip = page.hover_ward(wards, heath)
    assert "Map point flag: 53 of 105 at On or near Hospital (50%)" in tooltip
    assert "Top locations" not in tooltip  # popup only
    page.page.mouse.down()
    page.page.mouse.up()
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "On or near Hospital (53); On or near Victoria Orchard (9)" in popup.inner_text()
    page.page.keyboard.press("Escape")

    # Gi*: no ward is a hot spot at 95% after the correction; five are before it, drawn pale.
    page.page.get_by_text("Gi* hot and cold spots", exact=True).click()
    page.page.wait_for_function(
        "() => [...document.querySelectorAll('.wm-legend')]"
        ".some(b => b.textContent.includes('Hot spot before correction only'))")
    assert "#fddbc7" in page.fills()
    legend = page.page.inner_text(".wm-legend:has-text('Getis-Ord')")
    assert "Hot spot before correction only (5 wards)" in legend
    page.page.screenshot(path=str(tmp_path / "screenshot_gi.png"))
    assert page.errors == [] and page.blocked == [] and page.dialogs == []
    page.page.close()


def test_public_map_has_no_locations_layer(browser, violent_result, tmp_path):  # noqa: F811
    violent_result.config.output.public = True
    try:
        path = interactive.write_html(violent_result, tmp_path / "map.html")
    finally:
        violent_result.config.output.public = False
    html = path.read_text()
    assert LAYER_NAME not in html
    page = Page(browser, path)
    assert page.page.get_by_text(LAYER_NAME, exact=True).count() == 0
    assert page.errors == []
    page.page.close()
