"""reproduce() on the kit: the measured numbers are the runs' numbers, and the legs judge them as registered."""

import importlib
import json

import numpy as np
import pytest

from homeonet import run
from homeonet.cli import main
from neurotypes import Report

rep_mod = importlib.import_module("homeonet.reproduce")


@pytest.fixture
def small(monkeypatch):
    """A tiny sweep (the claim functions are unchanged; only the scale constants shrink)."""
    monkeypatch.setattr(rep_mod, "QUICK_RATES", (0, 2, 10))
    monkeypatch.setattr(rep_mod, "ETAS", (0.01,))
    monkeypatch.setattr(rep_mod, "EPOCHS", 3)
    monkeypatch.setattr(rep_mod, "TAIL", 2)
    monkeypatch.setattr(rep_mod, "QUICK_SEEDS", 2)


def test_reproduce_small_numbers_match_independent_runs(tmp_path, small):
    rep = rep_mod.reproduce(tmp_path, seed=5)
    assert rep.package == "homeonet"
    shift, eta, second = rep.claims
    # the measured values are the runs' own numbers (recomputed here, seeds 5 and 6)
    for i, sd in enumerate((5, 6)):
        acc = {
            m: np.mean(
                [
                    run(mode=m, swaps_per_epoch=S, epochs=3, eta0=0.01, seed=sd)["online_acc"][-2:].mean()
                    for S in (2, 10)
                ]
            )
            for m in ("lrh", "lrc")
        }
        assert shift.measured["LRH acc, mean over S > 0"][i] == pytest.approx(acc["lrh"])
        assert shift.measured["LRC acc, mean over S > 0"][i] == pytest.approx(acc["lrc"])
        e0 = run(mode="lrh", swaps_per_epoch=0, epochs=3, eta0=0.01, seed=sd)["eta_epoch_mean"][-1]
        assert eta.measured["LRH eta, S = 0"][i] == pytest.approx(e0)
    # each leg compares what it says, paired by seed, with the 2-standard-error rule
    leg = shift.legs[0]
    adv = np.subtract(shift.measured["LRH acc, mean over S > 0"], shift.measured["LRC acc, mean over S > 0"])
    np.testing.assert_allclose(leg.advantage, adv)
    se = np.std(adv, ddof=1) / np.sqrt(2)
    assert leg.outcome == (
        "reproduced"
        if adv.mean() - 2 * se > 0
        else "not reproduced"
        if adv.mean() + 2 * se < 0
        else "inconclusive"
    )
    ratio = np.divide(eta.measured["LRH eta, S = 10"], eta.measured["LRH eta, S = 0"])
    np.testing.assert_allclose(eta.measured["LRH eta ratio S = 10 / S = 0"], ratio)
    assert eta.legs[1].criterion.threshold == 2.0
    assert second.legs[0].criterion.baseline == "LRC acc" and second.legs[1].criterion.baseline == "LRR acc"
    for c in rep.claims:
        for f in c.figures:
            assert (tmp_path / f).read_bytes()[:4] == b"\x89PNG"
    back = Report.from_json((tmp_path / "report.json").read_text())
    assert [c.name for c in back.claims] == [c.name for c in rep.claims]


def test_registered_criteria_do_not_depend_on_the_outcome(tmp_path, small):
    """The legs are fixed in code: two different base seeds give the same criteria."""
    a = rep_mod.reproduce(tmp_path / "a", seed=0)
    b = rep_mod.reproduce(tmp_path / "b", seed=3)
    for ca, cb in zip(a.claims, b.claims, strict=True):
        assert [leg.criterion for leg in ca.legs] == [leg.criterion for leg in cb.legs]
        assert all(leg.criterion.spread == "mean-2se" for leg in ca.legs)


def test_cli_reproduce_and_run(tmp_path, small, capsys):
    assert main(["reproduce", "-q", "--out", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "report.md").is_file()
    rng = np.random.default_rng(0)
    y = np.arange(120) % 3
    X = np.eye(3)[y] + 0.1 * rng.normal(size=(120, 3))
    np.savez(tmp_path / "d.npz", x=X, y=y)
    out = tmp_path / "curves.json"
    assert (
        main(["run", str(tmp_path / "d.npz"), "--epochs", "2", "--mode", "lrr", "-q", "--out", str(out)]) == 0
    )
    got = json.loads(out.read_text())
    assert len(got["online_acc"]) == 2 and got["params"]["mode"] == "lrr"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--epochs", "0"], "--epochs"),
        (["run", "--eta0", "-1"], "--eta0"),
        (["run", "--swaps", "nan"], "--swaps"),
        (["run", "--out", "x.pkl"], "--out"),
    ],
)
def test_cli_bad_values_one_line(argv, needle, capsys, tmp_path):
    assert main([*argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


@pytest.mark.slow
def test_reproduce_quick_mode(tmp_path):
    """The quick report: LRC without shift learns digits (spec test 1 values) and every claim is measured."""
    rep = rep_mod.reproduce(tmp_path, quick=True)
    acc = rep.claims[1].measured["online acc (mean over seeds) by mode and S"]  # eta0 = 0.05
    assert acc["lrc"]["0"] >= 0.99
    assert len(rep.claims[0].measured["LRH acc, mean over S > 0"]) == 3
