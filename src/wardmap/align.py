"""One canonical ward key: match codes exactly and names tolerantly, never silently.

Names are compared after normalising case, "&" vs "and", punctuation, spacing ("Parkwood" vs
"Park Wood") and a trailing "ward". What still fails goes to rapidfuzz: a clear near miss is
accepted and reported; anything unmatched or ambiguous is an error listing the closest wards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process

from wardmap.errors import InputError

# A near miss is accepted when it scores this well and clearly beats the runner-up.
NEAR_MISS_SCORE = 88.0
NEAR_MISS_MARGIN = 6.0


def name_key(name: object) -> str:
    """The comparable form of a ward name: 'Park Wood Ward' and 'parkwood' give 'parkwood'."""
    text = str(name).lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = re.sub(r"\s+ward$", "", text.strip())
    return re.sub(r"\s+", "", text)


@dataclass
class Matching:
    """Ward code per input key, plus what the analyst should be told."""

    codes: dict[object, str]
    near_misses: list[str] = field(default_factory=list)
    # Keys that are not wards here, each with a note naming the closest wards.
    unknown: list[tuple[object, str]] = field(default_factory=list)


def match_keys(
    keys: Iterable[object], wards: pd.DataFrame, what: str, allow_unknown: bool = False
) -> Matching:
    """Map each key (a ward code or a ward name) to a ward code.

    Keys are first tried as codes, then as names. With ``allow_unknown`` keys that match
    nothing (rows for wards outside the boundaries, such as a county-wide population table)
    are returned in ``unknown`` instead of raising.
    """
    keys = [k for k in dict.fromkeys(keys) if not _blank(k)]
    codes = set(wards["ward_code"])
    by_code = {k: str(k).strip() for k in keys if str(k).strip() in codes}
    if len(by_code) == len(keys):
        return Matching(by_code)
    if by_code and not allow_unknown:
        rest = [k for k in keys if k not in by_code]
        raise InputError(f"{what}: {len(rest)} key(s) are not ward codes of these boundaries, "
                         f"e.g. {rest[0]!r}")
    return _match_names(keys, wards, what, allow_unknown, by_code)


def _match_names(
    keys: list[object], wards: pd.DataFrame, what: str, allow_unknown: bool,
    found: dict[object, str],
) -> Matching:
    index = _name_index(wards)
    matching = Matching(dict(found))
    problems = []
    for key in (k for k in keys if k not in found):
        exact = index.get(name_key(key))
        if exact is not None and len(exact) == 1:
            matching.codes[key] = exact[0]
            continue
        if exact is not None:
            problems.append(f"{key!r} is ambiguous: it matches wards {', '.join(exact)}")
            continue
        code, note = _near_miss(key, wards, index)
        if code is not None:
            matching.codes[key] = code
            matching.near_misses.append(note)
        elif allow_unknown:
            matching.unknown.append((key, note))
        else:
            problems.append(note)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InputError(f"{what}: {'; '.join(problems[:3])}{more}")
    used = pd.Series(matching.codes).value_counts()
    if (used > 1).any():
        code = used.index[used > 1][0]
        twice = [k for k, c in matching.codes.items() if c == code]
        raise InputError(f"{what}: {twice!r} all match ward {code}; keep one row per ward")
    return matching


def _name_index(wards: pd.DataFrame) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for code, name in zip(wards["ward_code"], wards["ward_name"], strict=True):
        index.setdefault(name_key(name), []).append(code)
    return index


def _near_miss(key: object, wards: pd.DataFrame, index: dict[str, list[str]]) -> tuple[
        str | None, str]:
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    choices = {k: v[0] for k, v in index.items() if len(v) == 1}
    found = process.extract(name_key(key), list(choices), scorer=fuzz.ratio, limit=3)
    closest = ", ".join(f"{names[choices[c]]!r}" for c, _, _ in found)
    if found:
        best, score = found[0][0], found[0][1]
        runner_up = found[1][1] if len(found) > 1 else 0.0
        if score >= NEAR_MISS_SCORE and score - runner_up >= NEAR_MISS_MARGIN:
            code = choices[best]
            return code, f"matched {key!r} to ward {names[code]!r} ({code})"
    return None, f"{key!r} matches no ward (closest: {closest or 'none'})"


def _blank(key: object) -> bool:
    return key is None or (isinstance(key, float) and pd.isna(key)) or str(key).strip() == ""
