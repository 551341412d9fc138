"""briefing.docx read back as Word reads it: A4, margins, header and footer fields, captions,
table layout, alt text; briefing.html self-contained; briefing.pdf on A4."""

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt
from PIL import Image as PILImage

from tests.brief.test_brief_narrative import NOW, THEN, borough
from tests.helpers import need
from wardmap.brief import write_briefing
from wardmap.brief.pdf import chromium_program, office_program
from wardmap.brief.tables import numeric_columns

CHROMIUM = Path("/usr/bin/chromium")
A4_CM = (21.0, 29.7)


def need_pdf_tools() -> None:
    need(bool((office_program() or chromium_program()) and shutil.which("pdfinfo")),
         "no LibreOffice/Chromium to print briefing.pdf, or no pdfinfo (poppler-utils)")


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    result = borough(THEN, NOW)
    result.config.brief.dpi = 120
    result = replace(result, meta=replace(result.meta, area_name="Maidstone"))
    out = tmp_path_factory.mktemp("brief")
    write_briefing(result, out)
    names = sorted(p.name for p in out.iterdir())
    assert names[:2] == ["briefing.docx", "briefing.html"]
    return out, result


@pytest.fixture(scope="module")
def doc(pack):
    return Document(str(pack[0] / "briefing.docx"))


def test_every_section_is_a4_with_2_cm_margins(doc) -> None:
    assert len(doc.sections) >= 1
    for section in doc.sections:
        size = sorted((round(section.page_width.cm, 1), round(section.page_height.cm, 1)))
        assert tuple(size) == A4_CM
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            assert abs(getattr(section, side).cm - 2.0) < 0.01
    first = doc.sections[0]
    assert first.page_height > first.page_width  # portrait


def _fields(part) -> list[str]:
    return [t.text.strip() for t in part._element.iter(qn("w:instrText"))]


def test_header_has_title_and_marking_and_footer_has_date_and_page_x_of_y(doc, pack) -> None:
    section = doc.sections[0]
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert "OFFICIAL" in header and "Maidstone" in header
    footer = section.footer
    fields = _fields(footer)
    assert "PAGE" in fields and "NUMPAGES" in fields
    assert any(f.startswith("CREATEDATE") for f in fields)
    text = "\n".join(p.text for p in footer.paragraphs)
    assert re.search(r"Page 1 of 1", text) and "OFFICIAL" in text
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}", text)  # the date shown until Word updates


def test_core_properties_name_the_briefing_not_python_docx(doc) -> None:
    props = doc.core_properties
    assert props.title.startswith("Maidstone")
    assert props.author == "Maidstone"
    assert props.author != "python-docx" and props.last_modified_by == "Maidstone"
    assert "by ward" in props.subject
    assert props.created is not None and props.language == "en-GB"
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")) \
        .find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"


def test_figures_and_tables_have_numbered_captions(doc) -> None:
    captions = [p for p in doc.paragraphs if p.style.name == "Caption"]
    figures = [p.text for p in captions if p.text.startswith("Figure")]
    tables = [p.text for p in captions if p.text.startswith("Table")]
    assert len(figures) == len(doc.inline_shapes) >= 4
    assert len(tables) == len(doc.tables) >= 2
    assert [int(re.match(r"Figure (\d+):", t).group(1)) for t in figures] == \
        list(range(1, len(figures) + 1))
    assert [int(re.match(r"Table (\d+):", t).group(1)) for t in tables] == \
        list(range(1, len(tables) + 1))
    seq = [f for p in captions for f in _fields(p)]
    assert seq.count("SEQ Figure \\* ARABIC") == len(figures)


def test_pictures_fill_the_text_width_at_print_resolution_with_alt_text(doc, pack) -> None:
    _, result = pack
    section = doc.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    names = set(result.wards["ward_name"])
    for shape in doc.inline_shapes:
        assert shape.width <= width + Cm(0.01)
        assert shape.width >= width - Cm(0.01) or shape.height >= Cm(20)  # tall: fits height
        blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed]
        pixels = PILImage.open(io.BytesIO(blob.blob)).size[0]
        assert pixels / shape.width.inches >= 100
        alt = shape._inline.docPr.get("descr")
        assert alt and len(alt) > 40 and alt.lower() not in ("map", "chart")
        # The alt text states a finding: it names wards or says that none stands out.
        assert any(n in alt for n in names) or "No ward" in alt or "control chart" in alt


