"""`wardmap focus` and `wardmap clusters` on the demo borough and with bad input."""

import pandas as pd
from click.testing import CliRunner

from wardmap.cli import cli
from wardmap.demo import demo_config


def test_focus_demo_writes_focus_csv(tmp_path, planted):
    out = tmp_path / "focus"
    result = CliRunner().invoke(cli, ["focus", "--demo", "--size", "3", "--top", "5",
                                      "--no-maps", "--out", str(out)])
    assert result.exit_code == 0, result.output
    focus = pd.read_csv(out / "focus.csv")
    assert len(focus) == 5
    assert focus.loc[0, "ward_codes"].split(";") == planted
    assert (out / "wards.csv").is_file()
    assert "best: " in result.output


def test_focus_bad_input_exits_2_with_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["focus", "--demo", "--exclude", "Nowhere Ward",
                                      "--no-maps", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(
        "wardmap: error: unknown ward 'Nowhere Ward' in --exclude")
    assert not (tmp_path / "x").exists()


def test_focus_size_out_of_range_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["focus", "--demo", "--size", "5", "--out",
                                      str(tmp_path / "y")])
    assert result.exit_code == 2


def test_focus_reads_the_config_section(tmp_path):
    demo = demo_config()
    config = tmp_path / "run.toml"
    config.write_text(
        f'[inputs]\nboundaries = "{demo.inputs.boundaries}"\n'
        f'incidents = ["{demo.inputs.incidents[0]}"]\npopulation = "{demo.inputs.population}"\n'
        '[focus]\nsize = 3\ntop = 2\nindicators = ["violent crime", "asb:0.5"]\n'
    )
    out = tmp_path / "z"
    result = CliRunner().invoke(cli, ["focus", str(config), "--top", "4", "--no-maps",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    focus = pd.read_csv(out / "focus.csv")
    assert len(focus) == 4  # the flag wins over the file
    assert focus["ward_codes"].str.count(";").eq(2).all()
    assert {"violent_crime_contribution", "asb_contribution"} <= set(focus.columns)


def test_clusters_demo_writes_files(tmp_path):
    out = tmp_path / "clusters"
    result = CliRunner().invoke(cli, ["clusters", "--demo", "--max-size", "3", "--variables",
                                      "asb", "--variables", "violent crime", "--no-maps",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    clusters = pd.read_csv(out / "clusters.csv")
    assert clusters.groupby("cluster").size().max() <= 3
    for name in ["clusters.html", "clusters.png", "cluster_similarity.png"]:
        assert (out / name).stat().st_size > 0
