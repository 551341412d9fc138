"""The committee briefing: where its time goes, and the two ways of printing briefing.pdf.

On Maidstone's police.uk months (../shared/data, November–December 2017, violent crime,
26 wards), after the analysis: the briefing's content (narrative, figures, tables), each
writer, and briefing.pdf printed by LibreOffice from the .docx against Chromium from the .html
(side by side, alternating, each a cold program start). Then secondary suppression at national
scale: a public column of England's 7,681 wards (synthetic counts, about a fifth of them
small) against the same audit by linear programme on the first 300 wards.

    .venv/bin/python benchmarks/bench_brief.py [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _time(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(repeat: int) -> None:
    from wardmap.brief import build_briefing
    from wardmap.brief.docx import write_docx
    from wardmap.brief.html import write_html
    from wardmap.brief.pdf import _from_docx, _from_html, chromium_program, office_program
    from wardmap.config import Config
    from wardmap.pipeline import analyse

    config = Config()
    config.inputs.boundaries = str(SHARED / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.incidents = [str(SHARED / "police")]
    config.inputs.area_name = "Maidstone"
    config.filters.crime_types = ["violent crime"]
    result = analyse(config)
    rows = []
    briefing = None

    def build() -> None:
        nonlocal briefing
        briefing = build_briefing(result)

    rows.append(("content (narrative, figures, tables)", _time(build, repeat)))
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        docx, html = folder / "briefing.docx", folder / "briefing.html"
        rows.append(("write briefing.docx", _time(lambda: write_docx(docx, briefing), repeat)))
        rows.append(("write briefing.html", _time(lambda: write_html(html, briefing), repeat)))
        office, chromium = office_program(), chromium_program()
        lo, cr = [], []
        for _ in range(repeat):  # alternated, so both see the same machine load
            if office:
                start = time.perf_counter()
                assert _from_docx(office, docx, folder / "lo.pdf") is None
                lo.append(time.perf_counter() - start)
            if chromium:
                start = time.perf_counter()
                assert _from_html(chromium, html, folder / "cr.pdf") is None
                cr.append(time.perf_counter() - start)
        if lo:
            rows.append(("briefing.pdf by LibreOffice (from .docx)", min(lo)))
        if cr:
            rows.append(("briefing.pdf by Chromium (from .html)", min(cr)))
    rows += _secondary(repeat)
    print("| step | seconds |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")


def _secondary(repeat: int) -> list[tuple[str, float]]:
    from wardmap.secondary import Grid, audit, primary, published

    rng = np.random.default_rng(1)
    counts = rng.poisson(rng.gamma(0.6, 40, 7681))
    wards = pd.DataFrame({"incidents": counts})
    national = _time(lambda: published(wards, 4), repeat)
    grid = primary(Grid.of(counts[:300].reshape(-1, 1), row_totals=False), 4)
    # The general linear-programme audit, forced by a second (redundant) copy of the sum.
    two = Grid.of(np.c_[counts[:300], counts[:300]], row_totals=False)
    two = primary(two, 4)
    small = int(((counts >= 1) & (counts <= 4)).sum())
    return [(f"secondary suppression, 7,681 wards ({small:,} small), closed form", national),
            ("audit of 300 wards, closed form", _time(lambda: audit(grid, 4), repeat)),
            ("audit of 300 wards x 2 columns, linear programmes", _time(lambda: audit(two, 4),
                                                                        1))]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    main(parser.parse_args().repeat)
