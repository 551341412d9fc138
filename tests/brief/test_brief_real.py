"""Real data: Maidstone's police.uk months produce a briefing end to end with `wardmap brief`."""

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from docx import Document

from wardmap.cli import cli

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def maidstone_brief(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("maidstone") / "brief"
    config = out.parent / "brief.toml"
    config.write_text("[brief]\ndpi = 100\n[stats]\npermutations = 99\n", encoding="utf-8")
    run = CliRunner().invoke(cli, [
        "brief", str(config),
        "--boundaries", str(shared_data / "boundaries" / "maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"),
        "--area-name", "Maidstone", "--crime-type", "violent crime", "--no-maps",
        "--out", str(out),
    ], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    return out


def test_run_outputs_and_pack_are_written(maidstone_brief) -> None:
    names = {p.name for p in maidstone_brief.iterdir()}
    assert {"wards.csv", "summary.json", "accounting.json", "manifest.json",
            "briefing.html", "briefing.docx"} <= names


def test_briefing_says_plainly_there_is_no_year_earlier(maidstone_brief) -> None:
    summary = json.loads((maidstone_brief / "summary.json").read_text())
    assert summary["change"]["available"] is False
    doc = Document(str(maidstone_brief / "briefing.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "does not cover the same months a year earlier" in text
    assert "no year-on-year comparison is made" in text
    assert len(doc.inline_shapes) >= 2 and len(doc.tables) >= 1


def test_narrative_numbers_equal_wards_csv(maidstone_brief) -> None:
    wards = pd.read_csv(maidstone_brief / "wards.csv", dtype={"ward_code": str})
    doc = Document(str(maidstone_brief / "briefing.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    top = re.search(r"^(.+) ward had the highest level of recorded violent crime, with "
                    r"([\d,]+) incidents\.$", text, re.M)
    assert top, text
    row = wards.loc[wards["incidents"].idxmax()]
    assert top.group(1) == row["ward_name"]
    assert int(top.group(2).replace(",", "")) == row["incidents"]
    names = "|".join(re.escape(n) for n in wards["ward_name"])
    listed = re.findall(rf"({names}) \(([\d,]+)\)", text)
    counts = wards.set_index("ward_name")["incidents"]
    assert len(listed) == 8  # the top five and the bottom three
    assert all(int(n.replace(",", "")) == counts[name] for name, n in listed)
    total = re.search(r"In Maidstone, ([\d,]+) incidents", text).group(1)
    assert int(total.replace(",", "")) == wards["incidents"].sum()


def test_a_period_the_data_does_not_cover_exits_2_with_a_reason(shared_data, tmp_path) -> None:
    run = CliRunner().invoke(cli, [
        "brief", "--boundaries", str(shared_data / "boundaries" / "maidstone_wards_2013.geojson"),
        "--incidents", str(shared_data / "police"), "--period", "rolling12",
        "--no-maps", "--out", str(tmp_path / "out"),
    ])
    assert run.exit_code == 2
    assert "January 2017 to December 2017 is not covered by the data" in run.output
    assert not (tmp_path / "out").exists()
