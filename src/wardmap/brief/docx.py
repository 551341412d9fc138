"""briefing.docx: the briefing as a Word document, because committee reports are Word files.

Tables are real Word tables (editable, restylable); images are PNGs at print resolution,
placed at the text block's width.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt

from wardmap.brief.figures import Image
from wardmap.brief.narrative import Section
from wardmap.brief.tables import BriefingTables, Table

TABLE_STYLE = "Table Grid"


def write_docx(path: Path, title: str, subtitle: str, sections: list[Section],
               images: list[Image], tables: BriefingTables) -> Path:
    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10.5)
    doc.add_heading(title, level=0)
    doc.add_paragraph(subtitle).italic = True
    for section in sections:
        doc.add_heading(section.heading, level=1)
        for text in section.paragraphs:
            doc.add_paragraph(text)
    if images:
        doc.add_heading("Maps and charts", level=1)
        for image in images:
            doc.add_picture(io.BytesIO(image.png), width=Inches(image.width_in))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if image.caption:
                _small(doc.add_paragraph(image.caption))
    for table in tables.tables:
        _add_table(doc, table)
    doc.add_heading("Data notes", level=1)
    for heading, lines in tables.notes:
        doc.add_heading(heading, level=2)
        for line in lines:
            _small(doc.add_paragraph(line))
    doc.save(str(path))
    return path


def _add_table(doc: Document, table: Table) -> None:
    doc.add_heading(table.title, level=1)
    frame = table.frame
    grid = doc.add_table(rows=1, cols=len(frame.columns))
    grid.style = TABLE_STYLE
    for cell, name in zip(grid.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in frame.itertuples(index=False):
        cells = grid.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = str(value)
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8.5)
    if table.note:
        _small(doc.add_paragraph(table.note))


def _small(paragraph) -> None:  # noqa: ANN001 - python-docx Paragraph
    for run in paragraph.runs:
        run.font.size = Pt(8.5)
