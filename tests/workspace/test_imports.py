"""Importing any member changes nothing global: environment, warning filters, logging, matplotlib's backend,
numpy's error and print state, torch's defaults, tensorly's backend. Each import runs in a fresh interpreter,
after the member's own dependencies were imported, so that only the member's import code is measured."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ._members import MEMBERS, Member

SNAPSHOT = r"""
import json, logging, os, sys, warnings
import numpy as np

def snap():
    state = {
        "env": dict(os.environ),
        "warnings": [repr(f) for f in warnings.filters],
        "root_level": logging.getLogger().level,
        "root_handlers": [type(h).__name__ for h in logging.getLogger().handlers],
        "logger_levels": {n: l.level for n, l in logging.Logger.manager.loggerDict.items()
                          if isinstance(l, logging.Logger) and l.level != logging.NOTSET},
        "logging_disabled": logging.root.manager.disable,
        "np_err": np.geterr(),
        "np_print": {k: repr(v) for k, v in np.get_printoptions().items()},
        "cwd": os.getcwd(),
    }
    if "matplotlib" in sys.modules:
        state["mpl_backend"] = sys.modules["matplotlib"].rcParams._get_backend_or_none()
        state["mpl_interactive"] = sys.modules["matplotlib"].is_interactive()
    if "torch" in sys.modules:
        t = sys.modules["torch"]
        state["torch"] = [str(t.get_default_dtype()), t.get_num_threads(), t.are_deterministic_algorithms_enabled()]
    if "tensorly" in sys.modules:
        state["tensorly"] = sys.modules["tensorly"].get_backend()
    return state
"""


def _dependency_modules(m: Member) -> list[str]:
    """Top-level modules of the member's installed required dependencies (to import before measuring)."""
    code = f"""
import importlib.metadata as md, json
reqs = md.requires({m.name!r}) or []
names = set()
for r in reqs:
    if "extra ==" in r:
        continue
    n = r.split(";")[0]
    for s in "<>=!~[ (":
        n = n.split(s)[0]
    names.add(n.strip().lower().replace("_", "-"))
mods = []
for mod, dists in md.packages_distributions().items():
    if any(d.lower().replace("_", "-") in names for d in dists) and mod.isidentifier() and not mod.startswith("_"):
        mods.append(mod)
print(json.dumps(sorted(mods)))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("m", MEMBERS, ids=[m.name for m in MEMBERS])
def test_import_changes_nothing_global(m: Member):
    deps = [d for d in _dependency_modules(m) if d not in ("neurotypes", m.module)]
    also = ["matplotlib", "torch", "tensorly"]
    code = (
        SNAPSHOT
        + f"""
import importlib
for name in {deps + also!r}:
    try:
        importlib.import_module(name)
    except Exception:
        pass
before = snap()
importlib.import_module({m.module!r})
after = snap()
diff = {{k: [before.get(k), after.get(k)] for k in set(before) | set(after) if before.get(k) != after.get(k)}}
if "env" in diff:
    b, a = diff["env"]
    diff["env"] = {{k: [b.get(k), a.get(k)] for k in set(b) | set(a) if b.get(k) != a.get(k)}}
print(json.dumps(diff, default=str))
"""
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    diff = json.loads(res.stdout.strip().splitlines()[-1])
    assert diff == {}, f"importing {m.module} changed global state: {diff}"
