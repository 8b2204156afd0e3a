"""The reproduction (measured numbers against the pre-registered criteria) and the command line."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mds_cluster import MDSClustering
from mds_cluster.cli import main
from mds_cluster.reproduce import (
    ARI_MIN,
    K_TRUE,
    claim_objective_bound,
    claim_redundant_clusters_collapse,
    reproduce,
)
from neurotypes import Partition, Report, SpikeCounts
from neurotypes.reproduction import ClaimContext

REAL = Path(__file__).parent / "data"


def test_fast_claims_measure_their_criteria(tmp_path):
    ctx = ClaimContext(out=tmp_path)
    bound = claim_objective_bound(ctx)
    assert bound.measured["max(J - log K) over random cases"] <= 1e-12
    assert bound.measured["max |J| at equal means"] <= 1e-12
    toy = claim_redundant_clusters_collapse(ctx)
    m = toy.measured
    assert m["K after round 1"] == 2 and m["K_final"] == 2 and m["ARI with parity"] == 1.0
    assert 0.60 < m["final mean objective"] < math.log(2)
    assert m["split attempts collapsed"] == m["split attempts"] >= 1
    assert (tmp_path / "mds_onoff_toy.png").stat().st_size > 1000
    assert ctx.used_seeds["run"] == [0, 42]


@pytest.mark.slow
def test_quick_reproduce(tmp_path):
    report = reproduce(tmp_path, quick=True, device="cpu")
    claims = {c.name: c for c in report.claims}
    merge = claims["MDS clustering recovers functional cell types with the merge step (extension)"]
    assert merge.measured["K_final"] == [float(K_TRUE)] * 3 and min(merge.measured["ARI"]) >= ARI_MIN
    typing = claims["MDS type new cells on the fly from their responses to K stimuli"]
    assert min(typing.measured["typing accuracy"]) >= 0.95
    init = claims[
        "Result does not depend on the initial number of clusters (Algorithm 1 with its split step)"
    ]
    assert len(init.measured["types recovered (K=4, ARI>=0.95), reference algorithm"]) == 9
    back = Report.load(tmp_path / "report.json")
    assert [c.name for c in back.claims] == [c.name for c in report.claims]
    for c in report.claims:
        for f in c.figures:
            assert (tmp_path / f).stat().st_size > 1000


def test_help_imports_no_torch():
    code = (
        "import sys\nfrom mds_cluster.cli import main\n"
        "for argv in (['--help'], ['run', '--help'], ['fit', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--presentations" in out and out.strip().splitlines()[-1] == "False"


def test_cli_fit_onoff_then_run_on_recorded_responses(tmp_path, capsys):
    out = tmp_path / "fit"
    argv = [
        "fit",
        "--twin",
        "onoff",
        "--k-init",
        "5",
        "--seed",
        "42",
        "--steps",
        "50",
        "-q",
        "--device",
        "cpu",
    ]
    assert main([*argv, "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["k_final"] == 2 and summary["ari_vs_true_types"] == 1.0
    mc = MDSClustering.load(out / "result.npz")
    assert mc.n_clusters_ == 2 and mc.partition() == Partition.load(out / "partition.npz")
    # Recorded responses of 4 cells to the 2 MDS (spike counts, one bin per MDS): cells go to their argmax.
    SpikeCounts([[5, 0], [0, 7], [2, 1], [1, 9]], 1.0, unit_ids=["a", "b", "c", "d"]).save(
        tmp_path / "resp.npz"
    )
    types = tmp_path / "types.npz"
    capsys.readouterr()
    assert (
        main(["run", str(tmp_path / "resp.npz"), "--model", str(out / "result.npz"), "--out", str(types)])
        == 0
    )
    part = Partition.load(types)
    assert part.labels.tolist() == [0, 1, 0, 1] and part.item_ids == ("a", "b", "c", "d")
    assert json.loads((tmp_path / "types.json").read_text())["cells_per_type"] == [2, 2]
    # K mismatch between the recording and the model: one line naming both.
    SpikeCounts([[5, 0, 1]], 1.0).save(tmp_path / "three.npz")
    assert (
        main(["run", str(tmp_path / "three.npz"), "--model", str(out / "result.npz"), "--out", str(types)])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "three.npz" in err[0] and "result.npz" in err[0]


def test_cli_run_real_nwb_units_writes_a_type_column(tmp_path):
    pytest.importorskip("pynwb")
    pres = tmp_path / "p.csv"
    pres.write_text("mds,start,stop\n0,0,300\n1,300,600\n2,600,900\n0,900,1080\n")
    out = tmp_path / "types.npz"
    argv = ["run", str(REAL / "A8604-211122.nwb"), "--presentations", str(pres), "--nwb", "--out", str(out)]
    assert main(argv) == 0
    from neurotypes.io import read_spike_trains

    st = read_spike_trains(REAL / "A8604-211122.nwb")
    rates = np.zeros((3, 3))
    for i in range(3):
        t = st.unit_times(i)
        windows = {0: [(0, 300), (900, 1080)], 1: [(300, 600)], 2: [(600, 900)]}
        for k, spans in windows.items():
            rates[i, k] = np.mean([((t >= a) & (t < b)).sum() / (b - a) for a, b in spans])
    back = Partition.from_nwb(tmp_path / "units.nwb", "mds_cluster_type")
    assert back.item_ids == ("6", "191", "206")
    assert back.labels.tolist() == rates.argmax(axis=1).tolist() == Partition.load(out).labels.tolist()


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.csv")]) == 2
    assert "none.csv" in capsys.readouterr().err
    (tmp_path / "st.csv").write_text("cell,0,1\na,1,2\n")
    assert main(["run", str(tmp_path / "st.csv"), "--out", str(tmp_path / "x.txt")]) == 2
    assert "--out" in capsys.readouterr().err
