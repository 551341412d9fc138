"""wards.xlsx (for people) beside wards.csv (for machines), and the styled wards.gpkg."""

from __future__ import annotations

import sqlite3
import warnings

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.maps.helpers import make_result, make_wards
from wardmap.export import write_tables
from wardmap.load.boundaries import read_boundaries
from wardmap.maps import style

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def written(shared_data, tmp_path_factory):
    result = make_result(make_wards(shared_data / "boundaries"))
    folder = tmp_path_factory.mktemp("tables")
    write_tables(result, folder)
    return result, folder


def test_workbook_is_ranked_rounded_and_totalled(written):
    result, folder = written
    book = load_workbook(folder / "wards.xlsx")
    assert book.sheetnames == ["Wards", "Columns", "Notes"]
    sheet = book["Wards"]
    assert sheet.freeze_panes == "D2"
    rows = list(sheet.iter_rows(values_only=True))
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[:4] == ("Rank", "Ward code", "Ward", "Incidents")
    assert len(body) == 26
    col = {name: i for i, name in enumerate(header)}
    # Ranked by the measure analysed (the rate), highest first.
    rates = [r[col["Rate per 1,000 residents"]] for r in body]
    assert rates == sorted(rates, reverse=True)
    assert body[0][col["Rank"]] == 1
    wards = result.wards.set_index("ward_code")
    top = body[0][col["Ward code"]]
    assert rates[0] == round(wards.loc[top, "rate_per_1000"], 1)
    assert body[0][col["LISA p"]] == round(wards.loc[top, "lisa_p"], 3)
    # Shares add up to the whole; the total row sums counts and gives the area's rate.
    assert sum(r[col["Share of incidents"]] for r in body) == pytest.approx(1, abs=1e-3)
    assert total[col["Ward code"]] == "Total"
    assert total[col["Incidents"]] == int(wards["incidents"].sum())
    area_rate = 1000 * wards["incidents"].sum() / wards["population"].sum()
    assert total[col["Rate per 1,000 residents"]] == round(area_rate, 1)
    formats = {header[c.column - 1]: c.number_format for c in sheet[2]}
    assert formats["Incidents"] == "#,##0" and formats["Share of incidents"] == "0.0%"
    assert formats["LISA p"] == "0.000"
    # Every column is explained, and the run's notes are there.
    explained = [r[0] for r in book["Columns"].iter_rows(min_row=2, values_only=True)]
    assert explained == list(header)
    notes = dict(book["Notes"].iter_rows(min_row=2, values_only=True))
    assert notes["Area"] == "Maidstone" and notes["Multiple-testing correction"] == "fdr"


def test_csv_keeps_full_precision_and_its_columns(written):
    result, folder = written
    table = pd.read_csv(folder / "wards.csv", dtype={"ward_code": str, "ward_name": str})
    assert list(table.columns[:4]) == ["ward_code", "ward_name", "value", "incidents"]
    merged = table.merge(result.wards[["ward_code", "rate_per_1000"]], on="ward_code")
    pd.testing.assert_series_equal(merged["rate_per_1000_x"], merged["rate_per_1000_y"],
                                   check_names=False)


def test_public_workbook_shows_suppressed_counts_and_no_total_for_them(shared_data, tmp_path):
    result = make_result(make_wards(shared_data / "boundaries"))
    result.config.output.public = True
    write_tables(result, tmp_path)
    rows = list(load_workbook(tmp_path / "wards.xlsx")["Wards"].iter_rows(values_only=True))
    col = rows[0].index("Incidents")
    assert "<5" in [r[col] for r in rows[1:-1]]
    assert rows[-1][col] is None
    # A share beside the counts shown would give the suppressed total away.
    assert "Share of incidents" not in rows[0]


def test_geopackage_has_qgis_styles_matching_the_map(written):
    result, folder = written
    path = folder / "wards.gpkg"
    import pyogrio

    assert [str(n) for n, _ in pyogrio.list_layers(path)][:3] == ["wards", "lisa", "gi"]
    with sqlite3.connect(path) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(layer_styles)")]
        rows = db.execute("SELECT f_table_name, f_geometry_column, styleName, styleQML, "
                          "styleSLD, useAsDefault FROM layer_styles ORDER BY id").fetchall()
    db.close()
    assert {"f_table_name", "f_geometry_column", "styleName", "styleQML", "styleSLD",
            "useAsDefault"} <= set(columns)
    assert [r[0] for r in rows] == ["wards", "lisa", "gi"]
    assert all(r[1] == "geom" and r[5] == 1 for r in rows)
    qml, sld = rows[0][3], rows[0][4]
    # The classes and colours of map.png: the rate, natural breaks, YlOrRd.
    classes = style.classify(result.wards["rate_per_1000"], "natural_breaks", 5,
                             palette="YlOrRd")
    for colour in classes.colours:
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert f'value="{r},{g},{b},255"' in qml
        assert colour in sld
    assert "&quot;rate_per_1000&quot; &lt;= " in qml
    assert rows[1][3].count("lisa_label") >= 4 and style.LISA_COLOURS["High-High"] in rows[1][4]
    import xml.etree.ElementTree as ET

    for row in rows:
        ET.fromstring(row[3].split("\n", 1)[1])
        ET.fromstring(row[4].encode("utf-8"))


def test_our_geopackage_reads_back_without_complaint(written):
    _, folder = written
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wards, report = read_boundaries(folder / "wards.gpkg")
    assert len(wards) == 26 and report.code_col == "ward_code"


def test_workbook_text_never_becomes_a_formula(shared_data, tmp_path):
    wards = make_wards(shared_data / "boundaries")
    wards.loc[0, "ward_name"] = "=HYPERLINK(\"http://x\")"
    write_tables(make_result(wards), tmp_path)
    sheet = load_workbook(tmp_path / "wards.xlsx")["Wards"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == wards.loc[0, "ward_name"]]
    assert len(cells) == 1 and cells[0].data_type == "s"
