"""The command line: --help and `fit` on a small SpikeCounts file."""

import json

import pytest

from bibcluster import simulate
from bibcluster.cli import main


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "reproduce" in capsys.readouterr().out


def test_fit_command(tmp_path, capsys):
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=0)
    path = tmp_path / "counts.npz"
    Y.save(path)
    out = tmp_path / "fit.json"
    nc = tmp_path / "post.nc"
    assert (
        main(["fit", str(path), "--iters", "12", "--chains", "2", "--out", str(out), "--idata", str(nc)]) == 0
    )
    result = json.loads(out.read_text())
    assert len(result["neuron_clusters"]) == 9 and len(result["states"]) == 40
    assert set(result["diagnostics"]) >= {"n_clusters", "log_lik"}
    err = capsys.readouterr().err
    assert "R-hat" in err and "ESS bulk" in err
    import arviz as az

    idata = az.from_netcdf(str(nc))
    assert idata.posterior["log_lik"].shape == (2, 9)
    assert idata.posterior["d"].shape == (2, 9, 9)
    assert not list(tmp_path.glob(".*tmp"))
