"""The reproduction kit's verdict rules, checked against hand-computed cases, and the Report files."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neurotypes as nt
from neurotypes import Claim, Criterion, Report, _base
from neurotypes.report import VERDICTS, format_value


def outcome(crit: Criterion, measured: dict) -> str:
    return crit.evaluate(measured).outcome


# ----------------------------------------------------------------------------------------- one value
@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        ("<", 0.5, "reproduced"),
        ("<", 1.0, "not reproduced"),
        ("<=", 1.0, "reproduced"),
        (">", 1.0, "not reproduced"),
        (">=", 1.0, "reproduced"),
        (">", 1.5, "reproduced"),
        ("==", 1.0, "reproduced"),
        ("==", 1.5, "not reproduced"),
    ],
)
def test_threshold_comparators(comparator, value, expected):
    assert outcome(Criterion("m", comparator, 1.0), {"m": value}) == expected


def test_margin_is_required_beyond_the_reference():
    c = Criterion("acc", ">", baseline="chance", margin=0.05)
    assert outcome(c, {"acc": 0.16, "chance": 0.1}) == "reproduced"
    assert outcome(c, {"acc": 0.14, "chance": 0.1}) == "not reproduced"
    low = Criterion("nll", "<", baseline="bigram", margin=0.1)
    assert outcome(low, {"nll": 2.5, "bigram": 2.65}) == "reproduced"
    assert outcome(low, {"nll": 2.6, "bigram": 2.65}) == "not reproduced"


def test_within_uses_the_absolute_difference():
    c = Criterion("p", "within", 0.8, tolerance=0.05)
    assert outcome(c, {"p": 0.84}) == "reproduced"
    assert outcome(c, {"p": 0.76}) == "reproduced"
    assert outcome(c, {"p": 0.86}) == "not reproduced"


def test_nan_never_passes():
    assert outcome(Criterion("m", "<", 1.0), {"m": float("nan")}) == "not reproduced"
    assert outcome(Criterion("m", ">", 1.0), {"m": "nan"}) == "not reproduced"


def test_booleans_count_as_zero_and_one():
    assert outcome(Criterion("monotone", "==", 1), {"monotone": True}) == "reproduced"
    assert outcome(Criterion("monotone", "==", 1), {"monotone": False}) == "not reproduced"


# ----------------------------------------------------------------------------------------- several seeds
def test_each_rule_all_none_mixed():
    c = Criterion("nll", "<", baseline="bigram", seeds=3)
    assert outcome(c, {"nll": [1, 1, 1], "bigram": [2, 2, 2]}) == "reproduced"
    assert outcome(c, {"nll": [3, 3, 3], "bigram": [2, 2, 2]}) == "not reproduced"
    leg = c.evaluate({"nll": [1, 3, 1], "bigram": [2, 2, 2]})
    assert leg.outcome == "inconclusive" and leg.n_passing == 2 and "disagree" in leg.reason


def test_pairing_is_seed_by_seed():
    # every seed beats its own baseline although the sets overlap: paired, so reproduced
    c = Criterion("a", ">", baseline="b", seeds=3)
    assert outcome(c, {"a": [1.1, 2.1, 3.1], "b": [1.0, 2.0, 3.0]}) == "reproduced"
    # a single baseline value is compared with every seed
    assert outcome(c, {"a": [1.1, 2.1, 3.1], "b": 1.05}) == "reproduced"


def test_fewer_seeds_than_required_is_inconclusive():
    c = Criterion("a", ">", 0.0, seeds=3)
    leg = c.evaluate({"a": [1.0, 2.0]})
    assert leg.outcome == "inconclusive" and "needs 3 seeds" in leg.reason
    assert c.evaluate({"a": [-1.0, -2.0]}).outcome == "inconclusive"  # too few to fail it either


def test_mean_2se_matches_a_hand_computation():
    # advantages d = a - b = [0.3, 0.1, 0.2, 0.4]: mean 0.25, sd 0.1291, se 0.06455; 0.25 - 0.1291 > 0
    c = Criterion("a", ">", baseline="b", seeds=4, spread="mean-2se")
    leg = c.evaluate({"a": [1.3, 1.1, 1.2, 1.4], "b": [1.0, 1.0, 1.0, 1.0]})
    assert leg.outcome == "reproduced"
    assert leg.mean_advantage == pytest.approx(0.25)
    assert leg.se_advantage == pytest.approx(np.std([0.3, 0.1, 0.2, 0.4], ddof=1) / 2)
    # d = [0.3, -0.2, 0.1, -0.1]: mean 0.025, se 0.111 -> within 2 SE of zero
    leg = c.evaluate({"a": [1.3, 0.8, 1.1, 0.9], "b": [1.0] * 4})
    assert leg.outcome == "inconclusive" and "2 standard errors" in leg.reason
    # d all clearly negative
    assert c.evaluate({"a": [0.5, 0.6, 0.4, 0.5], "b": [1.0] * 4}).outcome == "not reproduced"


def test_at_least_k_of_n():
    c = Criterion("ari", ">=", 0.9, seeds=8, spread="at-least", min_passing=7)
    assert outcome(c, {"ari": [0.95] * 7 + [0.5]}) == "reproduced"
    assert outcome(c, {"ari": [0.95] * 6 + [0.5, 0.5]}) == "not reproduced"
    assert outcome(c, {"ari": [0.95] * 7}) == "inconclusive"  # only 7 of the 8 seeds measured


@given(
    st.lists(st.floats(-10, 10), min_size=2, max_size=12),
    st.floats(-10, 10),
    st.sampled_from(["<", "<=", ">", ">="]),
)
def test_each_rule_agrees_with_brute_force(values, threshold, comparator):
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    passing = ops[comparator](np.asarray(values), threshold)
    expected = "reproduced" if passing.all() else "not reproduced" if not passing.any() else "inconclusive"
    assert outcome(Criterion("m", comparator, threshold, seeds=2), {"m": values}) == expected


# ----------------------------------------------------------------------------------------- claims
def test_claim_verdict_combines_legs():
    ok = Criterion("a", ">", 0)
    bad = Criterion("b", ">", 0)
    unsure = Criterion("c", ">", 0, seeds=2)
    measured = {"a": 1, "b": -1, "c": [1, -1]}
    assert Claim("x", "p", measured, [ok]).verdict == "reproduced"
    assert Claim("x", "p", measured, [ok, unsure]).verdict == "inconclusive"
    assert Claim("x", "p", measured, [ok, unsure, bad]).verdict == "not reproduced"
    assert Claim("x", "p", measured, [ok, bad]).passed is False
    assert Claim("x", "p", measured).verdict == "measured"
    missing = Claim("x", "p", {}, [ok], missing="the FISBe sample (set FISBE_SAMPLE_DIR)")
    assert missing.verdict == "not testable offline" and missing.passed is None and not missing.legs
    assert "FISBE_SAMPLE_DIR" in missing.criterion


def test_verdict_vocabulary_is_closed():
    assert VERDICTS == ("reproduced", "not reproduced", "inconclusive", "not testable offline", "measured")


def make_report() -> Report:
    return Report(
        "demo",
        "0.1.0",
        [
            Claim(
                "match",
                1e-9,
                {"ratio": np.float64(1.2), "cells": np.array([1, 2])},
                Criterion("ratio", "within", 1.0, tolerance=0.5),
                figures=["a.png"],
            ),
            Claim(
                "beats baseline",
                "model beats bigram | always",
                {"nll": [2.0, 2.1, float("nan")], "bigram": [2.5, 2.5, 2.5]},
                Criterion("nll", "<", baseline="bigram", seeds=3),
                notes="n only up to 2 | small",
            ),
            Claim("hardware", "runs on SpiNNaker", {}, missing="a SpiNNaker board"),
        ],
        created="2026-11-28T00:00:00+00:00",
        run={"mode": "quick", "seed": np.int64(0)},
        params={"epochs": 3},
    )


def test_report_totals_and_json_round_trip(tmp_path):
    r = make_report()
    assert [c.verdict for c in r.claims] == ["reproduced", "inconclusive", "not testable offline"]
    assert r.totals() == {
        "reproduced": 1,
        "not reproduced": 0,
        "inconclusive": 1,
        "not testable offline": 1,
        "measured": 0,
    }
    d = json.loads(r.to_json())
    assert d["schema_version"] == 2 and d["mode"] == "quick"
    assert d["claims"][1]["measured"]["nll"][2] == "nan"
    assert d["claims"][0]["criteria"][0]["comparator"] == "within"
    assert d["claims"][1]["legs"][0]["n_passing"] == 2
    back = Report.from_json(r.to_json())
    assert back == r
    r.save(tmp_path / "r.json")
    assert Report.load(tmp_path / "r.json") == r


def test_a_tampered_verdict_is_refused():
    d = json.loads(make_report().to_json())
    d["claims"][1]["verdict"] = "reproduced"
    with pytest.raises(
        nt.FormatError, match="records verdict 'reproduced' but its criteria give 'inconclusive'"
    ):
        Report.from_json(json.dumps(d))


def test_schema_1_reports_still_load():
    v1 = {
        "package": "old",
        "version": "0.1.0",
        "created": "2026-11-28T00:00:00+00:00",
        "claims": [
            {
                "name": "a",
                "paper": 1,
                "measured": 2,
                "criterion": "c",
                "passed": False,
                "verdict": "not reproduced at this scale",
            },
            {
                "name": "b",
                "paper": 1,
                "measured": 1,
                "criterion": "c",
                "passed": True,
                "verdict": "reproduced",
            },
        ],
    }
    r = Report.from_json(json.dumps(v1))
    assert [c.verdict for c in r.claims] == ["not reproduced", "reproduced"]


def test_newer_or_foreign_reports_are_refused():
    d = json.loads(make_report().to_json())
    d["schema_version"] = 99
    with pytest.raises(nt.SchemaError, match="newer"):
        Report.from_json(json.dumps(d))
    d["schema_version"] = 2
    d["schema"] = "other"
    with pytest.raises(nt.SchemaError, match="holds schema 'other'"):
        Report.from_json(json.dumps(d))
    with pytest.raises(nt.FormatError, match="not valid JSON"):
        Report.from_json("{")
    with pytest.raises(nt.FormatError, match="must hold a JSON object"):
        Report.from_json("[1]")


def test_report_load_names_the_file_on_every_failure(tmp_path):
    bad = tmp_path / "report.json"
    bad.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(nt.FormatError, match=r"report\.json.*not UTF-8"):
        Report.load(bad)
    bad.write_text('{"package": "p", "version": "1", "claims": [{"name": 3}]}')
    with pytest.raises(nt.FormatError, match=r"report\.json.*not a valid report"):
        Report.load(bad)
    bad.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(nt.FormatError, match=r"report\.json"):
        Report.load(bad)
    with pytest.raises(nt.FileMissingError):
        Report.load(tmp_path / "none.json")
    with pytest.raises(FileNotFoundError):
        Report.load(tmp_path / "none.json")


def test_markdown_is_readable_and_escaped():
    md = make_report().to_markdown()
    assert (
        "| match | 1e-09 | ratio: 1.2; cells: [1, 2] | |ratio - 1| <= 0.5 | reproduced | [a.png](a.png) |"
        in (md.replace("\\|", "|"))
    )
    assert "model beats bigram \\| always" in md
    assert "3 claims: 1 reproduced, 1 inconclusive, 1 not testable offline" in md
    assert "![a](a.png)" in md
    assert "2 of 3 seeds pass" in md  # the leg's reason reaches the notes


def test_write_pair_records_the_json_digest(tmp_path):
    js, md = make_report().write(tmp_path / "out")
    assert js.name == "report.json" and md.name == "report.md"
    assert Report.check_pair(tmp_path / "out")
    js.write_text(js.read_text().replace("demo", "dem0"))
    assert not Report.check_pair(tmp_path / "out")


def test_a_failed_second_write_restores_the_first(tmp_path, monkeypatch):
    out = tmp_path / "out"
    make_report().write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = {"n": 0}
    real = os.replace

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the Markdown's rename fails after the JSON's succeeded
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(_base.os, "replace", flaky)
    changed = Report("demo", "0.2.0", [Claim("x", 1, {"m": 1})])
    with pytest.raises(OSError, match="disk full"):
        changed.write(out)
    monkeypatch.setattr(_base.os, "replace", real)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert Report.check_pair(out)


def test_format_value_summarises():
    assert format_value(0.123456) == "0.1235"
    assert format_value([1.0, 2.0]) == "[1, 2]"
    assert format_value(list(range(20))).startswith("0..19 (mean 9.5, n=20)")
    assert format_value({"a": True, "b": None}) == "a: yes; b: "
    assert math.isnan(float("nan"))
