import json
import math
from dataclasses import replace

import pandas as pd
import pytest

from tests.helpers import grid_wards
from wardmap.config import Config
from wardmap.export import atomic_folder, write_json, write_run
from wardmap.result import RunMeta, RunResult


def result_with(incidents, public=False):
    wards = grid_wards().rename(columns={"WD23CD": "ward_code", "WD23NM": "ward_name"})
    wards["incidents"] = incidents
    wards["value"] = incidents
    wards["population"] = 1000.0
    wards["rate_per_1000"] = wards["incidents"] / 1.0
    config = Config()
    config.output.public = public
    return RunResult(config=config, wards=wards, summary={"wards": 6}, meta=RunMeta())


def test_atomic_folder_replaces_only_on_success(tmp_path):
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("second")
        raise RuntimeError("half-way")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_json_is_strict(tmp_path):
    import numpy as np

    write_json(tmp_path / "s.json", {"I": np.float64(math.nan), "n": np.int64(3),
                                     "x": [math.inf, 1.5]})
    assert json.loads((tmp_path / "s.json").read_text()) == {"I": None, "n": 3,
                                                             "x": [None, 1.5]}


def test_public_run_suppresses_small_counts_in_tables(tmp_path):
    out = write_run(result_with([0, 1, 4, 5, 9, 30], public=True), tmp_path / "pub", maps=False)
    table = pd.read_csv(out / "wards.csv", dtype=str, keep_default_na=False)
    assert table["incidents"].tolist() == ["0", "<5", "<5", "5", "9", "30"]
    assert table["rate_per_1000"].tolist()[1:3] == ["", ""]
    assert table["value"].tolist()[:4] == ["0.0", "", "", "5.0"]
    internal = write_run(result_with([0, 1, 4, 5, 9, 30]), tmp_path / "int", maps=False)
    assert pd.read_csv(internal / "wards.csv")["incidents"].tolist() == [0, 1, 4, 5, 9, 30]


def test_contract_columns_come_first(tmp_path):
    result = result_with([1, 2, 3, 4, 5, 6])
    result = replace(result, wards=result.wards.assign(extra=1))
    out = write_run(result, tmp_path / "o", maps=False)
    header = (out / "wards.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["ward_code", "ward_name", "value", "incidents"]
    assert header[-1] == "extra"