def test_tables_are_sized_aligned_and_keep_their_rows(doc) -> None:
    section = doc.sections[0]
    width = Emu(section.page_width - section.left_margin - section.right_margin)
    ranked = doc.tables[0]
    header = [c.text for c in ranked.rows[0].cells]
    assert header[:3] == ["Rank", "Ward", "Incidents"]
    grid = [int(c.get(qn("w:w"))) for c in ranked._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(grid) - width.twips) < 20 and len(set(grid)) > 1  # sized, not equal
    assert grid[1] == max(grid)  # the ward names get the room
    for table in doc.tables:
        rows = table.rows
        assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in rows)
        import pandas as pd

        frame = pd.DataFrame([[c.text for c in r.cells] for r in rows[1:]],
                             columns=[c.text for c in rows[0].cells])
        for col, is_number in enumerate(numeric_columns(frame)):
            alignment = rows[1].cells[col].paragraphs[0].alignment
            expected = WD_ALIGN_PARAGRAPH.RIGHT if is_number else WD_ALIGN_PARAGRAPH.LEFT
            assert alignment == expected, (frame.columns[col], alignment)
        for cell in rows[1].cells:
            assert cell.paragraphs[0].runs[0].font.size == Pt(9)
    # Rank and Incidents are numbers, Ward is text.
    assert ranked.rows[1].cells[2].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert ranked.rows[1].cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_docx_holds_real_tables_with_the_table_values(doc, pack) -> None:
    _, result = pack
    ranked = doc.tables[0]
    rows = {r.cells[1].text: r.cells[2].text for r in ranked.rows[1:]}
    expected = result.wards.set_index("ward_name")["incidents"]
    assert len(rows) == len(expected)
    assert all(int(rows[name].replace(",", "")) == n for name, n in expected.items())
    change = doc.tables[1]
    last = [c.text for c in change.rows[-1].cells]
    assert last[0] == "All wards"
    assert int(last[1].replace(",", "")) == result.summary["change"]["incidents"]


def test_headings_are_real_heading_levels(doc) -> None:
    styles = [p.style.name for p in doc.paragraphs]
    assert styles[0] == "Title"
    assert "Heading 1" in styles
    levels = [int(s.split()[-1]) for s in styles if s.startswith("Heading")]
    assert levels[0] == 1  # no level skipped at the start
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_html_is_one_file_with_inline_images_alt_text_and_marked_headers(pack, doc) -> None:
    out, _ = pack
    html = (out / "briefing.html").read_text(encoding="utf-8")
    sources = re.findall(r'src="([^"]+)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]+)"', html))  # in-page
    assert "<script" not in html and "<link" not in html
    assert '<html lang="en-GB">' in html
    assert "High Street ward had the highest number" in html
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    docx_alts = [s._inline.docPr.get("descr") for s in doc.inline_shapes]
    assert len(alts) == len(docx_alts) and all(len(a) > 40 for a in alts)
    assert html.count('<th scope="col"') >= 6
    assert re.search(r"<figcaption>Figure 1: ", html) and "<caption>Table 1: " in html
    assert "@page { size: A4 portrait; margin: 2cm; }" in html
    assert html.count('<p class="marking">OFFICIAL</p>') == 2
    # A long briefing's contents list links to every section heading.
    links = re.findall(r'<li><a href="#(section-\d+)">([^<]+)</a></li>', html)
    targets = dict(re.findall(r'<h2 id="(section-\d+)"[^>]*>([^<]+)</h2>', html))
    assert len(links) >= 7 and all(targets[i] == text for i, text in links)


def test_pdf_is_a4_and_tagged(pack) -> None:
    need_pdf_tools()
    out, _ = pack
    pdf = out / "briefing.pdf"
    assert pdf.exists()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    assert re.search(r"Tagged:\s+yes", info)
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3


