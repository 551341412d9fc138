"""The same records given twice are counted once, and every one left out is accounted for."""

import json
import os
import zipfile

import pandas as pd

from tests.downloads.conftest import invoke
from tests.helpers import POLICE_HEADER
from wardmap.config import InputsConfig
from wardmap.load.duplicates import SeenFiles, repeated_ids
from wardmap.load.incidents import read_incidents

NOV, DEC = 1577, 1374


def _accounting(out):
    acc = json.loads((out / "accounting.json").read_text())
    statuses = ("assigned", "snapped", "outside", "missing_coordinates",
                "invalid_coordinates", "filtered_out", "duplicates")
    assert sum(acc[s] for s in statuses) == acc["input_rows"]
    return acc


def _run(wards_path, out, *incidents):
    args = [a for path in incidents for a in ("--incidents", path)]
    result = invoke("run", "--boundaries", wards_path, *args, "--no-maps",
                    "--permutations", 9, "--out", out)
    assert result.exit_code == 0, result.output
    return result


def test_folder_plus_a_file_inside_it_counts_each_record_once(police, wards_path, tmp_path):
    """Item 3: 4,528 records given, 2,951 counted, 1,577 duplicates."""
    result = _run(wards_path, tmp_path / "out", police, police / "2017-11-maidstone-street.csv")
    acc = _accounting(tmp_path / "out")
    assert acc["input_rows"] == 2 * NOV + DEC
    assert acc["assigned"] + acc["snapped"] == NOV + DEC
    assert acc["duplicates"] == NOV
    assert "given twice: read once" in result.output


def test_same_file_under_two_names_is_read_once(police, wards_path, tmp_path):
    copy = tmp_path / "renamed.csv"
    copy.write_bytes((police / "2017-12-maidstone-street.csv").read_bytes())
    result = _run(wards_path, tmp_path / "out", police / "2017-12-maidstone-street.csv", copy)
    assert _accounting(tmp_path / "out")["duplicates"] == DEC
    assert "is the same file as" in result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [i.get("duplicate_of") for i in manifest["inputs"] if i["role"] == "incidents"] == [
        None, str(police / "2017-12-maidstone-street.csv")]


def test_overlapping_downloads_read_the_newer_once(police, wards_path, tmp_path):
    """Two zips both holding 2017-11 (one re-exported later with a corrected row)."""
    nov = (police / "2017-11-maidstone-street.csv").read_text()
    older, newer = tmp_path / "older.zip", tmp_path / "newer.zip"
    with zipfile.ZipFile(older, "w") as z:
        z.writestr(zipfile.ZipInfo("2017-11/2017-11-kent-street.csv", (2018, 1, 5, 0, 0, 0)),
                   nov)
        z.write(police / "2017-12-maidstone-street.csv", "2017-12/2017-12-kent-street.csv")
    with zipfile.ZipFile(newer, "w") as z:
        z.writestr(zipfile.ZipInfo("2017-11/2017-11-kent-street.csv", (2018, 3, 1, 0, 0, 0)),
                   nov.rstrip("\n") + "\n" + nov.splitlines()[1] + "\n")
    result = _run(wards_path, tmp_path / "out", newer, older)
    acc = _accounting(tmp_path / "out")
    assert acc["duplicates"] == NOV  # the older copy of November
    assert acc["assigned"] + acc["snapped"] + acc["outside"] == NOV + 1 + DEC
    assert "from the newer" in result.output and "older.zip" in result.output


def test_identical_rows_inside_one_file_are_kept(police):
    """police.uk publishes identical ASB rows: never merged."""
    frame = pd.read_csv(police / "2017-11-maidstone-street.csv")
    identical = int(frame.duplicated().sum())
    assert identical > 300
    records, manifest = read_incidents([str(police / "2017-11-maidstone-street.csv")],
                                       InputsConfig())
    assert len(records) == NOV and manifest[0]["duplicates"] == 0


def test_a_repeated_crime_id_in_a_force_and_month_counts_once(tmp_path):
    rows = [("abc1", "2017-11", "Burglary"), ("abc1", "2017-11", "Burglary"),
            ("abc1", "2017-12", "Burglary"), ("", "2017-11", "Anti-social behaviour"),
            ("", "2017-11", "Anti-social behaviour")]
    lines = [POLICE_HEADER] + [f"{i},{m},Kent Police,Kent Police,0.52,51.27,On or near X,,,"
                               f"{t},," for i, m, t in rows]
    path = tmp_path / "2017-11-kent-street.csv"
    path.write_text("\n".join(lines) + "\n")
    records, manifest = read_incidents([str(path)], InputsConfig())
    assert len(records) == 4 and manifest[0]["duplicates"] == 1
    assert "repeat a Crime ID" in manifest[0]["warning"]


def test_duplicate_functions_work_per_file():
    seen = SeenFiles()
    assert seen.first_name("k", "a") is None and seen.first_name("k", "b") == "a"
    ids = pd.Series(["a", "a", None, None, "a"])
    force = pd.Series(["K"] * 5)
    month = pd.Series(["2017-11"] * 4 + ["2017-12"])
    assert repeated_ids(ids, force, month).tolist() == [False, True, False, False, False]


