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


def write_ods(path: Path, rows: list[list[object]]) -> Path:
    """A minimal OpenDocument spreadsheet (one sheet of text cells), as LibreOffice saves:
    no writer package needed."""
    import zipfile
    from xml.sax.saxutils import escape

    cells = "".join(
        "<table:table-row>" + "".join(
            '<table:table-cell office:value-type="string"><text:p>'
            f"{escape(str(v))}</text:p></table:table-cell>" for v in row)
        + "</table:table-row>" for row in rows)
    office = "urn:oasis:names:tc:opendocument:xmlns"
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               f'xmlns:office="{office}:office:1.0" xmlns:table="{office}:table:1.0" '
               f'xmlns:text="{office}:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Sheet1">{cells}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = (f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                f'xmlns:manifest="{office}:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path
