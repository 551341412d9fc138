"""Real downloads as analysts have them: the two shared police.uk months, copied and altered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from wardmap.cli import cli


def invoke(*args: str):
    """Run the command line in-process; exceptions become exit codes as for a user."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def shifted_copy(source: Path, target: Path, old: str, new: str) -> Path:
    """A police.uk CSV with every Month ``old`` (YYYY-MM) written as ``new``."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    out = [lines[0]] + [line.replace(f",{old},", f",{new},", 1) for line in lines[1:]]
    target.write_text("".join(out), encoding="utf-8")
    return target


@pytest.fixture
def police(shared_data, tmp_path) -> Path:
    """A folder holding the two shared months (2017-11, 2017-12)."""
    folder = tmp_path / "police"
    folder.mkdir()
    for csv in sorted((shared_data / "police").glob("*.csv")):
        shutil.copy(csv, folder / csv.name)
    return folder


@pytest.fixture
def wards_path(shared_data) -> Path:
    return shared_data / "boundaries" / "maidstone_wards_2013.geojson"