def test_macos_resource_forks_are_skipped_and_listed(police, wards_path, tmp_path):
    """Item 7: __MACOSX/._* in zips and ._* files in folders."""
    (police / "._2017-11-maidstone-street.csv").write_bytes(b"\x00\x05\x16\x07junk")
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(police / "2017-12-maidstone-street.csv", "2017-12/2017-12-kent-street.csv")
        z.writestr("__MACOSX/2017-12/._2017-12-kent-street.csv", b"\x00\x05\x16\x07")
    for given in (police, archive):
        out = tmp_path / f"out-{given.name}"
        result = _run(wards_path, out, given)
        assert "resource-fork" in result.output
        manifest = json.loads((out / "manifest.json").read_text())
        skipped = [i for i in manifest["inputs"] if i.get("skipped")]
        assert len(skipped) == 1 and skipped[0]["rows"] == 0
        assert _accounting(out)["input_rows"] == (NOV + DEC if given == police else DEC)
    assert os.path.exists(police / "._2017-11-maidstone-street.csv")


def test_a_transport_police_file_is_not_taken_for_an_overlap(tmp_path):
    """BTP's rows 'fall within' Kent Police: the publishing force ('Reported by') keys the
    month, so Kent's and BTP's files of one month are both read."""
    kent = [f"k{i},2017-11,Kent Police,Kent Police,0.52,51.27,On or near X,,,Burglary,,"
            for i in range(3)]
    btp = [f"b{i},2017-11,British Transport Police,Kent Police,0.52,51.27,On or near Station,"
           ",,Public order,," for i in range(2)]
    paths = []
    for name, lines in (("2017-11-kent-street.csv", kent), ("2017-11-btp-street.csv", btp)):
        path = tmp_path / name
        path.write_text("\n".join([POLICE_HEADER, *lines]) + "\n")
        paths.append(str(path))
    records, manifest = read_incidents(paths, InputsConfig())
    assert len(records) == 5 and all(m["duplicates"] == 0 for m in manifest)


def test_the_briefing_names_the_file_given_twice(police, wards_path, tmp_path):
    out = tmp_path / "out"
    result = invoke("brief", "--boundaries", wards_path, "--incidents", police, "--incidents",
                    police / "2017-12-maidstone-street.csv", "--no-maps", "--permutations", 9,
                    "--out", out)
    assert result.exit_code == 0, result.output
    html = (out / "briefing.html").read_text()
    assert "the same file as one above: read once" in html
    assert "1,374 duplicates" in html


def test_a_crime_id_repeated_in_a_later_block_of_the_file_counts_once(tmp_path, monkeypatch):
    """A large file is read a block at a time: an ID first read in one block and repeated
    in a later one is still counted once, and only in its own force and month."""
    from wardmap.load import stream

    rows = [f"id{i % 7},2017-{11 + i % 2},Kent Police,Kent Police,0.52,51.27,On or near X,,,"
            "Burglary,," for i in range(60)]
    path = tmp_path / "2017-kent-street.csv"
    path.write_text("\n".join([POLICE_HEADER, *rows]) + "\n")
    whole, manifest = read_incidents([str(path)], InputsConfig())
    monkeypatch.setattr(stream, "BLOCK_BYTES", 300)  # a few rows a block
    blocks, in_blocks = read_incidents([str(path)], InputsConfig())
    assert len(whole) == len(blocks) == 14  # 7 IDs, each in both months
    assert manifest[0]["duplicates"] == in_blocks[0]["duplicates"] == 46
    pd.testing.assert_frame_equal(whole.astype(str), blocks.astype(str))


def test_overlapping_downloads_give_the_same_counts_on_the_dask_engine(police, wards_path,
                                                                        tmp_path):
    """Every duplicate rule is applied by the dask engine too (one file per task)."""
    import pytest

    pytest.importorskip("dask.distributed")
    nov = (police / "2017-11-maidstone-street.csv").read_text()
    older, newer = tmp_path / "older", tmp_path / "newer"
    older.mkdir()
    newer.mkdir()
    (older / "2017-11-kent-street.csv").write_text(nov)
    lines = nov.rstrip("\n").splitlines()
    with_id = "id1" + lines[1]  # the shared months have no Crime IDs: one given twice
    (newer / "2017-11-kent-street.csv").write_text(
        "\n".join([*lines, with_id, with_id]) + "\n")
    os.utime(older / "2017-11-kent-street.csv", (1_500_000_000, 1_500_000_000))
    outs = []
    for engine in ("local", "dask"):
        out = tmp_path / engine
        args = ["--incidents", older, "--incidents", newer, "--engine", engine]
        if engine == "dask":
            args += ["--workers", "1"]
        result = invoke("run", "--boundaries", wards_path, *args, "--no-maps",
                        "--permutations", 9, "--out", out)
        assert result.exit_code == 0, result.output
        outs.append(out)
    local, dask = (_accounting(o) for o in outs)
    assert local == dask
    assert local["duplicates"] == NOV + 1  # the older November, and the repeated Crime ID
    assert (outs[0] / "wards.csv").read_bytes() == (outs[1] / "wards.csv").read_bytes()
