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
import pyarrow as pa
import pyarrow.compute as pc

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

    Examples
    --------
    >>> ids = pd.Series(["a1", "a1", None, None, "a1"])
    >>> month = pd.Series(["2017-11"] * 4 + ["2017-12"])
    >>> repeated_ids(ids, pd.Series(["Kent Police"] * 5), month).tolist()
    [False, True, False, False, False]
    """
    ids = crime_id.astype(object)
    present = ids.notna() & (ids.astype(str).str.strip() != "")
    frame = pd.DataFrame({"id": ids.astype(str).str.strip(),
                          "force": force.astype(object).fillna(""),
                          "month": month.astype(object)})
    return (present & frame.duplicated(keep="first")).to_numpy(bool)


class RepeatedIds:
    """The Crime ID rule over one file read a block at a time: rows repeating a non-empty
    Crime ID already read in the same force and month, in this block or an earlier one.

    A block is only ever read from one file, so the IDs are kept while one file is read
    (``forget`` at its end). A repeat is looked for first by fingerprint (``fingerprints``)
    or, for IDs of uneven length, with arrow's hash kernels: police.uk's IDs are nearly always
    unique, and turning a million IDs into Python text only to find no repeat costs seconds.
    The rows are compared exactly, as text, only when a fingerprint or an ID repeats.
    """

    def __init__(self) -> None:
        # id, force, month of earlier blocks' rows with IDs, and their fingerprints
        self._earlier: list[tuple[pa.Table, np.ndarray | None]] = []

    def mask(self, ids: pa.ChunkedArray, force: pa.ChunkedArray | None,
             month: pa.Array) -> np.ndarray:
        """True for this block's rows that repeat an ID (and remember the block's IDs)."""
        n = len(ids)
        ids = pc.utf8_trim_whitespace(pc.cast(ids, pa.string()))  # Parquet: any type
        present = pc.fill_null(pc.not_equal(ids, ""), False)
        kept = pc.filter(ids, present).combine_chunks()
        out = np.zeros(n, bool)
        if len(kept) == 0:
            return out
        prints = fingerprints(kept)
        maybe = self._may_repeat(kept, prints)
        rows = pa.table({"id": kept, "force": pc.filter(_or_empty(force, n), present),
                         "month": pc.filter(_or_empty(month, n), present)})
        self._earlier.append((rows, prints))
        if not maybe:
            return out
        # Some ID (or fingerprint) repeats: compare (force, month, ID) exactly, earlier
        # blocks first.
        frame = rows.to_pandas().assign(row=np.flatnonzero(
            present.to_numpy(zero_copy_only=False)))
        old = [t.to_pandas().assign(row=-1) for t, _ in self._earlier[:-1]]
        both = pd.concat([*old, frame], ignore_index=True)
        again = both.duplicated(["force", "month", "id"], keep="first").to_numpy()
        row = both["row"].to_numpy()
        out[row[again & (row >= 0)]] = True
        return out

    def _may_repeat(self, kept: pa.Array, prints: np.ndarray | None) -> bool:
        """Whether some ID may repeat one of this block or of an earlier block."""
        earlier = [p for _, p in self._earlier]
        if prints is not None and all(p is not None for p in earlier):
            if not pd.Index(prints).is_unique:
                return True
            return bool(earlier) and bool(pd.Series(prints).isin(np.concatenate(earlier)).any())
        distinct = pc.unique(kept)
        if len(distinct) < len(kept):
            return True
        return bool(earlier) and pc.any(pc.is_in(distinct, value_set=pa.concat_arrays(
            [t["id"].combine_chunks() for t, _ in self._earlier]))).as_py()

    def forget(self) -> None:
        """The file is read: its IDs are not needed any more."""
        self._earlier = []


# FNV-1a's offset basis and a 64-bit odd multiplier (the golden ratio's): any odd constant
# spreads the words; a match is only ever a candidate, checked as text.
_BASIS, _MULTIPLIER = np.uint64(0xCBF29CE484222325), np.uint64(0x9E3779B97F4A7C15)


def fingerprints(ids: pa.Array) -> np.ndarray | None:
    """A 64-bit fingerprint of each ID when every ID has the same length, a multiple of 8
    bytes (police.uk's are 64 hexadecimal characters); None otherwise.

    Mixed from arrow's buffer eight bytes at a time, without making Python text. Written
    here because arrow exposes no hash kernel to Python and pandas hashes Python objects
    only (about 30 times slower on a block of IDs). Equal IDs have equal fingerprints; equal
    fingerprints are compared as text (``RepeatedIds``).

    Examples
    --------
    >>> a = fingerprints(pa.array(["0123456789abcdef", "0123456789abcdeX", "0123456789abcdef"]))
    >>> bool(a[0] == a[2]), bool(a[0] == a[1])
    (True, False)
    >>> fingerprints(pa.array(["short", "longer one"])) is None
    True
    """
    if ids.null_count or not len(ids) or not pa.types.is_string(ids.type):
        return None
    offsets = np.frombuffer(ids.buffers()[1], np.int32)[ids.offset:ids.offset + len(ids) + 1]
    lengths = np.diff(offsets)
    width = int(lengths[0])
    if width == 0 or width % 8 or not np.all(lengths == width):
        return None
    data = np.frombuffer(ids.buffers()[2], np.uint8)[offsets[0]:offsets[-1]]
    words = data.view("<u8").reshape(len(ids), width // 8)
    prints = np.full(len(ids), _BASIS, np.uint64)
    for column in words.T:
        prints ^= column
        prints *= _MULTIPLIER
    return prints


def _or_empty(column: pa.ChunkedArray | None, n: int) -> pa.Array:
    """A text column, missing values (and a missing column) as empty text."""
    if column is None:
        return pa.repeat(pa.scalar(""), n)
    return pc.fill_null(pc.cast(column, pa.string()), "")


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
