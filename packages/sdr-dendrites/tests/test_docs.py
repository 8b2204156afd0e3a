"""The docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["probability", "union", "design", "data", "dendrites", "plots"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"sdr_dendrites.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
