"""The examples in wardmap.fetch's docstrings run (those needing a service are skipped)."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["http", "ons", "parts", "police", "vintages"])
def test_docstring_examples(name):
    module = importlib.import_module(f"wardmap.fetch.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
