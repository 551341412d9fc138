"""The examples in the docstrings of the download-handling modules run and hold."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["wardmap.outfolder", "wardmap.load.duplicates",
                                    "wardmap.periods.presets", "wardmap.load.files",
                                    "wardmap.load.incidents", "wardmap.export"])
def test_docstring_examples_run(module):
    found = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert found.attempted > 0 and found.failed == 0
