"""What a fetch leaves beside its data: fetch.json (every request, file hash, vintage and
licence) and wardmap.toml (the run, ready to go, with the attributions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wardmap.fetch.http import write_atomic
from wardmap.load.files import sha256


def file_entry(out: Path, path: Path, rows: int | None = None) -> dict[str, Any]:
    """A written file's path (relative to ``out``), size, sha256 and rows."""
    entry: dict[str, Any] = {"path": path.relative_to(out).as_posix(),
                             "bytes": path.stat().st_size, "sha256": sha256(path)}
    if rows is not None:
        entry["rows"] = rows
    return entry


def write_fetch_json(path: Path, record: dict[str, Any]) -> None:
    write_atomic(path, (json.dumps(record, indent=2, ensure_ascii=False, default=str)
                        + "\n").encode("utf-8"))


def write_run_toml(path: Path, *, area_name: str, code_col: str, name_col: str,
                   months: str | None, population: bool, attributions: list[str],
                   fetch: dict[str, Any]) -> None:
    """wardmap.toml for `wardmap run`: paths relative to it, so the folder can move."""
    lines = ["# Written by `wardmap fetch`; fetch.json lists every request and file hash.",
             "# Run it with: wardmap run wardmap.toml",
             "#", "# Attribution (keep it on maps and tables made from these data):"]
    lines += [f"#   {text}" for text in attributions]
    inputs: dict[str, Any] = {"boundaries": "boundaries.gpkg", "code_col": code_col,
                              "name_col": name_col, "incidents": ["police"]}
    if population:
        inputs |= {"population": "population.csv", "population_key_col": "Ward Code",
                   "population_col": "All Ages"}
    inputs["area_name"] = area_name
    lines += ["", *_table("inputs", inputs)]
    if months:
        lines += ["", *_table("filters", {"months": months})]
    lines += ["", *_table("output", {"out": "outputs"})]
    lines += ["", "# How these data were fetched: `wardmap fetch wardmap.toml --refresh` "
              "fetches them again.", *_table("fetch", fetch)]
    write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"))


def _table(name: str, values: dict[str, Any]) -> list[str]:
    return [f"[{name}]", *(f"{key} = {_value(v)}" for key, v in values.items()
                           if v is not None)]


def _value(value: Any) -> str:
    # JSON's string escapes are valid TOML basic strings; lists of strings likewise.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)
