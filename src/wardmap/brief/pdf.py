"""briefing.pdf: the Word briefing printed to an A4, tagged PDF, for a clerk to attach as it is.

Why LibreOffice, then Chromium, and no Python PDF library: the PDF should be the Word document
page for page (the same header, marking, "Page X of Y", captions and landscape pages), and
only a word processor lays out a .docx. LibreOffice (``soffice --headless --convert-to pdf``)
does, and writes a tagged PDF (headings, tables and alt text for screen readers). Where it is
not installed, Chromium prints briefing.html with its A4 print CSS (also tagged). Both are
run as programs, so wardmap has no run-time dependency on either (Playwright is only a test
dependency); with neither, the HTML and Word files are written and a warning says how to get
the PDF. A pure-Python route (reportlab, weasyprint) would mean laying the briefing out a
third time and producing untagged or differently paginated output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 180  # seconds; a cold LibreOffice start on a busy machine takes several

NO_CONVERTER = ("briefing.pdf not written: neither LibreOffice (soffice) nor Chromium was "
                "found; install one (e.g. apt-get install libreoffice-writer-nogui) or print "
                "briefing.html to PDF from a browser")


def office_program() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_program() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(path: Path, docx: Path | None, html: Path | None) -> str | None:
    """Write ``path`` from the Word file (LibreOffice) or else the HTML file (Chromium).

    Returns None when written, else a one-line warning saying why not.
    """
    office, chromium = office_program(), chromium_program()
    problems = []
    if office and docx is not None and docx.exists():
        problem = _from_docx(office, docx, path)
        if problem is None:
            return None
        problems.append(problem)
    if chromium and html is not None and html.exists():
        problem = _from_html(chromium, html, path)
        if problem is None:
            return None
        problems.append(problem)
    return "; ".join(problems) if problems else NO_CONVERTER


def _from_docx(office: str, docx: Path, path: Path) -> str | None:
    # A profile of its own, so a LibreOffice the user has open (or another run) is not used.
    with tempfile.TemporaryDirectory(prefix="wardmap-office-") as work:
        work_dir = Path(work)
        tagged = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'
        command = [office, "--headless", "--norestore", "--nologo",
                   f"-env:UserInstallation={(work_dir / 'profile').as_uri()}",
                   "--convert-to", tagged, "--outdir", str(work_dir), str(docx)]
        made = work_dir / f"{docx.stem}.pdf"
        problem = _run(command, made, "LibreOffice")
        if problem is None:
            shutil.move(str(made), path)
        return problem


def _from_html(chromium: str, html: Path, path: Path) -> str | None:
    with tempfile.TemporaryDirectory(prefix="wardmap-chromium-") as work:
        made = Path(work) / "briefing.pdf"
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   f"--user-data-dir={Path(work) / 'profile'}", "--no-pdf-header-footer",
                   f"--print-to-pdf={made}", html.resolve().as_uri()]
        problem = _run(command, made, "Chromium")
        if problem is None:
            shutil.move(str(made), path)
        return problem


def _run(command: list[str], made: Path, name: str) -> str | None:
    env = {**os.environ, "HOME": str(made.parent)}  # nothing written to the user's profile
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, env=env,
                              check=False)
    except subprocess.TimeoutExpired:
        return f"briefing.pdf not written: {name} took longer than {TIMEOUT} s"
    except OSError as exc:
        return f"briefing.pdf not written: {name} could not start ({exc.strerror})"
    if done.returncode != 0 or not made.exists() or made.stat().st_size == 0:
        last = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
        return (f"briefing.pdf not written: {name} failed (exit {done.returncode})"
                + (f": {last[0]}" if last else ""))
    return None
