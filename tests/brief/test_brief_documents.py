"""briefing.docx and briefing.html: real Word tables and images; a page that asks no network."""

import io
import os
import re
from pathlib import Path

import pytest
from docx import Document
from PIL import Image as PILImage

from tests.brief.test_brief_narrative import NOW, THEN, borough
from wardmap.brief import write_briefing

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    result = borough(THEN, NOW)
    result.config.brief.dpi = 150
    out = tmp_path_factory.mktemp("brief")
    written = write_briefing(result, out)
    assert sorted(p.name for p in written) == ["briefing.docx", "briefing.html"]
    return out, result


def test_docx_holds_real_tables_with_the_table_values(pack) -> None:
    out, result = pack
    doc = Document(str(out / "briefing.docx"))
    titles = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Wards ranked by recorded incidents" in titles
    assert "Change on the same period last year" in titles
    ranked = doc.tables[0]
    header = [c.text for c in ranked.rows[0].cells]
    assert header[:3] == ["Rank", "Ward", "Incidents"]
    rows = {r.cells[1].text: r.cells[2].text for r in ranked.rows[1:]}
    expected = result.wards.set_index("ward_name")["incidents"]
    assert len(rows) == len(expected)
    assert all(int(rows[name].replace(",", "")) == n for name, n in expected.items())
    change = doc.tables[1]
    last = [c.text for c in change.rows[-1].cells]
    assert last[0] == "All wards"
    assert int(last[1].replace(",", "")) == result.summary["change"]["incidents"]


def test_docx_images_are_at_print_resolution(pack) -> None:
    out, _ = pack
    doc = Document(str(out / "briefing.docx"))
    shapes = doc.inline_shapes
    assert len(shapes) >= 4  # measure, Gi*, change map and the control chart at least
    for shape in shapes:
        blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed]
        pixels = PILImage.open(io.BytesIO(blob.blob)).size[0]
        assert pixels / shape.width.inches >= 140  # dots per printed inch


def test_html_is_one_file_with_inline_images_only(pack) -> None:
    out, _ = pack
    html = (out / "briefing.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<script" not in html and "<link" not in html
    assert "High Street ward had the highest level" in html


@pytest.mark.browser
def test_html_makes_no_request_in_headless_chromium(pack) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("WARDMAP_REQUIRE_SHARED") == "1":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    out, _ = pack
    url = (out / "briefing.html").as_uri()
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page()

        def check(route) -> None:
            if route.request.url.startswith(("data:", "file:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", check)
        page.goto(url, wait_until="load")
        loaded = page.evaluate(
            "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        browser.close()
    assert outside == []
    assert loaded and all(loaded)
