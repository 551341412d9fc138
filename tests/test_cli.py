"""The command line as an analyst uses it: exit codes, one-line reasons, the output contract."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.helpers import POLICE_HEADER, grid_wards, police_csv
from wardmap import __version__
from wardmap.cli import cli

CONTRACT_FILES = {"wards.csv", "wards.gpkg", "summary.json", "accounting.json",
                  "manifest.json"}


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def inputs(tmp_path):
    """Six square wards, a police.uk CSV and a population table."""
    wards = tmp_path / "wards.geojson"
    grid_wards().to_crs("EPSG:4326").to_file(wards)
    rows = []
    centres = grid_wards().geometry.centroid.to_crs("EPSG:4326")
    for i, point in enumerate(centres):
        rows += [("2024-01", f"{point.x:.6f}", f"{point.y:.6f}", "Burglary")] * (i + 1)
    rows.append(("2024-02", "", "", "Drugs"))
    incidents = police_csv(tmp_path / "2024-01-kent-street.csv", rows)
    population = tmp_path / "pop.csv"
    population.write_text("Ward Code,Ward Name,All Ages\n" + "".join(
        f"W0{i},Ward {i},{1000 * i}\n" for i in range(1, 7)))
    return {"wards": str(wards), "incidents": str(incidents), "population": str(population)}


def test_version_and_help():
    assert invoke("--version").output.strip() == f"wardmap, version {__version__}"
    for command in ([], ["run"], ["demo"]):
        result = invoke(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_run_writes_the_contract(inputs, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "--boundaries", inputs["wards"], "--incidents", inputs["incidents"],
                    "--population", inputs["population"], "--permutations", "99",
                    "--no-maps", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= CONTRACT_FILES
    wards = pd.read_csv(out / "wards.csv")
    assert wards["incidents"].tolist() == [1, 2, 3, 4, 5, 6]
    rates_run = pd.read_csv(out / "wards.csv", dtype=str)
    assert rates_run["value"].str.contains(".", regex=False).all()  # smoothed rates analysed
    assert wards.columns[:3].tolist() == ["ward_code", "ward_name", "value"]
    assert wards["rate_per_1000"].round(6).tolist() == [1.0] * 6
    accounting = json.loads((out / "accounting.json").read_text())
    assert accounting["input_rows"] == 22 and accounting["missing_coordinates"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert {i["role"] for i in manifest["inputs"]} == {"boundaries", "incidents", "population"}
    assert manifest["seed"] == 12345 and manifest["packages"]["geopandas"]


def test_counts_analysed_stay_whole_numbers(inputs, tmp_path):
    out = tmp_path / "counts"
    result = invoke("run", "--boundaries", inputs["wards"], "--incidents", inputs["incidents"],
                    "--permutations", "99", "--no-maps", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "wards.csv", dtype=str)
    assert table["value"].tolist() == ["1", "2", "3", "4", "5", "6"]


def test_same_inputs_and_seed_give_identical_wards_csv(inputs, tmp_path):
    args = ["run", "--boundaries", inputs["wards"], "--incidents", inputs["incidents"],
            "--population", inputs["population"], "--seed", "7", "--no-maps"]
    invoke(*args, "--out", str(tmp_path / "a"))
    invoke(*args, "--out", str(tmp_path / "b"))
    first, second = (tmp_path / d / "wards.csv" for d in ("a", "b"))
    assert first.read_bytes() == second.read_bytes()


def test_config_file_with_flag_override(inputs, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(f'[inputs]\nboundaries = "{inputs["wards"]}"\n'
                      f'incidents = ["{inputs["incidents"]}"]\n'
                      '[filters]\ncrime_types = ["Drugs"]\n[output]\nout = "cfg-out"\n')
    result = invoke("run", str(config), "--crime-type", "Burglary", "--no-maps")
    assert result.exit_code == 0, result.output
    accounting = json.loads((tmp_path / "cfg-out" / "accounting.json").read_text())
    assert accounting["filtered_out"] == 1  # the Drugs record: the flag replaced the config


def test_failed_run_leaves_previous_outputs(inputs, tmp_path):
    out = tmp_path / "out"
    invoke("run", "--boundaries", inputs["wards"], "--incidents", inputs["incidents"],
           "--no-maps", "--out", str(out))
    before = (out / "wards.csv").read_bytes()
    result = invoke("run", "--boundaries", inputs["wards"], "--incidents", inputs["incidents"],
                    "--population", str(tmp_path / "missing.csv"), "--no-maps", "--out", str(out))
    assert result.exit_code == 2
    assert (out / "wards.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def _bad_inputs(tmp_path: Path, inputs: dict) -> dict[str, tuple[list[str], str]]:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    no_lon = tmp_path / "nolon.csv"
    no_lon.write_text(POLICE_HEADER.replace("Longitude,", "") + "\n,2024-01,K,K,51.2,x,,,"
                      "Drugs,,\n")
    text_coords = police_csv(tmp_path / "text.csv", [("2024-01", "east", "north", "Drugs")])
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes((POLICE_HEADER + "\n,2024-01,K,K,0.5,51.2,Caf\u00e9,,,Drugs,,\n")
                       .encode("cp1252"))
    points = tmp_path / "points.geojson"
    points.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                      '{"WD23CD":"A","WD23NM":"a"},"geometry":{"type":"Point",'
                      '"coordinates":[0.5,51.2]}}]}')
    bad_pop = tmp_path / "badpop.csv"
    bad_pop.write_text("Ward Name,All Ages\nNorth Ward,100\nSouth Ward,200\n")
    points_csv = tmp_path / "points.csv"
    points_csv.write_text("id,x,y\n1,570500,150500\n")
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text('[inputs]\nboundaries = "x"\ncolour = "red"\n')
    w, i = ["--boundaries", inputs["wards"]], ["--incidents", inputs["incidents"]]
    return {
        "missing file": (w + ["--incidents", str(tmp_path / "nope.csv")], "not found"),
        "empty csv": (w + ["--incidents", str(empty)], "empty file"),
        "no Longitude": (w + ["--incidents", str(no_lon)], "no Longitude column"),
        "text coordinates": (w + ["--incidents", str(text_coords)], "no row has numeric"),
        "cp1252": (w + ["--incidents", str(cp1252)], "not valid utf-8"),
        "no polygons": (["--boundaries", str(points)] + i, "holds no polygons"),
        "population names": (w + i + ["--population", str(bad_pop)], "match no ward"),
        "unknown toml key": ([str(bad_toml)], "unknown key 'inputs.colour'"),
        "neither input": (w, "give either incident records"),
        "bad months": (w + i + ["--months", "2024-13"], "expected a month as YYYY-MM"),
        "csv as boundaries": (["--boundaries", inputs["population"]] + i, "holds no geometry"),
        "unknown crs": (w + i + ["--crs", "NOTACRS"], "unknown CRS 'NOTACRS'"),
        "unknown points crs": (w + ["--incidents", str(points_csv), "--x-col", "x", "--y-col",
                                    "y", "--points-crs", "EPSG:99999"], "unknown CRS"),
        "distance band without distance": (w + i + ["--weights", "distance"],
                                           "need a positive 'distance'"),
    }


def test_bad_input_exits_2_with_one_line_reason(inputs, tmp_path):
    for case, (args, message) in _bad_inputs(tmp_path, inputs).items():
        result = CliRunner().invoke(cli, ["run", *args, "--no-maps", "--out",
                                          str(tmp_path / "o")])
        assert result.exit_code == 2, (case, result.output)
        assert message in result.output, (case, result.output)
        assert "Traceback" not in result.output, case
        assert result.output.count("\n") == 1, (case, result.output)


def test_console_script_in_a_real_process(inputs, tmp_path):
    wardmap = Path(sys.executable).with_name("wardmap")
    done = subprocess.run([str(wardmap), "run", "--boundaries", inputs["wards"],
                           "--incidents", str(tmp_path / "nope.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("wardmap: error: incident file not found")
    assert "Traceback" not in done.stderr


def test_focus_section_in_a_run_config_writes_focus_csv(inputs, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(f'[inputs]\nboundaries = "{inputs["wards"]}"\n'
                      f'incidents = ["{inputs["incidents"]}"]\n'
                      f'population = "{inputs["population"]}"\n'
                      '[focus]\nsize = 2\nindicators = ["Burglary count"]\n')
    result = invoke("run", str(config), "--no-maps", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    focus = pd.read_csv(tmp_path / "o" / "focus.csv")
    # W05 and W06 hold the most burglaries (5 and 6) and are neighbours
    assert focus["ward_codes"].iloc[0] == "W05;W06"


def test_run_takes_period_flags(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "p"
    result = invoke("run", "--boundaries", str(repo / "boundaries" / "demo_wards.geojson"),
                    "--incidents", str(repo / "data" / "demo_incidents"), "--period",
                    "rolling12", "--period-end", "2024-12", "--permutations", "99",
                    "--no-maps", "--out", str(out))
    assert result.exit_code == 0, result.output
    wards = pd.read_csv(out / "wards.csv")
    records = pd.concat(pd.read_csv(p) for p in (repo / "data" / "demo_incidents").glob("*.csv"))
    located = records.dropna(subset=["Longitude"])
    now = located["Month"].between("2024-01", "2024-12").sum()
    then = located["Month"].between("2023-01", "2023-12").sum()
    assert wards["incidents"].sum() == now
    assert wards["incidents_prev"].sum() == then  # the same months a year earlier
    summary = json.loads((out / "summary.json").read_text())
    assert summary["period"] == "Jan 2024 – Dec 2024"


def test_run_names_an_uncovered_period(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    result = CliRunner().invoke(cli, [
        "run", "--boundaries", str(repo / "boundaries" / "demo_wards.geojson"),
        "--incidents", str(repo / "data" / "demo_incidents"), "--period", "rolling12",
        "--period-end", "2026-06", "--no-maps", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "2026" in result.output


def test_header_only_incident_file_gives_an_empty_but_complete_run(inputs, tmp_path):
    header_only = tmp_path / "none.csv"
    header_only.write_text(POLICE_HEADER + "\n")
    out = tmp_path / "o"
    result = invoke("run", "--boundaries", inputs["wards"], "--incidents", str(header_only),
                    "--no-maps", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "hold no records" in result.output
    assert json.loads((out / "accounting.json").read_text())["input_rows"] == 0
    assert pd.read_csv(out / "wards.csv")["incidents"].sum() == 0


def test_permutations_zero_and_knn_weights(inputs, tmp_path):
    result = invoke("run", "--boundaries", inputs["wards"], "--incidents", inputs["incidents"],
                    "--weights", "knn", "--k", "2", "--permutations", "0", "--no-maps",
                    "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["weights"]["kind"] == "knn" and summary["permutations"] == 0


def test_demo_option_takes_the_other_flags(tmp_path):
    out = tmp_path / "f"
    result = invoke("focus", "--demo", "--size", "3", "--permutations", "99", "--public",
                    "--no-maps", "--out", str(out))
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["stats"]["permutations"] == 99
    assert manifest["parameters"]["output"]["public"] is True
    truth = json.loads((Path(__file__).resolve().parents[1] / "data" / "demo_truth.json")
                       .read_text())
    focus = pd.read_csv(out / "focus.csv")
    assert focus["ward_codes"].iloc[0] == ";".join(sorted(truth["hot_wards"]))
