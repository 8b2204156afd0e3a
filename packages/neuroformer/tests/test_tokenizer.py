"""Tokenizer rules against an independent loop implementation and hand-derived sequences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroformer import SpikeTokenizer
from neuroformer.tokenizer import reference_dt_grid_size
from neurotypes import SpikeCounts, SpikeTrains


def toy_raster(n: int = 10, bins: int = 60) -> np.ndarray:
    nn, tt = np.meshgrid(np.arange(n), np.arange(bins), indexing="ij")
    r = ((3 * nn + 7 * tt) % 11 == 0).astype(np.int64)
    r[0, ::20] = 2
    return r


def loop_window(raster, b0, b1, start_bin, block, n, n_grid):
    """Independent rules: loop over bins then neurons, repeat by count, [SOS]+ids+[EOS], pad to block+1."""
    ids, dts = [], []
    for b in range(max(b0, 0), b1):
        for i in range(raster.shape[0]):
            for _ in range(int(raster[i, b])):
                ids.append(i)
                dts.append(b - max(start_bin, 0))
    keep = block - 2
    id_seq = [n, *ids[len(ids) - min(len(ids), keep) :], n + 1]
    dt_seq = ([0, *dts, n_grid + 1])[-block:]
    pad = block + 1 - len(id_seq)
    id_seq += [n + 2] * pad
    dt_seq += [n_grid + 2] * pad
    return id_seq, dt_seq, pad


def test_vocabulary_rules():
    tok = SpikeTokenizer(10, dt=0.01, window=0.05, window_prev=0.15, id_block_size=20, prev_id_block_size=40)
    # ID: 10 neurons + SOS, EOS, PAD
    assert tok.id_vocab_size == 13
    assert (tok.sos_id, tok.eos_id, tok.pad_id) == (10, 11, 12)
    # dt grid 0, 0.01, ..., 0.15 -> 16 values, then SOS, EOS, PAD
    assert tok.n_dt_grid == 16
    assert tok.dt_vocab_size == 19
    assert (tok.sos_dt, tok.eos_dt, tok.pad_dt) == (16, 17, 18)
    np.testing.assert_allclose(tok.dt_values, np.arange(16) * 0.01)


def test_reference_grid_quirk_and_exact_grid():
    # the reference's float arange gives one extra grid value for dt=0.05, w=0.1
    assert reference_dt_grid_size(0.1, 0.05, 0.05) == 4
    assert SpikeTokenizer(5, 0.05, 0.1, 0.05, dt_grid="exact").n_dt_grid == 3
    assert SpikeTokenizer(5, 0.05, 0.1, 0.05).n_dt_grid == 4


def test_current_window_hand_derived():
    r = toy_raster()
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, id_block_size=20, prev_id_block_size=40)
    w = tok.encode_window(r, t=0.3)
    # current window bins 25..29: spikes where (3n + 7t) % 11 == 0
    # by hand: 7t mod 11 = 10, 6, 2, 9, 5 for t = 25..29, so 3n = 1, 5, 9, 2, 6 (mod 11): n = 4, 9, 3, 8, 2
    expected = []
    for t in range(25, 30):
        for n in range(10):
            if (3 * n + 7 * t) % 11 == 0:
                expected.append((n, t - 25))
    assert expected == [(4, 0), (9, 1), (3, 2), (8, 3), (2, 4)]
    ids = [10] + [e[0] for e in expected] + [11] + [12] * 14
    dts = [0] + [e[1] for e in expected] + [17] + [18] * 14
    assert w.pad == 14  # block + 1 - (5 spikes + SOS + EOS)
    np.testing.assert_array_equal(w.x_id, ids[:-1])
    np.testing.assert_array_equal(w.y_id, ids[1:])
    np.testing.assert_array_equal(w.x_dt, dts[:-1])
    np.testing.assert_array_equal(w.y_dt, dts[1:])
    assert w.x_id.shape == (20,)


def test_current_window_with_count_two():
    r = toy_raster()
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, id_block_size=20, prev_id_block_size=40)
    w = tok.encode_window(r, t=0.5)  # bins 45..49
    # neuron 0 at bin 40 (count 2) lies in the past window; the rule gives the current spikes
    exp = [(n, t - 45) for t in range(45, 50) for n in range(10) if r[n, t] for _ in range(r[n, t])]
    ids = [10] + [e[0] for e in exp] + [11]
    dts = [0] + [e[1] for e in exp] + [17]
    np.testing.assert_array_equal(w.x_id[: len(ids)], ids)
    np.testing.assert_array_equal(w.x_dt[: len(dts)], dts)
    assert w.pad == 21 - len(ids)


def test_past_window_repeats_counts_time_then_neuron():
    r = toy_raster()
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, id_block_size=20, prev_id_block_size=40)
    w = tok.encode_window(r, t=0.5)  # past bins 30..44, neuron 0 has count 2 at bin 40
    ids, dts, pad = loop_window(r, 30, 45, 30, 40, 10, 16)
    np.testing.assert_array_equal(w.x_id_prev, ids[:-1])
    np.testing.assert_array_equal(w.x_dt_prev, dts[:-1])
    assert w.pad_prev == pad
    pos = [i for i, (a, b) in enumerate(zip(w.x_id_prev, w.x_dt_prev, strict=False)) if a == 0 and b == 10]
    assert len(pos) == 2 and pos[1] == pos[0] + 1  # repeated, adjacent
    # time-major then neuron order inside each bin
    real = w.x_dt_prev[1 : 1 + (40 - w.pad_prev - 1)]
    assert np.all(np.diff(real[:-1]) >= 0)


def test_early_anchor_clips_at_zero_with_absolute_offsets():
    r = toy_raster()
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, id_block_size=20, prev_id_block_size=40)
    w = tok.encode_window(r, t=0.1)  # past window [-0.1, 0.05) clips to bins 0..4
    ids, dts, _pad = loop_window(r, 0, 5, 0, 40, 10, 16)
    np.testing.assert_array_equal(w.x_id_prev, ids[:-1])
    np.testing.assert_array_equal(w.x_dt_prev, dts[:-1])


def test_truncation_keeps_latest_and_warns():
    r = np.ones((10, 60), dtype=np.int64)
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, id_block_size=20, prev_id_block_size=40)
    with pytest.warns(RuntimeWarning, match="exceeds the block"):
        w = tok.encode_window(r, t=0.3)
    ids, dts, pad = loop_window(r, 25, 30, 25, 20, 10, 16)
    assert pad == 1 and w.pad == 1
    np.testing.assert_array_equal(w.x_id, ids[:-1])
    np.testing.assert_array_equal(w.x_dt, dts[:-1])
    assert w.x_dt[0] != 0  # the reference's quirk: dt of the last dropped spike at SOS
    clean = SpikeTokenizer(10, 0.01, 0.05, 0.15, 20, 40, truncation="clean")
    with pytest.warns(RuntimeWarning):
        assert clean.encode_window(r, t=0.3).x_dt[0] == 0


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 8),
    t_bin=st.integers(20, 60),
    block=st.integers(3, 30),
)
def test_matches_loop_rules_on_random_rasters(seed, n, t_bin, block):
    rng = np.random.default_rng(seed)
    r = rng.poisson(0.3, size=(n, 60))
    tok = SpikeTokenizer(n, 0.01, 0.05, 0.15, id_block_size=block, prev_id_block_size=block + 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        w = tok.encode_window(r, t=t_bin * 0.01)
    a = t_bin - 5
    ids, dts, pad = loop_window(r, a, t_bin, a, block, n, 16)
    np.testing.assert_array_equal(w.x_id, ids[:-1])
    np.testing.assert_array_equal(w.y_id, ids[1:])
    np.testing.assert_array_equal(w.x_dt, dts[:-1])
    np.testing.assert_array_equal(w.y_dt, dts[1:])
    p0 = a - 15
    ids_p, dts_p, pad_p = loop_window(r, max(p0, 0), a, p0, block + 5, n, 16)
    np.testing.assert_array_equal(w.x_id_prev, ids_p[:-1])
    np.testing.assert_array_equal(w.x_dt_prev, dts_p[:-1])
    assert (w.pad, w.pad_prev) == (pad, pad_p)


def test_spiketrains_and_counts_inputs_agree_with_raster():
    r = toy_raster()
    counts = SpikeCounts(r, 0.01)
    trains = counts.to_spike_trains()
    assert isinstance(trains, SpikeTrains)
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, 20, 40)
    a = tok.encode_window(r, 0.5)
    for other in (counts, trains):
        b = tok.encode_window(other, 0.5)
        np.testing.assert_array_equal(a.x_id, b.x_id)
        np.testing.assert_array_equal(a.x_dt_prev, b.x_dt_prev)


def test_batch_encode_equals_single_windows():
    r = toy_raster()
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, 20, 40)
    out = tok.encode(r, [0.3, 0.5])
    w = tok.encode_window(r, 0.5)
    np.testing.assert_array_equal(out["x_id"][1], w.x_id)
    assert out["pad"].tolist()[1] == w.pad


def test_tokenizer_pickles():
    import pickle

    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, 20, 40)
    tok2 = pickle.loads(pickle.dumps(tok))
    r = toy_raster()
    np.testing.assert_array_equal(tok.encode_window(r, 0.3).x_id, tok2.encode_window(r, 0.3).x_id)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), block=st.integers(3, 25), rate=st.floats(0.05, 1.5))
def test_vectorised_encode_equals_single_windows(seed, block, rate):
    rng = np.random.default_rng(seed)
    r = rng.poisson(rate, size=(6, 80))
    tok = SpikeTokenizer(6, 0.01, 0.05, 0.15, id_block_size=block, prev_id_block_size=block + 3)
    ts = np.round(rng.uniform(0.0, 0.8, size=7), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = tok.encode(r, ts)
        for i, t in enumerate(ts):
            w = tok.encode_window(r, float(t))
            for k in ("x_id", "x_dt", "y_id", "y_dt", "x_id_prev", "x_dt_prev"):
                np.testing.assert_array_equal(out[k][i], getattr(w, k), err_msg=f"{k} at t={t}")
            assert (out["pad"][i], out["pad_prev"][i]) == (w.pad, w.pad_prev)
