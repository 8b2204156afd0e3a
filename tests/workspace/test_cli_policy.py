"""One CLI error policy for every package: a user error prints one line naming the file or option and exits
with status 2 (no traceback); -v shows the traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ._members import PACKAGES, Member

ids = [m.name for m in PACKAGES]


def _run(m: Member, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = f"import sys; from {m.module}.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def _run_all(m: Member, calls: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """The calls in parallel, one per core (each is a fresh interpreter importing the package)."""
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda args: _run(m, args, cwd), calls))


def _positionals(m: Member) -> dict[str, list[str]]:
    code = f"""
import argparse, json
from {m.module} import cli as c
sub = next(a for a in c.cli.parser._actions if isinstance(a, argparse._SubParsersAction))
print(json.dumps({{v: [a.dest for a in p._actions if not a.option_strings] for v, p in sub.choices.items()}}))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def _one_line_error(res: subprocess.CompletedProcess[str], m: Member) -> str:
    assert res.returncode == 2, f"{m.name}: status {res.returncode}\n{res.stderr[-2000:]}"
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"{m.name}: expected one line, got:\n{res.stderr[-2000:]}"
    assert "Traceback" not in res.stderr
    assert lines[0].startswith(f"{m.name}: error:"), lines[0]
    return lines[0]


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_bad_option_is_one_line(m: Member, tmp_path):
    threads, verb, unknown = _run_all(
        m, [["reproduce", "--threads", "0"], ["no-such-verb"], ["--bogus"]], tmp_path
    )
    assert "--threads" in _one_line_error(threads, m)
    assert "no-such-verb" in _one_line_error(verb, m)
    assert "--bogus" in _one_line_error(unknown, m)


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_missing_and_unreadable_files_are_one_line_naming_the_file(m: Member, tmp_path):
    verbs = {v: pos for v, pos in _positionals(m).items() if v in ("fit", "run") and pos}
    assert verbs, f"{m.name}: fit/run take the user's file(s) as positional arguments"
    garbage = tmp_path / "garbage.dat"
    garbage.write_bytes(b"\x00\x01 this is not a recording \xff" * 10)
    missing = str(tmp_path / "no-such-file.npz")
    bads = []
    for suffix in (".npz", ".nwb", ".csv"):
        bad = garbage.with_suffix(suffix)
        bad.write_bytes(garbage.read_bytes())
        bads.append(bad)
    for verb, pos in verbs.items():
        calls = [[verb, *([missing] * len(pos))]]
        calls += [[verb, *([str(bad)] * len(pos))] for bad in bads]
        calls += [[verb, "-v", *([missing] * len(pos))]]
        first, *garbled, verbose = _run_all(m, calls, tmp_path)
        line = _one_line_error(first, m)
        assert "no-such-file.npz" in line, f"{m.name} {verb}: {line}"
        for bad, res in zip(bads, garbled, strict=True):
            line = _one_line_error(res, m)
            assert bad.name in line, f"{m.name} {verb} {bad.suffix}: the error must name the file: {line}"
        assert verbose.returncode == 2 and "Traceback" in verbose.stderr
