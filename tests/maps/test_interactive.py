"""map.html's layers and page text, without a browser (test_browser.py opens the page)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tests.maps.helpers import make_result
from wardmap.maps import heatmap, interactive
from wardmap.maps.writer import _figure_jobs
from wardmap.result import SYNTHETIC_NOTICE

pytestmark = pytest.mark.shared


def _info(html: str) -> dict:
    return json.loads(re.search(r"var ward_data_\w+_info = (\{.*?\});\n", html).group(1))


def test_layers_follow_the_columns_present(maidstone_wards):
    layers, classes = interactive.ward_layers(make_result(maidstone_wards))
    assert [spec.name for spec in layers] == ["Incidents", "Rate per 1,000 residents",
                                              "Smoothed rate per 1,000", "LISA clusters",
                                              "Gi* hot and cold spots"]
    assert len(classes) == len(maidstone_wards)
    bare = maidstone_wards.drop(columns=["rate_eb", "lisa_label", "gi_bin"])
    layers, _ = interactive.ward_layers(make_result(bare))
    assert [spec.name for spec in layers] == ["Incidents", "Rate per 1,000 residents"]


def test_change_layer_only_with_a_comparison_period(maidstone_wards, tmp_path):
    wards = maidstone_wards.copy()
    rng = np.random.default_rng(2)
    wards["incidents_prev"] = rng.poisson(60, len(wards))
    wards["change"] = wards["incidents"] - wards["incidents_prev"]
    wards["change_pct"] = 100 * wards["change"] / wards["incidents_prev"]
    wards["change_sig"] = wards["change_pct"].abs() > 20
    layers, classes = interactive.ward_layers(make_result(wards))
    change = next(spec for spec in layers if spec.column == "change_pct")
    falls = classes[change.key][wards["change_pct"] < -15]
    rises = classes[change.key][wards["change_pct"] > 15]
    for k in falls:  # falls are drawn cool (blue > red), rises warm
        colour = change.colours[k]
        assert int(colour[5:7], 16) > int(colour[1:3], 16)
    for k in rises:
        colour = change.colours[k]
        assert int(colour[1:3], 16) > int(colour[5:7], 16)
    assert [label for _, label, _ in change.legend_rows][1:5] == [
        "-25 to -10", "-10 to 0", "0–10", "10–25"]  # fixed classes, as in the briefing pack
    result = make_result(wards)
    result.config.maps.dpi = 30
    from wardmap.maps import write_maps

    assert "map_change.png" in {p.name for p in write_maps(result, tmp_path)}


def test_default_layer_is_the_measure_analysed(maidstone_wards, tmp_path):
    result = make_result(maidstone_wards, measure="rate_eb")
    html = interactive.write_html(result, tmp_path / "map.html").read_text(encoding="utf-8")
    shown = re.findall(r"(ward_layer_\w+)\.addTo\(", html)
    assert len(shown) == 1
    spec = re.search(shown[0] + r" = wmLayer\([^;]*?(\{.*?\})\);", html, re.S).group(1)
    assert json.loads(spec)["title"] == "Smoothed rate per 1,000"


def test_synthetic_notice_on_every_product(maidstone_wards, tmp_path):
    result = make_result(maidstone_wards, synthetic=True)
    html = interactive.write_html(result, tmp_path / "map.html").read_text(encoding="utf-8")
    assert SYNTHETIC_NOTICE in _info(html)["notes"]
    name, build = _figure_jobs(result)[0]
    fig = build()
    assert name == "map"
    assert SYNTHETIC_NOTICE in [t.get_text() for t in fig.texts]


def test_heatmap_of_change_is_centred_on_zero(maidstone_wards):
    import pandas as pd

    change = pd.DataFrame({"2017-11": [5, -3, 0], "2017-12": [-8, 2, 1]},
                          index=["A", "B", "C"])
    fig = heatmap.ward_month_figure(change, change=True)
    image = fig.axes[0].images[0]
    assert image.norm.vmin == -image.norm.vmax == -8
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "-8" in texts and "+5" in texts


def test_popup_says_why_a_ward_has_no_rate(maidstone_wards):
    from wardmap.maps.display import ward_text

    wards = maidstone_wards.copy()
    wards.loc[4, ["rate_per_1000", "population"]] = np.nan
    wards.loc[4, "rate_note"] = "population unknown"
    text = ward_text(wards, "rate_per_1000")
    assert text.loc[4, "rn"] == "population unknown"
    assert text["rn"].drop(index=4).isna().all()


def test_tooltip_shows_a_partner_value_as_it_is_under_its_own_name(maidstone_wards, tmp_path):
    # A --counts run with --value-col: no incidents, and the value may be a rate.
    wards = maidstone_wards.drop(columns=["incidents"]).copy()
    wards["value"] = np.linspace(1.37, 12.5, len(wards))
    result = make_result(wards, measure="value", measure_label="Admissions per 1,000")
    html = interactive.write_html(result, tmp_path / "map.html").read_text(encoding="utf-8")
    assert ["Admissions per 1,000", "i", True] in _info(html)["fields"]
    assert not any(f[0] == "Incidents" for f in _info(html)["fields"])
    from wardmap.maps.display import ward_text

    assert ward_text(wards, "value")["i"].iloc[0] == "1.37"
