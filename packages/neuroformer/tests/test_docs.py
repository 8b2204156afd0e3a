"""The docstring examples run; the gallery examples run (slow)."""

from __future__ import annotations

import doctest
import importlib
import runpy
from pathlib import Path

import pytest

MODULES = ["tokenizer", "data", "model", "train", "analysis", "baselines"]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"neuroformer.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.slow
@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="the examples are not installed with the wheel")
@pytest.mark.parametrize("script", ["plot_quick_start.py", "plot_own_data.py"])
def test_gallery_examples_run(script):
    pytest.importorskip("pynwb")
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
