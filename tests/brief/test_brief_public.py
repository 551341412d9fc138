"""A public briefing discloses nothing by subtraction: every suppressed count is attacked with
every figure published beside it (tables, narrative, wards.csv, summary.json) and none is
recovered."""

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from docx import Document

from tests.brief.test_brief_narrative import THEN, borough
from tests.test_secondary import recover
from wardmap.brief.tables import briefing_tables
from wardmap.cli import cli

THRESHOLD = 5  # Maidstone has two wards with 5: "<6" twice, beside the total, pins both


def _cell(name: str, text: str):
    text = text.replace(",", "")
    if text.startswith("<") or text == "[c]":
        return (name, text)
    return int(text)


def _ranked_rows(doc) -> dict[str, str]:
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    column = header.index("Crimes") if "Crimes" in header else header.index("Incidents")
    return {r.cells[1].text: r.cells[column].text for r in table.rows[1:]}


@pytest.mark.shared
def test_public_maidstone_briefing_gives_no_suppressed_count_away(shared_data,
                                                                  tmp_path) -> None:
    config = tmp_path / "public.toml"
    config.write_text(f"[output]\npublic = true\nthreshold = {THRESHOLD}\n"
                      "[brief]\ndpi = 60\nformats = [\"docx\"]\n", encoding="utf-8")
    out = tmp_path / "out"
    run = CliRunner().invoke(cli, [
        "brief", str(config),
        "--boundaries", str(shared_data / "boundaries" / "maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--area-name", "Maidstone",
        "--crime-type", "violent crime", "--no-maps", "--out", str(out)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    doc = Document(str(out / "briefing.docx"))
    rows = _ranked_rows(doc)
    text = "\n".join(p.text for p in doc.paragraphs)
    total = int(re.search(r"In Maidstone, ([\d,]+) violent crimes", text).group(1)
                .replace(",", ""))
    cells = [_cell(name, shown) for name, shown in rows.items()]
    withheld = [c for c in cells if isinstance(c, tuple)]
    assert len([c for c in withheld if c[1] == "<6"]) == 2  # primary suppressions
    assert any(c[1] == "[c]" for c in withheld) or len(withheld) >= 2
    assert recover([(cells, total)], THRESHOLD) == {}
    # wards.csv and summary.json of the same run give nothing more away.
    wards = pd.read_csv(out / "wards.csv", dtype={"incidents": str})
    summary = json.loads((out / "summary.json").read_text())
    csv_cells = [_cell(n, v) for n, v in zip(wards["ward_name"], wards["incidents"],
                                             strict=True)]
    assert sorted(map(str, csv_cells)) == sorted(map(str, cells))
    assert recover([(csv_cells, summary["incidents"])], THRESHOLD) == {}
    # No withheld ward is named with a figure in the text.
    fewest = next(line for line in text.splitlines() if line.startswith("The fewest"))
    for name, label in withheld:
        assert not re.search(rf"{re.escape(name)} \(\d", text)
        if label == "[c]":  # withheld to protect another, not small: not among the fewest
            assert name not in fewest
    assert "(<6)" in fewest or "(<6 each)" not in fewest


def test_public_change_table_protects_both_periods_and_their_changes() -> None:
    # Boxley 4 and Detling and Thurnham 3 now; Detling and Thurnham 2 a year earlier.
    result = borough(THEN[:8] + [2], [863, 310, 240, 130, 70, 65, 35, 4, 3])
    result.config.output.public = True
    tables = {t.title: t.frame for t in briefing_tables(result, public=True).tables}
    change = tables["Change on the same period last year"]
    body, total = change.iloc[:-1], change.iloc[-1]
    now_col, then_col = change.columns[1], change.columns[2]
    for column in (now_col, then_col):
        cells = [_cell(n, v) for n, v in zip(body["Ward"], body[column], strict=True)]
        assert any(isinstance(c, tuple) for c in cells)
        assert recover([(cells, int(total[column].replace(",", "")))], 4) == {}
    # A change is shown only where both counts are.
    for _, row in body.iterrows():
        hidden = not re.fullmatch(r"[\d,]+", row[now_col]) or \
            not re.fullmatch(r"[\d,]+", row[then_col])
        assert (row["Change"] == "") == hidden or row[then_col] == "0"


@pytest.mark.shared
def test_public_run_maps_and_tooltips_follow_the_same_suppression(shared_data, tmp_path) -> None:
    from wardmap.config import Config
    from wardmap.maps.display import colour_values, ward_text
    from wardmap.pipeline import analyse
    from wardmap.secondary import SECONDARY, published

    config = Config()
    config.inputs.boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.incidents = [str(shared_data / "police")]
    config.filters.crime_types = ["violent crime"]
    wards = analyse(config).wards
    status = published(wards, THRESHOLD).now
    assert (status == SECONDARY).any()
    text = ward_text(wards, "incidents", public=True, threshold=THRESHOLD)
    colours = colour_values(wards, public=True, threshold=THRESHOLD)
    secondary = status == SECONDARY
    assert (text.loc[secondary, "i"] == "[c]").all()
    assert colours.loc[secondary, "incidents"].isna().all()  # drawn as suppressed, not classed
    assert text.loc[~secondary & (wards["incidents"] > THRESHOLD), "i"].str.fullmatch(
        r"[\d,]+").all()
