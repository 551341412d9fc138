"""The output-folder guard: wardmap replaces only folders it wrote, and says so before working.

A run's folder is replaced as a whole (``wardmap.export.atomic_folder``), so replacing a folder
the analyst filled by hand would delete their files. The guard is checked before any input is
read (a bad ``--out`` fails in a second, not after the whole analysis) and again just before
the folder is replaced. A folder is wardmap's when it holds a manifest.json that a wardmap run
wrote; a manifest lists the files the run wrote, and a folder holding anything else (a report
saved into it afterwards) is not replaced either.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wardmap.errors import WardmapError

MANIFEST = "manifest.json"


class OutputFolderError(WardmapError):
    """The output folder cannot be (re)written without losing a file, or at all."""


def check_output_folder(out: str | Path | None, inputs: Iterable[str | Path] = ()) -> Path:
    """The output folder as a Path, once it is safe and possible to write it.

    Refused: an empty path; a path that is a file; a folder holding files wardmap did not
    write (no manifest.json of a wardmap run, or files its manifest does not list); a folder
    holding one of the ``inputs``; a place where no folder can be created (a parent that is a
    file, no write permission).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_folder(base / "new") == base / "new"
    True
    """
    if out is None or not str(out).strip():
        raise OutputFolderError("the output folder is empty: give one with --out DIR")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"--out {folder} is a file, not a folder: give a new folder "
                                "name (wardmap never replaces a file)")
    _check_no_inputs_inside(folder, inputs)
    if folder.is_dir():
        try:
            foreign = foreign_files(folder)
        except OSError as exc:
            raise OutputFolderError(f"cannot look inside --out {folder}: "
                                    f"{exc.strerror or exc}") from None
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                              if len(foreign) > 3 else "")
            raise OutputFolderError(
                f"--out {folder} holds files wardmap did not write ({shown}); a run replaces "
                "its whole output folder, so give a new folder or a previous wardmap output "
                "folder")
    _check_writable(folder)
    return folder


def foreign_files(folder: Path) -> list[str]:
    """Entries of ``folder`` that no wardmap run wrote there (empty for an empty folder)."""
    entries = sorted(p.name for p in folder.iterdir())
    if not entries:
        return []
    written = written_files(folder)
    if written is None:
        return entries
    return [name for name in entries if name not in written]


def written_files(folder: Path) -> set[str] | None:
    """The files a wardmap run's manifest says it wrote into ``folder``; None if not ours.

    Manifests written before the list existed ("files" absent) vouch for the whole folder.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or "wardmap" not in manifest or "inputs" not in manifest:
        return None
    files = manifest.get("files")
    if not isinstance(files, list):
        return {p.name for p in folder.iterdir()}
    return {str(f) for f in files} | {MANIFEST}


def _check_no_inputs_inside(folder: Path, inputs: Iterable[str | Path]) -> None:
    target = folder.resolve()
    for raw in inputs:
        if not raw:
            continue
        path = Path(raw).resolve()
        if path == target or target in path.parents:
            where = "is" if path == target else "holds"
            raise OutputFolderError(f"--out {folder} {where} the input {raw}: give another "
                                    "output folder")


def _check_writable(folder: Path) -> None:
    """Create (and remove) a probe folder where the run's temporary folder will go.

    A real attempt rather than os.access: access() says yes to root on a read-only mount.
    """
    parent = folder.absolute().parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(f"cannot write --out {folder}: {existing} is a file, not a "
                                "folder")
    try:
        probe = tempfile.mkdtemp(prefix=".wardmap-probe.", dir=existing)
    except OSError as exc:
        raise OutputFolderError(f"cannot write --out {folder}: {exc.strerror or exc} in "
                                f"{existing}") from None
    os.rmdir(probe)


def config_inputs(config: Any) -> list[str]:
    """The input paths a Config names (boundaries, incidents, tables, populations)."""
    inputs = config.inputs
    paths = [inputs.boundaries, *inputs.incidents, inputs.counts, inputs.population]
    return [str(p) for p in paths if p]
