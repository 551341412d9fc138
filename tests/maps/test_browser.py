"""map.html opened as a person would: headless Chromium, no internet, CDN files served locally.

Leaflet and the marker-cluster plugin come from tests/browser/node_modules (`make
browser-assets`); map tiles are answered with a blank image; any other outside request is
aborted and fails the test, so a new CDN dependency cannot slip in unnoticed.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from tests.maps.helpers import make_records, make_result
from wardmap.maps import interactive

pytestmark = [pytest.mark.browser, pytest.mark.shared]

CHROMIUM = Path("/usr/bin/chromium")
NODE_MODULES = Path(__file__).resolve().parents[1] / "browser" / "node_modules"
XSS = "<img src=x onerror=alert(1)>"
CDN = [
    (re.compile(r"^https://cdn\.jsdelivr\.net/npm/leaflet@[\d.]+/dist/(.+)$"), "leaflet/dist"),
    (
        re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/leaflet\.markercluster/[\d.]+/(.+)$"),
        "leaflet.markercluster/dist",
    ),
]
TILES = re.compile(r"^https://tile\.openstreetmap\.org/")
TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("WARDMAP_REQUIRE_SHARED") == "1":
        pytest.fail(f"WARDMAP_REQUIRE_SHARED=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    _need(CHROMIUM.exists(), f"{CHROMIUM} not installed (apt-get install chromium)")
    _need(NODE_MODULES.is_dir(), f"{NODE_MODULES} missing (run `make browser-assets`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        _need(False, "playwright is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        yield chromium
        chromium.close()


def _blank_tile() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (235, 235, 235)).save(buf, format="PNG")
    return buf.getvalue()


class Page:
    """A page with CDN interception and a record of console errors, dialogs and stray requests."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        tile = _blank_tile()
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", lambda route: self._serve(route, tile))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _serve(self, route, tile: bytes) -> None:
        url = route.request.url
        if url.startswith("file:"):
            return route.continue_()
        if TILES.match(url):
            return route.fulfill(status=200, body=tile, content_type="image/png")
        for pattern, folder in CDN:
            m = pattern.match(url)
            if m:
                local = NODE_MODULES / folder / m.group(1)
                if local.is_file():
                    ctype = TYPES.get(local.suffix, "application/octet-stream")
                    return route.fulfill(status=200, body=local.read_bytes(), content_type=ctype)
        self.blocked.append(url)
        return route.abort()

    def map_point(self, lon: float, lat: float) -> tuple[float, float]:
        """Page pixel of a longitude/latitude on the Leaflet map."""
        xy = self.page.evaluate(
            """([lat, lon]) => {
                const map = Object.values(window).find(v => v instanceof L.Map);
                const p = map.latLngToContainerPoint([lat, lon]);
                const r = map.getContainer().getBoundingClientRect();
                return [p.x + r.left, p.y + r.top];
            }""",
            [lat, lon],
        )
        return xy[0], xy[1]

    def hover_ward(self, wards, code: str) -> str:
        ward = wards.loc[wards["ward_code"] == code]
        pt = ward.geometry.to_crs(4326).representative_point().iloc[0]
        x, y = self.map_point(pt.x, pt.y)
        self.page.mouse.move(x, y)
        self.page.mouse.move(x + 1, y + 1)
        tip = self.page.locator(".leaflet-tooltip", has_text=f"({code})")
        tip.wait_for()
        return tip.inner_text()

    def fills(self) -> set[str]:
        return set(
            self.page.eval_on_selector_all(
                "path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))"
            )
        )

    def legend_titles(self) -> list[str]:
        return self.page.eval_on_selector_all(".wm-legend b", "els => els.map(e => e.textContent)")


@pytest.fixture
def xss_result(maidstone_wards):
    wards = maidstone_wards.copy()
    wards.loc[0, "ward_name"] = XSS
    wards.loc[1, "ward_name"] = "Bearsted & Thurnham — Ōtautahi " + "long name " * 12
    result = make_result(wards)
    result.config.maps.incident_points = True
    focus = pd.DataFrame(
        {"rank": [1], "ward_codes": [";".join(wards.ward_code[3:5])],
         "ward_names": [";".join(wards.ward_name[3:5])], "score": [2.0]}
    )
    return replace(result, records=make_records(wards, ["2017-11", "2017-12"]), focus=focus)


