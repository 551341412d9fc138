"""map.html opened as a person would: headless Chromium with every outside request blocked.

The page must be complete on its own (Leaflet and its plugin embedded, no basemap by default):
any request other than the file itself is aborted and fails the test. axe-core (from
tests/browser/node_modules, `make browser-assets`) checks accessibility.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import need
from tests.maps.helpers import make_records, make_result
from wardmap import pipeline
from wardmap.config import Config
from wardmap.maps import interactive

pytestmark = [pytest.mark.browser, pytest.mark.shared]

CHROMIUM = Path("/usr/bin/chromium")
NODE_MODULES = Path(__file__).resolve().parents[1] / "browser" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser():
    need(CHROMIUM.exists(), f"{CHROMIUM} not installed (apt-get install chromium)")
    need(AXE.is_file(), f"{AXE} missing (run `make browser-assets`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        need(False, "playwright is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        yield chromium
        chromium.close()


class Page:
    """A page with every outside request blocked, and a record of console errors, dialogs and
    blocked requests."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.path = path
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._serve)
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _serve(self, route) -> None:
        url = route.request.url
        if url == self.path.as_uri() or url.startswith("data:"):
            return route.continue_()
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
        tip = self.page.locator(".leaflet-tooltip", has_text=f"({code})")
        # A canvas map finds the ward under the pointer only once it has drawn its frame:
        # move again until the tooltip shows (a busy machine can take seconds).
        for step in range(40):
            self.page.mouse.move(x + step % 2, y + 1)
            if tip.count():
                break
            self.page.wait_for_timeout(250)
        tip.wait_for()
        return tip.inner_text()

    def click_ward(self, wards, code: str) -> str:
        ward = wards.loc[wards["ward_code"] == code]
        pt = ward.geometry.to_crs(4326).representative_point().iloc[0]
        self.page.mouse.click(*self.map_point(pt.x, pt.y))
        popup = self.page.locator(".leaflet-popup-content", has_text=f"({code})")
        popup.wait_for()
        return popup.inner_text()

    def fills(self) -> set[str]:
        return set(
            self.page.eval_on_selector_all(
                "path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))"
            )
        )

    def legend_titles(self) -> list[str]:
        return self.page.eval_on_selector_all(".wm-legend b", "els => els.map(e => e.textContent)")

    def base_layers(self) -> list[str]:
        return self.page.eval_on_selector_all(
            ".leaflet-control-layers-base label", "els => els.map(e => e.textContent.trim())")

    def switch_every_layer(self, count: int) -> dict[str, set[str]]:
        """Choose each base layer in turn (by keyboard, as the control must allow): the title
        box and the page title name it, one measure legend shows and every ward is drawn.
        Returns the fills of each layer."""
        fills = {}
        outlines = sum(t.startswith("Focus area") for t in self.legend_titles())
        for name in self.base_layers():
            self.page.get_by_role("radio", name=name, exact=True).focus()
            self.page.keyboard.press("Space")
            self.page.wait_for_function(
                "t => document.querySelector('.wm-layer').textContent === 'Showing: ' + t",
                arg=name)
            assert self.page.title().startswith(name)
            assert self.page.locator("path.leaflet-interactive").count() == count, name
            assert len(self.legend_titles()) == 1 + outlines, name
            fills[name] = self.fills()
        return fills

    def axe(self) -> list[dict]:
        """axe-core's serious and critical violations on the page as it stands."""
        self.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("async () => await axe.run(document)")
        assert len(result["passes"]) > 10  # axe ran its rules
        return [
            {"id": v["id"], "impact": v["impact"],
             "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]

    def boxes_overlap(self, first: str, second: str) -> bool:
        return self.page.evaluate(
            """([a, b]) => {
                const r = document.querySelector(a).getBoundingClientRect();
                const s = document.querySelector(b).getBoundingClientRect();
                return !(r.right <= s.left || s.right <= r.left || r.bottom <= s.top
                         || s.bottom <= r.top);
            }""",
            [first, second],
        )


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
    assert page.page.locator(".leaflet-tile").count() == 0  # no basemap unless asked for

    code = wards.loc[5, "ward_code"]
    text = page.hover_ward(wards, code)
    assert wards.loc[5, "ward_name"] in text and code in text
    assert "Rate per 1,000" in text and "Rank in area" in text
    # The tooltip gives the finding; p-values are for the popup.
    assert "LISA: " in text and "LISA p" not in text

    # The hostile ward name shows as text and runs nothing.
    text = page.hover_ward(wards, wards.loc[0, "ward_code"])
    assert XSS in text
    assert page.page.locator(".leaflet-tooltip img").count() == 0
    focus_title = "Focus area: " + ", ".join(wards.ward_name[3:5])
    assert sorted(page.legend_titles()) == [focus_title, "Rate per 1,000 residents"]
    page.page.screenshot(path=str(tmp_path / "screenshot_rate.png"))

    fills = page.switch_every_layer(26)
    assert list(fills) == ["Incidents", "Rate per 1,000 residents", "Smoothed rate per 1,000",
                           "LISA clusters", "Gi* hot and cold spots"]
    assert {"#ff0000", "#0000ff"} <= fills["LISA clusters"]
    assert "#d62f27" in fills["Gi* hot and cold spots"]
    page.page.screenshot(path=str(tmp_path / "screenshot_gi.png"))

    # Incident points: off when the page opens, clustered when switched on.
    assert page.page.locator(".marker-cluster").count() == 0
    page.page.get_by_text("Incident points", exact=True).click()
    page.page.wait_for_selector(".marker-cluster")

    attribution = page.page.inner_text(".leaflet-control-attribution")
    assert "Crown copyright" in attribution and "Open Government Licence" in attribution
    assert not page.boxes_overlap(".leaflet-control-scale", ".leaflet-control-attribution")
    assert page.axe() == []
    assert page.dialogs == []
    assert page.errors == []
    assert page.blocked == []
    page.page.close()


@pytest.fixture(scope="module")
def real_run(shared_data):
    """The real pipeline on Maidstone's police.uk months."""
    config = Config()
    config.inputs.boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.incidents = [str(shared_data / "police")]
    config.inputs.area_name = "Maidstone"
    config.stats.permutations = 99
    return pipeline.analyse(config)


@pytest.mark.parametrize("points", [False, True], ids=["wards", "incident-points"])
def test_real_maidstone_map_offline(browser, real_run, points, tmp_path):
    real_run.config.maps.incident_points = points
    path = interactive.write_html(real_run, tmp_path / "map.html")
    assert "<script src=" not in path.read_text(encoding="utf-8")
    page = Page(browser, path)
    wards = real_run.wards
    assert page.page.locator("path.leaflet-interactive").count() == len(wards) == 26
    assert page.page.title() == "Incidents - Maidstone: ward map"
    assert page.page.get_attribute("html", "lang") == "en"
    fills = page.switch_every_layer(26)
    assert set(fills) == {"Incidents", "LISA clusters", "Gi* hot and cold spots"}
    assert all(fills.values())

    # Tooltip: the finding after the correction; popup: both p-values and what they mean.
    code = wards.loc[wards["lisa_p"].idxmin(), "ward_code"]
    tip = page.hover_ward(wards, code)
    row = wards.loc[wards["ward_code"] == code].iloc[0]
    label = row["lisa_label"]
    if label == "Not significant" and row.get("lisa_label_uncorrected", label) != label:
        from wardmap.maps.style import BEFORE_CORRECTION_LISA

        label = BEFORE_CORRECTION_LISA  # significant before the correction only, drawn pale
    assert f"LISA: {label}" in tip and "LISA p" not in tip
    popup = page.click_ward(wards, code)
    assert "LISA p\t" in popup and "LISA p, adjusted\t" in popup
    assert "Gi* p\t" in popup and "Gi* p, adjusted\t" in popup
    assert "false discovery rate" in popup
    # No tooltip over the popup: none, hidden, or fully faded. Checked in one call in the
    # page, as a fading tooltip can leave the page between two calls.
    assert page.page.evaluate("""() => [...document.querySelectorAll('.leaflet-tooltip')]
        .every(t => t.offsetParent === null || getComputedStyle(t).opacity === '0')""")
    page.page.screenshot(path=str(tmp_path / "screenshot_popup.png"))
    page.page.keyboard.press("Escape")

    if points:
        page.page.get_by_text("Incident points", exact=True).click()
        page.page.wait_for_selector(".marker-cluster")
    assert not page.boxes_overlap(".leaflet-control-scale", ".leaflet-control-attribution")
    assert page.axe() == []
    assert page.errors == [] and page.blocked == [] and page.dialogs == []
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


def test_clusters_page_offline(browser, real_run, tmp_path):
    from PIL import Image

    from wardmap.select import find_clusters
    from wardmap.select.outputs import clusters_writer

    clusters = find_clusters(real_run, real_run.config.clusters)
    result = dataclasses.replace(real_run, clusters=clusters)
    clusters_writer(result, tmp_path)
    page = Page(browser, tmp_path / "clusters.html")
    wards = real_run.wards
    assert page.page.locator("path.leaflet-interactive").count() == len(wards)
    assert page.page.title() == "Ward clusters - Maidstone: ward clusters"
    legend = page.page.inner_text(".wm-legend")
    for name in wards["ward_name"]:
        assert name in legend  # every ward is named in a cluster's row
    code = wards["ward_code"].iloc[0]
    assert "Wards in cluster" in page.hover_ward(wards, code)
    assert page.axe() == []
    assert page.errors == [] and page.blocked == [] and page.dialogs == []
    page.page.close()
    # The picture to the same standard: A4 at 300 dpi, recorded in the file.
    for name in ("clusters.png",):
        with Image.open(tmp_path / name) as im:
            assert im.size == (2481, 3507)
            assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
