"""The committed reproduction reports: every package has one, every link in them and in reports/index.md points to
a file tracked by git, and the index is the one the reports give (issue 31)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from neurotypes.reproduction import render_index

from ._members import PACKAGES, ROOT

REPORTS = ROOT / "reports"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _tracked() -> set[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "reports"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {(ROOT / p).resolve() for p in out.split("\0") if p}


def _local_links(md: Path) -> list[str]:
    return [t for t in LINK.findall(md.read_text()) if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


@pytest.fixture(scope="module")
def tracked() -> set[Path]:
    try:
        return _tracked()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")


@pytest.mark.parametrize("member", PACKAGES, ids=lambda m: m.name)
def test_every_package_has_a_committed_report(member, tracked):
    folder = REPORTS / member.folder.name
    for f in ("report.md", "report.json"):
        assert (folder / f).resolve() in tracked, f"{member.name}: reports/{folder.name}/{f} is not committed"


def test_every_link_of_the_reports_resolves_to_a_tracked_file(tracked):
    pages = [
        REPORTS / "index.md",
        *sorted(REPORTS.glob("*/report.md")),
        *sorted(REPORTS.glob("*/full/report.md")),
    ]
    dead = []
    for md in pages:
        for target in _local_links(md):
            path = (md.parent / target.split("#", 1)[0]).resolve()
            if path not in tracked:
                dead.append(f"{md.relative_to(ROOT)} -> {target}")
    assert not dead, "links to files git does not track:\n" + "\n".join(dead)


def test_the_index_is_the_one_the_reports_give():
    assert (REPORTS / "index.md").read_text() == render_index(REPORTS), (
        "reports/index.md is stale: run `uv run python -m neurotypes.reproduction index reports`"
    )
