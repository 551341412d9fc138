"""briefing.html checked as published council documents must be (WCAG 2.2 AA): axe-core, the
accessibility engine, run in headless Chromium with every outside request blocked; the page
of the demo's briefing shown in docs/guide.md, rendered by the same browser; and the demo's
briefing.docx and briefing.pdf on A4.

axe-core comes from tests/browser/node_modules (`make browser-assets`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import need

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
GUIDE_PAGE = REPO / "docs" / "images" / "briefing_page.png"
A4_PX = (794, 1123)  # 210 × 297 mm at CSS's 96 pixels to the inch


@pytest.fixture(scope="module")
def demo_briefings(tmp_path_factory) -> dict[str, Path]:
    """The demo's briefing.html, internal and public."""
    from wardmap.brief import write_briefing
    from wardmap.demo import demo_config
    from wardmap.pipeline import analyse

    config = demo_config()
    config.brief.dpi = 60
    result = analyse(config)
    out = {}
    for name in ("internal", "public"):
        folder = tmp_path_factory.mktemp(name)
        result.config.output.public = name == "public"
        # The internal version in every format, for the demo's Word and PDF checks below.
        result.config.brief.formats = ["html", "docx", "pdf"] if name == "internal" else ["html"]
        write_briefing(result, folder)
        out[name] = folder / "briefing.html"
    return out


def test_demo_briefing_is_an_a4_word_document_and_pdf(demo_briefings) -> None:
    import subprocess

    from docx import Document

    from tests.brief.test_brief_documents import A4_CM, _fields, need_pdf_tools

    folder = demo_briefings["internal"].parent
    doc = Document(str(folder / "briefing.docx"))
    for section in doc.sections:
        assert tuple(sorted((round(section.page_width.cm, 1),
                             round(section.page_height.cm, 1)))) == A4_CM
    assert {"PAGE", "NUMPAGES"} <= {f.split()[0] for f in _fields(doc.sections[0].footer)}
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert sum(c.startswith("Figure") for c in captions) == len(doc.inline_shapes) >= 5
    assert all(s._inline.docPr.get("descr") for s in doc.inline_shapes)
    need_pdf_tools()
    info = subprocess.run(["pdfinfo", str(folder / "briefing.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert "(A4)" in info


@pytest.fixture(scope="module")
def browser():
    need(CHROMIUM.exists(), f"{CHROMIUM} not installed (apt-get install chromium)")
    need(AXE.exists(), f"{AXE} missing (run `make browser-assets`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


def _open(browser, html: Path, outside: list[str]):
    # The page's own policy forbids scripts; the test lifts it to inject axe-core only.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()

    def block(route) -> None:
        if route.request.url.startswith(("data:", "file:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(html.as_uri(), wait_until="load")
    return context, page


@pytest.mark.parametrize("version", ["internal", "public"])
def test_axe_core_finds_no_serious_or_critical_violation(browser, demo_briefings,
                                                         version) -> None:
    outside: list[str] = []
    context, page = _open(browser, demo_briefings[version], outside)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                        'wcag22aa', 'best-practice']},
        resultTypes: ['violations']})""")
    context.close()
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert outside == []
    assert results["passes"] or results["violations"] is not None
    assert "image-alt" in {p["id"] for p in results["passes"]}


def test_print_layout_is_a4_with_sections_on_new_pages(browser, demo_briefings) -> None:
    outside: list[str] = []
    context, page = _open(browser, demo_briefings["internal"], outside)
    page.emulate_media(media="print")
    breaks = page.evaluate("""() => Array.from(document.querySelectorAll('h2')).map(
        h => [h.textContent, getComputedStyle(h).breakBefore])""")
    figures = page.evaluate("""() => Array.from(document.querySelectorAll('figure')).map(
        f => getComputedStyle(f).breakInside)""")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    context.close()
    # The findings flow on from the title; each table, the data notes and the appendix start
    # a new page.
    first_table = next(i for i, (text, _) in enumerate(breaks) if text == "Tables")
    assert {b for _, b in breaks[:first_table]} == {"auto"}
    assert {b for _, b in breaks[first_table:]} == {"page"}
    assert breaks[-1][0] == "Appendix: methods and statistics"
    assert figures and set(figures) == {"avoid"}
    assert pdf[:4] == b"%PDF" and outside == []


def test_the_guide_shows_a_page_of_the_demo_briefing(browser, demo_briefings) -> None:
    """docs/images/briefing_page.png is the demo briefing's first printed page, as this
    browser renders it. WARDMAP_UPDATE_DOCS=1 writes it afresh."""
    from PIL import Image

    outside: list[str] = []
    context, page = _open(browser, demo_briefings["internal"], outside)
    page.emulate_media(media="print")
    # One A4 page: the print CSS's 2 cm page margins drawn as padding on a page-sized window.
    page.set_viewport_size({"width": A4_PX[0], "height": A4_PX[1]})
    page.add_style_tag(content="body { padding: 2cm !important; }")
    # What does not fit the page (a figure that print moves to the next) is left off.
    page.evaluate("""(height) => { for (const el of document.querySelectorAll(
        'header > *, main > section > *, figure')) {
        if (el.getBoundingClientRect().bottom > height) el.style.visibility = 'hidden'; } }""",
                  A4_PX[1] - 76)
    shot = page.screenshot(full_page=False)
    context.close()
    if os.environ.get("WARDMAP_UPDATE_DOCS") == "1":
        GUIDE_PAGE.parent.mkdir(parents=True, exist_ok=True)
        GUIDE_PAGE.write_bytes(shot)
    assert GUIDE_PAGE.exists(), "run with WARDMAP_UPDATE_DOCS=1 to render docs/images"
    image = Image.open(GUIDE_PAGE).convert("L")
    width, height = image.size
    assert abs(height / width - 297 / 210) < 0.05
    assert len(image.getcolors(256)) > 50  # text and a map, not a blank page
    assert "briefing_page.png" in (REPO / "docs" / "guide.md").read_text(encoding="utf-8")
