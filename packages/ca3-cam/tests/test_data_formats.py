"""Schedules from the field's formats (the authors' testbenches, an operations table, input spike trains in
neurotypes files and NWB), the CLI's one-line errors, and spikes out as neurotypes files and NWB."""

import numpy as np
import pytest

from ca3_cam import testbench
from ca3_cam.cli import main
from ca3_cam.data import read_schedule, reference_testbench_path
from neurotypes import FormatError, SpikeTrains


def _input_trains(sched):
    rows = sched.input_spikes()
    return SpikeTrains(
        rows[:, 0] / 1000.0, rows[:, 1], sched.n_cues + sched.n_content, 0.0, t_stop=sched.t_stop_ms / 1000.0
    )


def test_reference_testbench_and_operations_table(tmp_path):
    tb2 = read_schedule(reference_testbench_path("tb2"))
    assert tb2.operations == testbench.stress().operations
    p = tmp_path / "ops.csv"
    p.write_text(
        "op,t_ms,cue,bits\nlearn,0,0,0 1 8 9\nlearn,10,4,1 5 6\nrecall_cue,30,0,\nrecall_content,40,,6\n"
    )
    with pytest.raises(ValueError, match="--cues"):
        read_schedule(p)
    s = read_schedule(p, n_cues=5, n_content=10)
    assert [op.kind for op in s.operations] == ["learn", "learn", "recall_cue", "recall_content"]
    assert s.operations[0].bits == frozenset({0, 1, 8, 9}) and s.operations[3].bits == frozenset({6})
    bad = tmp_path / "bad.csv"
    bad.write_text("op,t_ms,cue,bits\nlearn,0,9,1\n")
    with pytest.raises(FormatError, match=r"bad\.csv"):
        read_schedule(bad, n_cues=5, n_content=10)


def test_input_spike_trains_npz_and_nwb(tmp_path):
    sched = testbench.functional()
    st = _input_trains(sched)
    st.save(tmp_path / "in.npz")
    assert read_schedule(tmp_path / "in.npz", n_cues=5).operations == sched.operations
    pytest.importorskip("pynwb")
    st.to_nwb(tmp_path / "in.nwb")
    assert read_schedule(tmp_path / "in.nwb", n_cues=5).operations == sched.operations
    with pytest.raises(ValueError, match="n_cues"):
        read_schedule(tmp_path / "in.npz")
    off = SpikeTrains([0.0005], [0], 15, 0.0, t_stop=0.1)
    off.save(tmp_path / "off.npz")
    with pytest.raises(FormatError, match="1-ms grid"):
        read_schedule(tmp_path / "off.npz", n_cues=5)


def test_cli_run_from_file_writes_nwb(tmp_path):
    pytest.importorskip("pynwb")
    sched = testbench.functional()
    _input_trains(sched).save(tmp_path / "in.npz")
    out = tmp_path / "run"
    assert main(["run", str(tmp_path / "in.npz"), "--cues", "5", "--nwb", "-q", "--out", str(out)]) == 0
    txt = (out / "answers.txt").read_text()
    assert "differs" not in txt and "[0, 1, 8, 9]" in txt
    nwb = SpikeTrains.from_nwb(out / "spikes.nwb")
    per_pop = {name: SpikeTrains.load(out / f"spikes_{name}.npz").n_spikes for name in ("Input", "Output")}
    populations = np.asarray(nwb.unit_metadata["population"])
    counts = np.bincount(nwb.units, minlength=nwb.n_units)
    assert counts[populations == "Output"].sum() == per_pop["Output"]
    assert counts[populations == "Input"].sum() == per_pop["Input"] == len(sched.input_spikes())


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.json")]) == 2
    assert "none.json" in capsys.readouterr().err
    assert main(["run"]) == 2
    assert "--experiment" in capsys.readouterr().err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert main(["run", str(garbage)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "garbage.json" in err[0]
