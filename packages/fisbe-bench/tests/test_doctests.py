"""Run the docstring examples of the public modules."""

from __future__ import annotations

import doctest

import pytest

from fisbe_bench import dataset, localize, match, scores, synth


@pytest.mark.parametrize("module", [dataset, localize, match, scores, synth])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
