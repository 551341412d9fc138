"""The committee briefing pack: briefing.html and briefing.docx from a run's tables.

``write_briefing(result, out_dir)`` is an extra writer for ``wardmap.export.write_run``: it
writes into the run's temporary folder, which is moved into place when the run completes.
"""

from __future__ import annotations

from pathlib import Path

from wardmap.result import RunResult


def write_briefing(result: RunResult, out_dir: Path) -> list[Path]:
    """Write briefing.html and briefing.docx (as [brief].formats asks) into ``out_dir``."""
    from wardmap.brief.docx import write_docx
    from wardmap.brief.figures import briefing_figures
    from wardmap.brief.html import write_html
    from wardmap.brief.narrative import narrative
    from wardmap.brief.tables import briefing_tables
    from wardmap.periods import analyse_periods

    if "change" not in result.summary:
        result = analyse_periods(result)
    config = result.config
    public, threshold = config.output.public, config.output.threshold
    sections = narrative(result, config.brief.top, config.brief.bottom, public, threshold)
    tables = briefing_tables(result, public, threshold)
    images = briefing_figures(result, config.brief.dpi, public, threshold)
    title, subtitle = briefing_title(result)
    out_dir = Path(out_dir)
    written = []
    if "html" in config.brief.formats:
        written.append(write_html(out_dir / "briefing.html", title, subtitle, sections, images,
                                  tables))
    if "docx" in config.brief.formats:
        written.append(write_docx(out_dir / "briefing.docx", title, subtitle, sections, images,
                                  tables))
    return written


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


__all__ = ["briefing_title", "write_briefing"]
