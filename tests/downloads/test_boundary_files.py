"""Ward boundaries as people have them: shapefile folders and zips, GeoJSON in metres without
a crs member, copied wards."""

import json
import zipfile

import geopandas as gpd
import pandas as pd
import pytest

from tests.downloads.conftest import invoke
from wardmap.errors import InputError
from wardmap.load.boundaries import read_boundaries


@pytest.fixture
def shapefile(wards_path, tmp_path):
    folder = tmp_path / "Wards_December_2013"
    folder.mkdir()
    gpd.read_file(wards_path).to_file(folder / "wards.shp")
    return folder


def _run(boundaries, police, out):
    return invoke("run", "--boundaries", boundaries, "--incidents", police, "--no-maps",
                  "--permutations", 9, "--out", out)


def test_shapefile_folder_and_zip_are_read(shapefile, police, tmp_path):
    """Item 6: a folder (was IsADirectoryError) and a zip (was a raw GDAL message)."""
    archive = tmp_path / "wards.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shapefile.iterdir():
            z.write(part, f"Wards_December_2013/{part.name}")
        z.writestr("__MACOSX/Wards_December_2013/._wards.shp", b"\x00")
    for given in (shapefile, archive):
        wards, report = read_boundaries(given)
        assert len(wards) == 26 and report.code_col == "WD13CD"
        result = _run(given, police, tmp_path / f"out-{given.name}")
        assert result.exit_code == 0, result.output
        assert "2951 in a ward" in result.output


def test_a_folder_with_two_boundary_files_is_a_clear_error(shapefile):
    gpd.read_file(shapefile / "wards.shp").to_file(shapefile / "other.gpkg")
    with pytest.raises(InputError, match=r"holds 2 boundary files \(other.gpkg, wards.shp\)"):
        read_boundaries(shapefile)


def test_bng_geojson_without_crs_is_read_as_metres(wards_path, police, tmp_path):
    """Item 6: every record was 'outside'; now British National Grid with a warning."""
    data = json.loads(gpd.read_file(wards_path).to_crs(27700).to_json())
    data.pop("crs", None)
    path = tmp_path / "bng.geojson"
    path.write_text(json.dumps(data))
    result = _run(path, police, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "2951 in a ward" in result.output and "assumed British National Grid" in result.output


def test_copied_ward_polygons_are_reported(wards_path, police, tmp_path):
    """Item 6: overlapping wards: the copy got 0 with no warning."""
    wards = gpd.read_file(wards_path)
    copy = wards.iloc[[3]].assign(WD13CD="E99999999", WD13NM="Copy")
    path = tmp_path / "copied.geojson"
    pd.concat([wards, copy]).to_file(path)
    result = _run(path, police, tmp_path / "out")
    assert result.exit_code == 0
    assert "have the same shape" in result.output
    assert "(E05004985) and Copy (E99999999) overlap: 14 records" in result.output
