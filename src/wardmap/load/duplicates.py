"""Records given twice are counted once: repeated files, overlapping downloads, repeated IDs.

Three rules, each working on one file (or one block of a file) at a time so a streaming reader
can apply them too:

- a file whose content (sha256) was already read is not read again: the same file given twice,
  under two names, or a folder plus a file inside it;
- a force and month held by two files (overlapping police.uk downloads) is read from one
  only, the newer (file date; on a tie the one given last), with a warning. The force is the
  one that published the records ("Reported by"), so British Transport Police's file, whose
  rows "fall within" the territorial force, is never taken for a second copy of that force's;
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
    >>> seen.first_name(content_hash(b"a,b"), "one.csv") is None
    True
    >>> seen.first_name(content_hash(b"a,b"), "copy.csv")
    'one.csv'
    """

    names: dict[str, str] = field(default_factory=dict)

    def first_name(self, key: str, name: str) -> str | None:
        """The name content with hash ``key`` was first read under, or None (and remember
        this one)."""
        if key in self.names:
            return self.names[key]
        self.names[key] = name
        return None


def blocks(force: pd.Series, month: pd.Series) -> set[Block]:
    """The (force, month) blocks a police.uk file holds (rows without a month ignored).

    Examples
    --------
    >>> sorted(blocks(pd.Series(["Kent Police"] * 3), pd.Series(["2017-11", "2017-11", None])))
    [('Kent Police', '2017-11')]
    """
    # Distinct pairs first (on the categorical codes: fast), then plain text for the few left.
    pairs = pd.DataFrame({"force": force, "month": month}).drop_duplicates()
    pairs = pd.DataFrame({"force": pairs["force"].astype(object).fillna(""),
                          "month": pairs["month"].astype(object)}).dropna()
    return set(pairs.itertuples(index=False, name=None))


def newest_sources(file_blocks: list[set[Block]], modified: list[float]) -> dict[Block, int]:
    """For each block, the position of the file it is read from: the newest that holds it.

    Ties go to the file given last (a later download of the same date).

    Examples
    --------
    >>> nov, dec = ("Kent Police", "2017-11"), ("Kent Police", "2017-12")
    >>> newest_sources([{nov, dec}, {nov}], modified=[200.0, 100.0]) == {nov: 0, dec: 0}
    True
    """
    chosen: dict[Block, int] = {}
    for position, held in enumerate(file_blocks):
        for block in held:
            best = chosen.get(block)
            if best is None or modified[position] >= modified[best]:
                chosen[block] = position
    return chosen


def overlap_mask(force: pd.Series, month: pd.Series, position: int,
                 chosen: dict[Block, int], held: set[Block] | None = None) -> np.ndarray:
    """True for a file's rows whose block is read from another file (``held``: the file's
    blocks, when already known)."""
    held = blocks(force, month) if held is None else held
    lost = [b for b in held if chosen.get(b, position) != position]
    if not lost:  # the usual case: nothing of this file is read elsewhere
        return np.zeros(len(force), bool)
    keys = pd.MultiIndex.from_arrays([force.astype(object).fillna("").to_numpy(),
                                      month.astype(object).to_numpy()])
    return np.asarray(keys.isin(lost), bool)


def repeated_ids(crime_id: pd.Series, force: pd.Series, month: pd.Series) -> np.ndarray:
    """True for rows repeating a non-empty Crime ID already seen in the same force and month.

    Works on one file (one set of blocks): a block is only ever read from one file, so the IDs
    need not be kept across files and memory stays bounded by the largest file.

    Examples
    --------
    >>> ids = pd.Series(["a1", "a1", None, None, "a1"])
    >>> month = pd.Series(["2017-11"] * 4 + ["2017-12"])
    >>> repeated_ids(ids, pd.Series(["Kent Police"] * 5), month).tolist()
    [False, True, False, False, False]
    """
    if not crime_id.notna().any():  # no IDs at all (or none repeated: see the reader)
        return np.zeros(len(crime_id), bool)
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
