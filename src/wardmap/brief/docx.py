"""briefing.docx: the briefing as a Word document that can go into a committee report as it is.

A4 portrait with 2 cm margins (a landscape section for a table too wide for the page); a
header with the title and protective marking and a footer with the date and "Page X of Y" on
every page; numbered captions (SEQ fields, so Word renumbers them if the clerk moves things);
maps at the text block's full width with alt text stating their finding; tables with sized
columns, numbers right-aligned, header rows marked and repeated, rows kept whole.

With a council template (``Document(template)``) the template's styles, page set-up, header
and footer (logo and all) are kept and our content is written in its styles; the protective
marking is added to a template header that does not already show it.

python-docx writes the document; the few settings it has no API for (fields, repeated header
rows, rows that may not split, the document language, alt text) are set on the XML with its
own ``OxmlElement``, as its documentation suggests.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from wardmap.brief.pack import CONTENTS_FROM, Briefing
from wardmap.brief.tables import Table, column_weights, numeric_columns

A4 = (Cm(21.0), Cm(29.7))
MARGIN = Cm(2.0)
TABLE_STYLE = "Table Grid"
TABLE_FONT = Pt(9)
NOTE_FONT = Pt(9)


def write_docx(path: Path, briefing: Briefing, template: str | Path | None = None) -> Path:
    """Write ``briefing`` as a Word document at ``path`` (on ``template`` when given)."""
    doc = Document(str(template)) if template else Document()
    if template:
        _clear_body(doc)
        _ensure_styles(doc)
    else:
        _house_style(doc)
        _page_setup(doc.sections[0])
    _properties(doc, briefing)
    _language(doc, briefing.language)
    _header_footer(doc.sections[0], briefing, keep=bool(template))
    doc.add_paragraph(briefing.title, style=_style(doc, "Title"))
    if briefing.subtitle:
        doc.add_paragraph(briefing.subtitle, style=_style(doc, "Subtitle"))
    contents_at = doc.add_paragraph()
    for section in briefing.sections:
        _section(doc, section.heading, section.paragraphs, notes=section.notes)
        for number, image in briefing.figures_after(section.heading):
            _figure(doc, number, image)
    if briefing.other_figures():
        doc.add_heading("Maps and charts", level=1)
        for number, image in briefing.other_figures():
            _figure(doc, number, image)
    if briefing.tables.tables:
        # One heading for the tables; each is named by its numbered caption (a heading
        # repeating every caption is what a clerk would delete).
        doc.add_heading("Tables", level=1)
    for number, table in briefing.numbered_tables():
        _table(doc, number, table)
    if briefing.tables.notes:
        doc.add_heading("Data notes", level=1)
    for heading, lines in briefing.tables.notes:
        _section(doc, heading, lines, level=2)
    for section in briefing.appendix:
        _section(doc, section.heading, section.paragraphs)
    _contents(doc, contents_at)
    doc.save(str(path))
    return path


def _contents(doc, at) -> None:  # noqa: ANN001
    """A contents list for a long briefing, in place of the paragraph ``at``: a TOC field
    (Word fills in page numbers when the clerk updates fields) whose current result lists the
    sections as links, so that the list works before any update, in LibreOffice and the PDF."""
    headings = [p for p in doc.paragraphs if p.style.name == "Heading 1"]
    if len(headings) < CONTENTS_FROM:
        at._p.getparent().remove(at._p)
        return
    for number, heading in enumerate(headings, start=1):
        _bookmark(heading, f"_Toc_wardmap_{number}", number)
    title = at.insert_paragraph_before("Contents", style=_style(doc, "TOC Heading"))
    title.paragraph_format.keep_with_next = True
    first = at.insert_paragraph_before()
    _field_start(first, r'TOC \o "1-1" \h \z \u')
    for number, heading in enumerate(headings, start=1):
        entry = first if number == 1 else at.insert_paragraph_before()
        _link(entry, f"_Toc_wardmap_{number}", heading.text)
        entry.paragraph_format.space_after = Pt(2)
    end = entry.add_run()
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), "end")
    end._r.append(element)
    at._p.getparent().remove(at._p)


def _field_start(paragraph, instruction: str) -> None:  # noqa: ANN001
    for kind, text in (("begin", None), (None, instruction), ("separate", None)):
        run = paragraph.add_run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        run._r.append(element)


def _bookmark(paragraph, name: str, number: int) -> None:  # noqa: ANN001
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(number))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def _link(paragraph, anchor: str, text: str) -> None:  # noqa: ANN001
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    run = OxmlElement("w:r")
    run_text = OxmlElement("w:t")
    run_text.text = text
    run_text.set(qn("xml:space"), "preserve")
    run.append(run_text)
    link.append(run)
    paragraph._p.append(link)


# --- page and document ----------------------------------------------------------------------

def _house_style(doc) -> None:  # noqa: ANN001 - python-docx Document
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    for name in ("Title", "Subtitle", "Heading 1", "Heading 2", "Caption"):
        doc.styles[name].font.name = "Arial"
    doc.styles["Caption"].font.size = Pt(9)
    # Word's default caption colour is light blue on white; dark grey has the contrast WCAG
    # asks of text (4.5:1 and more).
    doc.styles["Caption"].font.color.rgb = RGBColor(0x33, 0x33, 0x33)


def _page_setup(section) -> None:  # noqa: ANN001
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = A4
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)
    section.header_distance = section.footer_distance = Cm(1.0)


def text_width(section) -> Emu:  # noqa: ANN001
    return Emu(section.page_width - section.left_margin - section.right_margin)


def _properties(doc, briefing: Briefing) -> None:  # noqa: ANN001
    props = doc.core_properties
    props.title = briefing.title
    props.subject = briefing.subject
    props.author = briefing.author
    props.last_modified_by = briefing.author
    props.created = props.modified = briefing.created
    props.language = briefing.language
    props.keywords = "community safety; wards; hot spots"
    props.comments = "Produced with wardmap"
    props.revision = 1


def _language(doc, language: str) -> None:  # noqa: ANN001
    """The language of every run, so screen readers and spelling use British English."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        doc.styles.element.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)


