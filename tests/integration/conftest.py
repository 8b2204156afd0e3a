"""Pipelines as users run them: each stage runs in a venv holding only its own package (built by the nox
`integration` session, one per package, under $NEUROZOO_ENVS/<dist-name>), and stages hand neurotypes files to
each other through a folder. The last stage (or the test itself, with neurotypes only) asserts the science.

A stage is a script in tests/integration/stages/ run as ``python stages/<script>.py <args>`` by the package's
own interpreter; before it runs, the stage checks that no other method package is importable in that venv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = Path(__file__).resolve().parent / "stages"


def _modules() -> dict[str, str]:
    out = {}
    for py in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        meta = tomllib.loads(py.read_text())
        name = meta["project"]["name"]
        out[name] = meta.get("tool", {}).get("neurozoo", {}).get("module", name.replace("-", "_"))
    return out


MODULES = _modules()

_GUARD = """
import importlib.util, json, sys
own, others = sys.argv[1], json.loads(sys.argv[2])
leaked = [m for m in others if importlib.util.find_spec(m) is not None]
if leaked:
    sys.exit(f"stage environment of {own} can import other method packages: {leaked}")
if importlib.util.find_spec(own) is None:
    sys.exit(f"stage environment cannot import its own package {own}")
"""


class Stages:
    """Runs stage scripts in package-only environments."""

    def __init__(self, envs: Path, workdir: Path) -> None:
        self.envs = envs
        self.workdir = workdir
        self.checked: set[str] = set()

    def python(self, package: str) -> str:
        exe = self.envs / package / "bin" / "python"
        if not exe.exists():
            pytest.fail(f"no environment for {package} under {self.envs} (run: uvx nox -s integration)")
        return str(exe)

    def run(self, package: str, script: str, *args: object, timeout: int = 600) -> dict:
        """Run ``stages/<script>`` with ``package``'s interpreter; return the JSON it prints last (if any)."""
        exe = self.python(package)
        if package not in self.checked:
            others = [m for name, m in MODULES.items() if name != package]
            guard = subprocess.run(
                [exe, "-c", _GUARD, MODULES[package], json.dumps(others)], capture_output=True, text=True
            )
            assert guard.returncode == 0, guard.stderr or guard.stdout
            self.checked.add(package)
        env = {**os.environ, "MPLBACKEND": "Agg", "PYNEST_QUIET": "1", "PYTHONPATH": str(STAGES)}
        res = subprocess.run(
            [exe, str(STAGES / script), *[str(a) for a in args]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.workdir,
            env=env,
        )
        assert res.returncode == 0, f"stage {script} ({package}) failed:\n{res.stderr[-4000:]}"
        lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


@pytest.fixture
def stages(tmp_path) -> Stages:
    envs = os.environ.get("NEUROZOO_ENVS")
    if not envs:
        pytest.fail("NEUROZOO_ENVS is not set: run the pipelines through `uvx nox -s integration`")
    return Stages(Path(envs), tmp_path)


def pytest_report_header(config: pytest.Config) -> str:
    return f"integration stages from {os.environ.get('NEUROZOO_ENVS', '(NEUROZOO_ENVS unset)')}; python {sys.version.split()[0]}"
