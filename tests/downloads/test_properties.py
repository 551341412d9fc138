"""Property-based tests over the incident loaders and the command line (hypothesis).

Generated police.uk-like downloads (month gaps, encodings, delimiters, blank and junk rows,
duplicated rows and files, repeated Crime IDs, overlapping months, bad coordinates, odd
months) must keep the invariants: exit code 0 or 2 (never a traceback); accounting adds up to
the input rows; no record counted twice; a previous output folder survives any failure.

CI runs the short "ci" profile; WARDMAP_HYPOTHESIS=long runs many more examples locally.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from tests.helpers import POLICE_HEADER, grid_wards
from wardmap.aggregate import STATUSES, place_records
from wardmap.cli import cli
from wardmap.config import Config
from wardmap.errors import WardmapError
from wardmap.load.incidents import read_incidents

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
PROFILE = os.environ.get("WARDMAP_HYPOTHESIS", "ci")

TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
# The grid's wards span x 570,000-573,000 and y 150,000-152,000 (British National Grid).
MONTHS = [f"{y}-{m:02d}" for y in (2016, 2017) for m in range(1, 13)]
TYPES = ["Burglary", "BURGLARY", "Burglary ", "Anti-social behaviour", "Drugs",
         "Violence and sexual offences", "Fly tipping"]


@dataclass(frozen=True)
class Row:
    crime_id: str
    month: str
    lon: str
    lat: str
    crime_type: str
    force: str = "Kent Police"

    def line(self, sep: str) -> str:
        cells = [self.crime_id, self.month, self.force, self.force, self.lon, self.lat,
                 "On or near Parc £", "", "", self.crime_type, "", ""]
        return sep.join(cells)


@st.composite
def coordinates(draw) -> tuple[str, str]:
    kind = draw(st.sampled_from(["inside"] * 6 + ["near", "far", "empty", "junk", "swapped",
                                                  "zero", "range"]))
    x = draw(st.floats(569_900, 573_100))
    y = draw(st.floats(149_900, 152_100))
    lon, lat = TO_LONLAT.transform(x, y)
    if kind == "inside":
        lon, lat = TO_LONLAT.transform(draw(st.floats(570_001, 572_999)),
                                       draw(st.floats(150_001, 151_999)))
    return {
        "inside": (f"{lon:.6f}", f"{lat:.6f}"), "near": (f"{lon:.6f}", f"{lat:.6f}"),
        "far": ("-1.5", "53.0"), "empty": ("", ""), "junk": ("abc", "51.2"),
        "swapped": (f"{lat:.6f}", f"{lon:.6f}"), "zero": ("0", "0"), "range": ("200", "95"),
    }[kind]


@st.composite
def rows(draw, month: str) -> Row:
    lon, lat = draw(coordinates())
    return Row(crime_id=draw(st.sampled_from(["", "", "", "id1", "id2", "id3"])),
               month=draw(st.sampled_from([month] * 30 + ["", "2017-13"])),
               lon=lon, lat=lat, crime_type=draw(st.sampled_from(TYPES)),
               force=draw(st.sampled_from(["Kent Police"] * 5 + ["Essex Police"])))


@dataclass
class Download:
    name: str
    rows: list[Row]
    sep: str = ","
    encoding: str = "utf-8"
    blank_lines: int = 0
    junk: bool = False
    modified: int = 0

    def data(self) -> bytes:
        lines = [POLICE_HEADER.replace(",", self.sep)] + [r.line(self.sep) for r in self.rows]
        lines += [""] * self.blank_lines
        if self.junk:
            lines.insert(1, "this is not a record")
        return ("\n".join(lines) + "\n").encode(self.encoding)


@st.composite
def downloads(draw) -> list[Download]:
    """A few monthly files (gaps between months), some overlapping, some given twice."""
    months = sorted(draw(st.sets(st.sampled_from(MONTHS), min_size=1, max_size=4)))
    files = []
    for i, month in enumerate(months):
        chosen = draw(st.lists(rows(month), min_size=0, max_size=25))
        if chosen and draw(st.booleans()):
            chosen += chosen[: draw(st.integers(1, len(chosen)))]  # identical rows
        files.append(Download(
            name=f"{month}-{i}-kent-street.csv", rows=chosen,
            sep=draw(st.sampled_from([","] * 8 + [";"])),
            encoding=draw(st.sampled_from(["utf-8"] * 8 + ["utf-8-sig", "cp1252"])),
            blank_lines=draw(st.integers(0, 2)), junk=draw(st.booleans()) and
            draw(st.booleans()) and draw(st.booleans()), modified=1_500_000_000 + i))
    if draw(st.booleans()):  # an overlapping, later download of one month
        base = draw(st.sampled_from(files))
        extra = draw(st.lists(rows(base.rows[0].month if base.rows else months[0]),
                              max_size=5))
        files.append(Download(f"again-{base.name}", base.rows + extra, modified=
                              1_600_000_000 + draw(st.integers(-200_000_000, 0))))
    return files


def write(files: list[Download], folder: Path) -> list[str]:
    """Write the files; some are given twice (the same path, or a renamed copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for download in files:
        path = folder / download.name
        path.write_bytes(download.data())
        os.utime(path, (download.modified, download.modified))
        paths.append(str(path))
    return paths


def expected_counted(files: list[Download], given: list[str]) -> int:
    """Records counted once, by an independent model of the duplicate rules."""
    by_path = {str(Path(p).name): f for f, p in zip(files, given[: len(files)], strict=False)}
    seen, distinct = set(), []
    for path in given:
        download = by_path[Path(path).name]
        content = download.data()
        if content not in seen:
            seen.add(content)
            distinct.append(download)
    newest: dict[tuple[str, str], int] = {}
    for i, download in enumerate(distinct):
        for row in download.rows:
            if row.month:
                best = newest.get((row.force, row.month))
                if best is None or download.modified >= distinct[best].modified:
                    newest[(row.force, row.month)] = i
    counted = 0
    for i, download in enumerate(distinct):
        ids = set()
        for row in download.rows:
            if row.month and newest[(row.force, row.month)] != i:
                continue
            key = (row.crime_id, row.force, row.month)
            if row.crime_id and key in ids:
                continue
            ids.add(key)
            counted += 1
    return counted


def readable(files: list[Download]) -> bool:
    """Whether every file is one the reader should accept (otherwise: exit 2)."""
    return all(not f.junk and not (f.encoding == "cp1252" and f.rows)
               and all(r.month != "2017-13" for r in f.rows)
               # every coordinate text, not a number: the wrong columns, an error
               and not (f.rows and all(r.lon == "abc" for r in f.rows)) for f in files)


@pytest.fixture(scope="module")
def wards_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wards") / "wards.geojson"
    grid_wards().to_crs("EPSG:4326").to_file(path)
    return path


@settings(settings.get_profile(PROFILE), max_examples=settings.get_profile(PROFILE)
          .max_examples * 3)
@given(files=downloads(), twice=st.booleans(), block=st.sampled_from([None, 300, 1000]))
def test_loader_accounts_for_every_row_once(files, twice, block, tmp_path_factory, wards_file):
    """Whatever the block of rows the files are read in (None: the default, a file a block),
    every row is counted once as the model of the duplicate rules says."""
    from wardmap.load import stream

    folder = tmp_path_factory.mktemp("in")
    given = write(files, folder)
    if twice:
        given.append(given[0])
    config = Config()
    try:
        with pytest.MonkeyPatch.context() as patch:
            if block:
                patch.setattr(stream, "BLOCK_BYTES", block)
            records, manifest = read_incidents(given, config.inputs)
    except WardmapError:
        assert not readable(files)
        return
    assert readable(files)
    given_rows = sum(len(f.rows) for f in files) + (len(files[0].rows) if twice else 0)
    incidents = [m for m in manifest if m.get("format") != "skipped"]
    assert sum(m["rows"] for m in incidents) == given_rows
    duplicates = sum(m["duplicates"] for m in incidents)
    assert len(records) == given_rows - duplicates == expected_counted(files, given)
    from wardmap.load.boundaries import read_boundaries

    wards, _ = read_boundaries(wards_file)
    placed = place_records(records, wards, config)
    assert sum(placed.accounting[s] for s in STATUSES) == placed.accounting["input_rows"]


@settings(settings.get_profile(PROFILE))
@given(files=downloads(), folder_too=st.booleans(), public=st.booleans())
def test_cli_invariants(files, folder_too, public, tmp_path_factory, wards_file):
    base = tmp_path_factory.mktemp("run")
    given = write(files, base / "police")
    if folder_too:
        given.append(str(base / "police"))
    out = base / "out"
    out.mkdir()
    (out / "wards.csv").write_text("previous\n")
    (out / "manifest.json").write_text(json.dumps(
        {"wardmap": "0", "inputs": [], "files": ["wards.csv"]}))
    args = ["run", "--boundaries", str(wards_file), "--no-maps", "--permutations", "0",
            "--out", str(out)] + [a for p in given for a in ("--incidents", p)]
    result = CliRunner().invoke(cli, args + (["--public"] if public else []))
    assert result.exit_code in (0, 2), result.output
    event(f"exit {result.exit_code}")
    assert "unexpected" not in result.output and "Traceback" not in result.output
    if result.exit_code == 2:
        assert (out / "wards.csv").read_text() == "previous\n"  # the old outputs survive
        assert not [p for p in base.iterdir() if p.name.startswith(".")]
        return
    accounting = json.loads((out / "accounting.json").read_text())
    statuses = sum(accounting[s] for s in (*STATUSES, "duplicates"))
    assert statuses == accounting["input_rows"]
    given_rows = sum(len(f.rows) for f in files) * (2 if folder_too else 1)
    assert accounting["input_rows"] == given_rows
    counted = accounting["input_rows"] - accounting["duplicates"]
    assert counted == expected_counted(files, given[: len(files)])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["incidents"] <= accounting["assigned"] + accounting["snapped"]


@settings(settings.get_profile(PROFILE), max_examples=settings.get_profile(PROFILE)
          .max_examples * 2)
@given(listed=st.sets(st.sampled_from(["wards.csv", "map.png", "briefing.docx"]), max_size=3),
       present=st.sets(st.sampled_from(["wards.csv", "map.png", "briefing.docx", "report.docx",
                                        "notes.txt"]), max_size=4),
       ours=st.booleans())
def test_the_guard_replaces_only_what_wardmap_wrote(listed, present, ours, tmp_path_factory):
    """A folder is replaced only when every file in it is one a wardmap run listed."""
    from wardmap.export import atomic_folder
    from wardmap.outfolder import OutputFolderError

    out = tmp_path_factory.mktemp("guard") / "out"
    out.mkdir()
    for name in present:
        (out / name).write_text(name)
    if ours:
        (out / "manifest.json").write_text(json.dumps(
            {"wardmap": "0", "inputs": [], "files": sorted(listed)}))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    foreign = set(present) - (set(listed) if ours else set())
    try:
        with atomic_folder(out) as tmp:
            (tmp / "wards.csv").write_text("new")
    except OutputFolderError:
        assert foreign
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        return
    assert not foreign
    assert (out / "wards.csv").read_text() == "new"
