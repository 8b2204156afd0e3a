"""neurotypes.cli (the shared command line) and neurotypes.reproduction (run_claims, figures, the index)."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

import neurotypes as nt
from neurotypes import Claim, Criterion
from neurotypes.cli import CommandLine, limit_threads
from neurotypes.reproduction import ClaimContext, render_index, run_claims, save_figure, write_index


def _claim_ok(ctx: ClaimContext) -> Claim:
    seeds = ctx.seeds(3)
    values = [float(ctx.rng(s).normal(1.0, 0.01)) for s in range(3)]
    return Claim("ok", "x > 0", {"x": values, "seeds": seeds}, Criterion("x", ">", 0.0, seeds=3))


def _claim_fig(ctx: ClaimContext) -> tuple[Claim, Claim]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, 1])
    name = ctx.figure(fig, "line.png")
    return (
        Claim(
            "fig", "a line", {"slope": 1.0}, Criterion("slope", "within", 1.0, tolerance=1e-9), figures=[name]
        ),
        Claim("data", "needs data", {}, missing="data.zarr (set DEMO_DATA)"),
    )


def test_run_claims_records_the_run(tmp_path):
    rep = run_claims(
        "demo",
        "1.2.3",
        tmp_path / "r",
        [_claim_ok, _claim_fig],
        quick=True,
        seed=5,
        threads=2,
        params={"n": 3},
        libraries=("numpy",),
    )
    assert [c.verdict for c in rep.claims] == ["reproduced", "reproduced", "not testable offline"]
    assert rep.run["mode"] == "quick" and rep.run["seed"] == 5 and rep.run["threads"] == 2
    assert rep.run["seeds"]["_claim_ok"][:3] == [5, 6, 7]
    assert set(rep.run["claim_seconds"]) == {"_claim_ok", "_claim_fig"}
    assert rep.run["machine"]["cores"] >= 1 and rep.run["libraries"]["numpy"] == np.__version__
    assert (tmp_path / "r" / "line.png").read_bytes()[:4] == b"\x89PNG"
    assert nt.Report.check_pair(tmp_path / "r")
    assert nt.Report.load(tmp_path / "r").totals()["not testable offline"] == 1


def test_run_claims_rejects_what_is_not_a_claim(tmp_path):
    with pytest.raises(TypeError, match="returned int"):
        run_claims("demo", "1", tmp_path, [lambda ctx: 3])
    with pytest.raises(TypeError, match="claims must be a sequence"):
        run_claims("demo", "1", tmp_path, _claim_ok)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"plain file name ending in \.png"):
        ClaimContext(tmp_path).figure(object(), "../x.png")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="matplotlib Figure"):
        save_figure(object(), tmp_path / "x.png")  # type: ignore[arg-type]


def test_index_shows_quick_and_full_side_by_side(tmp_path):
    run_claims("demo", "1.0", tmp_path / "demo", [_claim_ok, _claim_fig])
    run_claims("demo", "1.0", tmp_path / "demo" / "full", [_claim_ok], quick=False)
    run_claims("other", "0.3", tmp_path / "other", [_claim_ok])
    text = render_index(tmp_path, failures={"third": "crashed"})
    assert "| reproduced | 3 | 1 |" in text and "| not testable offline | 1 | 0 |" in text
    row = next(line for line in text.splitlines() if line.startswith("| [demo](demo/report.md) | ok |"))
    assert "[reproduced](demo/full/report.md)" in row and "1.0" in row
    fig_row = next(line for line in text.splitlines() if "| fig |" in line)
    assert "no full run" in fig_row and "(demo/line.png)" in fig_row
    assert "- third: crashed" in text
    write_index(tmp_path)
    assert (tmp_path / "index.md").read_text() == render_index(tmp_path)


def _cli(tmp_path, monkeypatch) -> CommandLine:
    mod = types.ModuleType("demo_repro")

    def reproduce(out_dir, quick=True, *, seed=0, progress=False, threads=None):
        return run_claims("demo", "1", out_dir, [_claim_ok], quick=quick, seed=seed, threads=threads)

    mod.reproduce = reproduce  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "demo_repro", mod)
    monkeypatch.chdir(tmp_path)
    cli = CommandLine("neurotypes", "demo")
    cli.add_reproduce("demo_repro:reproduce")
    run = cli.add_command("run", "run on a file", out="out.npz", seed=True)
    run.add_argument("path")
    cli.add_info()
    return cli


def _run_handler(args):
    nt.load(args.path)
    return 0


def test_cli_reproduce_info_and_errors(tmp_path, monkeypatch, capsys):
    cli = _cli(tmp_path, monkeypatch)
    assert cli.main(["reproduce", "--seed", "3", "-q"]) == 0
    out = capsys.readouterr().out
    assert "reproduced  ok" in out and (tmp_path / "reports/neurotypes/report.json").is_file()
    assert cli.main(["reproduce", "--full", "-q"]) == 0
    assert json.loads((tmp_path / "reports/neurotypes/full/report.json").read_text())["mode"] == "full"
    assert cli.main(["info"]) == 0
    assert "neurotypes" in capsys.readouterr().out
    # a user error: one line on stderr, status 2, naming the file
    assert cli.main(["run", "missing.npz"], {"run": _run_handler}) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("neurotypes: error:") and "missing.npz" in err[0]
    (tmp_path / "junk.npz").write_text("junk")
    assert cli.main(["run", "junk.npz"], {"run": _run_handler}) == 2
    assert "junk.npz" in capsys.readouterr().err
    # -v adds the traceback
    assert cli.main(["run", "-v", "missing.npz"], {"run": _run_handler}) == 2
    assert "Traceback" in capsys.readouterr().err
    # a bad option: argparse's message on one line, status 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["reproduce", "--threads", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--threads" in err[0]


def test_cli_bug_is_not_a_user_error(tmp_path, monkeypatch):
    cli = _cli(tmp_path, monkeypatch)

    def buggy(args):
        raise ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError):
        cli.main(["run", "x.npz"], {"run": buggy})


def test_limit_threads_sets_the_pool_variables(monkeypatch):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    limit_threads(None)
    import os

    assert "OMP_NUM_THREADS" not in os.environ
    limit_threads(1)
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["NUMBA_NUM_THREADS"] == "1"
