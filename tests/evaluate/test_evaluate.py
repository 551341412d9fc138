"""wardmap evaluate: WDD and its test, areas, verdicts, files, suppression and errors."""

import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from tests.evaluate.borough import START, TARGET, buffer_wards, months, write_borough
from wardmap.cli import cli
from wardmap.evaluate import suppressed, wdd


def test_wdd_hand_worked_example():
    # Hand-worked from the formulas of Wheeler and Ratcliffe (2018), "A simple weighted
    # displacement difference test to evaluate place based crime interventions", Crime
    # Science 7:11 (WDD = dT - dCt + dD - dCd; Var = the sum of the eight counts); the
    # figures are ours, not the paper's:
    #   target 100 -> 70, its control 80 -> 88, buffer 50 -> 60, its control 40 -> 42
    #   WDD = (70 - 100) - (88 - 80) + (60 - 50) - (42 - 40) = -30 - 8 + 10 - 2 = -30
    #   Var = 100 + 70 + 80 + 88 + 50 + 60 + 40 + 42 = 530
    #   z = -30 / sqrt(530) = -1.3031; p = 2 * Phi(-1.3031) = 0.1925
    result = wdd((100, 70), (80, 88), (50, 60), (40, 42))
    assert result["estimate"] == -30
    assert result["variance"] == 530
    assert result["z"] == pytest.approx(-1.30312, abs=1e-5)
    assert result["p"] == pytest.approx(2 * norm.cdf(-30 / math.sqrt(530)), rel=1e-12)
    assert result["p"] == pytest.approx(0.1925, abs=5e-4)


def test_wdd_weights_scale_the_control_and_its_variance():
    result = wdd((100, 70), (1000, 1100), control_weight=0.1)
    assert result["estimate"] == pytest.approx(-30 - 0.1 * 100)
    assert result["variance"] == pytest.approx(170 + 0.01 * 2100)


def _run(tmp_path, *extra, target_factor=1.0, buffer_factor=1.0, seed=7):
    boundaries, incidents, counts = write_borough(tmp_path, target_factor, buffer_factor,
                                                  seed=seed)
    out = tmp_path / "out"
    args = ["evaluate", "--boundaries", str(boundaries), "--incidents", str(incidents),
            "--start", START, "--out", str(out), *extra]
    for ward in TARGET:
        args += ["--target", ward]
    result = CliRunner().invoke(cli, args)
    return result, out, counts


def _direct(counts):
    """Before/after totals per area from the planted counts, and the WDD by hand."""
    codes = [f"W{i + 1:02d}" for i in range(counts.shape[0])]
    all_months = months()
    after = all_months.index(START)
    before = slice(after - 12, after)
    later = slice(after, after + 12)
    buffer = buffer_wards()
    groups = {"target": TARGET, "buffer": buffer,
              "control": [c for c in codes if c not in TARGET + buffer]}
    totals = {}
    for area, members in groups.items():
        rows = [codes.index(c) for c in members]
        totals[area] = (int(counts[rows, before].sum()), int(counts[rows, later].sum()))
    (t0, t1), (d0, d1), (c0, c1) = totals["target"], totals["buffer"], totals["control"]
    a, b = t0 / c0, d0 / c0
    estimate = (t1 - t0) + (d1 - d0) - (a + b) * (c1 - c0)
    variance = t0 + t1 + d0 + d1 + (a + b) ** 2 * (c0 + c1)
    return totals, estimate, variance


def test_planted_fall_with_displacement(tmp_path):
    result, out, counts = _run(tmp_path, "--no-maps", target_factor=0.7, buffer_factor=1.15)
    assert result.exit_code == 0, result.output
    evaluation = json.loads((out / "evaluation.json").read_text())
    totals, estimate, variance = _direct(counts)
    for area in ("target", "buffer", "control"):
        assert (evaluation[area]["before"], evaluation[area]["after"]) == totals[area]
    assert evaluation["buffer"]["wards"] == buffer_wards()
    assert evaluation["target"]["change_pct"] == pytest.approx(-30, abs=4)
    assert evaluation["buffer"]["change_pct"] == pytest.approx(15, abs=4)
    assert abs(evaluation["control"]["change_pct"]) < 3
    assert evaluation["wdd"]["estimate"] == pytest.approx(estimate, rel=1e-12)
    assert evaluation["wdd"]["variance"] == pytest.approx(variance, rel=1e-12)
    assert evaluation["wdd"]["z"] == pytest.approx(estimate / math.sqrt(variance), rel=1e-12)
    assert evaluation["wdd"]["estimate"] < 0
    assert evaluation["target"]["vs_control"]["p"] < 0.001
    assert evaluation["buffer"]["vs_control"]["estimate"] > 0
    assert evaluation["buffer"]["vs_control"]["p"] < 0.05
    assert evaluation["displacement"] == "reduction with displacement"
    assert "reduction with displacement" in evaluation["summary"]
    assert "fell 3" in evaluation["summary"]
    series = evaluation["monthly"]
    assert len(series["months"]) == 24 and series["months"][12] == START
    assert sum(series["target"][:12]) == totals["target"][0]
    assert (out / "wards.csv").is_file()
    assert "evaluation: " in result.output


