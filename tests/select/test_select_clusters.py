"""Ward clusters: contiguous (checked with shapely), capped in size, deterministic."""

import dataclasses
from dataclasses import replace

import numpy as np
import pytest

from tests.select.select_helpers import is_connected, touching
from wardmap.config import ClustersConfig
from wardmap.errors import WardmapError
from wardmap.select.clusters import capped_skater, find_clusters
from wardmap.select.outputs import CLUSTER_COLUMNS, clusters_writer, write_clusters


def check_clusters(clusters, wards, max_size):
    adjacency = touching(wards)
    assert sorted(clusters["ward_code"]) == sorted(wards["ward_code"])
    for _, group in clusters.groupby("cluster"):
        codes = group["ward_code"].tolist()
        assert len(codes) <= max_size
        assert (group["cluster_size"] == len(codes)).all()
        assert is_connected(codes, adjacency)


@pytest.fixture(scope="module")
def demo_clusters(demo_result):
    return find_clusters(demo_result, ClustersConfig())


def test_demo_clusters_are_contiguous_and_capped(demo_clusters, demo_result):
    check_clusters(demo_clusters, demo_result.wards, 4)
    # The cap is met by splitting only oversized groups: fewer than one singleton in five.
    assert (demo_clusters["cluster_size"] == 1).mean() < 0.2


def test_planted_hot_wards_share_a_cluster(demo_clusters, planted):
    hot = demo_clusters.set_index("ward_code").loc[planted, "cluster"]
    assert hot.nunique() == 1


def test_profile_columns_are_cluster_means(demo_clusters):
    for column in ["asb", "violent_crime"]:
        means = demo_clusters.groupby("cluster")[column].transform("mean")
        assert np.allclose(means, demo_clusters[f"{column}_cluster_mean"])
    # Wards grouped as similar sit closer together than wards in general.
    assert demo_clusters["within_distance"].mean() < demo_clusters.attrs["overall_distance"]
    assert 0 <= demo_clusters.attrs["within_share"] < 0.5


@pytest.mark.parametrize("max_size", [1, 2, 3, 6])
def test_any_cap_is_respected(demo_result, max_size):
    clusters = find_clusters(demo_result, ClustersConfig(max_size=max_size, variables=["asb"]))
    check_clusters(clusters, demo_result.wards, max_size)
    if max_size == 1:
        assert clusters["cluster"].nunique() == len(clusters)


def test_islands_form_their_own_cluster():
    data = np.array([[0.0], [0.1], [5.0], [5.1], [0.05]])
    neighbors = [np.array([1]), np.array([0, 2]), np.array([1, 3]), np.array([2]),
                 np.array([], dtype=int)]
    labels = capped_skater(data, neighbors, 2)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    assert (labels == labels[4]).sum() == 1


def test_clusters_do_not_depend_on_the_order_of_the_wards(demo_result, demo_clusters):
    shuffled = replace(demo_result, wards=demo_result.wards.sample(frac=1.0, random_state=2))
    again = find_clusters(shuffled, ClustersConfig())
    assert again.equals(demo_clusters)
    assert demo_clusters["cluster"].nunique() > 1


def test_bad_cluster_input(demo_result):
    with pytest.raises(WardmapError, match="--max-size must be at least 1"):
        find_clusters(demo_result, ClustersConfig(max_size=0))
    with pytest.raises(WardmapError, match="unknown indicator 'deprivation'"):
        find_clusters(demo_result, ClustersConfig(variables=["deprivation"]))


def test_cluster_files(demo_clusters, demo_result, tmp_path):
    paths = write_clusters(demo_clusters, demo_result.wards, tmp_path, ["Test attribution"])
    assert set(paths) == {"csv", "html", "png", "similarity"}
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["similarity"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = paths["html"].read_text()
    assert demo_clusters["ward_name"].iloc[0] in html and "Test attribution" in html
    header = paths["csv"].read_text().splitlines()[0].split(",")
    assert header[:4] == ["ward_code", "ward_name", "cluster", "cluster_size"]


def test_public_cluster_files_leave_out_ward_figures(demo_clusters, demo_result, tmp_path):
    config = dataclasses.replace(demo_result.config)
    config.output = dataclasses.replace(config.output, public=True)
    public = dataclasses.replace(demo_result, config=config, clusters=demo_clusters)
    clusters_writer(public, tmp_path)
    header = (tmp_path / "clusters.csv").read_text().splitlines()[0].split(",")
    assert header == CLUSTER_COLUMNS


def test_region_sized_runs_are_refused(demo_result, monkeypatch):
    monkeypatch.setattr("wardmap.select.clusters.MAX_WARDS", 20)
    with pytest.raises(WardmapError, match="at most 20 wards, got 25"):
        find_clusters(demo_result, ClustersConfig())


def test_neighbouring_clusters_get_different_colours(maidstone_result):
    from wardmap.maps.selection import cluster_shapes

    clusters = find_clusters(maidstone_result, ClustersConfig())
    shapes = cluster_shapes(clusters, maidstone_result.wards)
    adjacency = touching(maidstone_result.wards)
    colour = dict(zip(shapes["ward_code"], shapes["colour"], strict=True))
    cluster = dict(zip(shapes["ward_code"], shapes["cluster"], strict=True))
    for ward, others in adjacency.items():
        for other in others:
            if cluster[ward] != cluster[other]:
                assert colour[ward] != colour[other], (ward, other)


def test_cluster_files_escape_input_text(demo_clusters, demo_result, tmp_path):
    # folium's tooltip writes property values into innerHTML unescaped, and the note is
    # placed in the page as it is: input-derived text must arrive as text, not markup.
    xss = "<img src=x onerror=alert(1)>"
    clusters = demo_clusters.copy()
    clusters.attrs.update(demo_clusters.attrs)
    clusters["ward_name"] = clusters["ward_name"] + xss + " $\\frac$"
    clusters["cluster_wards"] = clusters["cluster_wards"] + xss + " $\\frac$"
    wards = demo_result.wards.copy()
    wards["ward_name"] = wards["ward_name"] + xss + " $\\frac$"
    paths = write_clusters(clusters, wards, tmp_path, [f"Source {xss}"])
    html = paths["html"].read_text()
    assert "<img src=x" not in html and "\\u003cimg src=x" not in html
    assert "&lt;img src=x" in html or "\\u0026lt;img src=x" in html
    assert '"Wards in cluster"' in html and html.count('"Cluster"') == 1


def test_cluster_files_of_the_demo_say_they_are_synthetic(demo_clusters, demo_result, tmp_path,
                                                          figure_texts):
    from wardmap.result import SYNTHETIC_NOTICE

    assert demo_result.meta.synthetic
    clusters_writer(dataclasses.replace(demo_result, clusters=demo_clusters), tmp_path)
    assert SYNTHETIC_NOTICE in figure_texts
    assert SYNTHETIC_NOTICE in (tmp_path / "clusters.html").read_text()
