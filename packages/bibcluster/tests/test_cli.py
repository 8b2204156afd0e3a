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
    assert main(["fit", str(path), "--iters", "6", "--chains", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert len(result["neuron_clusters"]) == 9 and len(result["states"]) == 40
