"""Readers of real formats (through neurotypes.io) and the default data generators."""

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from dyn_connectome import data
from dyn_connectome.data import load_many, load_traces, spike_rates, weighted_lfr
from neurotypes import FormatError, SpikeTrains, Traces

REAL = Path(__file__).parent / "data"


@pytest.fixture
def traces():
    d = np.random.default_rng(0).normal(size=(3, 40))
    d[1, 5] = np.nan
    return Traces(d, rate=4.0, t_start=2.0, unit_ids=["AVAL", "AWBL", "RIML"])


def _same(a, b):
    np.testing.assert_allclose(a.data, b.data, equal_nan=True)
    assert a.rate == pytest.approx(b.rate)
    assert a.unit_ids == b.unit_ids


def _write_units_by_samples(tr, path):
    rows = ["neuron," + ",".join(repr(float(t)) for t in tr.times)]
    rows += [
        n + "," + ",".join(repr(float(v)) for v in row) for n, row in zip(tr.unit_ids, tr.data, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def _write_samples_by_units(tr, path):
    rows = ["time," + ",".join(tr.unit_ids)]
    rows += [
        repr(float(t)) + "," + ",".join(repr(float(v)) for v in col)
        for t, col in zip(tr.times, tr.data.T, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_both_layouts_round_trip(tmp_path, traces):
    back = load_traces(_write_units_by_samples(traces, tmp_path / "a.csv"))
    _same(back, traces)
    assert back.t_start == pytest.approx(2.0)
    _same(load_traces(_write_samples_by_units(traces, tmp_path / "b.csv"), layout="samples-by-units"), traces)


def test_transposed_table_is_refused_with_a_hint(tmp_path):
    # Issue 23: a time x neuron table read as neuron x time gave 200 "neurons" named '0.0', '0.25', ...
    tr = Traces(np.random.default_rng(1).normal(size=(4, 200)), rate=4.0, unit_ids=["a", "b", "c", "d"])
    p = _write_samples_by_units(tr, tmp_path / "t.csv")
    with pytest.raises(FormatError, match="samples-by-units"):
        load_traces(p, rate=4.0)


def test_nwb_timeseries_and_roi_response_series(tmp_path, traces):
    pytest.importorskip("pynwb")
    for kind in ("TimeSeries", "RoiResponseSeries"):
        p = traces.to_nwb(tmp_path / f"{kind}.nwb", kind=kind)
        _same(load_traces(p), traces)


def test_real_nwb_units_table_as_rates():
    # The real spike-sorted Neuropixels file (tests/data/SOURCE.md): 3 units with 11,020, 4,690, 5,644 spikes.
    pytest.importorskip("pynwb")
    path = REAL / "A8604-211122.nwb"
    with pytest.raises(ValueError, match="bin_size"):
        load_traces(path)
    tr = load_traces(path, bin_size=1.0)
    assert tr.unit_ids == ("6", "191", "206")
    # Every spike counted once: the rates (Hz) times the bin width give the spike counts of SOURCE.md.
    np.testing.assert_array_equal(np.rint(tr.data.sum(axis=1) * 1.0), [11020, 4690, 5644])
    assert tr.rate == 1.0 and tr.signal_units == "Hz"


def test_spike_rates_against_hand_counts_and_smoothing():
    st = SpikeTrains([0.05, 0.15, 0.16, 0.31], [0, 0, 1, 1], 2, 0.0, t_stop=0.4)
    tr = spike_rates(st, 0.1)
    np.testing.assert_allclose(tr.data, [[10, 10, 0, 0], [0, 10, 0, 10]])
    smooth = spike_rates(st, 0.1, tau=0.2)
    # Causal exponential kernel with unit gain: y[t] = a*y[t-1] + (1-a)*x[t], a = exp(-0.1/0.2).
    a = np.exp(-0.5)
    y = np.zeros(4)
    for t, x in enumerate(tr.data[0]):
        y[t] = (a * y[t - 1] if t else 0.0) + (1 - a) * x
    np.testing.assert_allclose(smooth.data[0], y)
    with pytest.raises(TypeError, match="spike_trains"):
        spike_rates(tr, 0.1)


def test_npz_neurotypes_values(tmp_path, traces):
    _same(load_traces(traces.save(tmp_path / "t.npz")), traces)
    st = SpikeTrains([0.05, 0.15, 0.16], [0, 0, 1], 2, 0.0, t_stop=0.2, unit_ids=["x", "y"])
    st.save(tmp_path / "s.npz")
    with pytest.raises(ValueError, match="bin_size"):
        load_traces(tmp_path / "s.npz")
    assert load_traces(tmp_path / "s.npz", bin_size=0.1).unit_ids == ("x", "y")
    st.bin(0.1).save(tmp_path / "c.npz")
    np.testing.assert_allclose(load_traces(tmp_path / "c.npz").data, [[10, 10], [0, 10]])
    plain = tmp_path / "plain.npz"
    np.savez(plain, data=np.zeros((2, 3)))
    with pytest.raises(FormatError, match=r"plain\.npz"):
        load_traces(plain)


def test_mat(tmp_path, traces):
    p = tmp_path / "w.mat"
    savemat(p, {"data": traces.data, "neurons": np.array(traces.unit_ids, dtype=object), "rate": 4.0})
    _same(load_traces(p), traces)
    q = tmp_path / "norate.mat"
    savemat(q, {"data": traces.data})
    with pytest.raises(ValueError, match="rate"):
        load_traces(q)
    assert load_traces(q, rate=2.0).rate == 2.0


def test_neo_file_with_two_sweeps_needs_a_segment(tmp_path):
    pytest.importorskip("neo")
    path = REAL / "17o05027_ic_ramp.abf"
    with pytest.raises(ValueError, match="2 segments"):
        load_traces(path)
    tr = load_traces(path, segment=1)
    assert tr.data.shape == (1, 20000) and tr.rate == pytest.approx(20000.0)


@pytest.mark.parametrize("suffix", [".csv", ".nwb", ".npz", ".mat", ".abf", ".xyz"])
def test_garbage_files_name_the_file(tmp_path, suffix):
    pytest.importorskip("pynwb")
    pytest.importorskip("neo")
    bad = tmp_path / f"garbage{suffix}"
    bad.write_bytes(b"\x00\x01 not a recording \xff" * 20)
    with pytest.raises(ValueError, match="garbage"):
        load_traces(bad)


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.csv"):
        load_traces(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="paths: need at least one"):
        load_many([])
    with pytest.raises(TypeError, match="paths"):
        load_many("a.csv")
    q = tmp_path / "w.csv"
    q.write_text("neuron,0,1\nAVAL,1,2\n")
    with pytest.raises(ValueError, match="rate"):
        load_traces(q, rate=-1.0)
    with pytest.raises(ValueError, match="layout"):
        load_traces(q, layout="rows")


def test_real_files_ship_with_their_notice():
    for name in ("SOURCE.md", "LICENSE-pynapple.txt", "LICENSE-pyABF.txt"):
        assert (REAL / name).is_file()


# ---------------------------------------------------------------------------------------------- generators


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_lfr_meets_its_recipe(seed):
    n = 600
    a, part = weighted_lfr(N=n, k=20, maxk=60, mu_t=0.3, mu_w=0.2, beta=1.5, minc=20, maxc=100, seed=seed)
    assert a.shape == (n, n) and np.array_equal(a, a.T) and np.all(np.diag(a) == 0) and np.all(a >= 0)
    sizes = np.bincount(part.labels)
    assert sizes.sum() == n and sizes.min() >= 20 and sizes.max() <= 100
    deg = (a > 0).sum(axis=1)
    assert deg.max() <= 60 and 15 <= deg.mean() <= 20.5
    same = part.labels[:, None] == part.labels[None, :]
    # Topological mixing: the share of edges between communities is near mu_t (dropped stubs move it a little).
    assert ((a > 0) & ~same).sum() / (a > 0).sum() == pytest.approx(0.3, abs=0.03)
    # Weight mixing: the share of the strength on external edges is mu_w.
    assert ((a * ~same).sum() / a.sum()) == pytest.approx(0.2, abs=0.01)
    # Strength grows as degree ** beta.
    s = a.sum(axis=1)
    slope = np.polyfit(np.log(deg[deg > 0]), np.log(s[deg > 0]), 1)[0]
    assert slope == pytest.approx(1.5, abs=0.05)
    # Same seed, same graph.
    b, q = weighted_lfr(N=n, k=20, maxk=60, mu_t=0.3, mu_w=0.2, beta=1.5, minc=20, maxc=100, seed=seed)
    assert np.array_equal(a, b) and q == part


def test_weighted_lfr_defaults_follow_the_lfr_program():
    # The LFR program sets the community size range to [min degree, max degree]: [10, 100] for the paper.
    assert data._min_degree_for_mean(25, 100, 2.0) == 10
    _, part = weighted_lfr(seed=13)
    sizes = np.bincount(part.labels)
    assert sizes.min() >= 10 and sizes.max() <= 100


def test_planted_partition_and_er_generators():
    a, truth = data.weighted_planted_partition(
        N=200, B=4, p_in=0.3, p_out=0.05, mean_in=2.0, mean_out=1.0, seed=0
    )
    same = truth.labels[:, None] == truth.labels[None, :]
    off = ~np.eye(200, dtype=bool)
    assert (a[same & off] > 0).mean() == pytest.approx(0.3, abs=0.02)
    assert (a[~same] > 0).mean() == pytest.approx(0.05, abs=0.01)
    assert a[same & (a > 0)].mean() == pytest.approx(2.0, rel=0.05)
    er = data.weighted_er(300, 0.1, 3.0, seed=1)
    assert (er[np.triu_indices(300, 1)] > 0).mean() == pytest.approx(0.1, abs=0.01)
    assert er[er > 0].mean() == pytest.approx(3.0, rel=0.05)


def test_tests_data_is_a_copy_of_the_shared_real_recordings():
    # The files were copied unchanged (the shared SOURCE.md records their sizes).
    assert (REAL / "A8604-211122.nwb").stat().st_size == 442304
    assert (REAL / "17o05027_ic_ramp.abf").stat().st_size == 87552
