"""Fixtures: a sPyNNaker configuration (a real machine if the user configured one, else a virtual board)."""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterator
from pathlib import Path

import pytest


def _user_configs() -> list[Path]:
    paths = [Path.home() / ".spynnaker.cfg"]
    if os.environ.get("XDG_CONFIG_HOME"):
        paths.append(Path(os.environ["XDG_CONFIG_HOME"]) / ".spynnaker.cfg")
    return [p for p in paths if p.is_file()]


def _names_hardware(path: Path) -> bool:
    cfg = configparser.ConfigParser()
    cfg.read(path)
    if not cfg.has_section("Machine"):
        return False
    m = cfg["Machine"]
    if m.get("virtual_board", "False").strip().lower() == "true":
        return False
    return any(
        m.get(k, "None").strip() not in ("", "None")
        for k in ("machine_name", "spalloc_server", "remote_spinnaker_url")
    )


@pytest.fixture
def spynnaker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """True when the user's own config names a SpiNNaker machine (a real run); otherwise a temporary config
    with a virtual board (map, place and route only; no spikes come back) and False."""
    pytest.importorskip("spynnaker")
    pytest.importorskip("pyNN.spiNNaker")
    user = _user_configs()
    if len(user) == 1 and _names_hardware(user[0]):
        yield True
        return
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    xdg.mkdir()
    (xdg / ".spynnaker.cfg").write_text(
        "[Machine]\nvirtual_board = True\nversion = 5\n\n[Reports]\n"
        f"default_report_file_path = {tmp_path / 'reports'}\n"
    )
    monkeypatch.setenv("HOME", str(home))  # one user config only (sPyNNaker refuses two)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.chdir(tmp_path)
    yield False
