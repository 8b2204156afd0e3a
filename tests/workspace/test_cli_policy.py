"""One CLI error policy for every package: a user error prints one line naming the file or option and exits
with status 2 (no traceback); -v shows the traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ._members import PACKAGES, Member

ids = [m.name for m in PACKAGES]


def _run(m: Member, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = f"import sys; from {m.module}.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


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
    line = _one_line_error(_run(m, ["reproduce", "--threads", "0"], tmp_path), m)
    assert "--threads" in line
    line = _one_line_error(_run(m, ["no-such-verb"], tmp_path), m)
    assert "no-such-verb" in line


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_missing_and_unreadable_files_are_one_line_naming_the_file(m: Member, tmp_path):
    verbs = {v: pos for v, pos in _positionals(m).items() if v in ("fit", "run") and pos}
    assert verbs, f"{m.name}: fit/run take the user's file(s) as positional arguments"
    garbage = tmp_path / "garbage.dat"
    garbage.write_bytes(b"\x00\x01 this is not a recording \xff" * 10)
    for verb, pos in verbs.items():
        missing = str(tmp_path / "no-such-file.npz")
        line = _one_line_error(_run(m, [verb, *([missing] * len(pos))], tmp_path), m)
        assert "no-such-file.npz" in line, f"{m.name} {verb}: {line}"
        for suffix in (".npz", ".nwb", ".csv"):
            bad = garbage.with_suffix(suffix)
            bad.write_bytes(garbage.read_bytes())
            res = _run(m, [verb, *([str(bad)] * len(pos))], tmp_path)
            line = _one_line_error(res, m)
            assert bad.name in line, f"{m.name} {verb} {suffix}: the error must name the file: {line}"
        verbose = _run(m, [verb, "-v", *([missing] * len(pos))], tmp_path)
        assert verbose.returncode == 2 and "Traceback" in verbose.stderr
