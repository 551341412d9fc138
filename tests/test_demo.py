import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

from wardmap.cli import cli
from wardmap.demo import REPO_FILES_NOTE, demo_wards, synthetic_borough, write_demo_files
from wardmap.load.boundaries import read_boundaries
from wardmap.stats.weights import build_weights

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_borough_is_deterministic_and_plausible():
    a, incidents_a, truth = synthetic_borough(seed=1)
    b, incidents_b, _ = synthetic_borough(seed=1)
    assert a.geom_equals(b).all() and incidents_a.equals(incidents_b)
    assert 20 <= len(a) <= 30 and a.crs.to_epsg() == 27700
    assert a.geometry.is_valid.all() and a["ward_code"].is_unique
    # the wards tile the borough: no overlaps
    assert abs(a.geometry.area.sum() - a.union_all().area) < 1.0
    assert len(incidents_a["Month"].unique()) == 24


def test_planted_cluster_is_three_neighbours_at_the_multiplier():
    wards, incidents, truth = synthetic_borough(seed=3)
    hot = truth["hot_wards"]
    assert len(hot) == 3 and truth["rate_multiplier"] == 2.5
    weights = build_weights(wards)
    pos = {c: i for i, c in enumerate(wards["ward_code"])}
    for code in hot:  # each hot ward borders the other two
        others = {pos[c] for c in hot} - {pos[code]}
        assert others <= set(weights.neighbors[pos[code]].tolist())
    # the observed rate ratio is near the planted one
    placed = incidents.dropna(subset=["Longitude"])
    assert len(placed) > 15_000
    gdf = wards.set_index("ward_code")
    import geopandas as gpd

    pts = gpd.GeoDataFrame(placed, geometry=gpd.points_from_xy(
        pd.to_numeric(placed.Longitude, errors="coerce"),
        pd.to_numeric(placed.Latitude, errors="coerce")), crs=4326).to_crs(27700)
    joined = gpd.sjoin(pts, wards, predicate="within").groupby("ward_code").size()
    rate = joined / gdf["population"]
    ratio = rate[hot].mean() / rate.drop(hot).mean()
    assert 2.2 < ratio < 2.8


def test_repository_files_match_the_generator(tmp_path):
    paths = write_demo_files(tmp_path)
    for key in ("population", "truth"):
        repo_file = REPO / paths[key].relative_to(tmp_path)
        assert repo_file.read_bytes() == paths[key].read_bytes(), REPO_FILES_NOTE
    month = sorted(paths["incidents"].glob("*.csv"))[-1]
    assert (REPO / month.relative_to(tmp_path)).read_bytes() == month.read_bytes()
    repo_wards, _ = read_boundaries(REPO / "boundaries" / "demo_wards.geojson")
    assert repo_wards["ward_code"].tolist() == demo_wards()["WD24CD"].tolist()


def test_demo_command_runs_end_to_end(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--no-maps"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    wards = pd.read_csv(out / "wards.csv")
    truth = json.loads((REPO / "data" / "demo_truth.json").read_text())
    hot = wards[wards["ward_code"].isin(truth["hot_wards"])]
    assert np.all(hot["rate_per_1000"] > wards["rate_per_1000"].median())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["wards"] == 25 and summary["period"] == "Jan 2024 – Dec 2024"
    accounting = json.loads((out / "accounting.json").read_text())
    assert accounting["missing_coordinates"] > 0 and accounting["filtered_out"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["inputs"]["synthetic"] is True


def test_demo_maps_say_synthetic_and_carry_no_data_attribution(tmp_path):
    from wardmap.demo import demo_config
    from wardmap.pipeline import analyse
    from wardmap.result import SYNTHETIC_NOTICE

    config = demo_config()
    config.stats.permutations = 99
    result = analyse(config)
    assert result.meta.synthetic and result.meta.attributions == []
    from wardmap.maps import write_maps

    written = write_maps(result, tmp_path)
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert SYNTHETIC_NOTICE in html and "police.uk" not in html
    assert any(p.name == "map.png" for p in written)


def test_demo_without_a_source_checkout_generates_its_inputs(tmp_path, monkeypatch):
    import wardmap.demo as demo

    monkeypatch.setattr(demo, "repo_root", lambda: tmp_path / "no-checkout")
    monkeypatch.setattr(demo.tempfile, "gettempdir", lambda: str(tmp_path))
    config = demo.demo_config()
    assert config.inputs.boundaries.startswith(str(tmp_path))
    assert (tmp_path / f"wardmap-demo-{demo.DEMO_SEED}" / "data" / "demo_truth.json").is_file()
