"""Runs of the demo borough and of Maidstone for the select-stage tests."""

import json
from pathlib import Path

import pytest

from wardmap.config import Config
from wardmap.demo import demo_config, demo_paths
from wardmap.pipeline import analyse


@pytest.fixture(scope="session")
def demo_result():
    config = demo_config()
    config.stats.permutations = 99  # the select stage does not use the permutation tests
    return analyse(config)


@pytest.fixture(scope="session")
def planted() -> list[str]:
    """The planted hot wards, from the truth file beside the demo inputs the tests analyse."""
    root = Path(demo_config().inputs.boundaries).parents[1]
    return json.loads(demo_paths(root)["truth"].read_text())["hot_wards"]


@pytest.fixture(scope="session")
def maidstone_result(shared_data):
    config = Config()
    config.inputs.boundaries = str(shared_data / "boundaries" / "maidstone_wards_2013.geojson")
    config.inputs.code_col, config.inputs.name_col = "WD13CD", "WD13NM"
    config.inputs.incidents = [str(shared_data / "police")]
    config.stats.permutations = 99
    return analyse(config)


@pytest.fixture
def figure_texts(monkeypatch) -> list[str]:
    """The figure-level texts of every matplotlib figure saved during the test."""
    from matplotlib.figure import Figure

    drawn: list[str] = []
    save = Figure.savefig

    def record(fig, *args, **kwargs):
        drawn.extend(t.get_text() for t in fig.texts)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    from wardmap.maps import png

    draw = png.figure_png

    def record_png(fig, *args, **kwargs):
        drawn.extend(t.get_text() for t in fig.texts)
        return draw(fig, *args, **kwargs)

    monkeypatch.setattr(png, "figure_png", record_png)
    return drawn