def test_no_converter_is_a_warning_and_the_other_files_are_written(tmp_path, monkeypatch):
    from wardmap.brief import pdf as pdf_module

    monkeypatch.setattr(pdf_module, "office_program", lambda: None)
    monkeypatch.setattr(pdf_module, "chromium_program", lambda: None)
    result = borough(THEN, NOW)
    result.config.brief.dpi = 50
    reported = write_briefing(result, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["briefing.docx", "briefing.html"]
    assert not (tmp_path / "briefing.pdf").exists()
    assert any("briefing.pdf not written" in w and "LibreOffice" in w
               for w in reported.warnings)
    assert reported.summary["warnings"] == list(reported.warnings)


def _template(path: Path) -> Path:
    from docx.enum.style import WD_STYLE_TYPE

    template = Document()
    template.styles["Normal"].font.name = "Georgia"
    custom = template.styles.add_style("Council Note", WD_STYLE_TYPE.PARAGRAPH)
    custom.font.italic = True
    template.sections[0].header.paragraphs[0].text = "Maidstone Borough Council"
    template.add_paragraph("Sample text the council's template carries.")
    template.save(str(path))
    return path


def test_a_council_template_keeps_its_styles_and_header(tmp_path) -> None:
    result = borough(THEN, NOW)
    result.config.brief.dpi = 50
    result.config.brief.formats = ["docx"]
    result.config.brief.template = str(_template(tmp_path / "council.docx"))
    result.config.brief.marking = "OFFICIAL-SENSITIVE"
    write_briefing(result, tmp_path)
    doc = Document(str(tmp_path / "briefing.docx"))
    assert doc.styles["Normal"].font.name == "Georgia"  # not overwritten by our house style
    assert "Council Note" in [s.name for s in doc.styles]
    header = "\n".join(p.text for p in doc.sections[0].header.paragraphs)
    assert "Maidstone Borough Council" in header and "OFFICIAL-SENSITIVE" in header
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Sample text" not in text and "High Street ward had the highest number" in text
    assert all(p.style.name in [s.name for s in doc.styles] for p in doc.paragraphs)


def test_a_template_that_is_not_a_word_file_is_a_clear_error(tmp_path) -> None:
    from wardmap.brief import check_template
    from wardmap.errors import InputError

    bad = tmp_path / "council.dotx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"council\.dotx: not a Word document"):
        check_template(str(bad))
    with pytest.raises(InputError, match="Word template not found"):
        check_template(str(tmp_path / "missing.docx"))


@pytest.mark.browser
def test_html_makes_no_request_in_headless_chromium(pack) -> None:
    need(CHROMIUM.exists(), f"{CHROMIUM} not installed")
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


def test_a_long_briefing_has_a_contents_list_linked_to_its_sections(doc) -> None:
    headings = [p for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) >= 7
    body = doc.element.body
    assert any(t.text.strip().startswith("TOC ") for t in body.iter(qn("w:instrText")))
    anchors = [h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink"))]
    entries = ["".join(t.text for t in h.iter(qn("w:t"))) for h in body.iter(qn("w:hyperlink"))]
    assert entries == [h.text for h in headings]
    marks = {b.get(qn("w:name")): b.getparent() for b in body.iter(qn("w:bookmarkStart"))}
    assert all(marks[a] is h._p for a, h in zip(anchors, headings, strict=True))
    texts = [p.text for p in doc.paragraphs]
    assert texts.index("Contents") < texts.index(headings[0].text)


def test_a_template_without_heading_or_caption_styles_gets_them(tmp_path) -> None:
    template = Document()
    for name in ("Heading 1", "Heading 2", "Caption", "Title", "Subtitle", "TOC Heading"):
        template.styles.element.remove(template.styles[name].element)
    template.save(str(tmp_path / "bare.docx"))
    result = borough(THEN, NOW)
    result.config.brief.dpi = 40
    result.config.brief.formats = ["docx"]
    result.config.brief.template = str(tmp_path / "bare.docx")
    write_briefing(result, tmp_path)
    doc = Document(str(tmp_path / "briefing.docx"))
    styles = [p.style.name for p in doc.paragraphs]
    assert "Heading 1" in styles and "Caption" in styles and styles[0] == "Title"
    level = doc.styles["Heading 1"].element.pPr.find(qn("w:outlineLvl"))
    assert level is not None and level.get(qn("w:val")) == "0"


def test_a_table_too_wide_for_the_page_gets_a_landscape_section(tmp_path) -> None:
    import pandas as pd

    from wardmap.brief.docx import write_docx
    from wardmap.brief.pack import Briefing
    from wardmap.brief.tables import BriefingTables, Table

    wide = pd.DataFrame({f"Indicator {i}": ["12,345"] * 3 for i in range(14)})
    wide.insert(0, "Ward", ["Boughton Monchelsea and Chart Sutton", "East", "North"])
    narrow = pd.DataFrame({"Ward": ["East"], "Crimes": ["61"]})
    briefing = Briefing("Title", "", [], [], BriefingTables(
        [Table("Narrow", narrow), Table("Wide", wide), Table("Narrow again", narrow)]))
    write_docx(tmp_path / "wide.docx", briefing)
    doc = Document(str(tmp_path / "wide.docx"))
    orientation = ["landscape" if s.page_width > s.page_height else "portrait"
                   for s in doc.sections]
    assert orientation == ["portrait", "landscape", "portrait"]
    landscape = doc.sections[1]
    assert (round(landscape.page_width.cm, 1), round(landscape.page_height.cm, 1)) == A4_CM[::-1]
    assert abs(landscape.left_margin.cm - 2.0) < 0.01
    grid = [int(c.get(qn("w:w"))) for c in doc.tables[1]._tbl.tblGrid.findall(qn("w:gridCol"))]
    width = Emu(landscape.page_width - landscape.left_margin - landscape.right_margin)
    assert abs(sum(grid) - width.twips) < 20


def test_a_template_footer_and_logo_are_kept_and_page_numbers_added(tmp_path) -> None:
    logo = tmp_path / "logo.png"
    PILImage.new("RGB", (120, 40), "navy").save(logo)
    template = Document()
    template.sections[0].header.paragraphs[0].add_run().add_picture(str(logo), width=Cm(3))
    template.sections[0].footer.paragraphs[0].text = "Maidstone Borough Council, Maidstone House"
    template.save(str(tmp_path / "logo.docx"))
    result = borough(THEN, NOW)
    result.config.brief.dpi = 40
    result.config.brief.formats = ["docx"]
    result.config.brief.template = str(tmp_path / "logo.docx")
    write_briefing(result, tmp_path)
    doc = Document(str(tmp_path / "briefing.docx"))
    header, footer = doc.sections[0].header, doc.sections[0].footer
    assert len(list(header._element.iter(qn("w:drawing")))) == 1  # the logo stays
    assert "OFFICIAL" in "\n".join(p.text for p in header.paragraphs)
    text = "\n".join(p.text for p in footer.paragraphs)
    assert "Maidstone House" in text and "OFFICIAL" in text
    assert {"PAGE", "NUMPAGES"} <= {f.split()[0] for f in _fields(footer)}
