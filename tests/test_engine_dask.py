"""The dask engine on a real local cluster: the same wards.csv as the local engine."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from wardmap.cli import cli
from wardmap.config import ComputeConfig, InputsConfig
from wardmap.engine import count_records, partitions
from wardmap.load.stream import sources

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def parquet_folder(shared_data, tmp_path_factory):
    """The shared months as Parquet, each month in three row groups (three partitions)."""
    from wardmap.load.columnar import convert

    folder = tmp_path_factory.mktemp("pq")
    for path in convert([str(shared_data / "police")], folder):
        table = pq.read_table(path)
        pq.write_table(table, path, row_group_size=len(table) // 3 + 1)
    return folder


def test_parquet_row_groups_are_partitions(parquet_folder):
    parts = partitions(sources([str(parquet_folder)]))
    assert len(parts) == 6 and {len(p.row_groups) for p in parts} == {1}


def test_dask_gives_the_local_engine_s_wards_csv(shared_data, parquet_folder, tmp_path):
    boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    common = ["run", "--boundaries", boundaries, "--no-maps", "--permutations", "99",
              "--crime-type", "violent crime"]
    outs = {}
    for name, extra in (("local", ["--incidents", str(shared_data / "police")]),
                        ("dask", ["--incidents", str(shared_data / "police"),
                                  "--incidents", str(parquet_folder),
                                  "--engine", "dask", "--workers", "2"]),
                        ("local2", ["--incidents", str(shared_data / "police"),
                                    "--incidents", str(parquet_folder)])):
        out = tmp_path / name
        result = CliRunner().invoke(cli, [*common, *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs[name] = out
    # The CSVs and their Parquet copies together count every record twice, on both engines.
    assert (outs["dask"] / "wards.csv").read_bytes() == (outs["local2"] / "wards.csv").read_bytes()
    assert (outs["dask"] / "accounting.json").read_bytes() == \
        (outs["local2"] / "accounting.json").read_bytes()
    local = (outs["local"] / "wards.csv").read_text().splitlines()
    assert local != (outs["dask"] / "wards.csv").read_text().splitlines()
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
