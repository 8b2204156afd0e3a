"""The command line: --help, `fit` on a neurotypes .npz and on a real NWB file, one-line errors."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bibcluster import simulate
from bibcluster.cli import main

DATA = Path(__file__).parent / "data"


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "reproduce" in out and "fit" in out and "info" in out


def test_fit_command(tmp_path, capsys):
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=0)
    path = tmp_path / "counts.npz"
    Y.save(path)
    out = tmp_path / "fit"
    assert main(["fit", str(path), "--iters", "12", "--chains", "2", "--out", str(out), "-q"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert len(result["neuron_clusters"]) == 9 and len(result["states"]) == 40
    assert set(result["diagnostics"]) >= {"n_clusters", "log_lik"}
    printed = capsys.readouterr().out
    assert "R-hat" in printed and "ESS bulk" in printed
    import arviz as az

    from neurotypes import Partition

    idata = az.from_netcdf(str(out / "posterior.nc"))
    assert idata.posterior["log_lik"].shape == (2, 9)
    assert idata.posterior["d"].shape == (2, 9, 9)
    clusters = Partition.load(out / "neuron_clusters.npz")
    assert np.array_equal(clusters.labels, result["neuron_clusters"])
    assert Partition.load(out / "states.npz").labels.shape == (40,)
    assert not list(out.glob(".*"))


def test_fit_a_real_nwb_file_and_write_the_clusters_back(tmp_path):
    pytest.importorskip("pynwb")
    src = tmp_path / "session.nwb"
    shutil.copy(DATA / "A8604-211122.nwb", src)
    out = tmp_path / "fit"
    args = ["fit", str(src), "--bin-size", "20", "--iters", "8", "--chains", "1", "--out", str(out), "-q"]
    assert main([*args, "--nwb-column"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert len(result["neuron_clusters"]) == 3  # the file's three units
    assert len(result["states"]) == 55  # 1087.35 s in 20 s bins
    from neurotypes import SpikeTrains

    trains = SpikeTrains.from_nwb(src)
    assert trains.n_units == 3 and "bibcluster_cluster" in (trains.unit_metadata or {})


def test_fit_spike_trains_need_a_bin_size(tmp_path, capsys):
    pytest.importorskip("pynwb")
    assert main(["fit", str(DATA / "A8604-211122.nwb"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bin_size" in err[0]


@pytest.mark.parametrize("suffix", [".npz", ".nwb", ".csv"])
def test_garbage_files_are_one_line_naming_the_file(tmp_path, capsys, suffix):
    bad = tmp_path / f"garbage{suffix}"
    bad.write_bytes(b"\x00\x01 not a recording \xff" * 10)
    assert main(["fit", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and bad.name in err[0] and err[0].startswith("bibcluster: error:")


def test_bad_options_are_refused(tmp_path, capsys):
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=0)
    path = tmp_path / "counts.npz"
    Y.save(path)
    assert main(["fit", str(path), "--iters", "0"]) == 2
    assert "--iters" in capsys.readouterr().err
    assert main(["fit", str(path), "--bin-size", "0.1"]) == 2
    assert "bin_size" in capsys.readouterr().err
