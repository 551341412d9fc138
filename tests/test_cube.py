"""The cube: streaming aggregation gives what placing the whole records table gives."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.helpers import POLICE_HEADER, grid_wards
from wardmap import pipeline
from wardmap.aggregate import count_by_ward, place_records
from wardmap.config import Config, InputsConfig
from wardmap.cube import CubeBuilder, accounting, read_cube, reduce_block, tally, write_cube
from wardmap.demo import demo_config
from wardmap.engine import count_records
from wardmap.export import write_run
from wardmap.load import stream
from wardmap.load.boundaries import read_boundaries
from wardmap.load.incidents import read_incidents
from wardmap.load.sources import sources

OUTPUTS = ("wards.csv", "accounting.json", "summary.json")


def run_both(config: Config, tmp_path, monkeypatch, block_bytes: int = 1 << 15):
    """wards.csv & co. from the cube of tiny blocks and from the records table (records
    kept: every stage after placement then counts the records themselves)."""
    with monkeypatch.context() as patch:
        patch.setattr(stream, "BLOCK_BYTES", block_bytes)
        streamed = pipeline.analyse(config, records=False)
    assert streamed.records is None and streamed.tally is not None
    write_run(streamed, tmp_path / "stream", maps=False)
    memory = pipeline.analyse(config, records=True)
    assert memory.records is not None
    write_run(memory, tmp_path / "memory", maps=False)
    return tmp_path / "stream", tmp_path / "memory"


def same_outputs(a, b) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def maidstone(shared) -> Config:
    config = Config()
    config.inputs.boundaries = str(shared / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.incidents = [str(shared / "police")]
    config.stats.permutations = 99
    return config


@pytest.mark.shared
def test_streaming_matches_in_memory_on_maidstone(shared_data, tmp_path, monkeypatch):
    stream, memory = run_both(maidstone(shared_data), tmp_path, monkeypatch)
    same_outputs(stream, memory)


@pytest.mark.shared
def test_streaming_matches_in_memory_with_filters(shared_data, tmp_path, monkeypatch):
    config = maidstone(shared_data)
    config.filters.crime_types = ["violent crime"]
    config.filters.months = "2017-12:2017-12"
    stream, memory = run_both(config, tmp_path, monkeypatch)
    same_outputs(stream, memory)


def test_streaming_matches_in_memory_on_the_demo(tmp_path, monkeypatch):
    config = demo_config()
    config.stats.permutations = 99
    stream, memory = run_both(config, tmp_path, monkeypatch, block_bytes=1 << 16)
    same_outputs(stream, memory)
    summary = (stream / "summary.json").read_text()
    assert '"spc"' in summary and '"change"' in summary  # the periods stage ran on the cube


def test_run_from_cube_gives_the_same_outputs(tmp_path):
    config = demo_config()
    config.stats.permutations = 99
    config.maps.enabled = False
    config.output.cube = True
    first = pipeline.run(config, tmp_path / "first")
    assert (tmp_path / "first" / "cube.parquet").exists()
    again = demo_config()
    again.stats.permutations = 99
    again.maps.enabled = False
    again.inputs.incidents = []
    again.inputs.cube = str(tmp_path / "first" / "cube.parquet")
    second = pipeline.run(again, tmp_path / "second")
    assert second.accounting == first.accounting
    for name in ("wards.csv", "accounting.json"):
        assert (tmp_path / "first" / name).read_bytes() == \
            (tmp_path / "second" / name).read_bytes()
    assert [i["role"] for i in second.inputs][-2:] == ["cube", "population"]


def test_cube_with_other_boundaries_is_a_clear_error(tmp_path):
    config = demo_config()
    config.stats.permutations = 0
    config.maps.enabled = False
    config.output.cube = True
    pipeline.run(config, tmp_path / "first")
    wards = grid_wards()
    wards = wards.rename(columns={"WD23CD": "ward_code", "WD23NM": "ward_name"})
    with pytest.raises(Exception, match="the cube's wards are not the boundaries'"):
        read_cube(tmp_path / "first" / "cube.parquet", wards)


def test_public_runs_write_no_cube(tmp_path):
    config = demo_config()
    config.stats.permutations = 0
    config.output.public = True
    config.output.cube = True
    config.maps.enabled = False
    pipeline.run(config, tmp_path / "out")
    assert not (tmp_path / "out" / "cube.parquet").exists()


def test_records_kept_only_when_asked_or_small(tmp_path, monkeypatch):
    config = demo_config()
    config.stats.permutations = 0
    small = pipeline.analyse(config)
    assert small.records is not None and len(small.records) == small.accounting["input_rows"]
    monkeypatch.setattr("wardmap.engine.RECORDS_LIMIT", 1000)
    large = pipeline.analyse(demo_config())
    assert large.records is None
    assert large.wards["incidents"].tolist() == small.wards["incidents"].tolist()
    asked = pipeline.analyse(demo_config(), records=True)
    assert asked.records is not None


# -- a synthetic area with every kind of row ------------------------------------------------
ROWS = [
    # month, lon, lat, location, crime type
    ("2024-01", "0.5225", "51.2739", "On or near A", "Burglary"),
    ("2024-01", "0.5225", "51.2739", "On or near A", "Burglary"),   # same point twice
    ("2024-01", "0.5225", "51.2739", "On or near B", "Burglary"),   # same point, other text
    ("2024-02", "0.5301", "51.2801", "On or near C", "Drugs"),
    ("2024-02", "", "", "No location", "Drugs"),                    # missing
    ("2024-02", "abc", "51.2", "On or near D", "Drugs"),             # not a number
    ("2024-03", "51.27", "0.52", "On or near E", "Robbery"),         # swapped
    ("2024-03", "0", "0", "On or near F", "Robbery"),                # zero
    ("2024-03", "-3.0", "55.0", "On or near G", "Robbery"),          # outside
]


def area_wards():
    wards = grid_wards(4, 4, 1000.0, (570_000.0, 150_000.0))
    return wards.rename(columns={"WD23CD": "ward_code", "WD23NM": "ward_name"})


def records_frame(rows):
    path_rows = [POLICE_HEADER] + [f",{m},K,K,{lon},{lat},{loc},,,{t},,"
                                   for m, lon, lat, loc, t in rows]
    return "\n".join(path_rows) + "\n"


def test_cube_counts_every_row_once(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(records_frame(ROWS))
    wards = area_wards()
    config = Config()
    counted = count_records([str(path)], wards, config.inputs, config.compute)
    table = tally(counted.cube, config)
    acc, detail = accounting(table)
    raw, _ = read_incidents([str(path)], InputsConfig())
    reference = place_records(raw, wards, config)
    assert acc == reference.accounting
    assert detail == dict(sorted(reference.invalid_detail.items(), key=lambda kv: (-kv[1],
                                                                                   kv[0])))
    rows = counted.cube.rows()
    assert rows["count"].sum() == len(ROWS)
    # The same map point with two location texts is two rows; the repeated record one row.
    at_a = rows[rows["lon"] == 0.5225]
    assert sorted(at_a["location"].astype(str)) == ["On or near A", "On or near B"]
    assert sorted(at_a["count"]) == [1, 2]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ROWS), min_size=1, max_size=60),
       st.lists(st.integers(1, 20), min_size=1, max_size=8),
       st.lists(st.sampled_from(["Burglary", "drugs", "violent crime"]), max_size=2,
                unique=True),
       st.sampled_from([None, "2024-01:2024-02", "2024-03:2024-03"]),
       st.sampled_from(["points", "wards"]))
def test_any_split_into_blocks_gives_the_placement_of_the_whole(rows, cuts, types, months,
                                                                detail):
    """Summing partial cubes of any blocks = placing the whole table at once."""
    wards = area_wards()
    config = Config()
    assume(any(r[1] != "abc" for r in rows))  # a file of only unparsable rows is an error
    config.filters.crime_types = types
    config.filters.months = months
    text = records_frame(rows)
    raw, _ = read_incidents([_write(text)], InputsConfig())
    bounds = sorted({min(c, len(raw)) for c in np.cumsum(cuts)} | {0, len(raw)})
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        builder.add(reduce_block(raw.iloc[start:stop], wards, "EPSG:4326", 100.0,
                                 known=builder if start % 2 else None, detail=detail))
    try:
        reference = place_records(raw, wards, config)
    except Exception as exc:  # a filter naming a type not in the data: the same error
        with pytest.raises(type(exc)):
            tally(builder.cube(), config)
        return
    table = tally(builder.cube(), config)
    assert accounting(table)[0] == reference.accounting
    from wardmap.cube import placed_counts

    assert placed_counts(table, wards).tolist() == \
        count_by_ward(reference.records, wards).tolist()


def _write(text: str) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(text)
    return handle.name


def test_cube_parquet_round_trip(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(records_frame(ROWS))
    wards = area_wards()
    config = Config()
    cube = count_records([str(path)], wards, config.inputs, config.compute).cube
    write_cube(cube, tmp_path / "cube.parquet", {"snap_tolerance": 100.0})
    back, about = read_cube(tmp_path / "cube.parquet", wards)
    assert about["snap_tolerance"] == 100.0
    cols = ["ward_code", "status", "problem", "location", "crime_type", "month"]

    def key(c):
        rows = c.rows()
        return rows.astype({k: str for k in cols}).sort_values(cols + ["lon", "count"]) \
            .reset_index(drop=True)[cols + ["count"]]

    pd.testing.assert_frame_equal(key(cube), key(back))
    assert accounting(tally(back, config)) == accounting(tally(cube, config))


def test_month_error_names_the_row_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "BLOCK_BYTES", 256)
    rows = [("2024-01", "0.5225", "51.2739", "On or near A", "Burglary")] * 40
    rows[33] = ("Jan 2024", "0.5225", "51.2739", "On or near A", "Burglary")
    path = tmp_path / "a.csv"
    path.write_text(records_frame(rows))
    with pytest.raises(Exception, match=r"Month 'Jan 2024' is not YYYY-MM \(row 35\)"):
        list(stream.read_blocks(sources([str(path)])[0][0], InputsConfig()))


@pytest.mark.shared
def test_parquet_and_geoparquet_records_read_as_the_csvs(shared_data, tmp_path):
    from wardmap.load.columnar import convert

    csv_records, _ = read_incidents([str(shared_data / "police")], InputsConfig())
    written = convert([str(shared_data / "police")], tmp_path / "pq")
    assert [p.name for p in written] == ["2017-11-maidstone-street.parquet",
                                         "2017-12-maidstone-street.parquet"]
    pq_records, manifest = read_incidents([str(tmp_path / "pq")], InputsConfig())
    first_month = pd.read_csv(shared_data / "police" / "2017-11-maidstone-street.csv")
    assert manifest[0]["format"] == "police.uk" and manifest[0]["rows"] == len(first_month)
    for col in ("month", "crime_type", "location"):
        assert pq_records[col].astype(str).tolist() == csv_records[col].astype(str).tolist()
    np.testing.assert_array_equal(pq_records[["cx", "cy"]], csv_records[["cx", "cy"]])
    # GeoParquet: points in British National Grid, no longitude/latitude columns.
    import geopandas as gpd

    frame = pd.read_csv(shared_data / "police" / "2017-11-maidstone-street.csv")
    points = gpd.GeoDataFrame(frame.drop(columns=["Longitude", "Latitude"]),
                              geometry=gpd.points_from_xy(frame["Longitude"],
                                                          frame["Latitude"]),
                              crs=4326).to_crs(27700)
    points.to_parquet(tmp_path / "points.parquet")
    geo, _ = read_incidents([str(tmp_path / "points.parquet")], InputsConfig())
    assert geo.attrs["crs"] == "EPSG:27700" and len(geo) == len(frame)
    wards, _ = read_boundaries(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    a = place_records(geo, wards, Config()).records["ward_code"].tolist()
    b = place_records(csv_records.iloc[:len(frame)], wards, Config()).records["ward_code"]
    assert a == b.tolist()


def test_convert_refuses_an_unreadable_csv_and_writes_nothing(tmp_path):
    from wardmap.errors import InputError
    from wardmap.load.columnar import convert

    bad = tmp_path / "bad.csv"
    bad.write_bytes((POLICE_HEADER + "\n,2017-11,K,K,0.5,51.2,Caf\u00e9,,,Drugs,,\n")
                    .encode("cp1252"))
    with pytest.raises(InputError, match="not valid utf-8"):
        convert([str(bad)], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    shutil.rmtree(tmp_path / "out")


def test_counting_a_slice_of_rows_at_a_time_changes_nothing(tmp_path, monkeypatch):
    """The tally and the counts by ward (and month) read in slices of a few rows, as a
    national tally is read in slices of a million: the same outputs."""
    from wardmap import aggregate, cube

    config = demo_config()
    config.stats.permutations = 99
    write_run(pipeline.analyse(config, records=False), tmp_path / "whole", maps=False)
    monkeypatch.setattr(aggregate, "SLICE_ROWS", 7)
    monkeypatch.setattr(cube, "_TALLY_CHUNK", 40)
    sliced = pipeline.analyse(config, records=False)
    assert len(sliced.tally) > 7 * 40
    write_run(sliced, tmp_path / "sliced", maps=False)
    same_outputs(tmp_path / "sliced", tmp_path / "whole")


@given(st.lists(st.one_of(st.just(-1), st.integers(0, 12 * 9999 + 11)), max_size=50))
def test_month_text_names_each_month_number(numbers):
    from wardmap.cube import month_text

    text = month_text(np.array(numbers, np.int32))
    distinct = np.unique([n for n in numbers if n >= 0])
    assert list(text.categories) == [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in distinct]
    assert [None if pd.isna(t) else t for t in text] == \
        [None if n < 0 else f"{n // 12:04d}-{n % 12 + 1:02d}" for n in numbers]


def test_tally_of_a_national_cube_holds_little_besides_itself():
    """Ward-level cells (the cube of a national run) tallied: the temporaries stay within
    about the tally's own size (joining all the ward cells at once took twice as much)."""
    import tracemalloc

    from wardmap.cube import Cube

    wards, types, months = 7681, 14, 24  # two years: 2.6 million cells
    n = wards * types * months
    cells = pd.DataFrame({
        "point": np.tile(np.arange(wards, dtype=np.int32), types * months),
        "location": np.full(n, -1, np.int32),
        "crime_type": np.tile(np.repeat(np.arange(types, dtype=np.int16), wards), months),
        "month": np.repeat(np.arange(24_180, 24_180 + months, dtype=np.int32), wards * types),
        "count": np.random.default_rng(1).integers(1, 50, n).astype(np.int32)})
    points = pd.DataFrame({"key": -np.inf + 1j * np.arange(wards), "cx": np.nan,
                           "cy": np.nan, "x": np.nan, "y": np.nan,
                           "ward": np.arange(wards, dtype=np.int32),
                           "status": np.zeros(wards, np.int8),
                           "problem": np.zeros(wards, np.int8)})
    codes = np.array([f"E05{i:06d}" for i in range(wards)], dtype=object)
    national = Cube(points, pd.Index([], dtype="str"),
                    pd.Index([f"type {i}" for i in range(types)]), cells, codes)
    tracemalloc.start()
    try:
        table = tally(national, Config())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table) == n and table["count"].sum() == cells["count"].sum()
    # 2.2 times the tally's size here; 3.8 times when the cells were joined whole.
    assert peak < 2.6 * table.memory_usage(deep=False).sum()


def test_builder_sums_a_months_pieces_as_they_arrive():
    """Two blocks of one month (a police.uk monthly file read in blocks) leave one piece of
    cells for it, and the cube takes the builder's pieces over."""
    raw, _ = read_incidents([_write(records_frame(ROWS * 3))], InputsConfig())
    one_month = raw[raw["month"] == "2024-01"].reset_index(drop=True)
    wards = area_wards()
    builder = CubeBuilder(wards["ward_code"].to_numpy(dtype=object))
    half = len(one_month) // 2
    for block in (one_month.iloc[:half], one_month.iloc[half:]):
        builder.add(reduce_block(block, wards, "EPSG:4326", 100.0, known=builder))
    assert [len(parts) for parts in builder._cells.values()] == [1]
    whole = reduce_block(one_month, wards, "EPSG:4326", 100.0)
    cube = builder.cube()
    assert builder._cells == {}
    assert cube.rows().equals(whole.rows())
