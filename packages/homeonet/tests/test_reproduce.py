"""reproduce() and the CLI: files, verdicts consistent with the recorded numbers."""

import json

import numpy as np
import pytest

from homeonet import reproduce
from homeonet.cli import main
from neurotypes import VERDICTS, Report


def _check_report(rep: Report, out, etas, s_max, s_mid):
    assert rep.package == "homeonet"
    assert len(rep.claims) == len(etas) + 2
    for c in rep.claims:
        assert c.verdict == VERDICTS[c.passed]
        for f in c.figures:
            assert (out / f).is_file()
            assert (out / f).read_bytes()[:4] == b"\x89PNG"
    # each verdict follows from the numbers it records (criteria fixed in the code, not tuned)
    for c, eta0 in zip(rep.claims[: len(etas)], etas, strict=True):
        gaps = c.measured["lrh_minus_best_baseline"]
        shifted = [float(v) for k, v in gaps.items() if float(k) > 0]
        acc = c.measured["online_acc_last10"]
        best = max(acc["lrc"][str(s_max)], acc["lrr"][str(s_max)])
        assert gaps[str(s_max)] == pytest.approx(acc["lrh"][str(s_max)] - best, abs=2e-4)
        assert c.passed == (gaps[str(s_max)] > 0 and np.mean(shifted) > 0) or abs(gaps[str(s_max)]) < 1e-3
        assert f"eta0 = {eta0}" in c.name
    eta_claim = rep.claims[len(etas)].measured[f"lrh_mean_eta_last_epoch_eta0_{etas[0]}"]
    assert (
        rep.claims[len(etas)].passed == (eta_claim[str(s_mid)] >= 2 * eta_claim["0"] - 1e-5)
        or abs(eta_claim[str(s_mid)] - 2 * eta_claim["0"]) < 1e-4
    )
    so = rep.claims[-1].measured["online_acc_last10"]
    assert rep.claims[-1].passed == (so["lrh"] > so["lrc"] and so["lrh"] > so["lrr"])
    # written files round-trip
    back = Report.from_json((out / "report.json").read_text())
    assert [c.name for c in back.claims] == [c.name for c in rep.claims]
    assert "| claim |" in (out / "report.md").read_text()


def test_reproduce_small(tmp_path):
    rep = reproduce(tmp_path, seeds=(0,), rates=(0, 10), etas=(0.01,), epochs=6)
    _check_report(rep, tmp_path, (0.01,), 10, 10)


def test_reproduce_rejects_sweeps_without_a_baseline(tmp_path):
    with pytest.raises(ValueError, match="rates must include 0"):
        reproduce(tmp_path, rates=(2, 10))


@pytest.mark.slow
def test_reproduce_quick_mode(tmp_path):
    """Spec test 8 (recorded, never gating on the paper's claim): the quick-mode sweep."""
    rep = reproduce(tmp_path, quick=True)
    _check_report(rep, tmp_path, (0.01, 0.05), 40, 10)
    # the faithful-port numbers the spec's prototype measured for LRC at eta0 = 0.05 (no tuning involved)
    lrc = rep.claims[1].measured["online_acc_last10"]["lrc"]
    assert lrc["0"] >= 0.99
    assert lrc["2"] <= lrc["0"] - 0.08
    assert lrc["40"] < 0.35


def test_cli_run_and_help(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "homeostatic" in capsys.readouterr().out.lower()
    out = tmp_path / "curve.json"
    assert (
        main(["run", "--mode", "lrr", "--swaps", "2", "--epochs", "2", "--eta0", "0.05", "--json", str(out)])
        == 0
    )
    text = capsys.readouterr().out
    assert "online_acc" in text
    data = json.loads(out.read_text())
    assert len(data["online_acc"]) == 2
    assert data["params"]["mode"] == "lrr"
    assert main(["run", "--swaps", "-1", "--epochs", "1"]) == 2
    assert "swaps_per_epoch must be" in capsys.readouterr().err


def test_cli_reproduce(tmp_path, monkeypatch, capsys):
    import importlib

    rmod = importlib.import_module("homeonet.reproduce")  # the module (homeonet.reproduce is the function)

    calls = {}
    real = rmod.reproduce

    def small(out_dir, quick=True, progress=False):
        calls["quick"] = quick
        return real(out_dir, quick=quick, seeds=(0,), rates=(0, 2), etas=(0.05,), epochs=3)

    monkeypatch.setattr(rmod, "reproduce", small)
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 0
    assert calls["quick"] is True
    assert (tmp_path / "r" / "report.json").is_file()
    assert "wrote" in capsys.readouterr().out
