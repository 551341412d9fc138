"""The output-folder guard: no user file is ever deleted, a bad --out fails before the work."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.downloads.conftest import invoke
from wardmap.outfolder import OutputFolderError, check_output_folder


def _run(command, wards_path, police, out, *extra):
    return invoke(command, "--boundaries", wards_path, "--incidents", police, "--no-maps",
                  "--permutations", 9, "--out", out, *extra)


def test_a_folder_of_the_users_is_never_emptied(police, wards_path, tmp_path):
    """Item 2: --out mydocs holding report.docx keeps report.docx."""
    mydocs = tmp_path / "mydocs"
    mydocs.mkdir()
    (mydocs / "report.docx").write_bytes(b"the analyst's report")
    result = _run("run", wards_path, police, mydocs)
    assert result.exit_code == 2
    assert "holds files wardmap did not write (report.docx)" in result.output
    assert (mydocs / "report.docx").read_bytes() == b"the analyst's report"


def test_out_at_the_input_folder_is_refused(police, wards_path):
    before = sorted(p.name for p in police.iterdir())
    result = _run("run", wards_path, police, police)
    assert result.exit_code == 2 and "is the input" in result.output
    assert sorted(p.name for p in police.iterdir()) == before


def test_out_at_an_existing_file_is_refused(police, wards_path, tmp_path):
    existing = tmp_path / "existing.csv"
    existing.write_text("a,b\n1,2\n")
    result = _run("run", wards_path, police, existing)
    assert result.exit_code == 2 and "is a file, not a folder" in result.output
    assert existing.read_text() == "a,b\n1,2\n"
    assert not list(tmp_path.glob(".existing.csv*"))


def test_a_file_saved_into_a_previous_output_folder_survives(police, wards_path, tmp_path):
    out = tmp_path / "out"
    assert _run("run", wards_path, police, out).exit_code == 0
    assert "wards.csv" in json.loads((out / "manifest.json").read_text())["files"]
    assert _run("run", wards_path, police, out).exit_code == 0  # ours: replaced
    (out / "notes.txt").write_text("mine")
    result = _run("run", wards_path, police, out)
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert (out / "notes.txt").read_text() == "mine"


def test_each_command_has_its_own_default_folder(police, wards_path, tmp_path, monkeypatch):
    """Item 2: focus after brief (default folders) keeps briefing.docx."""
    monkeypatch.chdir(tmp_path)
    for command in ("brief", "focus", "clusters", "run"):
        result = invoke(command, "--boundaries", wards_path, "--incidents", police,
                        "--no-maps", "--permutations", 9)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "outputs" / "brief" / "briefing.docx").is_file()
    assert (tmp_path / "outputs" / "focus" / "focus.csv").is_file()
    assert (tmp_path / "outputs" / "clusters" / "clusters.csv").is_file()
    assert (tmp_path / "outputs" / "run" / "wards.csv").is_file()


@pytest.mark.parametrize("out", ["", "parent-file/out"])
def test_unwritable_output_fails_before_reading_inputs(tmp_path, out, monkeypatch):
    """Item 5: checked before the work: the inputs do not even exist here."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "parent-file").write_text("x")
    result = invoke("run", "--boundaries", "missing.geojson", "--incidents", "missing.csv",
                    "--out", out)
    assert result.exit_code == 2
    assert "unexpected" not in result.output and "missing.geojson" not in result.output
    assert "output folder is empty" in result.output or "is a file" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_parent_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(OutputFolderError, match="cannot write"):
            check_output_folder(locked / "out")
    finally:
        locked.chmod(0o755)


def test_sigterm_leaves_no_temporary_folder(police, wards_path, tmp_path):
    """Item 2: SIGTERM while writing removes the .out.XXXX folder; the old outputs stay."""
    out = tmp_path / "out"
    assert _run("run", wards_path, police, out).exit_code == 0
    before = (out / "wards.csv").read_bytes()
    command = [sys.executable, "-m", "wardmap", "run", "--boundaries", str(wards_path),
               "--incidents", str(police), "--permutations", "9", "--out", str(out)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.*")) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    if process.poll() is not None:
        pytest.skip("the run finished before it could be stopped")
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    if code == 0:
        pytest.skip("the run finished as it was being stopped")
    assert code == 128 + signal.SIGTERM
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert (out / "wards.csv").read_bytes() == before


def test_guard_accepts_new_and_empty_folders(tmp_path):
    assert check_output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    (tmp_path / "empty").mkdir()
    assert check_output_folder(tmp_path / "empty") == tmp_path / "empty"
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_a_place_that_refuses_writing_fails_before_reading(tmp_path, monkeypatch):
    """Item 5 as root sees it: the probe folder cannot be made (read-only mount)."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    result = invoke("run", "--boundaries", tmp_path / "missing.geojson", "--incidents",
                    tmp_path / "missing.csv", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "cannot write --out" in result.output and "Read-only file system" in result.output


def test_a_stop_rewrapped_by_library_code_is_still_a_stop(monkeypatch):
    """SIGTERM raised inside a library that turns SystemExit into its own error: exit 143,
    not 'unexpected error'."""
    from wardmap import export
    from wardmap.cli import reports_errors

    @reports_errors
    def command():
        raise RuntimeError("writer failed: SystemExit(143)")

    monkeypatch.setattr(export, "_STOPPED", [143])
    with pytest.raises(SystemExit) as stopped:
        command()
    assert stopped.value.code == 143