# Styles the briefing writes in, with what to give them when a template lacks them (Word
# saves a built-in style in a document only once it is used): size, bold, outline level.
NEEDED_STYLES = {"Title": (20, True, None), "Subtitle": (12, False, None),
                 "Heading 1": (14, True, 0), "Heading 2": (12, True, 1),
                 "Caption": (9, True, None), "TOC Heading": (14, True, None)}


def _ensure_styles(doc) -> None:  # noqa: ANN001
    """Add the styles a template lacks, based on its Normal, headings with their outline level
    so that they stay real headings for navigation and screen readers."""
    from docx.enum.style import WD_STYLE_TYPE

    names = {s.name for s in doc.styles}
    for name, (size, bold, level) in NEEDED_STYLES.items():
        if name in names:
            continue
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.font.size, style.font.bold = Pt(size), bold
        style.paragraph_format.keep_with_next = level is not None
        if level is not None:
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level))
            style.element.get_or_add_pPr().append(outline)


def _clear_body(doc) -> None:  # noqa: ANN001
    """A template's sample body text goes; its last section (page set-up, header) stays."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _header_footer(section, briefing: Briefing, keep: bool) -> None:  # noqa: ANN001
    """Our header and footer, or, with ``keep`` (a council template), the template's own
    (text, logo and all) with the marking and "Page X of Y" added where they are missing."""
    header, footer = section.header, section.footer
    header.is_linked_to_previous = footer.is_linked_to_previous = False
    width = text_width(section)
    if keep and _has_content(header):
        if briefing.marking.lower() not in _text(header).lower():
            _marking_paragraph(header.add_paragraph(), briefing.marking)
    else:
        first = _emptied(header)
        _marking_paragraph(first, briefing.marking)
        _small_grey(header.add_paragraph(briefing.title))
    if keep and _has_content(footer):
        if "PAGE" not in {f.split()[0] for f in _field_codes(footer) if f.split()}:
            _page_line(footer.add_paragraph(), briefing, width)
        if briefing.marking.lower() not in _text(footer).lower():
            _marking_paragraph(footer.add_paragraph(), briefing.marking)
        return
    _page_line(_emptied(footer), briefing, width)
    _marking_paragraph(footer.add_paragraph(), briefing.marking)


def _page_line(line, briefing: Briefing, width: Emu) -> None:  # noqa: ANN001
    """ "28 November 2026 ............ Page 1 of 9"."""
    _right_tab_only(line, width)
    # The date the briefing was produced, from the document's own properties (a DATE field
    # would show the day it is opened instead).
    add_field(line, r'CREATEDATE \@ "d MMMM yyyy"', briefing.date_text)
    line.add_run("\tPage ")
    add_field(line, "PAGE", "1")
    line.add_run(" of ")
    add_field(line, "NUMPAGES", "1")
    _small_grey(line)


def _marking_paragraph(paragraph, marking: str) -> None:  # noqa: ANN001
    _marking_run(paragraph, marking)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _text(part) -> str:  # noqa: ANN001
    return "\n".join(p.text for p in part.paragraphs).strip()


def _has_content(part) -> bool:  # noqa: ANN001
    """Text, a picture (a logo) or a table in a header or footer."""
    element = part._element
    return bool(_text(part)) or any(
        True for tag in ("w:drawing", "w:pict", "w:tbl") for _ in element.iter(qn(tag)))


def _field_codes(part) -> list[str]:  # noqa: ANN001
    return [t.text.strip() for t in part._element.iter(qn("w:instrText")) if t.text]


def _emptied(part):  # noqa: ANN001, ANN202
    """The first paragraph of a header or footer, emptied (python-docx's default template
    has one empty paragraph there)."""
    first = part.paragraphs[0]
    first.text = ""
    return first


def _right_tab_only(paragraph, width: Emu) -> None:  # noqa: ANN001
    """One right-aligned tab stop at the text block's edge: the Footer style's own stops are
    set for a US Letter page and would put "Page X of Y" mid-line."""
    stops = paragraph.paragraph_format.tab_stops
    style_stops = paragraph.style.paragraph_format.tab_stops
    for stop in list(style_stops):
        stops.add_tab_stop(stop.position, WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)


def _marking_run(paragraph, marking: str) -> None:  # noqa: ANN001
    run = paragraph.add_run(marking.upper())
    run.bold = True
    run.font.size = Pt(10)


def _small_grey(paragraph) -> None:  # noqa: ANN001
    for run in paragraph.runs:
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x40, 0x40, 0x40)


def add_field(paragraph, instruction: str, shown: str) -> None:  # noqa: ANN001
    """A Word field (PAGE, NUMPAGES, SEQ...) with ``shown`` as its current result, which Word
    and LibreOffice update when they lay the document out."""
    def fld_char(kind: str) -> None:
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    fld_char("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld_char("separate")
    paragraph.add_run(shown)
    fld_char("end")


def _style(doc, name: str) -> str | None:  # noqa: ANN001
    """The style's name when the document (or template) has it, else None (Normal)."""
    try:
        doc.styles[name]
    except KeyError:
        return None
    return name


