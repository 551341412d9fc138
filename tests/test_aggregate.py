import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from tests.helpers import grid_wards
from wardmap.aggregate import (
    count_by_ward,
    monthly_counts,
    place_records,
)
from wardmap.config import Config
from wardmap.errors import InputError, WardmapError
from wardmap.load.boundaries import read_boundaries
from wardmap.periods.presets import parse_range

TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


@pytest.fixture
def wards(tmp_path):
    path = tmp_path / "w.gpkg"
    grid_wards().to_file(path)
    return read_boundaries(path)[0]


def records_at(points, months=None, types=None, unparsable=None):
    """Records at BNG points (None for missing), given as lon/lat like police.uk."""
    cx, cy = [], []
    for p in points:
        if p is None:
            cx.append(np.nan), cy.append(np.nan)
        elif p[0] == "raw":
            cx.append(p[1]), cy.append(p[2])
        else:
            lon, lat = TO_WGS84.transform(*p)
            cx.append(lon), cy.append(lat)
    n = len(points)
    frame = pd.DataFrame({"month": months or ["2024-01"] * n,
                          "crime_type": types or ["Burglary"] * n, "location": None,
                          "cx": cx, "cy": cy, "unparsable": unparsable or [False] * n,
                          "source": "t.csv"})
    frame.attrs["crs"] = "EPSG:4326"
    return frame


def test_every_status_and_the_sum(wards):
    points = [(570500, 150500), (571500, 151500), (570999.99, 150500),  # inside
              (571500, 150500),  # inside W02
              (568000, 150500),  # 2 km away: outside
              None,  # missing
              ("raw", 51.2, 0.5),  # swapped latitude/longitude
              ("raw", 0.0, 0.0),  # 0,0
              ("raw", 200.0, 51.0),  # out of range
              (570500, 150500)]  # filtered out by type
    types = ["Burglary"] * 9 + ["Drugs"]
    config = Config()
    config.filters.crime_types = ["burglary"]
    placed = place_records(records_at(points, types=types), wards, config)
    acc = placed.accounting
    assert acc == {"input_rows": 10, "assigned": 4, "snapped": 0, "outside": 1,
                   "missing_coordinates": 1, "invalid_coordinates": 3, "filtered_out": 1,
                   "excluded_location": 0}
    assert sum(v for k, v in acc.items() if k != "input_rows") == acc["input_rows"]
    assert placed.invalid_detail == {"swapped_lat_lon": 1, "zero": 1, "out_of_range": 1}
    records = placed.records
    assert records["ward_code"].tolist()[:4] == ["W01", "W05", "W01", "W02"]
    assert pd.isna(records["ward_code"].iat[4])
    # a filtered-out record still carries its ward, for comparison periods
    assert records["ward_code"].iat[9] == "W01"
    counts = count_by_ward(records, wards)
    assert counts.tolist() == [2, 1, 0, 0, 1, 0]


def test_point_on_shared_edge_lands_in_exactly_one_ward(wards):
    records = records_at([("raw", 571000.0, 150500.0)])
    records.attrs["crs"] = "EPSG:27700"
    placed = place_records(records, wards, Config())
    assert placed.records["ward_code"].tolist() == ["W01"]
    assert count_by_ward(placed.records, wards).sum() == 1


@pytest.fixture
def gapped(tmp_path):
    """The grid's wards shrunk by 20 m: 40 m slivers between them, as generalised boundaries
    leave."""
    grid = grid_wards()
    grid["geometry"] = grid.geometry.buffer(-20, join_style="mitre")
    path = tmp_path / "gapped.gpkg"
    grid.to_file(path)
    return read_boundaries(path)[0]


def test_snapping_only_inside_the_outer_edge(gapped):
    """Item 4: a sliver between wards is snapped; a neighbour's record over the border is not."""
    points = [(571000, 150500),  # in the sliver between W01 and W02
              (569950, 150500),  # 30 m outside the study area's west edge
              (571500, 152030)]  # 10 m outside the north edge
    placed = place_records(records_at(points), gapped, Config())
    assert placed.records["status"].tolist() == ["snapped", "outside", "outside"]
    assert placed.records["ward_code"].iat[0] in {"W01", "W02"}
    assert count_by_ward(placed.records, gapped).sum() == 1


def test_snap_tolerance_zero_disables_snapping(gapped):
    config = Config()
    config.inputs.snap_tolerance = 0
    placed = place_records(records_at([(571000, 150500)]), gapped, config)
    assert placed.accounting["outside"] == 1


def test_month_filter_and_monthly_counts(wards):
    config = Config()
    config.filters.months = "2024-02:2024-03"
    points = [(570500, 150500)] * 4
    months = ["2024-01", "2024-02", "2024-03", "2024-03"]
    placed = place_records(records_at(points, months=months), wards, config)
    assert placed.accounting["filtered_out"] == 1
    table = monthly_counts(placed.records, wards)
    assert table.loc["W01"].tolist() == [1, 1, 2]
    assert table.columns.tolist() == ["2024-01", "2024-02", "2024-03"]


def test_groups_expand_and_unknown_type_is_named(wards):
    config = Config()
    config.filters.crime_types = ["violent crime"]
    types = ["Robbery", "Violence and sexual offences", "Burglary"]
    placed = place_records(records_at([(570500, 150500)] * 3, types=types), wards, config)
    assert placed.accounting["filtered_out"] == 1
    config.filters.crime_types = ["Burglery"]
    with pytest.raises(InputError, match=r"crime type 'Burglery'.*closest: 'Burglary'"):
        place_records(records_at([(570500, 150500)] * 3, types=types), wards, config)


@pytest.mark.parametrize("text", ["2024-13:2024-14", "2024-05:2024-01", "May 2024"])
def test_bad_month_ranges(text):
    with pytest.raises(WardmapError):
        parse_range(text, "months")


def test_records_without_coordinates_columns_are_a_clear_error(wards):
    points = pd.DataFrame({"lon": [0.5], "lat": [51.2]})
    with pytest.raises(InputError, match=r"lack column\(s\) cx, cy.*count_incidents"):
        place_records(points, wards, Config())


def test_a_hole_inside_a_ward_is_inside_the_outer_edge(tmp_path):
    """A record in a small hole of a ward (an unassigned enclave) is snapped to it."""
    import shapely

    grid = grid_wards()
    grid.loc[0, "geometry"] = shapely.box(570000, 150000, 571000, 151000).difference(
        shapely.box(570400, 150400, 570460, 150460))
    path = tmp_path / "holed.gpkg"
    grid.to_file(path)
    wards = read_boundaries(path)[0]
    placed = place_records(records_at([(570430, 150430)]), wards, Config())
    assert placed.records["status"].tolist() == ["snapped"]
    assert placed.records["ward_code"].tolist() == ["W01"]
