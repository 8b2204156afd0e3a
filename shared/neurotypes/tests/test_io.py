"""Real recordings in the field's formats (NWB through pynwb, Axon ABF through neo), checked against the facts
measured on them (tests/data/SOURCE.md), round trips of what neurotypes writes, and refusals of foreign files."""

from __future__ import annotations

import shutil
import stat

import h5py
import numpy as np
import pytest

import neurotypes as nt
from neurotypes.io import add_unit_columns, read, read_spike_trains, read_traces, read_traces_table

pytest.importorskip("pynwb")
pytest.importorskip("neo")

DATA = __import__("pathlib").Path(__file__).parent / "data"
NWB = DATA / "A8604-211122.nwb"
ABF = DATA / "17o05027_ic_ramp.abf"


# ------------------------------------------------------------------------------------------ the real NWB file
def test_real_nwb_units_match_the_measured_facts():
    st = nt.SpikeTrains.from_nwb(NWB)
    assert st.n_units == 3
    assert st.spike_counts_per_unit().tolist() == [11020, 4690, 5644]
    assert st.times.min() == 0.028133 and st.times.max() == 1087.352833
    assert st.t_start == 0.0 and st.t_stop == 1087.352833
    assert st.unit_ids == ("6", "191", "206")
    assert set(st.unit_metadata) == {"location", "group", "electrode_group"}
    assert st.unit_metadata["electrode_group"].tolist() == ["group0_psb"] * 3


def test_real_nwb_against_h5py_directly():
    # an independent reader of the same file: the NWB ragged-array layout read with plain h5py
    with h5py.File(NWB, "r") as f:
        flat = f["units/spike_times"][:]
        ends = f["units/spike_times_index"][:]
        ids = f["units/id"][:]
    per_unit = np.split(flat, ends[:-1])
    st = nt.SpikeTrains.from_nwb(NWB)
    for k, unit_id in enumerate(ids):
        np.testing.assert_array_equal(st.unit_times(k), np.sort(per_unit[k]))
        assert st.unit_ids[k] == str(unit_id)


def test_unit_selection_by_id_column_and_window():
    st = nt.SpikeTrains.from_nwb(NWB, units=[206, 6])
    assert st.unit_ids == ("206", "6") and st.spike_counts_per_unit().tolist() == [5644, 11020]
    assert nt.SpikeTrains.from_nwb(NWB, where={"group": 0}).n_units == 3
    with pytest.raises(ValueError, match="no unit matches"):
        nt.SpikeTrains.from_nwb(NWB, where={"group": 1})
    with pytest.raises(ValueError, match=r"ids \[7\] are not in the Units table"):
        nt.SpikeTrains.from_nwb(NWB, units=[7])
    with pytest.raises(ValueError, match="no column 'quality'"):
        nt.SpikeTrains.from_nwb(NWB, where={"quality": "good"})
    win = nt.SpikeTrains.from_nwb(NWB, t_start=100.0, t_stop=200.0)
    full = nt.SpikeTrains.from_nwb(NWB)
    expect = [int(((t >= 100) & (t <= 200)).sum()) for t in full.to_unit_times()]
    assert win.spike_counts_per_unit().tolist() == expect and win.t_start == 100.0
    assert nt.SpikeTrains.from_nwb(NWB, columns=["group"]).unit_metadata.keys() == {"group"}


def test_binning_the_real_recording_keeps_the_unit_ids():
    counts = read_spike_trains(NWB).bin(1.0)
    assert counts.unit_ids == ("6", "191", "206") and counts.counts.sum() == 21354
    xr = counts.to_xarray()
    assert xr.dims == ("unit", "time") and list(xr.coords["unit"].values) == ["6", "191", "206"]
    assert int(xr.sum()) == 21354


def test_spike_trains_nwb_round_trip_with_partitions(tmp_path):
    st = nt.SpikeTrains.from_nwb(NWB)
    part = nt.Partition([1, 0, 1], item_ids=["206", "191", "6"])  # items named, in another order
    path = st.to_nwb(tmp_path / "out.nwb", partitions={"cluster": part})
    back = nt.SpikeTrains.from_nwb(path)
    np.testing.assert_array_equal(back.times, st.times)
    np.testing.assert_array_equal(back.units, st.units)
    assert back.unit_ids == st.unit_ids and (back.t_start, back.t_stop) == (st.t_start, st.t_stop)
    assert back.unit_metadata["cluster"].tolist() == [1, 0, 1]  # units 6, 191, 206
    assert back.unit_metadata["electrode_group_name"].tolist() == ["group0_psb"] * 3
    p = nt.Partition.from_nwb(path, "cluster")
    assert p.item_ids == ("6", "191", "206") and p.labels.tolist() == [1, 0, 1]
    with h5py.File(path, "r") as f:  # what other NWB tools see
        assert f["units/id"][:].tolist() == [6, 191, 206]
        assert f["units/cluster"][:].tolist() == [1, 0, 1]
    with pytest.raises(FileExistsError, match="overwrite=True"):
        st.to_nwb(path)
    assert oct(stat.S_IMODE(path.stat().st_mode)) != "0o600"