# --- content ---------------------------------------------------------------------------------

def _section(doc, heading: str, paragraphs: list[str], level: int = 1,  # noqa: ANN001
             notes: list[str] = ()) -> None:
    doc.add_heading(heading, level=level)
    for text in paragraphs:
        doc.add_paragraph(text)
    for text in notes:
        _note(doc.add_paragraph(text))


def caption(doc, kind: str, number: int, text: str):  # noqa: ANN001, ANN201
    """ "Figure 1: ..." / "Table 1: ..." in the Caption style, numbered by a SEQ field."""
    paragraph = doc.add_paragraph(style=_style(doc, "Caption"))
    paragraph.add_run(f"{kind} ")
    add_field(paragraph, f"SEQ {kind} \\* ARABIC", str(number))
    paragraph.add_run(f": {text}")
    return paragraph


def _figure(doc, number: int, image) -> None:  # noqa: ANN001 - Image
    section = doc.sections[-1]
    shape = doc.add_picture(io.BytesIO(image.png), width=text_width(section))
    limit = Emu(section.page_height - section.top_margin - section.bottom_margin - Cm(3))
    if shape.height > limit:  # a tall figure (the ward-by-month table) fits the page's height
        shape.width = Emu(int(shape.width * limit / shape.height))
        shape.height = limit
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", image.alt or image.title)
    doc_pr.set("title", image.title)
    picture = doc.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    caption(doc, "Figure", number, image.title)
    if image.caption:
        note = doc.add_paragraph(image.caption)
        _note(note)


