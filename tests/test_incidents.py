import zipfile

import numpy as np
import pytest

from tests.helpers import POLICE_HEADER, police_csv
from wardmap.config import InputsConfig
from wardmap.errors import InputError
from wardmap.load.incidents import read_incidents

ROWS = [("2017-11", "0.52", "51.27", "Burglary"), ("2017-12", "", "", "Drugs"),
        ("2017-12", "0.53", "51.28", "Anti-social behaviour")]


def test_police_csv_columns_and_manifest(tmp_path):
    path = police_csv(tmp_path / "2017-11-kent-street.csv", ROWS)
    records, manifest = read_incidents([str(path)], InputsConfig())
    assert len(records) == 3
    assert records["month"].astype(str).tolist() == ["2017-11", "2017-12", "2017-12"]
    assert records["crime_type"].astype(str).tolist()[0] == "Burglary"
    assert np.isnan(records["cx"].iloc[1]) and not records["unparsable"].any()
    assert records.attrs["crs"] == "EPSG:4326"
    assert manifest[0]["rows"] == 3 and len(manifest[0]["sha256"]) == 64


def test_folder_and_zip_read_the_street_files(tmp_path):
    folder = tmp_path / "download"
    (folder / "2017-11").mkdir(parents=True)
    police_csv(folder / "2017-11" / "2017-11-kent-street.csv", ROWS[:1])
    police_csv(folder / "2017-11" / "2017-11-kent-outcomes.csv", ROWS)  # not street records
    records, _ = read_incidents([str(folder)], InputsConfig())
    assert len(records) == 1
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("2017-11-kent-street.csv", "2017-11-kent-outcomes.csv"):
            zf.write(folder / "2017-11" / name, f"2017-11/{name}")
    records, manifest = read_incidents([str(archive)], InputsConfig())
    assert len(records) == 1 and "!2017-11/2017-11-kent-street.csv" in manifest[0]["path"]


def test_generic_points_with_eastings_and_dates(tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text("ref,Easting,Northing,Date,Category\n1,570100,150100,03/02/2024,Noise\n"
                    "2,570200,150200,2024-03-05,Litter\n")
    records, manifest = read_incidents([str(path)], InputsConfig(crime_type_col="Category"))
    assert records.attrs["crs"] == "EPSG:27700"
    assert records["month"].tolist() == ["2024-02", "2024-03"]
    assert records["crime_type"].astype(str).tolist() == ["Noise", "Litter"]
    assert manifest[0]["format"] == "points"


def test_some_non_numeric_coordinates_are_flagged_not_fatal(tmp_path):
    path = police_csv(tmp_path / "a.csv", ROWS + [("2017-12", "abc", "51.2", "Drugs")])
    records, _ = read_incidents([str(path)], InputsConfig())
    assert records["unparsable"].tolist() == [False, False, False, True]


def test_all_non_numeric_coordinates_is_an_error(tmp_path):
    path = police_csv(tmp_path / "a.csv", [("2017-12", "east", "north", "Drugs")])
    with pytest.raises(InputError, match="no row has numeric coordinates"):
        read_incidents([str(path)], InputsConfig())


def test_missing_longitude_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(POLICE_HEADER.replace("Longitude,", "") + "\n")
    with pytest.raises(InputError, match="police.uk file has no Longitude column"):
        read_incidents([str(path)], InputsConfig())


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_incidents([str(empty)], InputsConfig())
    with pytest.raises(InputError, match="incident file not found"):
        read_incidents([str(tmp_path / "nope.csv")], InputsConfig())


def test_cp1252_is_a_clear_error_and_readable_on_request(tmp_path):
    path = tmp_path / "a.csv"
    text = POLICE_HEADER + "\n,2017-11,K,K,0.5,51.2,On or near Caf\u00e9 Street,,,Drugs,,\n"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(InputError, match=r"line 2 is not valid utf-8.*--encoding cp1252"):
        read_incidents([str(path)], InputsConfig())
    records, _ = read_incidents([str(path)], InputsConfig(encoding="cp1252"))
    assert records["location"].astype(str).iloc[0] == "On or near Caf\u00e9 Street"


def test_bad_month_names_the_row(tmp_path):
    path = police_csv(tmp_path / "a.csv", [("Nov 2017", "0.5", "51.2", "Drugs")])
    with pytest.raises(InputError, match="Month 'Nov 2017' is not YYYY-MM"):
        read_incidents([str(path)], InputsConfig())


def test_header_only_month_reads_with_other_months(tmp_path):
    """police.uk can publish a month with no records for an area: a header-only CSV."""
    police_csv(tmp_path / "2024-01-x-street.csv", [])
    police_csv(tmp_path / "2024-02-x-street.csv", [("2024-02", "0.5", "51.2", "Drugs")])
    records, manifest = read_incidents([str(tmp_path)], InputsConfig())
    assert len(records) == 1 and [m["rows"] for m in manifest] == [0, 1]
    assert list(records["crime_type"]) == ["Drugs"]
