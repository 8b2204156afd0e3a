import doctest

import pytest

import ap_prune.dnr
import ap_prune.pruning


@pytest.mark.parametrize("module", [ap_prune.dnr, ap_prune.pruning])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