def test_no_planted_change_is_no_measurable_effect(tmp_path):
    result, out, _ = _run(tmp_path, "--no-maps")
    assert result.exit_code == 0, result.output
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["displacement"] == "no measurable effect"
    assert evaluation["target"]["vs_control"]["p"] >= 0.05
    assert not (out / "evaluation.png").exists()


def test_displacement_exceeding_the_reduction(tmp_path):
    result, out, _ = _run(tmp_path, "--no-maps", target_factor=0.7, buffer_factor=1.4)
    assert result.exit_code == 0, result.output
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["wdd"]["estimate"] > 0
    assert evaluation["displacement"] == "displacement exceeded the reduction"


def test_diffusion_of_benefits_and_named_areas(tmp_path):
    result, out, counts = _run(tmp_path, "--no-maps", "--buffer", "W08", "--buffer", "W09",
                               "--control", "W01", "--control", "Ward 25", "--raw-control",
                               target_factor=0.6, buffer_factor=0.75)
    assert result.exit_code == 0, result.output
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["buffer"]["wards"] == ["W08", "W09"]
    assert evaluation["control"]["wards"] == ["W01", "W25"]
    assert evaluation["wdd"]["control_weight"] == 2.0  # unscaled: the control counts twice
    assert evaluation["displacement"] == "reduction with diffusion of benefits"


def test_public_run_suppresses_small_counts():
    evaluation = {
        "start": "2020-09", "crime_types": "All crime types",
        "target": {"wards": ["A"], "ward_names": ["A"], "before": 3, "after": 10, "change": 7,
                   "change_pct": 233.3, "vs_control": {"estimate": 7.0}},
        "buffer": {"wards": [], "ward_names": [], "before": 0, "after": 0, "change": 0,
                   "change_pct": None},
        "control": {"wards": ["B"], "ward_names": ["B"], "before": 50, "after": 52,
                    "change": 2, "change_pct": 4.0},
        "wdd": {"estimate": 5.0, "variance": 9.0, "z": 1.6, "p": 0.1},
        "displacement": "no measurable effect",
        "monthly": {"months": ["2020-08", "2020-09"], "target": [3, 10], "buffer": [0, 0],
                    "control": [50, 52]},
    }
    shown = suppressed(evaluation)
    assert shown["target"]["before"] == "<5" and shown["target"]["after"] == 10
    assert shown["target"]["change"] is None and shown["target"]["vs_control"] is None
    assert shown["wdd"]["estimate"] is None
    assert shown["monthly"]["target"] == ["<5", 10]
    assert shown["monthly"]["buffer"] == [0, 0]
    assert " 3 " not in shown["summary"] and "<5" in shown["summary"]
    assert "z = " not in shown["summary"]
    assert evaluation["target"]["before"] == 3  # the input is not changed


@pytest.mark.parametrize(("extra", "message"), [
    (["--before", "6"], "must be equal"),
    (["--start", "2021-03"], "do not cover"),
    (["--buffer", "W13"], "both the target and --buffer"),
    (["--control", "Ward 99"], "unknown ward 'Ward 99' in --control"),
])
def test_bad_evaluation_input_is_one_line(tmp_path, extra, message):
    result, out, _ = _run(tmp_path, "--no-maps", *extra)
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("wardmap: error:") and message in last
    assert not out.exists()


def test_target_from_the_focus_section(tmp_path):
    boundaries, incidents, _ = write_borough(tmp_path, 0.7, 1.0)
    config = tmp_path / "run.toml"
    config.write_text(f'[inputs]\nboundaries = "{boundaries}"\nincidents = ["{incidents}"]\n'
                      '[focus]\nsize = 2\n[evaluate]\nstart = "2020-09"\n')
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["evaluate", str(config), "--no-maps", "--out", str(out)])
    assert result.exit_code == 0, result.output
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert len(evaluation["target"]["wards"]) == 2
    assert np.isfinite(evaluation["wdd"]["z"])


