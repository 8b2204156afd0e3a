"""Shared fixtures; puts this folder on sys.path so tests can import elm_neuron_testing (importlib mode)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def reference_values() -> dict[str, Any]:
    """Outputs of the MIT reference implementation (see tests/data/README.md for provenance)."""
    out: dict[str, Any] = json.loads((DATA / "reference_values.json").read_text())
    return out
