"""The workspace members, read from their pyproject files (nothing is listed by hand)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Member:
    name: str
    folder: Path
    meta: dict = field(repr=False)

    @property
    def table(self) -> dict:
        return self.meta.get("tool", {}).get("neurozoo", {})

    @property
    def module(self) -> str:
        return self.table.get("module", self.name.replace("-", "_"))

    @property
    def src(self) -> Path:
        return self.folder / "src" / self.module

    @property
    def script(self) -> str | None:
        scripts = self.meta["project"].get("scripts", {})
        return self.name if self.name in scripts else None


def members() -> list[Member]:
    out = []
    for group in ("shared", "packages"):
        for py in sorted((ROOT / group).glob("*/pyproject.toml")):
            meta = tomllib.loads(py.read_text())
            out.append(Member(meta["project"]["name"], py.parent, meta))
    return out


MEMBERS = members()
PACKAGES = [m for m in MEMBERS if m.folder.parent.name == "packages"]
