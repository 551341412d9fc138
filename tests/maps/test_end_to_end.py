"""The real pipeline on Maidstone's police.uk records, then every map product."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from wardmap import pipeline
from wardmap.config import Config
from wardmap.maps import write_maps

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def maidstone_run(shared_data):
    config = Config()
    config.inputs.boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.incidents = [str(shared_data / "police")]
    config.inputs.area_name = "Maidstone"
    config.stats.permutations = 99
    config.maps.dpi = 40
    return pipeline.analyse(config)


def _ward_data(html: str) -> dict:
    return json.loads(re.search(r"var ward_data_\w+ = (\{.*?\});\n", html).group(1))


def test_real_run_writes_every_map(maidstone_run, tmp_path):
    maidstone_run.config.maps.incident_points = True
    paths = write_maps(maidstone_run, tmp_path)
    assert {p.name for p in paths} == {"map.html", "map.png", "map_lisa.png", "map_gi.png",
                                       "map_panels.png", "heatmap.png"}
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    data = _ward_data(html)
    assert len(data["geometries"]) == 26
    incidents = maidstone_run.wards["incidents"]
    assert sorted(data["columns"]["i"]) == sorted(f"{n:,}" for n in incidents)
    # Clustered points: one per placed record, built from x/y in the analysis CRS.
    placed = maidstone_run.records["ward_code"].notna() & maidstone_run.records["type_match"]
    points = re.search(r"var data = (\[\[.*?\]\]);", html)
    assert points and len(json.loads(points.group(1))) == int(
        (placed & maidstone_run.records["period_match"]).sum())
    for lat, lon, *_ in json.loads(points.group(1))[:50]:
        assert 51.1 < lat < 51.4 and 0.3 < lon < 0.8  # Maidstone
    with Image.open(tmp_path / "heatmap.png") as im:
        assert im.size == (int(8.27 * 40), int(11.69 * 40))


def test_public_run_has_no_points_and_no_small_counts(maidstone_run, tmp_path):
    maidstone_run.config.maps.incident_points = True
    maidstone_run.config.output.public = True
    try:
        write_maps(maidstone_run, tmp_path)
    finally:
        maidstone_run.config.output.public = False
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "markerClusterGroup" not in html
    shown = _ward_data(html)["columns"]["i"]
    assert not any(v in {"1", "2", "3", "4"} for v in shown)
