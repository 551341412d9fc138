import pandas as pd
import pytest

from wardmap.errors import InputError
from wardmap.load.tables import read_population, read_ward_values

WARDS = pd.DataFrame({"ward_code": ["E1", "E2", "E3"],
                      "ward_name": ["Park Wood", "Bridge & Heath", "High Street"]})


def test_ons_population_by_code_with_commas_and_extra_rows(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text('Ward Code,Ward Name,All Ages\nE1,Park Wood,"12,345"\nE2,Bridge,7000\n'
                    "E3,High Street,0\nE9,Elsewhere,5\n")
    pop = read_population(path, WARDS)
    assert pop.values.tolist() == [12345.0, 7000.0, 0.0]
    assert "1 row(s) are for areas outside" in pop.warnings[0]
    assert pop.manifest["value_col"] == "All Ages"


def test_xlsx_keyed_by_name_any_numeric_measure(tmp_path):
    path = tmp_path / "admissions.xlsx"
    pd.DataFrame({"Ward": ["parkwood", "Bridge and Heath ward", "HIGH STREET"],
                  "Admissions per 100k": [12.5, 3.25, 40.0]}).to_excel(path, index=False)
    table = read_ward_values(path, WARDS, "Admissions per 100k")
    assert table.values.tolist() == [12.5, 3.25, 40.0]


def test_names_that_do_not_match_are_an_error_with_candidates(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("Ward Name,All Ages\nPark Wood,100\nBridge & Heath,200\nHigh St Centre,300\n")
    with pytest.raises(InputError, match=r"match no ward: 'High St Centre' matches no ward "
                                          r"\(closest: 'High Street'"):
        read_population(path, WARDS)


def test_non_numeric_value_is_named(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("Ward Code,All Ages\nE1,100\nE2,lots\nE3,5\n")
    with pytest.raises(InputError, match="'lots' for 'E2' is not a number"):
        read_population(path, WARDS)


def test_missing_value_column_lists_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ward Code,Count\nE1,1\n")
    with pytest.raises(InputError, match="no column 'Cases'.*Ward Code, Count"):
        read_ward_values(path, WARDS, "Cases")


def test_duplicate_keys(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ward Code,Count\nE1,1\nE1,2\n")
    with pytest.raises(InputError, match="'E1' appears 2 times"):
        read_ward_values(path, WARDS, "Count")


def test_workbook_with_title_rows_above_the_header(tmp_path):
    """ONS population workbooks: a contents sheet first, then a title, a note and a blank row
    above 'Ward Code 1' etc."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Contents"])
    book.active.append(["Sheet Mid-2020 Persons: all ages"])
    sheet = book.create_sheet("Mid-2020 Persons")
    rows = [["Mid-2020 Population Estimates for 2020 Wards in England and Wales"],
            ["Source: Office for National Statistics"], [],
            ["Ward Code 1", "Ward Name 1", "LA Code", "All Ages", 0, 1],
            ["E1", "Park Wood", "E07000110", 7123, 90, 91],
            ["E2", "Bridge & Heath", "E07000110", 5000, 50, 52],
            ["E3", "High Street", "E07000110", 11000, 100, 99]]
    for row in rows:
        sheet.append(row)
    path = tmp_path / "pop.xlsx"
    book.save(path)
    pop = read_population(path, WARDS)
    assert pop.values.tolist() == [7123.0, 5000.0, 11000.0]
    assert pop.manifest["key_col"] == "Ward Code 1"


def test_withheld_values_are_empty_and_reported(tmp_path):
    """Published partner tables mark small numbers '*' (NHS) and carry a total row."""
    import geopandas as gpd
    import shapely

    from wardmap.load.tables import read_ward_values

    wards = gpd.GeoDataFrame({"ward_code": ["E1", "E2", "E3"],
                              "ward_name": ["Fant", "Heath", "Loose"]},
                             geometry=[shapely.box(0, 0, 1, 1)] * 3, crs="EPSG:27700")
    path = tmp_path / "admissions.csv"
    path.write_text("Ward,Admissions\nFant,57\nHeath,*\nLoose,c\nMaidstone,649\n")
    read = read_ward_values(path, wards, "Admissions", what="'admissions'")
    assert read.values.tolist()[0] == 57
    assert read.values.isna().tolist() == [False, True, True]
    assert any("2 ward value(s) withheld" in w and "Heath (E2), Loose (E3)" in w
               for w in read.warnings)
    assert any("outside these boundaries" in w for w in read.warnings)
