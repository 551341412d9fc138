"""The dask engine on a real local cluster: the same wards.csv as the local engine."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from wardmap.cli import cli
from wardmap.config import ComputeConfig, InputsConfig
from wardmap.engine import count_records, partitions
from wardmap.load.sources import sources

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def parquet_folder(shared_data, tmp_path_factory):
    """The shared months as Parquet without their Crime IDs, each month in three row groups
    (three partitions: only files without Crime IDs are split, as a repeated ID is looked
    for across a whole file)."""
    from wardmap.load.columnar import convert

    folder = tmp_path_factory.mktemp("pq")
    for path in convert([str(shared_data / "police")], folder):
        table = pq.read_table(path).drop_columns(["Crime ID"])
        pq.write_table(table, path, row_group_size=len(table) // 3 + 1)
    return folder


def test_parquet_row_groups_are_partitions(parquet_folder, shared_data, tmp_path):
    parts = partitions(sources([str(parquet_folder)])[0])
    assert len(parts) == 6 and {len(p.row_groups) for p in parts} == {1}
    from wardmap.load.columnar import convert

    with_ids = convert([str(shared_data / "police")], tmp_path)
    assert [p.row_groups for p in partitions(sources([str(p) for p in with_ids])[0])] == \
        [None, None]


def test_dask_gives_the_local_engine_s_wards_csv(shared_data, parquet_folder, tmp_path):
    boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    common = ["run", "--boundaries", boundaries, "--no-maps", "--permutations", "99",
              "--crime-type", "violent crime"]
    both = ["--incidents", str(shared_data / "police"), "--incidents", str(parquet_folder)]
    outs = {}
    for name, extra in (("local", ["--incidents", str(shared_data / "police")]),
                        ("dask", [*both, "--engine", "dask", "--workers", "2"]),
                        ("local2", both)):
        out = tmp_path / name
        result = CliRunner().invoke(cli, [*common, *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs[name] = out
    assert (outs["dask"] / "wards.csv").read_bytes() == (outs["local2"] / "wards.csv").read_bytes()
    assert (outs["dask"] / "accounting.json").read_bytes() == \
        (outs["local2"] / "accounting.json").read_bytes()
    # The Parquet copies repeat the CSVs' force and months (an overlapping download): each
    # month is read once, from the newer files, on both engines, so the wards are the same
    # as from the CSVs alone and every CSV row is accounted for as a duplicate.
    assert (outs["dask"] / "wards.csv").read_bytes() == (outs["local"] / "wards.csv").read_bytes()
    local = json.loads((outs["local"] / "accounting.json").read_text())
    dask = json.loads((outs["dask"] / "accounting.json").read_text())
    assert dask["duplicates"] == local["input_rows"]
    assert dask["input_rows"] == 2 * local["input_rows"]
    manifest = (outs["dask"] / "manifest.json").read_text()
    assert manifest.count('"role": "incidents"') == 4  # one entry per file, not per row group


def test_dask_reports_bad_files_as_the_local_engine_does(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Crime ID,Month,Longitude,Latitude,Crime type\n,Nov 2017,0.5,51.2,Drugs\n")
    inputs, compute = InputsConfig(), ComputeConfig(engine="dask", workers=1)
    import geopandas as gpd
    import shapely

    wards = gpd.GeoDataFrame({"ward_code": ["W1"]}, geometry=[shapely.box(0, 0, 1, 1)],
                             crs="EPSG:27700")
    from wardmap.errors import InputError

    with pytest.raises(InputError, match=r"Month 'Nov 2017' is not YYYY-MM \(row 2\)"):
        count_records([str(bad)], wards, inputs, compute)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Month,Longitude,Latitude,Crime type\n2017-11,0.5,51.2,Drugs\n")
    boundaries = Path(__file__).resolve().parents[1] / "boundaries" / "demo_wards.geojson"
    result = CliRunner().invoke(cli, ["run", "--boundaries", str(boundaries), "--incidents",
                                      str(path), "--engine", "dask", "--scheduler",
                                      "tcp://127.0.0.1:1", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:1" in result.output