def test_non_numeric_unit_ids_survive_as_a_column(tmp_path):
    st = nt.SpikeTrains([0.1, 0.2], [0, 1], 2, t_stop=1.0, unit_ids=["AVAL", "AVAR"])
    back = nt.SpikeTrains.from_nwb(st.to_nwb(tmp_path / "x.nwb"))
    assert back.unit_metadata["unit_name"].tolist() == ["AVAL", "AVAR"]


def test_add_unit_columns_next_to_the_units(tmp_path):
    path = tmp_path / "rec.nwb"
    shutil.copy(NWB, path)
    part = nt.Partition([0, 1, 1], item_ids=["6", "191", "206"])
    add_unit_columns(path, {"cluster": part, "score": np.array([0.5, 1.5, 2.5])})
    st = nt.SpikeTrains.from_nwb(path)
    assert st.spike_counts_per_unit().tolist() == [11020, 4690, 5644]
    assert st.unit_metadata["cluster"].tolist() == [0, 1, 1]
    assert st.unit_metadata["score"].tolist() == [0.5, 1.5, 2.5]
    with pytest.raises(ValueError, match="existing column name 'cluster'"):
        add_unit_columns(path, {"cluster": part})
    with pytest.raises(ValueError, match="one value per unit"):
        add_unit_columns(path, {"x": np.zeros(2)})
    assert [p.name for p in tmp_path.iterdir()] == ["rec.nwb"]


# ------------------------------------------------------------------------------------------ the real ABF file
def test_real_abf_matches_the_measured_facts():
    sweeps = read_traces(ABF)
    assert len(sweeps) == 2
    for tr in sweeps:
        assert tr.n_units == 1 and tr.n_samples == 20000 and tr.rate == 20000.0 and tr.signal_units == "mV"
    crossings = sum(int(((t.data[0, :-1] < 0) & (t.data[0, 1:] >= 0)).sum()) for t in sweeps)
    assert crossings == 15


def test_traces_nwb_and_neo_round_trips(tmp_path):
    tr = read_traces(ABF)[0]
    assert nt.Traces.from_nwb(tr.to_nwb(tmp_path / "ts.nwb")) == tr
    roi = nt.Traces([[1.0, 2.0, 3.0], [0.5, 0.5, 0.1]], 30.0, 2.0, unit_ids=["a", "b"], signal_units="dF/F")
    back = nt.Traces.from_nwb(roi.to_nwb(tmp_path / "roi.nwb", kind="RoiResponseSeries"))
    assert back == roi
    assert nt.Traces.from_neo(tr.to_neo()) == tr
    with pytest.raises(ValueError, match="kind must be"):
        roi.to_nwb(tmp_path / "z.nwb", kind="Image")


def test_read_dispatches_by_suffix(tmp_path):
    assert isinstance(read(NWB), nt.SpikeTrains)
    assert isinstance(read(ABF), list) and len(read(ABF)) == 2
    sdr = nt.SDR(8, [1])
    assert read(sdr.save(tmp_path / "s.npz")) == sdr
    (tmp_path / "a.xyz").write_text("x")
    with pytest.raises(nt.FormatError, match=r"unknown format \.xyz"):
        read(tmp_path / "a.xyz")


@pytest.mark.parametrize("suffix", [".nwb", ".abf", ".npz"])
def test_foreign_files_are_format_errors_naming_the_file(tmp_path, suffix):
    bad = tmp_path / f"not-a-recording{suffix}"
    bad.write_bytes(b"hello, I am a text file\n" * 20)
    with pytest.raises(nt.FormatError, match="not-a-recording"):
        read(bad)
    with pytest.raises(nt.FileMissingError, match="missing"):
        read(tmp_path / f"missing{suffix}")


def test_hdf5_that_is_not_nwb(tmp_path):
    p = tmp_path / "plain.nwb"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(nt.FormatError, match=r"plain\.nwb"):
        nt.SpikeTrains.from_nwb(p)


# ------------------------------------------------------------------------------------------ text tables
def test_tables_in_both_layouts_and_a_transposed_one_refused(tmp_path):
    data = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 1.0, 1.5]])
    by_unit = tmp_path / "units.csv"
    by_unit.write_text("unit,0.0,0.25,0.5,0.75\nAVAL,1,2,3,4\nAVAR,0,0.5,1,1.5\n")
    tr = read_traces_table(by_unit)
    assert tr.unit_ids == ("AVAL", "AVAR") and tr.rate == 4.0
    np.testing.assert_array_equal(tr.data, data)
    by_time = tmp_path / "time.csv"
    by_time.write_text("time,AVAL,AVAR\n0.0,1,0\n0.25,2,0.5\n0.5,3,1\n0.75,4,1.5\n")
    assert read_traces_table(by_time, layout="samples-by-units") == tr
    with pytest.raises(nt.FormatError, match=r"seems to be samples-by-units.*--layout samples-by-units"):
        read_traces_table(by_time)
    with pytest.raises(nt.FormatError, match="seems to be units-by-samples"):
        read_traces_table(by_unit, layout="samples-by-units")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("unit,0,1\na,1\n")
    with pytest.raises(nt.FormatError, match="different numbers of cells"):
        read_traces_table(ragged)


def test_dataframe_view():
    st = nt.SpikeTrains([0.1, 0.3], [1, 0], 2, t_stop=1.0, unit_ids=["x", "y"])
    df = st.to_dataframe()
    assert df["unit_id"].tolist() == ["y", "x"] and df["time"].tolist() == [0.1, 0.3]
