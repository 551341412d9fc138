"""Anselin's Columbus crime example through the command line, in a cold process."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def columbus(tmp_path_factory):
    # libpysal ships the example; finding it without importing libpysal saves seconds.
    spec = importlib.util.find_spec("libpysal")
    if spec is None:
        pytest.skip("libpysal (which ships the Columbus example) is not installed")
    shapefile = str(Path(spec.submodule_search_locations[0]) / "examples" / "columbus"
                    / "columbus.shp")
    folder = tmp_path_factory.mktemp("columbus")
    gpd.read_file(shapefile)[["POLYID", "CRIME"]].to_csv(folder / "crime.csv", index=False)
    return shapefile, folder


def test_columbus_moran_in_summary_json(columbus):
    shapefile, folder = columbus
    out = folder / "out"
    done = subprocess.run(
        [sys.executable, "-m", "wardmap", "run", "--boundaries", shapefile,
         "--code-col", "POLYID", "--name-col", "POLYID", "--counts", str(folder / "crime.csv"),
         "--value-col", "CRIME", "--no-maps", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["moran"]["I"] == pytest.approx(0.500188557, abs=1e-6)
    assert summary["moran"]["EI"] == pytest.approx(-1 / 48)
    assert summary["moran"]["p_sim"] <= 0.002
    wards = pd.read_csv(out / "wards.csv")
    assert len(wards) == 49 and wards["lisa_label"].isin(["High-High", "Low-Low"]).any()


def test_stage_imports_no_numba_esda_or_libpysal():
    """A cold run pays for every import: the test stage must not pull in the JIT stack."""
    code = (
        "import sys, geopandas as gpd, shapely\n"
        "from wardmap.config import StatsConfig\n"
        "from wardmap.stats import test_stage\n"
        "wards = gpd.GeoDataFrame({'ward_code': list('abcd'), 'value': [1, 2, 3, 5]},\n"
        "    geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)], crs=27700)\n"
        "test_stage(wards, StatsConfig())\n"
        "print(sorted(m for m in ('numba', 'esda', 'libpysal') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
