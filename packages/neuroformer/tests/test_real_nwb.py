"""A real recording end to end: the shipped NWB Units table (pynapple's test data, MIT) through read_spikes,
the tokenizer, a short fit and the CLI; token counts checked against the raw HDF5 arrays read with h5py."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pynwb")
h5py = pytest.importorskip("h5py")

from neuroformer import SpikeTokenizer, read_spikes, tokenize_dataset  # noqa: E402
from neuroformer.cli import main  # noqa: E402
from neurotypes import SpikeTrains  # noqa: E402

NWB = Path(__file__).parent / "data" / "A8604-211122.nwb"


def raw_units() -> tuple[np.ndarray, list[np.ndarray]]:
    """Unit ids and spike times straight from the HDF5 arrays (independent of pynwb and neurotypes)."""
    with h5py.File(NWB, "r") as f:
        ids = f["units/id"][:]
        times = f["units/spike_times"][:]
        index = f["units/spike_times_index"][:]
    bounds = np.concatenate([[0], index])
    return ids, [times[bounds[i] : bounds[i + 1]] for i in range(len(ids))]


def test_facts_of_source_md():
    spikes = read_spikes(NWB)
    assert isinstance(spikes, SpikeTrains)
    assert spikes.n_units == 3
    np.testing.assert_array_equal(spikes.spike_counts_per_unit(), [11020, 4690, 5644])
    assert spikes.times.min() == pytest.approx(0.028133, abs=1e-6)
    assert spikes.times.max() == pytest.approx(1087.352833, abs=1e-6)
    ids, per_unit = raw_units()
    assert list(spikes.unit_ids) == [str(i) for i in ids]
    for i, t in enumerate(per_unit):
        np.testing.assert_allclose(np.sort(spikes.unit_times(i)), np.sort(t))


def test_tokens_match_the_raw_spike_times():
    spikes = read_spikes(NWB)
    tok = SpikeTokenizer(
        spikes.n_units, dt=0.01, window=0.05, window_prev=0.15, id_block_size=20, prev_id_block_size=40
    )
    counts = spikes.bin(tok.dt)
    anchors = tok.default_anchors(counts.n_bins)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # at ~20 Hz in all no window is truncated
        ds = tokenize_dataset(tok, spikes, anchors)
    # 108,736 bins of 10 ms (1087.36 s); anchors every 50 ms from 0.2 s to the end
    assert counts.n_bins == 108_736
    assert len(ds) == len(anchors) == (108_736 - 20) // 5 + 1
    # every current window tiles the recording: token counts per unit equal the spikes in [t - w, t)
    _, per_unit = raw_units()
    t0 = counts.t_start
    for unit, times in enumerate(per_unit):
        bins = np.floor((times - t0) / tok.dt).astype(np.int64)
        starts = np.rint((anchors - tok.window) / tok.dt).astype(np.int64)
        expected = np.array([np.count_nonzero((bins >= s) & (bins < s + 5)) for s in starts[:2000]])
        got = (ds.arrays["y_id"][:2000] == unit).sum(1)
        np.testing.assert_array_equal(got, expected)
    # and the dt tokens of the first window with a spike are its bins' offsets from the window start
    k = int(np.argmax((ds.arrays["y_id"] < 3).any(1)))
    ids = ds.arrays["y_id"][k]
    dts = ds.arrays["y_dt"][k]
    start = int(np.rint((anchors[k] - tok.window) / tok.dt))
    pairs = sorted(
        (int(b) - start, u)
        for u, times in enumerate(per_unit)
        for b in np.floor((times - t0) / tok.dt).astype(np.int64)
        if start <= b < start + 5
    )
    got_pairs = [(int(d), int(i)) for i, d in zip(ids, dts, strict=True) if i < 3]
    assert got_pairs == pairs


def test_cli_fit_and_run_on_the_nwb_file(tmp_path, capsys):
    conf = tmp_path / "small.json"
    conf.write_text(
        json.dumps(
            {
                "dt": 0.1,
                "window": 1.0,
                "window_prev": 1.0,
                "id_block_size": 64,
                "prev_id_block_size": 64,
                "n_embd": 16,
                "n_head": 2,
                "n_state_layers": 1,
                "n_state_history_layers": 1,
                "n_stimulus_layers": 0,
                "n_self_layers": 1,
                "batch_size": 128,
            }
        )
    )
    model = tmp_path / "m.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert main(["fit", str(NWB), "--config", str(conf), "--out", str(model), "-q"]) == 0
        out = tmp_path / "run.npz"
        assert main(["run", str(model), str(NWB), "--out", str(out), "-q"]) == 0
    assert "model written" in capsys.readouterr().out
    res = np.load(out, allow_pickle=False)
    header = json.loads(str(res["header"]))
    assert header["unit_ids"] == ["6", "191", "206"]
    assert res["connectivity"].shape == (3, 3)
    n = res["log_likelihood"].size
    assert n == res["anchors"].size == 1086  # 1087.35 s, anchors every 1 s from 2 s
    assert np.all(res["log_likelihood"] < 0) and np.all(res["n_targets"] >= 1)
