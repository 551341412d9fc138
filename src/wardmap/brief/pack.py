"""What the briefing's writers (Word, HTML, PDF) share: its words, figures, tables and labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from wardmap.brief.figures import Image
from wardmap.brief.narrative import Section
from wardmap.brief.tables import BriefingTables

CONTENTS_FROM = 7  # top-level headings from which a briefing gets a contents list
DEFAULT_MARKING = "OFFICIAL"  # Government Security Classifications: most council business


@dataclass
class Briefing:
    """One briefing, ready to write in any format.

    sections: the findings in plain English, first; appendix: the statistics behind them
    (Moran's I, corrections, permutations), for the analyst and for scrutiny.
    """

    title: str
    subtitle: str
    sections: list[Section]
    images: list[Image]
    tables: BriefingTables
    appendix: list[Section] = field(default_factory=list)
    marking: str = DEFAULT_MARKING
    author: str = ""  # the partnership or area, for the document's properties
    subject: str = ""
    created: datetime = field(default_factory=datetime.now)
    language: str = "en-GB"

    @property
    def date_text(self) -> str:
        """ "28 November 2026", as council documents write dates."""
        return f"{self.created.day} {self.created:%B %Y}"

    def figures_after(self, heading: str) -> list[tuple[int, Image]]:
        """The figures placed after the section ``heading``, with their numbers."""
        return [(n, image) for n, image in self._numbered() if image.after == heading]

    def other_figures(self) -> list[tuple[int, Image]]:
        """Figures whose section is not in the briefing, for a "Maps and charts" section."""
        headings = {s.heading for s in self.sections}
        return [(n, image) for n, image in self._numbered() if image.after not in headings]

    def _numbered(self) -> list[tuple[int, Image]]:
        """Figures numbered in the order they appear: by section, then the rest."""
        headings = [s.heading for s in self.sections]
        order = sorted(range(len(self.images)), key=lambda i: (
            headings.index(self.images[i].after) if self.images[i].after in headings
            else len(headings), i))
        return [(n, self.images[i]) for n, i in enumerate(order, start=1)]

    def numbered_tables(self) -> list[tuple[int, object]]:
        return list(enumerate(self.tables.tables, start=1))