def _table(doc, number: int, table: Table) -> None:  # noqa: ANN001
    frame = table.frame
    weights = column_weights(frame)
    portrait = doc.sections[-1]
    wide = sum(w * CHAR_WIDTH + CELL_MARGINS for w in weights) > text_width(portrait) and \
        len(frame.columns) > 5
    if wide:
        _landscape(doc)
    title = caption(doc, "Table", number, table.title)
    title.paragraph_format.keep_with_next = True
    title.paragraph_format.space_before = Pt(12)
    grid = doc.add_table(rows=1, cols=len(frame.columns))
    if _style(doc, TABLE_STYLE):
        grid.style = TABLE_STYLE
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    right = numeric_columns(frame)
    _fill(grid, frame, right)
    _widths(grid, weights, text_width(doc.sections[-1]))
    if table.note:
        _note(doc.add_paragraph(table.note))
    if wide:
        _portrait_again(doc)


CHAR_WIDTH = Cm(0.19)  # a 9-point Arial character, on average
CELL_MARGINS = Cm(0.45)  # Word's default left and right cell margins, with a little room


def _fill(grid, frame, right: list[bool]) -> None:  # noqa: ANN001
    header = grid.rows[0]
    _row_flags(header, header_row=True)
    for cell, name, is_right in zip(header.cells, frame.columns, right, strict=True):
        cell.text = str(name)
        _cell_format(cell, bold=True, right=is_right)
    for values in frame.itertuples(index=False):
        row = grid.add_row()
        _row_flags(row, header_row=False)
        for cell, value, is_right in zip(row.cells, values, right, strict=True):
            cell.text = str(value)
            _cell_format(cell, bold=False, right=is_right)


def _row_flags(row, header_row: bool) -> None:  # noqa: ANN001
    """Rows are never split across pages; the header row repeats at the top of each page and
    is marked as a header row for screen readers."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header_row:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _cell_format(cell, bold: bool, right: bool) -> None:  # noqa: ANN001
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
        for run in paragraph.runs:
            run.font.size = TABLE_FONT
            run.bold = bold


def _widths(grid, weights: list[float], width: Emu) -> None:  # noqa: ANN001
    """Each column as wide as its longest line (plus the cell's margins); when they do not
    all fit, the widest columns (the text that can wrap) give up room, the narrow ones (ranks,
    counts) never; when they fit, each grows in proportion to fill the text width."""
    widths = column_widths(weights, int(width))
    grid_element = grid._tbl.tblGrid
    for col, w in zip(grid_element.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Emu(w).twips)))
    for row in grid.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = Emu(w)


def column_widths(weights: list[float], width: int) -> list[int]:
    """Widths in EMU adding to ``width``, from characters per column."""
    natural = [int(w * CHAR_WIDTH + CELL_MARGINS) for w in weights]
    if sum(natural) <= width:
        grown = [int(n * width / sum(natural)) for n in natural]
        grown[max(range(len(grown)), key=grown.__getitem__)] += width - sum(grown)
        return grown
    # Lower a cap on the widest columns until everything fits.
    low, high = 0, max(natural)
    while high - low > 1:
        cap = (low + high) // 2
        if sum(min(n, cap) for n in natural) > width:
            high = cap
        else:
            low = cap
    capped = [min(n, low) for n in natural]
    capped[max(range(len(capped)), key=capped.__getitem__)] += width - sum(capped)
    return capped


def _note(paragraph) -> None:  # noqa: ANN001
    for run in paragraph.runs:
        run.font.size = NOTE_FONT


def _landscape(doc) -> None:  # noqa: ANN001
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _turn(section, WD_ORIENT.LANDSCAPE)


def _portrait_again(doc) -> None:  # noqa: ANN001
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _turn(section, WD_ORIENT.PORTRAIT)


def _turn(section, orientation) -> None:  # noqa: ANN001
    short, long_ = sorted((section.page_width, section.page_height))
    section.orientation = orientation
    if orientation == WD_ORIENT.LANDSCAPE:
        section.page_width, section.page_height = long_, short
    else:
        section.page_width, section.page_height = short, long_


__all__ = ["add_field", "caption", "text_width", "write_docx"]
