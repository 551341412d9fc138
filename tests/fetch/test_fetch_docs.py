"""The examples in wardmap.fetch's docstrings run (those needing a service are skipped)."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["http", "ons", "parts", "police", "vintages"])
def test_docstring_examples(name):
    module = importlib.import_module(f"wardmap.fetch.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_fetch_is_public_and_light():
    import subprocess
    import sys

    import wardmap

    assert wardmap.fetch_district.__module__ == "wardmap.fetch.stage"
    assert wardmap.FetchConfig().police_url == "https://data.police.uk/api"
    code = ("import sys, wardmap.fetch\n"
            "print(','.join(m for m in ('esda', 'numba', 'scipy.stats') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == ""
