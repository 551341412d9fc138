"""The Python API: keyword arguments over plain GeoDataFrames, new objects returned, inputs
and configs never modified, one result model."""

import copy
import dataclasses
import doctest
import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import wardmap
from wardmap.demo import demo_config


def _grid(n: int = 4) -> gpd.GeoDataFrame:
    values = np.add.outer(np.arange(n), np.arange(n)).ravel()[::-1].astype(float)
    return gpd.GeoDataFrame(
        {"ward_code": [f"W{i:02d}" for i in range(n * n)],
         "ward_name": [f"Ward {i}" for i in range(n * n)], "crimes": values,
         "population": np.full(n * n, 5000.0)},
        geometry=[box(i % n * 1000, i // n * 1000, i % n * 1000 + 1000, i // n * 1000 + 1000)
                  for i in range(n * n)], crs="EPSG:27700", index=np.arange(100, 100 + n * n))


def test_importing_wardmap_the_pipeline_and_the_cli_stays_light():
    """A fresh process: none of the heavy statistics libraries load at import (the reason
    wardmap has its own kernels)."""
    code = ("import sys, wardmap, wardmap.pipeline, wardmap.cli\n"
            "heavy = ('esda', 'libpysal', 'numba', 'scipy.stats')\n"
            "print(','.join(m for m in heavy if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == ""


def test_public_names_are_exported():
    for name in ("read_boundaries", "read_incidents", "count_incidents", "spatial_tests",
                 "focus_areas", "clusters", "Config", "analyse", "run", "SpatialTests",
                 "Moran", "Placement", "RunResult"):
        assert name in wardmap.__all__ and getattr(wardmap, name) is not None
    with pytest.raises(AttributeError):
        wardmap.no_such_thing  # noqa: B018


def test_analyse_leaves_its_config_as_it_was():
    config = demo_config()
    config = dataclasses.replace(config, periods=dataclasses.replace(config.periods,
                                                                     period="rolling12"),
                                 filters=dataclasses.replace(config.filters, months=None),
                                 stats=dataclasses.replace(config.stats, permutations=9))
    before = copy.deepcopy(config)
    result = wardmap.analyse(config)
    assert config == before
    assert result.config is not config and result.config.filters.months is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.wards = None


def test_summary_and_manifest_list_the_same_warnings(tmp_path):
    """A warning raised while writing (a ward without a shape, off the maps) reaches both."""
    config = demo_config()
    config = dataclasses.replace(config, stats=dataclasses.replace(config.stats,
                                                                   permutations=9))
    result = wardmap.analyse(config)
    wards = result.wards.copy()
    wards.loc[0, "geometry"] = None
    result = dataclasses.replace(result, wards=wards)
    from wardmap.export import write_outputs

    written = write_outputs(dataclasses.replace(result, config=dataclasses.replace(
        result.config, maps=dataclasses.replace(result.config.maps, dpi=40))), tmp_path / "o")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert any("without a boundary shape" in w for w in summary["warnings"])
    assert summary["warnings"] == manifest["warnings"] == list(written.warnings)
    assert len(result.warnings) < len(written.warnings)  # the run analysed is unchanged


def test_spatial_tests_keeps_order_index_and_input():
    wards = _grid().iloc[::-1]
    before = wards.copy(deep=True)
    tests = wardmap.spatial_tests(wards, "crimes", permutations=99, seed=4)
    assert wards.equals(before)
    assert list(tests.wards.index) == list(wards.index)
    assert tests.measure == "crimes" and tests.moran.I > 0.5
    same = wardmap.spatial_tests(wards.sort_index(), "crimes", permutations=99, seed=4)
    np.testing.assert_allclose(same.wards.loc[wards.index, "lisa_I"], tests.wards["lisa_I"])
    assert {"lisa_q", "lisa_p_adj", "gi_p_adj", "gi_bin"} <= set(tests.wards.columns)
    with pytest.raises(wardmap.WardmapError, match="no column 'crime'"):
        wardmap.spatial_tests(wards, "crime")


def test_without_permutations_p_norm_is_the_p_value():
    tests = wardmap.spatial_tests(_grid(), "crimes", permutations=0)
    assert tests.moran.p_sim is None and tests.moran.p_norm is not None
    assert tests.moran.p == tests.moran.p_norm and tests.moran.clustered(0.05)


def test_briefing_reports_p_norm_when_no_permutations_were_run():
    from wardmap.brief.narrative import narrative

    config = demo_config()
    config = dataclasses.replace(config, stats=dataclasses.replace(config.stats,
                                                                   permutations=0))
    result = wardmap.analyse(config)
    text = " ".join(p for s in narrative(result) for p in s.paragraphs)
    assert result.moran.p_sim is None and result.moran.p_norm < 0.05
    assert "p = n/a" not in text and "is clustered" in text


def test_count_incidents_accounts_for_every_row_and_leaves_inputs_alone():
    wards = _grid(3)
    points = pd.DataFrame({"e": [500, 510, 1500, 99_000, None, "x"],
                           "n": [500, 520, 1500, 99_000, 10, 10],
                           "when": ["2024-01-05", "2024-02-01", "2024-02-11", "2024-01-01",
                                    "2024-01-01", "2024-01-01"]})
    before_points, before_wards = points.copy(), wards.copy()
    placed = wardmap.count_incidents(points, wards, x_col="e", y_col="n", month_col="when",
                                     months="2024-01:2024-01")
    acc = placed.accounting
    assert acc["input_rows"] == 6 and sum(acc[s] for s in acc if s != "input_rows") == 6
    assert (acc["assigned"], acc["filtered_out"], acc["outside"]) == (1, 2, 1)
    assert acc["missing_coordinates"] + acc["invalid_coordinates"] == 2
    assert placed.wards["incidents"].sum() == 1 and list(placed.wards.index) == list(wards.index)
    assert points.equals(before_points) and wards.equals(before_wards)
    as_points = gpd.GeoDataFrame(geometry=gpd.points_from_xy([500, 1500], [500, 1500]),
                                 crs="EPSG:27700")
    assert wardmap.count_incidents(as_points, wards).wards["incidents"].sum() == 2


def test_focus_areas_and_clusters_take_ward_columns():
    wards = _grid()
    before = wards.copy(deep=True)
    areas = wardmap.focus_areas(wards, ["crimes"], size=2, top=3, exclude=["Ward 0"])
    assert len(areas) == 3 and "W00" not in areas["ward_codes"].iloc[0]
    groups = wardmap.clusters(wards, "crimes", max_size=4)
    assert groups["cluster_size"].max() <= 4 and len(groups) == 16
    assert wards.equals(before)


@pytest.mark.parametrize("module", ["wardmap.api", "wardmap.aggregate", "wardmap.result",
                                    "wardmap.vocabulary",
                                    "wardmap.demo", "wardmap.pipeline",
                                    "wardmap.config", "wardmap.secondary"])
def test_docstring_examples_run(module):
    import importlib

    found = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert found.attempted > 0 and found.failed == 0


def test_the_measure_is_named_as_its_column():
    from wardmap.config import StatsConfig
    from wardmap.stats.stage import run_tests

    wards = _grid().assign(incidents=lambda t: t["crimes"].astype(int), value=0.0)
    for name, alias in (("incidents", "count"), ("rate_per_1000", "rate")):
        by_name = run_tests(wards, StatsConfig(measure=name, permutations=9))
        by_alias = run_tests(wards, StatsConfig(measure=alias, permutations=9))
        assert by_name.measure == by_alias.measure == name
        assert by_name.wards.equals(by_alias.wards)


def test_read_boundaries_reports_repairs_as_a_warning(tmp_path):
    from shapely.geometry import Polygon

    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)])  # self-intersecting
    wards = _grid(2).assign(geometry=lambda t: [bowtie, *t.geometry.iloc[1:]])
    wards.rename(columns={"ward_code": "WD23CD", "ward_name": "WD23NM"}).to_file(
        tmp_path / "w.gpkg", layer="wards")
    with pytest.warns(wardmap.WardmapWarning, match="repaired 1 invalid"):
        read = wardmap.read_boundaries(tmp_path / "w.gpkg", layer="wards")
    assert read.geometry.is_valid.all() and list(read["ward_code"]) == list(wards["ward_code"])
