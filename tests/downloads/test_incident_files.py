"""Incident files as force extracts and downloads arrive: spreadsheets, spelling variants,
typos in groups, eastings/northings under longitude/latitude headers."""

import json

import geopandas as gpd
import pandas as pd
import pytest

from tests.downloads.conftest import invoke

NOV = "2017-11-maidstone-street.csv"


def _placed(out):
    acc = json.loads((out / "accounting.json").read_text())
    return acc["assigned"] + acc["snapped"]


@pytest.fixture
def variants(police, tmp_path):
    """November with crime types as 'BURGLARY', 'Burglary ' and 'Burglary'."""
    frame = pd.read_csv(police / NOV, dtype=str)
    upper = frame.index % 3 == 0
    spaced = frame.index % 3 == 1
    frame.loc[upper, "Crime type"] = frame.loc[upper, "Crime type"].str.upper()
    frame.loc[spaced, "Crime type"] = frame.loc[spaced, "Crime type"] + "  "
    return frame


def test_xlsx_force_extract_is_read_past_its_title_rows(variants, police, wards_path,
                                                        tmp_path):
    """Item 7: an .xlsx extract is read, not told to try another encoding."""
    extract = tmp_path / "extract.xlsx"
    with pd.ExcelWriter(extract) as writer:
        pd.DataFrame([["Kent Police: crimes in Maidstone"]]).to_excel(
            writer, header=False, index=False)
        variants.to_excel(writer, index=False, startrow=3)
    for given, out in ((extract, tmp_path / "x"), (police / NOV, tmp_path / "c")):
        result = invoke("run", "--boundaries", wards_path, "--incidents", given, "--no-maps",
                        "--crime-type", "burglary", "--permutations", 9, "--out", out)
        assert result.exit_code == 0, result.output
    assert _placed(tmp_path / "x") == _placed(tmp_path / "c") > 100
    wards_x = pd.read_csv(tmp_path / "x" / "wards.csv")
    assert wards_x["incidents"].tolist() == pd.read_csv(tmp_path / "c" / "wards.csv")[
        "incidents"].tolist()


def test_crime_type_case_and_spaces_do_not_filter_records_out(variants, wards_path,
                                                               police, tmp_path):
    """Item 7: 'Burglary ' and 'BURGLARY' are Burglary, for --crime-type and for groups."""
    path = tmp_path / "variants.csv"
    variants.to_csv(path, index=False)
    for crime_type in ("Burglary", "acquisitive crime"):
        counts = []
        for given in (path, police / NOV):
            out = tmp_path / f"{crime_type}-{given.stem}"
            result = invoke("run", "--boundaries", wards_path, "--incidents", given,
                            "--crime-type", crime_type, "--no-maps", "--permutations", 9,
                            "--out", out)
            assert result.exit_code == 0, result.output
            counts.append(_placed(out))
        assert counts[0] == counts[1] > 100


