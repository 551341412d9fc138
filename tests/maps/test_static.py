"""Static images opened as a reader would: page size and DPI, not blank, legend present."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.maps.helpers import make_records
from wardmap.errors import WardmapError
from wardmap.maps import heatmap, panels, static, write_maps

pytestmark = pytest.mark.shared

A4_PORTRAIT_300 = (2481, 3507)  # 8.27 x 11.69 in at 300 dpi


def _pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"), dtype=float)


def _legend_counts(fig) -> list[int]:
    """Ward counts from the legend text: "12–25  (7 wards)" -> 7."""
    counts = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                m = re.search(r"\((\d[\d,]*) wards?\)$", text.get_text())
                counts.append(int(m.group(1).replace(",", "")))
    return counts


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_every_image_is_an_a4_page_and_not_blank(maidstone_result, tmp_path):
    maidstone_result = replace(maidstone_result, records=make_records(
        maidstone_result.wards, ["2017-11", "2017-12"]))
    maidstone_result.config.maps.dpi = 100
    paths = write_maps(maidstone_result, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["heatmap.png", "map.html", "map.png", "map_gi.png", "map_lisa.png",
                     "map_panels.png"]
    for name in ("map.png", "map_lisa.png", "map_gi.png", "map_panels.png", "heatmap.png"):
        with Image.open(tmp_path / name) as im:
            assert im.size == (827, 1169)  # 8.27 x 11.69 in at 100 dpi
            assert im.info["dpi"] == pytest.approx((100, 100), abs=0.01)
        pixels = _pixels(tmp_path / name)
        assert pixels.std() > 20  # a drawn map, not an empty page
        assert (pixels < 250).mean() > 0.05
    # The legend band of the portrait page (below the map) holds colour boxes and text.
    legend_band = _pixels(tmp_path / "map.png")[int(1169 * 0.76):int(1169 * 0.93), 60:700]
    assert (legend_band < 128).mean() > 0.01


def test_default_png_is_300_dpi(maidstone_result, tmp_path):
    from wardmap.maps.writer import _save

    assert maidstone_result.config.maps.dpi == 300
    fig = static.choropleth_figure(maidstone_result.wards, "rate_per_1000", title="Maidstone")
    (path,) = _save(fig, tmp_path, "map", maidstone_result)
    with Image.open(path) as im:
        assert im.size == A4_PORTRAIT_300
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_choropleth_legend_counts_every_ward(maidstone_wards):
    fig = static.choropleth_figure(maidstone_wards, "rate_per_1000", title="Maidstone",
                                   subtitle="Rate per 1,000", attributions=["Crown copyright"])
    counts = _legend_counts(fig)
    assert sum(counts) == len(maidstone_wards) and len(counts) == 5
    texts = _texts(fig)
    assert "Maidstone" in texts and "Crown copyright" in texts
    assert any(t.endswith(" km") for t in texts)  # scale bar
    assert "N" in texts  # north arrow
    assert sum(t in set(maidstone_wards["ward_name"]) for t in texts) >= 15  # most names fit


def test_ward_labels_do_not_collide(maidstone_wards):
    fig = static.choropleth_figure(maidstone_wards, "incidents", labels=True)
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if t.get_text() != "N"]  # not the north arrow
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert len(boxes) >= 15
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_landscape_svg_and_pdf_on_request(maidstone_result, tmp_path):
    maidstone_result = replace(maidstone_result, wards=maidstone_result.wards.drop(
        columns=["lisa_label", "gi_bin"]))
    cfg = maidstone_result.config.maps
    cfg.formats, cfg.page, cfg.dpi = ["svg", "pdf"], "a4-landscape", 50
    paths = write_maps(maidstone_result, tmp_path)
    assert {p.suffix for p in paths} == {".html", ".png", ".svg", ".pdf"}
    with Image.open(tmp_path / "map.png") as im:
        assert im.size == (int(11.69 * 50), int(8.27 * 50))  # matplotlib truncates
    assert (tmp_path / "map.pdf").read_bytes().startswith(b"%PDF")
    svg = (tmp_path / "map.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "wardmap-legend" in svg


def test_lisa_and_gi_maps_use_the_conventional_colours(maidstone_wards):
    from matplotlib.colors import to_hex

    fig = static.lisa_figure(maidstone_wards, title="Maidstone")
    fills = {to_hex(c) for c in fig.axes[0].collections[0].get_facecolor()}
    assert {"#ff0000", "#0000ff", "#a7adf9", "#f4ada8", "#eeeeee"} <= fills
    fig = static.gi_figure(maidstone_wards, title="Maidstone")
    fills = {to_hex(c) for c in fig.axes[0].collections[0].get_facecolor()}
    assert fills == {"#4575b5", "#849eba", "#c0ccbe", "#ffffbf", "#fab984", "#ed7551", "#d62f27"}
    assert sum(_legend_counts(fig)) == len(maidstone_wards)


def test_briefing_figure_has_four_panels_and_degrades(maidstone_wards):
    fig = panels.briefing_figure(maidstone_wards, title="Maidstone")
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert titles == ["Recorded incidents", "Incidents per 1,000 residents", "LISA clusters",
                      "Gi* hot and cold spots"]
    # Test stage skipped: no LISA or Gi* columns, two panels.
    bare = maidstone_wards.drop(columns=["lisa_label", "gi_bin"])
    fig = panels.briefing_figure(bare, title="Maidstone")
    assert len([ax for ax in fig.axes if ax.get_title(loc="left")]) == 2


def test_heatmap_rows_add_up_to_ward_incidents(maidstone_wards):
    records = make_records(maidstone_wards, ["2017-10", "2017-11", "2017-12"])
    excluded = records.head(5).assign(type_match=False)
    records = pd.concat([records, excluded], ignore_index=True)
    counts = heatmap.ward_month_counts(records, maidstone_wards)
    assert list(counts.columns) == ["2017-10", "2017-11", "2017-12"]
    expected = maidstone_wards.set_index("ward_name")["incidents"]
    assert (counts.sum(axis=1) == expected.reindex(counts.index)).all()
    fig = heatmap.ward_month_figure(counts, title="Maidstone", small_threshold=4)
    texts = _texts(fig)
    assert "<5" in texts  # wards with 1..4 incidents in a month
    assert "Total" in texts


def test_heatmap_without_months_is_a_clear_error(maidstone_wards):
    with pytest.raises(WardmapError, match="months"):
        heatmap.ward_month_counts(pd.DataFrame({"month": [None], "ward_code": ["x"]}),
                                  maidstone_wards)
    with pytest.raises(WardmapError, match="empty"):
        heatmap.ward_month_figure(pd.DataFrame())


def test_public_maps_hide_small_counts(maidstone_wards):
    from wardmap.maps.display import colour_values, ward_text

    text = ward_text(maidstone_wards, "rate_per_1000", public=True, threshold=4)
    small = maidstone_wards["incidents"].between(1, 4)
    assert (text.loc[small, "i"] == "<5").all()
    assert text.loc[small, "r"].isna().all() and text.loc[small, "k"].isna().all()
    assert text.loc[~small, "i"].str.fullmatch(r"[\d,]+").all()
    values = colour_values(maidstone_wards, public=True, threshold=4)
    assert values.loc[small, "rate_per_1000"].isna().all()
    fig = static.choropleth_figure(maidstone_wards, "incidents", small_threshold=4)
    labels = [t.get_text() for ax in fig.axes if ax.get_legend()
              for t in ax.get_legend().get_texts()]
    assert not any(re.match(r"[1-3]\D", label) or re.search(r"–[1-3]\D", label)
                   for label in labels)


def test_focus_area_is_outlined_on_the_main_map(maidstone_result):
    from wardmap.maps.writer import _figures

    wards = maidstone_result.wards
    maidstone_result = replace(maidstone_result, focus=pd.DataFrame(
        {"rank": [2, 1], "ward_codes": [wards.ward_code[0], ";".join(wards.ward_code[3:6])],
         "ward_names": ["x", "a;b;c"], "score": [1.0, 2.0]}))
    name, fig = next(_figures(maidstone_result))
    assert name == "map"
    legend = [t.get_text() for ax in fig.axes if ax.get_legend()
              for t in ax.get_legend().get_texts()]
    assert legend[-1] == "Focus area (rank 1)  (3 wards)"
    assert len(fig.axes[0].collections) == 2  # the wards, then the outline
