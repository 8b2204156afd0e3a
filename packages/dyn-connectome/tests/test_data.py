"""Loaders: round trips through CSV, NPZ (plain and neurotypes), MAT and NWB; malformed files."""

from datetime import UTC

import numpy as np
import pytest
from scipy.io import savemat

from dyn_connectome.data import load_many, load_traces, save_traces_csv
from neurotypes import Traces


@pytest.fixture
def traces():
    d = np.random.default_rng(0).normal(size=(3, 40))
    d[1, 5] = np.nan
    return Traces(d, rate=4.0, t_start=2.0, unit_ids=["AVAL", "AWBL", "RIML"])


def _same(a, b):
    np.testing.assert_allclose(a.data, b.data, equal_nan=True)
    assert a.rate == pytest.approx(b.rate)
    assert a.unit_ids == b.unit_ids


def test_csv_round_trip_infers_rate(tmp_path, traces):
    p = save_traces_csv(traces, tmp_path / "w0.csv")
    back = load_traces(p)
    _same(back, traces)
    assert back.t_start == pytest.approx(2.0)


def test_csv_without_header_needs_rate(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("AVAL,1,2,3\nAWBL,4,,6\n")
    with pytest.raises(ValueError, match="no sampling rate"):
        load_traces(p)
    t = load_traces(p, rate=2.0)
    assert t.unit_ids == ("AVAL", "AWBL") and np.isnan(t.data[1, 1])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty CSV"),
        ("AVAL,1,2\nAWBL,1\n", "different numbers of columns"),
        ("AVAL,1,x\n", "non-numeric"),
        ("AVAL,1,2\nAVAL,3,4\n", "duplicate neuron names"),
        ("neuron,0,0.5,2\nAVAL,1,2,3\n", "evenly spaced"),
    ],
)
def test_csv_malformed(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_traces(p, rate=None if "neuron" in text else 1.0)


def test_npz_plain_and_neurotypes(tmp_path, traces):
    p = tmp_path / "plain.npz"
    np.savez(p, data=traces.data, unit_ids=np.array(traces.unit_ids), rate=4.0)
    _same(load_traces(p), traces)
    q = tmp_path / "typed.npz"
    traces.save(q)
    _same(load_traces(q), traces)
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(ValueError, match="'data'"):
        load_traces(bad)


def test_mat(tmp_path, traces):
    p = tmp_path / "w.mat"
    savemat(p, {"data": traces.data, "neurons": np.array(traces.unit_ids, dtype=object), "rate": 4.0})
    _same(load_traces(p), traces)


def test_nwb_round_trip(tmp_path, traces):
    pynwb = pytest.importorskip("pynwb")
    from datetime import datetime

    from pynwb.ophys import ImageSegmentation, OpticalChannel, RoiResponseSeries

    nwb = pynwb.NWBFile("s", "id", datetime(2024, 1, 1, tzinfo=UTC))
    dev = nwb.create_device("scope")
    ch = OpticalChannel(name="ch", description="d", emission_lambda=500.0)
    plane = nwb.create_imaging_plane(
        name="plane",
        optical_channel=ch,
        description="d",
        device=dev,
        excitation_lambda=600.0,
        imaging_rate=4.0,
        indicator="GCaMP",
        location="head",
    )
    seg = ImageSegmentation()
    ps = seg.create_plane_segmentation("d", plane, "ps")
    ps.add_column("neuron_name", "NeuroPAL name")
    for name in traces.unit_ids:
        ps.add_roi(image_mask=np.ones((2, 2)), neuron_name=name)
    mod = nwb.create_processing_module("ophys", "d")
    mod.add(seg)
    region = ps.create_roi_table_region("all", region=[0, 1, 2])
    mod.add(RoiResponseSeries(name="dff", data=traces.data.T, rois=region, unit="a.u.", rate=4.0))
    path = tmp_path / "w.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    _same(load_traces(path), traces)


def test_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_traces(tmp_path / "missing.csv")
    p = tmp_path / "x.txt"
    p.write_text("1")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_traces(p)
    with pytest.raises(ValueError, match="paths: need at least one"):
        load_many([])
    q = tmp_path / "w.csv"
    q.write_text("AVAL,1,2\n")
    with pytest.raises(ValueError, match="rate: must be a positive"):
        load_traces(q, rate=-1.0)