def test_a_typo_in_a_toml_group_is_an_error(police, wards_path, tmp_path):
    """Item 7: "Pubic order" in [groups] is named, not dropped."""
    config = tmp_path / "run.toml"
    config.write_text(f'[inputs]\nboundaries = "{wards_path}"\nincidents = ["{police}"]\n'
                      '[groups]\n"night-time" = ["Violence and sexual offences", '
                      '"Pubic order"]\n[filters]\ncrime_types = ["night-time"]\n')
    result = invoke("run", config, "--no-maps", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "'Pubic order'" in result.output and "'Public order'" in result.output
    assert "night-time" in result.output


def test_eastings_in_longitude_columns_get_a_hint(police, wards_path, tmp_path):
    """Item 7: E/N metres given as lon/lat: say to use --x-col/--y-col."""
    frame = pd.read_csv(police / NOV)
    points = gpd.GeoSeries(gpd.points_from_xy(frame["Longitude"], frame["Latitude"]),
                           crs=4326).to_crs(27700)
    frame["Longitude"], frame["Latitude"] = points.x.round(), points.y.round()
    path = tmp_path / "metres.csv"
    frame.to_csv(path, index=False)
    result = invoke("run", "--boundaries", wards_path, "--incidents", path, "--no-maps",
                    "--permutations", 9, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert "look like eastings/northings" in result.output and "--x-col/--y-col" in result.output
    renamed = tmp_path / "renamed.csv"
    frame.rename(columns={"Longitude": "Easting", "Latitude": "Northing"}).to_csv(
        renamed, index=False)
    result = invoke("run", "--boundaries", wards_path, "--incidents", renamed, "--no-maps",
                    "--permutations", 9, "--out", tmp_path / "en")
    assert result.exit_code == 0 and _placed(tmp_path / "en") == len(frame)


def test_exports_with_other_delimiters_blank_lines_and_gzip(police, wards_path, tmp_path):
    """Tab- and bar-separated exports, blank lines above the header, a .csv.gz."""
    import gzip

    text = (police / NOV).read_text(encoding="utf-8")
    tabbed = tmp_path / "tabbed.txt.csv"
    tabbed.write_text(text.replace(",", "\t"), encoding="utf-8")
    blank = tmp_path / "blank-first.csv"
    blank.write_text("\n\n" + text, encoding="utf-8")
    zipped = tmp_path / "nov.csv.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    for i, given in enumerate((tabbed, blank, zipped)):
        out = tmp_path / f"out{i}"
        result = invoke("run", "--boundaries", wards_path, "--incidents", given, "--no-maps",
                        "--permutations", 9, "--out", out)
        assert result.exit_code == 0, (given.name, result.output)
        assert _placed(out) == 1577


def test_a_damaged_gzip_file_is_a_clear_error(police, wards_path, tmp_path):
    """A download cut short: the file is read as a stream, so the damage shows mid-read."""
    import gzip

    packed = gzip.compress((police / NOV).read_bytes())
    cut = tmp_path / "nov.csv.gz"
    cut.write_bytes(packed[:len(packed) // 2])
    result = invoke("run", "--boundaries", wards_path, "--incidents", cut, "--no-maps",
                    "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{cut}: damaged gzip file" in result.output
    assert not (tmp_path / "out").exists()


def test_a_spreadsheet_named_csv_is_a_clear_error(tmp_path, wards_path):
    path = tmp_path / "extract.csv"
    pd.DataFrame({"Month": ["2017-11"], "Longitude": [0.5], "Latitude": [51.3]}).to_excel(
        tmp_path / "e.xlsx", index=False)
    path.write_bytes((tmp_path / "e.xlsx").read_bytes())
    result = invoke("run", "--boundaries", wards_path, "--incidents", path, "--no-maps",
                    "--out", tmp_path / "out")
    assert result.exit_code == 2 and "name it .zip or .xlsx/.ods" in result.output
    assert "cp1252" not in result.output


@pytest.mark.parametrize("month", ["Nov-17", "01/11/2017", "2017/11"])
def test_police_files_saved_again_by_excel_keep_their_month(police, wards_path, tmp_path,
                                                            month):
    """Excel rewrites '2017-11' as 'Nov-17' (or a date) when the file is saved again."""
    frame = pd.read_csv(police / NOV, dtype=str)
    frame["Month"] = month
    path = tmp_path / "resaved.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = invoke("run", "--boundaries", wards_path, "--incidents", path, "--no-maps",
                    "--permutations", 9, "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["period"] == "Nov 2017"
    assert _placed(out) == len(frame)


def test_ods_extract_and_ods_population(police, wards_path, tmp_path):
    """OpenDocument spreadsheets (LibreOffice) as incidents and as a population table."""
    from tests.downloads.conftest import write_ods

    frame = pd.read_csv(police / NOV, dtype=str).head(300).fillna("")
    extract = write_ods(tmp_path / "extract.ods",
                        [list(frame.columns), *frame.to_numpy().tolist()])
    wards = gpd.read_file(wards_path)
    population = write_ods(tmp_path / "pop.ods", [["Ward Code", "All Ages"]] + [
        [code, 5000] for code in wards["WD13CD"]])
    out = tmp_path / "out"
    result = invoke("run", "--boundaries", wards_path, "--incidents", extract, "--population",
                    population, "--no-maps", "--permutations", 9, "--out", out)
    assert result.exit_code == 0, result.output
    assert _placed(out) == 300
    assert pd.read_csv(out / "wards.csv")["population"].eq(5000).all()


def test_a_header_without_names_says_no_columns(wards_path, tmp_path):
    """Item 10: the error read '(columns: )'."""
    path = tmp_path / "blank-header.csv"
    path.write_text(",,,\n1,2,3,4\n")
    result = invoke("run", "--boundaries", wards_path, "--incidents", path, "--lon-col", "lon",
                    "--lat-col", "lat", "--no-maps", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "(no columns)" in result.output and "(columns: )" not in result.output


def test_degrees_under_easting_headers_get_a_hint(police, wards_path, tmp_path):
    frame = pd.read_csv(police / NOV).rename(columns={"Longitude": "Easting",
                                                       "Latitude": "Northing"})
    path = tmp_path / "degrees.csv"
    frame.to_csv(path, index=False)
    result = invoke("run", "--boundaries", wards_path, "--incidents", path, "--no-maps",
                    "--permutations", 9, "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert "look like longitude/latitude in degrees" in result.output
    assert "--lon-col/--lat-col" in result.output
