"""The evaluate/relate/peers functions over plain tables: docstring examples, inputs left
unchanged, and the same answers as the command line's path."""

import doctest
import importlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import wardmap
from tests.evaluate.borough import START, TARGET, months, write_borough
from wardmap.cli import cli


@pytest.mark.parametrize("module", ["wardmap.evaluate", "wardmap.relate", "wardmap.peers",
                                    "wardmap.hotspot_change"])
def test_docstring_examples_run(module):
    found = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert found.attempted > 0 and found.failed == 0


def test_evaluate_counts_equals_the_command(tmp_path):
    boundaries, incidents, counts = write_borough(tmp_path, 0.7, 1.15)
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["evaluate", "--boundaries", str(boundaries),
                                      "--incidents", str(incidents), "--start", START,
                                      "--target", TARGET[0], "--target", TARGET[1],
                                      "--no-maps", "--permutations", "0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    from_cli = json.loads((out / "evaluation.json").read_text())
    wards = wardmap.read_boundaries(boundaries)
    table = pd.DataFrame(counts, index=[f"W{i + 1:02d}" for i in range(len(counts))],
                         columns=months())
    before = table.copy()
    direct = wardmap.evaluate_counts(wards, table, target=TARGET, start=START)
    assert table.equals(before)
    for key in ("target", "buffer", "control", "displacement"):
        assert direct[key] == from_cli[key]
    assert direct["wdd"]["estimate"] == pytest.approx(from_cli["wdd"]["estimate"])
    assert direct["wdd"]["z"] == pytest.approx(from_cli["wdd"]["z"])


def test_relate_columns_leaves_its_input_alone():
    from wardmap.demo import example_grid

    grid = example_grid().assign(asb=[5.0, 6, 1, 4, 3, 1, 2, np.nan, 1])
    before = grid.copy(deep=True)
    relation = wardmap.relate_columns(grid, "asb", "crimes", permutations=99)
    assert grid.equals(before)
    assert relation.summary["wards"] == 8
    assert "Ward 7" in relation.summary["warnings"][0]
    assert relation.table.loc[7, "bv_lisa_label"] == "No value"


def test_rank_districts_by_rate_per_households():
    wards = pd.DataFrame({"ward_code": list("abcd"), "lad": ["X", "X", "Y", "Y"],
                          "crimes": [5, 9, 9, 1], "homes": [100, 900, 300, 10]})
    before = wards.copy()
    ranked, districts = wardmap.rank_districts(wards, district_col="lad", count_col="crimes",
                                               denominator_col="homes", per="households")
    assert wards.equals(before)
    # Rates per 1,000 households: 50, 10, 30, 100.
    assert ranked["rank_overall"].tolist() == [2, 4, 3, 1]
    assert list(districts.columns) == ["district", "wards", "count", "households",
                                       "rate_per_1000_households", "rank", "position"]
    assert districts["district"].tolist() == ["Y", "X"]
