import geopandas as gpd
import pytest
import shapely

from tests.helpers import grid_wards
from wardmap.errors import InputError
from wardmap.load.boundaries import read_boundaries


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_reads_every_format_and_detects_ons_columns(tmp_path, suffix):
    path = tmp_path / f"wards{suffix}"
    wards = grid_wards()
    if suffix == ".parquet":
        wards.to_parquet(path)
    else:
        wards.to_file(path)
    table, report = read_boundaries(path)
    assert list(table.columns) == ["ward_code", "ward_name", "geometry"]
    assert table["ward_code"].tolist() == [f"W0{i}" for i in range(1, 7)]
    assert (report.code_col, report.name_col) == ("WD23CD", "WD23NM")
    assert table.crs.to_epsg() == 27700


def test_reprojects_wgs84_and_honours_named_columns(tmp_path):
    path = tmp_path / "w.geojson"
    wards = grid_wards().rename(columns={"WD23CD": "id_x", "WD23NM": "label_x"})
    wards.to_crs("EPSG:4326").to_file(path)
    table, report = read_boundaries(path, code_col="id_x", name_col="label_x")
    assert report.source_crs == "EPSG:4326"
    assert table.crs.to_epsg() == 27700
    assert abs(table.geometry.area.iloc[0] - 1e6) < 50  # the 1 km square survives the trip


def test_other_projected_crs_on_request(tmp_path):
    path = tmp_path / "w.gpkg"
    grid_wards().to_file(path)
    table, _ = read_boundaries(path, crs="EPSG:3857")
    assert table.crs.to_epsg() == 3857


def test_invalid_geometry_is_repaired_and_counted(tmp_path):
    wards = grid_wards()
    bowtie = shapely.Polygon([(570000, 150000), (571000, 151000), (571000, 150000),
                              (570000, 151000)])
    wards.loc[0, "geometry"] = bowtie
    path = tmp_path / "w.gpkg"
    wards.to_file(path)
    table, report = read_boundaries(path)
    assert report.repaired == 1
    assert table.geometry.is_valid.all()
    assert table.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert "repaired 1" in report.warnings[0]


def test_duplicate_codes_name_the_rows(tmp_path):
    wards = grid_wards()
    wards.loc[3, "WD23CD"] = "W01"
    path = tmp_path / "w.gpkg"
    wards.to_file(path)
    with pytest.raises(InputError, match=r"duplicate ward codes in row 1 \(W01, Ward 1\), row 4"):
        read_boundaries(path)


def test_empty_geometry_names_the_row(tmp_path):
    wards = grid_wards()
    wards.loc[2, "geometry"] = shapely.Polygon()
    path = tmp_path / "w.geojson"
    wards.to_file(path)
    with pytest.raises(InputError, match=r"empty geometry for row 3 \(W03, Ward 3\)"):
        read_boundaries(path)


def test_file_without_polygons(tmp_path):
    points = gpd.GeoDataFrame({"WD23CD": ["A"], "WD23NM": ["a"]},
                              geometry=[shapely.Point(570000, 150000)], crs="EPSG:27700")
    path = tmp_path / "p.geojson"
    points.to_file(path)
    with pytest.raises(InputError, match="holds no polygons"):
        read_boundaries(path)


def test_unknown_code_column_lists_columns(tmp_path):
    path = tmp_path / "w.gpkg"
    grid_wards().to_file(path)
    with pytest.raises(InputError, match="no column 'CODE'.*WD23CD"):
        read_boundaries(path, code_col="CODE")


def test_not_a_vector_file(tmp_path):
    path = tmp_path / "w.geojson"
    path.write_text("this is not json")
    with pytest.raises(InputError, match="cannot read boundary file"):
        read_boundaries(path)
