"""briefing.html: one self-contained file (images as data URIs, no scripts, no external links).

A committee clerk can e-mail it or open it offline; nothing on the page asks the network.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from wardmap.brief.figures import Image
from wardmap.brief.narrative import Section
from wardmap.brief.tables import BriefingTables, Table

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #222; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.25rem; margin-top: 2rem;
     border-bottom: 2px solid #ddd; padding-bottom: 0.2rem; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0 0.3rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f0f0f0; } td.n { text-align: right; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: 0.8rem; }
@media print { body { max-width: none; } h2 { page-break-after: avoid; } }
"""


def render_html(title: str, subtitle: str, sections: list[Section], images: list[Image],
                tables: BriefingTables) -> str:
    """The whole page as a string."""
    parts = [f"<h1>{escape(title)}</h1>", f'<p class="sub">{escape(subtitle)}</p>']
    for section in sections:
        parts.append(f"<h2>{escape(section.heading)}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    if images:
        parts.append("<h2>Maps and charts</h2>")
        parts += [_figure(image) for image in images]
    for table in tables.tables:
        parts.append(_table(table))
    parts.append("<h2>Data notes</h2>")
    for heading, lines in tables.notes:
        parts.append(f"<h3>{escape(heading)}</h3>")
        parts += [f'<p class="note">{escape(line)}</p>' for line in lines]
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
        # No request may leave the page: images are inline and nothing else loads.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">\n"
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )


def write_html(path: Path, title: str, subtitle: str, sections: list[Section],
               images: list[Image], tables: BriefingTables) -> Path:
    path.write_text(render_html(title, subtitle, sections, images, tables), encoding="utf-8")
    return path


def _figure(image: Image) -> str:
    data = base64.b64encode(image.png).decode("ascii")
    caption = f"<figcaption>{escape(image.caption)}</figcaption>" if image.caption else ""
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(image.title)}">'
            f"{caption}</figure>")


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in table.frame.columns)
    rows = []
    for values in table.frame.itertuples(index=False):
        cells = "".join(
            f'<td class="n">{escape(str(v))}</td>' if _numeric(str(v)) else
            f"<td>{escape(str(v))}</td>" for v in values)
        rows.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (f"<h2>{escape(table.title)}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(rows) + f"</tbody></table>{note}")


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace("+", "").replace("−", "-")
    stripped = stripped.lstrip("<")
    try:
        float(stripped)
    except ValueError:
        return False
    return True
