"""Small helpers every stage script shares (neurotypes and the standard library only)."""

from __future__ import annotations

import json
import sys
from typing import Any


def report(**values: Any) -> None:
    """Print the stage's result as the last JSON line of stdout (read back by the test)."""
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()
