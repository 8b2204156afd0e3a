"""Shared fixtures: the real FISBe sample (two images, about 14 MB) kept in the repository only.

The sample is not part of the sdist or the wheel.  Tests that need it use ``tests/data/fisbe-sample`` when
it is there (the repository), else the folder named by ``FISBE_SAMPLE_DIR``, and skip otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fisbe_bench.data import missing_sample_files

HERE = Path(__file__).parent / "data" / "fisbe-sample"


def sample_dir() -> Path | None:
    """The real FISBe sample folder, or None when it is not available."""
    for cand in (HERE, Path(os.environ.get("FISBE_SAMPLE_DIR", "") or HERE)):
        if not missing_sample_files(cand):
            return cand
    return None


@pytest.fixture(scope="session")
def fisbe_sample() -> Path:
    """Path of the real FISBe sample; skips the test when it is absent (e.g. from an sdist)."""
    d = sample_dir()
    if d is None:
        pytest.skip("the real FISBe sample is not here (tests/data/fisbe-sample or FISBE_SAMPLE_DIR)")
    return d


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker so that the tests run standalone (e.g. against an installed wheel)."""
    config.addinivalue_line("markers", "slow: long real-data runs, deselected by default")
