"""The committee briefing pack: briefing.html, briefing.docx and briefing.pdf from a run.

``write_briefing(result, out_dir)`` is an extra writer for ``wardmap.export.write_run``: it
writes into the run's temporary folder, which is moved into place when the run completes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from wardmap.errors import InputError
from wardmap.result import RunResult


def write_briefing(result: RunResult, out_dir: Path) -> RunResult:
    """Write briefing.html, briefing.docx and briefing.pdf (as [brief].formats asks) into
    ``out_dir``.

    Returns the run, with a warning when briefing.pdf could not be printed (no LibreOffice or
    Chromium): an export-stage writer (wardmap.export).
    """
    from wardmap.brief.docx import write_docx
    from wardmap.brief.html import write_html
    from wardmap.brief.pdf import write_pdf

    briefing = build_briefing(result)
    formats = result.config.brief.formats
    out_dir = Path(out_dir)
    html, docx = out_dir / "briefing.html", out_dir / "briefing.docx"
    if "html" in formats or "pdf" in formats:
        write_html(html, briefing)
    if "docx" in formats or "pdf" in formats:
        write_docx(docx, briefing, result.config.brief.template)
    problem = write_pdf(out_dir / "briefing.pdf", docx, html) if "pdf" in formats else None
    for path, name in ((html, "html"), (docx, "docx")):
        if name not in formats and path.exists():  # written only to print the PDF from
            path.unlink()
    return result.with_warnings(problem) if problem else result


def build_briefing(result: RunResult, created: datetime | None = None):  # noqa: ANN201
    """The briefing's words, figures and tables (a ``wardmap.brief.pack.Briefing``)."""
    from wardmap.brief.figures import briefing_figures
    from wardmap.brief.methods import methods_appendix
    from wardmap.brief.narrative import narrative
    from wardmap.brief.pack import Briefing
    from wardmap.brief.tables import briefing_tables
    from wardmap.periods import analyse_periods
    from wardmap.secondary import published

    if "change" not in result.summary:
        result = analyse_periods(result)
    config = result.config
    check_template(config.brief.template)
    public, threshold = config.output.public, config.output.threshold
    # One suppression pattern for every figure, table and sentence of a public briefing.
    pattern = published(result.wards, threshold) if public else None
    title, subtitle = briefing_title(result)
    return Briefing(
        title=title, subtitle=subtitle,
        sections=narrative(result, config.brief.top, config.brief.bottom, public, threshold,
                           pattern),
        images=briefing_figures(result, config.brief.dpi, public, threshold, pattern),
        tables=briefing_tables(result, public, threshold, pattern),
        appendix=methods_appendix(result),
        marking=config.brief.marking, author=config.brief.author or result.meta.area_name,
        subject=f"{result.meta.crime_types_label} by ward, {subtitle.removeprefix('Period: ')}",
        created=created or datetime.now().astimezone().replace(microsecond=0),
    )


def check_template(template: str | None) -> None:
    """A clear error for a template that is missing or not a Word document."""
    if not template:
        return
    path = Path(template)
    if not path.is_file():
        raise InputError(f"{template}: Word template not found (--template takes a .docx file)")
    from docx import Document

    try:
        Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file it cannot read
        raise InputError(f"{template}: not a Word document python-docx can open ({exc}); save "
                         "the template as .docx (Word Document), not .dotx or .doc") from None


def briefing_title(result: RunResult) -> tuple[str, str]:
    """Title and subtitle: area and crime types; period and comparison."""
    meta = result.meta
    title = result.config.brief.title or f"{meta.area_name}: {meta.crime_types_label.lower()}"
    change = result.summary.get("change") or {}
    period = change.get("current_label") or meta.period_label
    subtitle = f"Period: {period}" if period else ""
    if change.get("available"):
        subtitle += f"; compared with {change['comparison_label']}"
    if result.config.output.public:
        subtitle += "; small numbers suppressed for publication"
    return title, subtitle


__all__ = ["briefing_title", "build_briefing", "check_template", "write_briefing"]