def test_briefing_reports_the_evaluation_section(tmp_path):
    boundaries, incidents, _ = write_borough(tmp_path, 0.7, 1.15)
    config = tmp_path / "run.toml"
    config.write_text(f'[inputs]\nboundaries = "{boundaries}"\nincidents = ["{incidents}"]\n'
                      '[evaluate]\nstart = "2020-09"\ntarget = ["W13", "Ward 14"]\n'
                      '[brief]\nformats = ["html"]\ndpi = 72\n[stats]\npermutations = 99\n')
    out = tmp_path / "b"
    result = CliRunner().invoke(cli, ["brief", str(config), "--no-maps", "--public",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "briefing.html").read_text()
    assert re.search(r"<h2[^>]*>Task-force evaluation</h2>", html)
    assert "Verdict: reduction with displacement" in html
    assert json.loads((out / "evaluation.json").read_text())["displacement"] == \
        "reduction with displacement"


def test_evaluation_figure_marks_the_start(tmp_path):
    from wardmap.config import Config
    from wardmap.evaluate import evaluation_writer
    from wardmap.pipeline import analyse

    boundaries, incidents, _ = write_borough(tmp_path, 0.7, 1.15)
    config = Config()
    config.inputs.boundaries, config.inputs.incidents = str(boundaries), [str(incidents)]
    config.stats.permutations = 0
    config.maps.dpi = 100
    config.evaluate.start, config.evaluate.target = START, TARGET
    result = evaluation_writer(analyse(config), tmp_path)
    from PIL import Image

    with Image.open(tmp_path / "evaluation.png") as image:
        assert image.size == (1169, 827)  # A4 landscape
        pixels = np.asarray(image.convert("RGB"))
    # The three areas' colours are all drawn.
    for colour in ((0xd7, 0x30, 0x1f), (0xfd, 0x8d, 0x3c), (0x45, 0x75, 0xb4)):
        assert (np.abs(pixels.astype(int) - colour).sum(axis=2) < 30).sum() > 200
    from wardmap.maps.compare import evaluation_figure

    figure = evaluation_figure(result.evaluation, result)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert texts.count("start") == 3
    assert any("reduction with displacement" in t.get_text() for t in figure.texts)


def test_without_a_buffer(tmp_path):
    result, out, counts = _run(tmp_path, "--no-maps", "--buffer", "none", target_factor=0.7)
    assert result.exit_code == 0, result.output
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["buffer"]["wards"] == [] and "vs_control" not in evaluation["buffer"]
    assert len(evaluation["control"]["wards"]) == 23
    assert evaluation["wdd"]["estimate"] == pytest.approx(
        evaluation["target"]["vs_control"]["estimate"])
    assert evaluation["displacement"] == "reduction without measurable displacement"


def test_ward_level_table_is_one_line(tmp_path):
    from tests.helpers import grid_wards

    grid_wards(2, 2).to_file(tmp_path / "w.geojson", driver="GeoJSON")
    (tmp_path / "c.csv").write_text("code,n\nW01,1\nW02,2\nW03,3\nW04,4\n")
    result = CliRunner().invoke(cli, ["evaluate", "--boundaries", str(tmp_path / "w.geojson"),
                                      "--counts", str(tmp_path / "c.csv"), "--value-col", "n",
                                      "--target", "W01", "--start", "2020-01", "--no-maps",
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "dated incident records" in result.output.strip().splitlines()[-1]


COUNT = st.integers(0, 5000)
PAIR = st.tuples(COUNT, COUNT)


@given(PAIR, PAIR, PAIR, PAIR, st.floats(0, 5), st.floats(0, 5))
def test_wdd_reverses_with_time_and_its_p_is_a_probability(t, c, d, e, a, b):
    forward = wdd(t, c, d, e, a, b)
    backward = wdd(t[::-1], c[::-1], d[::-1], e[::-1], a, b)
    assert backward["estimate"] == pytest.approx(-forward["estimate"], abs=1e-9)
    assert backward["variance"] == pytest.approx(forward["variance"])
    if forward["variance"] > 0:
        assert 0 <= forward["p"] <= 1
        assert np.sign(forward["z"]) == np.sign(forward["estimate"])
    else:
        assert math.isnan(forward["z"]) and math.isnan(forward["p"])