def test_map_in_browser(browser, xss_result, tmp_path):
    path = interactive.write_html(xss_result, tmp_path / "map.html")
    page = Page(browser, path)
    wards = xss_result.wards
    # One interactive path per ward for the open layer; the focus-area outline (2 wards) is
    # drawn on top without taking the pointer.
    assert page.page.locator("path.leaflet-interactive").count() == len(wards) == 26
    assert page.page.locator("path[stroke-dasharray]").count() == 2

    code = wards.loc[5, "ward_code"]
    text = page.hover_ward(wards, code)
    assert wards.loc[5, "ward_name"] in text and code in text
    assert "Rate per 1,000" in text and "Rank in area" in text

    # The hostile ward name shows as text and runs nothing.
    text = page.hover_ward(wards, wards.loc[0, "ward_code"])
    assert XSS in text
    assert page.page.locator(".leaflet-tooltip img").count() == 0
    focus_title = "Focus area: " + ", ".join(wards.ward_name[3:5])
    assert sorted(page.legend_titles()) == [focus_title, "Rate per 1,000 residents"]
    page.page.screenshot(path=str(tmp_path / "screenshot_rate.png"))

    # Switch to the LISA layer: its colours and its legend replace the rate's.
    page.page.get_by_text("LISA clusters", exact=True).click()
    page.page.wait_for_function(
        "() => [...document.querySelectorAll('.wm-legend b')]"
        ".some(b => b.textContent.includes('LISA'))"
    )
    assert "#ff0000" in page.fills() and "#0000ff" in page.fills()
    assert "Rate per 1,000 residents" not in page.legend_titles()
    page.page.screenshot(path=str(tmp_path / "screenshot_lisa.png"))

    # Incident points: off when the page opens, clustered when switched on.
    assert page.page.locator(".marker-cluster").count() == 0
    page.page.get_by_text("Incident points", exact=True).click()
    page.page.wait_for_selector(".marker-cluster")

    attribution = page.page.inner_text(".leaflet-control-attribution")
    assert "Crown copyright" in attribution and "Open Government Licence" in attribution
    assert page.dialogs == []
    assert page.errors == []
    assert page.blocked == []
    page.page.close()


def test_public_map_hides_small_counts(browser, maidstone_wards, tmp_path):
    result = make_result(maidstone_wards.copy())
    result.config.output.public = True
    path = interactive.write_html(result, tmp_path / "map.html")
    page = Page(browser, path)
    small = result.wards.loc[result.wards["incidents"].between(1, 4)].iloc[0]
    text = page.hover_ward(result.wards, small["ward_code"])
    assert "Incidents: <5" in text
    assert "Rate per 1,000" not in text
    assert page.errors == [] and page.blocked == []
    page.page.close()


@pytest.mark.slow
def test_national_map_draws_on_canvas(browser, england_map, tmp_path):
    path, wards = england_map
    page = Page(browser, path)
    # 7,681 wards are drawn on one canvas, not as thousands of SVG paths.
    assert page.page.locator(".leaflet-overlay-pane canvas").count() == 1
    assert page.page.locator("path.leaflet-interactive").count() == 0
    largest = wards.loc[wards.geometry.area.idxmax()]
    text = page.hover_ward(wards, largest["ward_code"])
    assert largest["ward_name"] in text
    page.page.get_by_text("Gi* hot and cold spots", exact=True).click()
    page.page.wait_for_function(
        "() => [...document.querySelectorAll('.wm-legend b')]"
        ".some(b => b.textContent.includes('Gi*'))"
    )
    page.page.screenshot(path=str(tmp_path / "screenshot_england.png"))
    assert page.errors == [] and page.blocked == []
    page.page.close()
