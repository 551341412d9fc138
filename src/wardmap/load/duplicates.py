"""Records given twice are counted once: repeated files, overlapping downloads, repeated IDs.

Three rules, each working on one file (or one block of a file) at a time so a streaming reader
can apply them too:

- a file whose content (sha256) was already read is not read again: the same file given twice,
  under two names, or a folder plus a file inside it;
- a force and month held by two files (overlapping police.uk downloads) is read from one
  only, the newer (file date; on a tie the one given last), with a warning;
- records with the same non-empty Crime ID within a force and month are counted once.

Identical rows are never merged otherwise: police.uk publishes genuinely identical
anti-social behaviour rows (no Crime ID, same map point, same month). Every record left out is
counted (accounting.json → ``duplicates``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Block = tuple[str, str]  # (force, month)


def content_hash(data: bytes) -> str:
    """sha256 of a file's bytes: the identity of an input file."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class SeenFiles:
    """Files read so far, by content: the first name each content was read under.

    Examples
    --------
    >>> seen = SeenFiles()
    >>> seen.first_name(b"a,b\\n", "one.csv") is None
    True
    >>> seen.first_name(b"a,b\\n", "copy.csv")
    'one.csv'
    """

    names: dict[str, str] = field(default_factory=dict)

    def first_name(self, data: bytes, name: str) -> str | None:
        """The name the same content was first read under, or None (and remember this one)."""
        key = content_hash(data)
        if key in self.names:
            return self.names[key]
        self.names[key] = name
        return None


def blocks(force: pd.Series, month: pd.Series) -> set[Block]:
    """The (force, month) blocks a police.uk file holds (rows without a month ignored)."""
    frame = pd.DataFrame({"force": force.astype(object).fillna(""),
                          "month": month.astype(object)}).dropna()
    return set(frame.itertuples(index=False, name=None))


def newest_sources(file_blocks: list[set[Block]], modified: list[float]) -> dict[Block, int]:
    """For each block, the position of the file it is read from: the newest that holds it.

    Ties go to the file given last (a later download of the same date).
    """
    chosen: dict[Block, int] = {}
    for position, held in enumerate(file_blocks):
        for block in held:
            best = chosen.get(block)
            if best is None or modified[position] >= modified[best]:
                chosen[block] = position
    return chosen


def overlap_mask(force: pd.Series, month: pd.Series, position: int,
                 chosen: dict[Block, int]) -> np.ndarray:
    """True for a file's rows whose block is read from another file."""
    keys = zip(force.astype(object).fillna(""), month.astype(object), strict=True)
    return np.fromiter((chosen.get(k, position) != position for k in keys), bool,
                       count=len(force))


def repeated_ids(crime_id: pd.Series, force: pd.Series, month: pd.Series) -> np.ndarray:
    """True for rows repeating a non-empty Crime ID already seen in the same force and month.

    Works on one file (one set of blocks): a block is only ever read from one file, so the IDs
    need not be kept across files and memory stays bounded by the largest file.
    """
    ids = crime_id.astype(object)
    present = ids.notna() & (ids.astype(str).str.strip() != "")
    frame = pd.DataFrame({"id": ids, "force": force.astype(object).fillna(""),
                          "month": month.astype(object)})
    return (present & frame.duplicated(keep="first")).to_numpy(bool)


def overlap_warnings(names: list[str], file_blocks: list[set[Block]],
                     chosen: dict[Block, int], dropped: list[int]) -> list[str]:
    """One line per file whose blocks were read from a newer file."""
    lines = []
    for position, held in enumerate(file_blocks):
        elsewhere = sorted(b for b in held if chosen.get(b, position) != position)
        if not elsewhere:
            continue
        winners = sorted({names[chosen[b]] for b in elsewhere})
        months = sorted({m for _, m in elsewhere})
        span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
        forces = sorted({f for f, _ in elsewhere if f}) or ["the same force"]
        lines.append(
            f"{names[position]} and {', '.join(winners)} both hold {', '.join(forces)} "
            f"{span}: read once, from the newer ({', '.join(winners)}); "
            f"{dropped[position]:,} records of {names[position]} not counted again")
    return lines
