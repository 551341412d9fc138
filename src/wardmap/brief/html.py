"""briefing.html: one self-contained file (images as data URIs, no scripts, no external links).

A committee clerk can e-mail it or open it offline; nothing on the page asks the network. It
prints on A4 (print CSS: 2 cm margins; the tables, data notes and appendix each on a new
page; no figure or table row split across pages) and is built for screen readers: a language,
one h1 and h2/h3 below it, figures with alt text stating their finding, table headers marked
with their scope.
"""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

from wardmap.brief.figures import Image
from wardmap.brief.pack import CONTENTS_FROM, Briefing
from wardmap.brief.tables import Table, numeric_columns

# Text colours keep 4.5:1 contrast or more on white (WCAG 2.2 AA).
_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.05em; margin: 0; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #d0d0d0;
     padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; }
.sub, .meta { color: #4d4d4d; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 1.2rem 0 0.3rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { border: 1px solid #8c8c8c; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #ededed; } .n { text-align: right; }
nav ol { padding-left: 1.5rem; } nav li { margin: 0.2rem 0; }
nav a { color: #1a4f8b; display: inline-block; min-height: 24px; line-height: 24px; }
figure { margin: 1rem 0; } figure img { width: 100%; height: auto; }
figcaption { font-weight: bold; font-size: 0.9rem; }
.note { color: #4d4d4d; font-size: 0.85rem; }
@page { size: A4 portrait; margin: 2cm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2, h3 { break-after: avoid; }
  h2.part { break-before: page; }
  figure, tr, caption, .keep { break-inside: avoid; }
  thead { display: table-header-group; }
  figure img { max-height: 24cm; object-fit: contain; }
}
"""


def render_html(briefing: Briefing) -> str:
    """The whole page as a string."""
    b = briefing
    parts = [f'<p class="marking">{escape(b.marking.upper())}</p>',
             f"<header><h1>{escape(b.title)}</h1>",
             f'<p class="sub">{escape(b.subtitle)}</p>' if b.subtitle else "",
             f'<p class="meta">{escape(b.author)}, {escape(b.date_text)}</p></header>',
             "<main>"]
    for section in b.sections:
        figures = "".join(_figure(n, image) for n, image in b.figures_after(section.heading))
        parts.append(_section(section.heading, section.paragraphs, section.notes,
                              figures=figures))
    if b.other_figures():
        parts.append("<section><h2>Maps and charts</h2>")
        parts += [_figure(n, image) for n, image in b.other_figures()]
        parts.append("</section>")
    if b.tables.tables:
        parts.append('<section><h2 class="part">Tables</h2>')
        parts += [_table(n, table) for n, table in b.numbered_tables()]
        parts.append("</section>")
    if b.tables.notes:
        parts.append('<section><h2 class="part">Data notes</h2>')
        for heading, lines in b.tables.notes:
            parts.append(f"<h3>{escape(heading)}</h3>")
            parts += [f'<p class="note">{escape(line)}</p>' for line in lines]
        parts.append("</section>")
    for section in b.appendix:
        parts.append(_section(section.heading, section.paragraphs, part=True))
    parts.append(f'</main>\n<footer><p class="marking">{escape(b.marking.upper())}</p>'
                 "</footer>")
    body = _with_contents("\n".join(p for p in parts if p))
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(b.language)}">\n<head>\n<meta charset="utf-8">\n'
        # No request may leave the page: images are inline and nothing else loads.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="author" content="{escape(b.author)}">\n'
        f"<title>{escape(b.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )


def write_html(path: Path, briefing: Briefing) -> Path:
    path.write_text(render_html(briefing), encoding="utf-8")
    return path


def _section(heading: str, paragraphs: list[str], notes: list[str] = (),
             part: bool = False, figures: str = "") -> str:
    cls = ' class="part"' if part else ""
    return (f"<section><h2{cls}>{escape(heading)}</h2>\n"
            + "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
            + "".join(f'<p class="note">{escape(n)}</p>' for n in notes) + figures
            + "</section>")


def _figure(number: int, image: Image) -> str:
    data = base64.b64encode(image.png).decode("ascii")
    note = f'<p class="note">{escape(image.caption)}</p>' if image.caption else ""
    return (f'<figure><img src="data:image/png;base64,{data}" '
            f'alt="{escape(image.alt or image.title)}">'
            f"<figcaption>Figure {number}: {escape(image.title)}</figcaption>{note}</figure>")


def _table(number: int, table: Table) -> str:
    right = numeric_columns(table.frame)
    head = "".join(f'<th scope="col"{_cls(r)}>{escape(str(c))}</th>'
                   for c, r in zip(table.frame.columns, right, strict=True))
    rows = []
    for values in table.frame.itertuples(index=False):
        cells = "".join(f"<td{_cls(r)}>{escape(str(v))}</td>"
                        for v, r in zip(values, right, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (f"<table><caption>Table {number}: {escape(table.title)}</caption><thead><tr>{head}"
            "</tr></thead><tbody>" + "".join(rows) + f"</tbody></table>{note}")


def _with_contents(body: str) -> str:
    """Ids on the section headings and, for a long briefing, a contents list linking to them
    after the title block."""
    headings = re.findall(r"<h2(?: class=\"part\")?>(.*?)</h2>", body)
    count = iter(range(1, len(headings) + 1))
    body = re.sub(r"<h2((?: class=\"part\")?)>",
                  lambda m: f'<h2 id="section-{next(count)}"{m.group(1)}>', body)
    if len(headings) < CONTENTS_FROM:
        return body
    items = "".join(f'<li><a href="#section-{n}">{text}</a></li>'
                    for n, text in enumerate(headings, start=1))
    nav = f'<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>{items}</ol></nav>'
    return body.replace("<main>", f"{nav}\n<main>", 1)


def _cls(right: bool) -> str:
    return ' class="n"' if right else ""
