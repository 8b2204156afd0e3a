"""Claim and Report: verdicts, JSON and Markdown rendering, files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neurotypes as nt


def make_report():
    return nt.Report(
        "demo",
        "0.1.0",
        [
            nt.Claim(
                "match", 1e-9, np.float64(1.2e-9), "ratio within 2x", np.bool_(True), figures=["fig/a.png"]
            ),
            nt.Claim(
                "capacity",
                "grows with n",
                {"n": [1, 2], "cap": np.array([3, 4])},
                "monotone",
                False,
                notes="n only up to 2 | small",
            ),
            nt.Claim("hardware", "runs on SpiNNaker", None, "board available", None),
        ],
        created="2026-11-28T00:00:00+00:00",
        params={"quick": True, "seed": np.int64(0)},
    )


def test_verdicts_follow_passed():
    r = make_report()
    assert [c.verdict for c in r.claims] == [
        "reproduced",
        "not reproduced at this scale",
        "not testable offline",
    ]
    assert [c.passed for c in r.claims] == [True, False, None]
    assert r.n_passed == 1
    assert nt.Claim("x", 1, 1, "c", False, verdict="contradicted").verdict == "contradicted"


def test_json_shape_and_round_trip(tmp_path):
    r = make_report()
    d = json.loads(r.to_json())
    assert {"package", "version", "created", "claims"} <= d.keys()
    assert d["claims"][1]["measured"] == {"n": [1, 2], "cap": [3, 4]}
    assert set(d["claims"][0]) >= {"name", "paper", "measured", "criterion", "passed", "verdict", "figures"}
    assert nt.Report.from_json(r.to_json()) == r
    r.save(tmp_path / "r.json")
    assert nt.Report.load(tmp_path / "r.json") == r


def test_markdown_table_links_figures_and_escapes():
    md = make_report().to_markdown()
    assert "| match | 1e-09 | 1.2e-09 | ratio within 2x | reproduced | [a.png](fig/a.png) |" in md
    assert "![a](fig/a.png)" in md
    assert "n only up to 2 \\| small" not in md.split("Notes:")[0]
    assert "1 of 3 claims reproduced" in md
    for line in md.splitlines():
        if line.startswith("| capacity"):
            assert line.count(" | ") == 5  # no stray cell from the notes or the dict


def test_write_creates_both_files(tmp_path):
    js, md = make_report().write(tmp_path / "out")
    assert js.name == "report.json" and md.name == "report.md"
    assert nt.Report.load(js).package == "demo"
    assert md.read_text().startswith("## demo 0.1.0")


def test_newer_report_schema_is_refused():
    d = json.loads(make_report().to_json())
    d["schema_version"] = 99
    with pytest.raises(nt.SchemaError, match="newer"):
        nt.Report.from_json(json.dumps(d))
    with pytest.raises(ValueError, match="not valid JSON"):
        nt.Report.from_json("{")


def test_nan_measurement_is_kept_as_text():
    c = nt.Claim("diverged", 0.1, float("nan"), "finite", False)
    assert c.measured == "nan"
