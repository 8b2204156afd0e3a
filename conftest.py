"""Workspace-wide pytest setup, loaded for every package's tests (pytest's rootdir is the repository root).

Under CI (``CI`` set) hypothesis runs derandomised, so a run is repeatable and a submission's result does not
depend on which random examples one run happened to draw; locally it keeps exploring new examples.
"""

import os

try:
    from hypothesis import settings
except ImportError:  # a package whose test group has no hypothesis
    pass
else:
    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")
