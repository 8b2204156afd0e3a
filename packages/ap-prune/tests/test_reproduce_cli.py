"""The reproduction (criteria against the measured numbers) and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ap_prune.cli import main
from ap_prune.reproduce import RunResult, Settings, fraction_lower, mean_gap, nearest_round, reproduce


def _run(dnr, density=(1.0, 0.8, 0.64)):
    n = len(dnr)
    return RunResult("r", 0, list(density)[:n], list(dnr), list(dnr), [1.0] * n, [0] * n, 0.0)


def test_helpers():
    assert nearest_round([1.0, 0.8, 0.64, 0.512, 0.41, 0.328, 0.262, 0.21], 0.26) == 6
    a, b = _run([0.4, 0.3, 0.2]), _run([0.4, 0.35, 0.2])
    assert fraction_lower(a, b) == 0.5  # round 0 (density 1) is not a pruned round; ties are not lower
    assert mean_gap(b, a) == pytest.approx((0.05 + 0.0) / 2)
    with pytest.raises(ValueError, match="paired runs"):
        fraction_lower(a, _run([0.4, 0.3]))


def _check_legs(claim):
    """Each leg's values are the measured numbers, compared with the criterion's own reference."""
    for leg in claim.legs:
        c = leg.criterion
        values = np.atleast_1d(np.asarray(claim.measured[c.metric], dtype=float))
        np.testing.assert_allclose(values, leg.values)
        ref = c.threshold if c.threshold is not None else claim.measured[c.baseline]
        ref = np.broadcast_to(np.asarray(ref, dtype=float), values.shape)
        sign = {"<": -1, "<=": -1, ">": 1, ">=": 1}[c.comparator]
        np.testing.assert_allclose(leg.advantage, sign * (values - ref) - c.margin, atol=1e-12)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, reproduce(out, settings=Settings.tiny(), device="cpu")


def test_tiny_reproduce_measures_every_claim(tiny_report):
    out, report = tiny_report
    by_name = {c.name: c for c in report.claims}
    for claim in report.claims:
        _check_legs(claim)
        assert claim.criteria and claim.figures
        for f in claim.figures:
            assert (out / f).is_file()
    # the numbers come from the recorded curves: drop = DNR(1.0) - DNR(round nearest 0.26)
    dnr = by_name["DNR falls as the network is pruned"].measured
    for seed, curve in zip((0, 1), dnr["curves"].values(), strict=True):
        i = nearest_round(curve["density"], 0.26)
        assert dnr["DNR drop, density 1.0 to ~0.26"][seed] == pytest.approx(
            curve["DNR"][0] - curve["DNR"][i], abs=1e-4
        )
        assert curve["density"][1] == pytest.approx(0.8, abs=1e-3)  # 20% per round, exactly
    ap = by_name["AP lowers the dynamic DNR"].measured
    gaps = ap["gap per pruned round"]["seed 0"]
    assert ap["mean DNR gap IMP - IMP+AP over pruned rounds"][0] == pytest.approx(np.mean(gaps), abs=1e-3)
    assert report.run["seeds"]["claim_dnr_falls"] == [0, 1]
    assert json.loads((out / "report.json").read_text())["package"] == "ap-prune"


@pytest.mark.slow
@pytest.mark.parametrize("quick", [True, False])
def test_reproduce_against_criteria(tmp_path, quick):
    report = reproduce(tmp_path, quick=quick, device="cpu")
    by_name = {c.name: c for c in report.claims}
    for claim in report.claims:
        _check_legs(claim)
    curves = by_name["DNR falls as the network is pruned"].measured["curves"]
    rounds = Settings.quick().rounds if quick else Settings.full().rounds
    for curve in curves.values():
        np.testing.assert_allclose(curve["density"], [0.8**r for r in range(rounds)], rtol=1e-3)
        assert all(0.0 <= d <= 1.0 for d in curve["DNR"])
        # leaving structurally dead units out can only lower the rate
        assert all(
            a <= d + 1e-12 for a, d in zip(curve["DNR without structural deaths"], curve["DNR"], strict=True)
        )


def _cli(tmp_path, *args):
    code = "import sys; from ap_prune.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )


def test_cli_help_and_run_on_a_csv_table(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "reproduce" in capsys.readouterr().out
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    table = tmp_path / "cells.csv"
    lines = ["f0,f1,f2,f3,f4,cell_type"] + [
        ",".join(f"{v:.5f}" for v in row) + f",{c}" for row, c in zip(x, y, strict=True)
    ]
    table.write_text("\n".join(lines) + "\n")
    out = tmp_path / "rounds.csv"
    rc = main(
        [
            "run",
            str(table),
            "--label",
            "cell_type",
            "--rounds",
            "3",
            "--epochs",
            "1",
            "--hidden",
            "16",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    assert "density" in capsys.readouterr().out
    rows = out.read_text().splitlines()
    assert rows[0].startswith("round,density,dnr") and len(rows) == 4
    densities = [float(r.split(",")[1]) for r in rows[1:]]
    np.testing.assert_allclose(densities, [1.0, 0.8, 0.64], atol=2 / 112)  # 112 weights: rounding
    npz = tmp_path / "cells.npz"
    np.savez(npz, x=x, y=y)
    js = tmp_path / "rounds.json"
    assert (
        main(
            [
                "run",
                str(npz),
                "--rounds",
                "2",
                "--epochs",
                "1",
                "--ap",
                "0",
                "--hidden",
                "8",
                "--out",
                str(js),
            ]
        )
        == 0
    )
    assert json.loads(js.read_text())["density"][1] == pytest.approx(0.8, abs=2 / 56)  # 56 weights


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--rounds", "0"], "--rounds"),
        (["--p", "0.1", "--ap", "0.2"], "--ap"),
        (["--ap", "-0.1"], "--ap"),
        (["--hidden", "12,x"], "--hidden"),
        (["--out", "rounds.txt"], "--out"),
    ],
)
def test_cli_user_errors_are_one_line(tmp_path, args, needle):
    res = _cli(tmp_path, "run", *args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ap-prune: error:") and needle in lines[0]


def test_cli_bad_tables_name_the_file(tmp_path):
    bad = tmp_path / "labels.csv"
    bad.write_text("a,b\n1,2\n3,4\n")
    res = _cli(tmp_path, "run", str(bad))
    assert res.returncode == 2 and "labels.csv" in res.stderr and "'label'" in res.stderr
    text = tmp_path / "text.csv"
    text.write_text("f,label\nx,1\n")
    res = _cli(tmp_path, "run", str(text))
    assert res.returncode == 2 and "line 2" in res.stderr and "Traceback" not in res.stderr
