"""Stage 2a: tensor layout, identity alignment across animals, masks, bad input."""

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyn_connectome.affinity import differential_affinity
from dyn_connectome.tensor import PairIndex, build_affinity_tensor, pair_index
from neurotypes import Traces


@settings(max_examples=50, deadline=None)
@given(n=st.integers(2, 40), data=st.data())
def test_pair_index_round_trip(n, data):
    i, j = pair_index(n)
    idx = PairIndex(i, j, tuple(f"u{k}" for k in range(n)))
    assert idx.n_pairs == n * (n - 1) // 2
    p = data.draw(st.integers(0, idx.n_pairs - 1))
    assert idx.index_of(int(i[p]), int(j[p])) == p
    assert idx.index_of(int(j[p]), int(i[p])) == p
    v = np.arange(idx.n_pairs, dtype=float) + 1
    m = idx.to_matrix(v)
    assert np.array_equal(m, m.T)
    assert np.all(np.diag(m) == 0)
    np.testing.assert_array_equal(idx.to_vector(m), v)
    assert m[i[p], j[p]] == v[p]


def _rec(rng, names, t=200, rate=10.0):
    return Traces(rng.normal(size=(len(names), t)).cumsum(axis=1), rate=rate, unit_ids=names)


def test_tensor_entries_are_per_animal_affinities():
    rng = np.random.default_rng(0)
    recs = [_rec(rng, ["a", "b", "c"]), _rec(rng, ["a", "b", "c"])]
    x, pairs = build_affinity_tensor(recs, window=50, dtype=np.float64)
    assert x.shape == (3, 4, 2)
    for w, r in enumerate(recs):
        a = differential_affinity(r, window=50)
        np.testing.assert_allclose(x[:, :, w], a[pairs.i, pairs.j, :])


def test_union_masks_missing_neurons_and_intersection_drops_them(caplog):
    rng = np.random.default_rng(1)
    recs = [_rec(rng, ["a", "b", "c"]), _rec(rng, ["c", "a", "d"])]
    with caplog.at_level(logging.WARNING):
        x, pairs = build_affinity_tensor(recs, window=50)
    assert pairs.unit_ids == ("a", "b", "c", "d")
    assert "lacks" in caplog.text
    for p in range(pairs.n_pairs):
        names = {pairs.unit_ids[pairs.i[p]], pairs.unit_ids[pairs.j[p]]}
        assert np.isnan(x[p, :, 0]).all() == ("d" in names)
        assert np.isnan(x[p, :, 1]).all() == ("b" in names)
    # Identity alignment: pair (a, c) in animal 1 uses its rows 1 and 0.
    a1 = differential_affinity(recs[1], window=50)
    np.testing.assert_allclose(x[pairs.index_of(0, 2), :, 1], a1[1, 0], rtol=1e-6)
    xi, pi = build_affinity_tensor(recs, window=50, align="intersection")
    assert pi.unit_ids == ("a", "c")
    assert not np.isnan(xi).any()


def test_nan_gaps_and_uneven_lengths_are_masked(caplog):
    rng = np.random.default_rng(2)
    a = _rec(rng, ["a", "b"], t=200)
    d = rng.normal(size=(2, 100))
    d[0, 50:] = np.nan
    b = Traces(d, rate=10.0, unit_ids=["a", "b"])
    with caplog.at_level(logging.WARNING):
        x, _ = build_affinity_tensor([a, b], window=50)
    assert "padded" in caplog.text
    assert x.shape == (1, 4, 2)
    assert np.isfinite(x[:, :, 0]).all()
    assert np.isfinite(x[0, 0, 1]) and np.isnan(x[0, 1:, 1]).all()


def test_bad_input():
    rng = np.random.default_rng(3)
    a = _rec(rng, ["a", "b"], rate=10.0)
    with pytest.raises(ValueError, match="share one sampling rate"):
        build_affinity_tensor([a, _rec(rng, ["a", "b"], rate=20.0)])
    with pytest.raises(ValueError, match="longer than recording 0"):
        build_affinity_tensor([a], window=500)
    with pytest.raises(ValueError, match="window must be >= 2"):
        build_affinity_tensor([a], window=1)
    with pytest.raises(ValueError, match="non-empty list"):
        build_affinity_tensor([])
    with pytest.raises(TypeError, match=r"neurotypes\.Traces"):
        build_affinity_tensor([np.zeros((2, 100))])
    d = rng.normal(size=(2, 200))
    d[1] = np.nan
    with pytest.raises(ValueError, match=r"traces\[1\].*\['b'\].*entirely NaN"):
        build_affinity_tensor([a, Traces(d, rate=10.0, unit_ids=["a", "b"])])
    with pytest.raises(ValueError, match="either every recording has unit_ids"):
        build_affinity_tensor([a, Traces(rng.normal(size=(2, 200)), rate=10.0)])
    with pytest.raises(ValueError, match="align"):
        build_affinity_tensor([a], align="outer")
    with pytest.raises(ValueError, match="at least 2 neurons"):
        build_affinity_tensor([_rec(rng, ["a"])])


def test_custom_affinity_with_too_many_windows_is_refused():
    rng = np.random.default_rng(4)

    def too_many(data, window):
        n = data.shape[0]
        return np.ones((n, n, data.shape[1] // window + 3))

    with pytest.raises(ValueError, match="more than the"):
        build_affinity_tensor([_rec(rng, ["a", "b"])], window=50, kind=too_many)
