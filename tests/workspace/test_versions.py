"""Workspace consistency: every member installs, reports its own version and documents it."""

from __future__ import annotations

import importlib
import importlib.metadata
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = sorted(
    p.parent for p in [*ROOT.glob("shared/*/pyproject.toml"), *ROOT.glob("packages/*/pyproject.toml")]
)


def _meta(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())


@pytest.mark.parametrize("folder", MEMBERS, ids=lambda p: p.name)
def test_member_version_matches_metadata_and_changelog(folder):
    meta = _meta(folder)
    name, version = meta["project"]["name"], meta["project"]["version"]
    module = meta.get("tool", {}).get("neurozoo", {}).get("module", name.replace("-", "_"))
    mod = importlib.import_module(module)
    assert importlib.metadata.version(name) == version
    assert mod.__version__ == version
    changelog = (folder / "CHANGELOG.md").read_text()
    assert f"## [{version}]" in changelog, f"{name}: CHANGELOG.md has no section for {version}"


@pytest.mark.parametrize("folder", [m for m in MEMBERS if m.parent.name == "packages"], ids=lambda p: p.name)
def test_package_depends_on_neurotypes_by_range_and_not_on_siblings(folder):
    meta = _meta(folder)
    deps = meta["project"].get("dependencies", [])
    assert any(d.replace(" ", "").startswith("neurotypes>=0.2,<0.3") for d in deps), deps
    siblings = {_meta(m)["project"]["name"] for m in MEMBERS if m != folder} - {"neurotypes"}
    for dep in deps:
        base = dep.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].split("~")[0].strip()
        assert base not in siblings, f"{folder.name} must not depend on sibling package {base}"
    assert (
        "reproduce" in (folder / "src" / module_name(meta) / "__init__.py").read_text()
        or (folder / "src" / module_name(meta) / "reproduce.py").is_file()
    )


def module_name(meta: dict) -> str:
    return meta.get("tool", {}).get("neurozoo", {}).get("module", meta["project"]["name"].replace("-", "_"))
