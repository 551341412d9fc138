"""Ward-level tables (partner data, population estimates) from CSV or XLSX, keyed by ward
code or name and aligned to the boundaries' ward codes."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from wardmap.align import match_keys, name_key
from wardmap.errors import InputError
from wardmap.load.files import (
    check_encoding,
    columns_note,
    existing_file,
    sha256,
    sheet_with_header,
    sniff_delimiter,
)

_KEY_NAMES = ("ward code", "ward_code", "code", "ward name", "ward_name", "ward", "name")
# How published tables mark a value withheld for disclosure control (NHS and police "*", ONS
# "c" and "x", "<5"): read as no value, and reported, never as an error or a zero.
SUPPRESSED_MARKERS = frozenset({"*", "**", "c", "x", "<5", "< 5", "<3", "<10"})
_POPULATION_NAMES = ("all ages", "all_ages", "population", "total", "usual residents",
                     "residents", "pop")


@dataclass
class WardValues:
    """A numeric column aligned to ward codes, and what was learned reading it."""

    values: pd.Series  # float, indexed by ward_code; wards missing from the table are NaN
    manifest: dict[str, object]
    warnings: list[str] = field(default_factory=list)
    # The table's rows: input_rows = matched + no_value + outside (accounting.json).
    accounting: dict[str, int] = field(default_factory=dict)


def read_table(path: str | Path, encoding: str = "utf-8") -> pd.DataFrame:
    """A CSV or XLSX as text-preserving DataFrame (codes keep leading zeros)."""
    path = existing_file(path, "table", folder_ok=False)
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        # openpyxl for xlsx (as before); python-calamine for old .xls and OpenDocument .ods.
        engine = "openpyxl" if path.suffix.lower() in {".xlsx", ".xlsm"} else "calamine"
        try:
            sheets = pd.read_excel(path, dtype=object, engine=engine, header=None,
                                   sheet_name=None)
        except Exception as exc:  # openpyxl raises zipfile/XML/KeyError types for bad files
            raise InputError(f"cannot read spreadsheet {path}: {exc}") from None
        return _ward_sheet(sheets, path)
    data = path.read_bytes()
    check_encoding(data, str(path), encoding)
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, encoding=encoding, engine="pyarrow",
                            sep=sniff_delimiter(data, encoding))
    except Exception as exc:  # pyarrow's CSV errors: malformed rows, no columns
        raise InputError(f"cannot parse CSV {path}: {str(exc).splitlines()[0]}") from None
    if frame.columns.size == 0:
        raise InputError(f"{path}: no columns")
    return frame


def _ward_sheet(sheets: dict[str, pd.DataFrame], path: Path) -> pd.DataFrame:
    """The first sheet with a ward table, under any title rows: published workbooks (ONS
    population estimates) open with a contents or notes sheet and put a title, notes and blank
    rows above the header, which is the first row naming a ward key ("Ward Code", ...)."""
    sheets = {name: sheet for name, sheet in sheets.items() if not sheet.empty}
    if not sheets:
        raise InputError(f"{path}: every sheet is empty")
    for sheet in sheets.values():
        for i, row in sheet.head(30).iterrows():
            cells = {re.sub(r"[\s\d]+$", "", str(v)).strip().lower() for v in row.dropna()}
            if cells & set(_KEY_NAMES):
                return sheet_with_header(sheet, int(i))
    return sheet_with_header(next(iter(sheets.values())), 0)


def read_ward_values(
    path: str | Path,
    wards: pd.DataFrame,
    value_col: str | None,
    key_col: str | None = None,
    what: str = "value",
    encoding: str = "utf-8",
    value_names: tuple[str, ...] = (),
    value_flag: str = "--value-col",
) -> WardValues:
    """One numeric column of a ward-level table, as a float Series indexed by ward_code.

    Rows for areas outside the boundaries are counted and reported (a county-wide table is
    normal); a ward the table does not mention gets NaN and a warning.
    """
    table = read_table(path, encoding)
    key = _key_column(table, key_col, wards, f"{what} key", path)
    value = _column(table, value_col, value_names, what, path, value_flag)
    marked = table[value].astype(str).str.strip().str.lower().isin(SUPPRESSED_MARKERS)
    numbers = _numeric(table[value].mask(marked), f"{Path(path).name} column {value!r}",
                       table[key])
    keys = table[key].astype(str).str.strip()
    dup = keys[keys.duplicated(keep=False)]
    if not dup.empty:
        raise InputError(f"{Path(path).name}: {dup.iloc[0]!r} appears {len(dup)} times in "
                         f"column {key!r}; keep one row per ward")
    matching = match_keys(keys, wards, f"{Path(path).name}", allow_unknown=True)
    mapped = keys.map(matching.codes)
    values = pd.Series(numbers.to_numpy(), index=mapped).loc[mapped.notna().to_numpy()]
    values = values.reindex(wards["ward_code"]).astype(float)
    withheld = sorted(set(mapped[marked.to_numpy()].dropna()))
    absent = [c for c in values.index[values.isna()] if c not in set(withheld)]
    name = Path(path).name
    if matching.unknown and (absent or len(matching.unknown) == len(keys)):
        # Rows that match nothing while wards go without a value: a naming mismatch.
        notes = "; ".join(note for _, note in matching.unknown[:3])
        raise InputError(f"{name}: {len(matching.unknown)} row(s) match no ward: {notes}")
    warnings = list(matching.near_misses)
    if matching.unknown:
        warnings.append(f"{name}: {len(matching.unknown)} row(s) are for areas outside these "
                        f"boundaries and were left out, e.g. {matching.unknown[0][0]!r}")
    if absent:
        warnings.append(f"{name}: no {what} for {len(absent)} ward(s): "
                        f"{ward_names(wards, absent)}")
    if withheld:
        warnings.append(f"{name}: {len(withheld)} ward value(s) withheld in the table "
                        f"(suppressed small numbers) and left empty: "
                        f"{ward_names(wards, withheld)}")
    manifest = {"path": str(path), "rows": len(table), "sha256": sha256(Path(path)),
                "key_col": key, "value_col": value}
    ward = mapped.notna().to_numpy()
    given = numbers.notna().to_numpy()
    accounting = {"input_rows": len(table), "matched": int((ward & given).sum()),
                  "no_value": int((ward & ~given).sum()), "outside": int((~ward).sum())}
    return WardValues(values, manifest, warnings, accounting)


def read_population(path: str | Path, wards: pd.DataFrame, value_col: str | None = None,
                    key_col: str | None = None, encoding: str = "utf-8") -> WardValues:
    """Residents per ward (ONS ward estimates: 'Ward Code', 'Ward Name', 'All Ages')."""
    result = read_ward_values(path, wards, value_col, key_col, "population", encoding,
                              _POPULATION_NAMES, "--population-col")
    negative = result.values[result.values < 0]
    if not negative.empty:
        raise InputError(f"{Path(path).name}: population is negative for ward "
                         f"{ward_names(wards, list(negative.index))}")
    zero = result.values.index[result.values == 0].tolist()
    if zero:
        result.warnings.append(f"{Path(path).name}: population is 0 for {len(zero)} ward(s): "
                               f"{ward_names(wards, zero)}; they get no rate")
    if zero or result.values.isna().any():
        result.warnings.append("without a population for every ward, rates are not compared: "
                               "the run analyses counts (--measure auto)")
    return result


def ward_names(wards: pd.DataFrame, codes: list[str], limit: int = 5) -> str:
    """ "Allington (E05004982), Bearsted (E05004983) and 2 more": wards named for a message."""
    names = dict(zip(wards["ward_code"], wards["ward_name"], strict=True))
    shown = [f"{names.get(c, c)} ({c})" if names.get(c, c) != c else str(c)
             for c in codes[:limit]]
    more = f" and {len(codes) - limit} more" if len(codes) > limit else ""
    return ", ".join(shown) + more


def _column(table: pd.DataFrame, given: str | None, names: tuple[str, ...], what: str,
            path: str | Path, flag: str) -> str:
    columns = [str(c) for c in table.columns]
    if given is not None:
        if given not in columns:
            raise InputError(f"{Path(path).name}: no column {given!r} for the {what} "
                             f"{columns_note(columns)}")
        return given
    lower = {c.lower().strip(): c for c in columns}
    for name in names:
        if name in lower:
            return lower[name]
    raise InputError(f"{Path(path).name}: cannot tell which column holds the {what}; name it "
                     f"with {flag} {columns_note(columns)}")


def _key_column(table: pd.DataFrame, given: str | None, wards: pd.DataFrame, what: str,
                path: str | Path) -> str:
    """The named key column, or the one whose values best match ward codes, then names."""
    if given is not None:
        return _column(table, given, (), what, path, "")
    codes = set(wards["ward_code"])
    names = {name_key(n) for n in wards["ward_name"]}
    best, best_share = None, 0.5
    for column in table.columns:
        values = table[column].dropna().astype(str).str.strip()
        if values.empty:
            continue
        share = max(values.isin(codes).mean(), values.map(name_key).isin(names).mean())
        if share > best_share:
            best, best_share = column, share
    if best is None:  # nothing matches: fall back on the column's name, and report the keys
        lower = {str(c).lower().strip(): str(c) for c in table.columns}
        best = next((lower[n] for n in _KEY_NAMES if n in lower), None)
    if best is None:
        raise InputError(f"{Path(path).name}: no column holds the ward codes or names of these "
                         f"boundaries; name it with --key-col {columns_note(table.columns)}")
    return str(best)


def _numeric(values: pd.Series, what: str, keys: pd.Series) -> pd.Series:
    """Numbers as published: '12,345' and ' 7 ' are fine; other text is an error."""
    text = values.astype(str).str.replace(",", "", regex=False).str.strip()
    blank = values.isna() | text.isin(["", "nan", "None"])
    numbers = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"{what}: {values.iloc[i]!r} for {keys.iloc[i]!r} is not a number")
    return numbers.astype(float)
