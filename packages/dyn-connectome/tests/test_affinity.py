"""Stage 1: affinities against brute-force computations, invariants and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyn_connectome.affinity import differential_affinity
from neurotypes import Traces


def _corise_brute(x, window):
    """Loop-by-loop transcription of the stand-in definition (independent of the vectorised code)."""
    n, t = x.shape
    dx = np.full((n, t), np.nan)
    dx[:, 1:] = x[:, 1:] - x[:, :-1]
    sig = np.array([np.nanstd(dx[i]) for i in range(n)])
    out = np.zeros((n, n, t // window))
    for i in range(n):
        for j in range(n):
            for w in range(t // window):
                vals = []
                for s in range(w * window, (w + 1) * window):
                    if np.isfinite(dx[i, s]) and np.isfinite(dx[j, s]):
                        vals.append(max(dx[i, s] / sig[i], 0) * max(dx[j, s] / sig[j], 0))
                out[i, j, w] = np.mean(vals) if vals else np.nan
            if i == j:
                out[i, j] = 0.0
    return out


def test_corise_matches_brute_force_with_gaps():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 63))
    x[1, 5:9] = np.nan
    x[2, 20] = np.nan
    got = differential_affinity(x, kind="corise", window=10)
    np.testing.assert_allclose(got, _corise_brute(x, 10), rtol=1e-12, equal_nan=True)


def test_corise_hand_computed_case():
    # Two neurons: dx = [nan, 1, -1, 2, 0] and [nan, 2, 0, 2, -2].
    x = np.array([[0.0, 1.0, 0.0, 2.0, 2.0], [0.0, 2.0, 2.0, 4.0, 2.0]])
    s0 = np.std([1, -1, 2, 0])
    s1 = np.std([2, 0, 2, -2])
    # Window of 5 samples: sample 0 is missing, mean over the 4 others.
    expect = (1 / s0 * 2 / s1 + 0 + 2 / s0 * 2 / s1 + 0) / 4
    a = differential_affinity(x, window=5)
    assert a.shape == (2, 2, 1)
    assert a[0, 1, 0] == pytest.approx(expect)
    assert a[0, 0, 0] == 0.0


def test_pearson_window_matches_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 40))
    a = differential_affinity(x, kind="pearson_window", window=20)
    for w in range(2):
        c = np.corrcoef(x[:, w * 20 : (w + 1) * 20])
        c = np.clip(c, 0, None)
        np.fill_diagonal(c, 0)
        np.testing.assert_allclose(a[:, :, w], c, atol=1e-12)


def test_pearson_window_with_gap_uses_jointly_observed_samples():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 30))
    x[0, :4] = np.nan
    a = differential_affinity(x, kind="pearson_window", window=30)
    r = np.corrcoef(x[0, 4:], x[1, 4:])[0, 1]
    assert a[0, 1, 0] == pytest.approx(max(r, 0.0))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.1, 50.0),
    shift=st.floats(-100.0, 100.0),
)
def test_corise_invariants(seed, scale, shift):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 120)).cumsum(axis=1)
    a = differential_affinity(x, window=30)
    assert a.shape == (6, 6, 4)
    assert np.all(a >= 0)
    np.testing.assert_allclose(a, a.transpose(1, 0, 2))
    # Per-neuron affine change x -> s·x + b (s > 0) leaves the stand-in unchanged.
    s = scale * (1 + np.arange(6))[:, None]
    b = shift * np.arange(6)[:, None]
    np.testing.assert_allclose(differential_affinity(s * x + b, window=30), a, rtol=1e-7, atol=1e-10)


def test_accepts_traces_and_names_all_nan_unit():
    x = np.random.default_rng(0).normal(size=(3, 100))
    x[1] = np.nan
    tr = Traces(x, rate=5.0, unit_ids=["AVAL", "AWBL", "ASHR"])
    with pytest.raises(ValueError, match=r"AWBL.*entirely NaN"):
        differential_affinity(tr, window=20)


def test_bad_input():
    x = np.random.default_rng(0).normal(size=(3, 100))
    with pytest.raises(NotImplementedError, match="§2"):
        differential_affinity(x, kind="paper")
    with pytest.raises(ValueError, match="kind must be one of"):
        differential_affinity(x, kind="spearman")
    with pytest.raises(ValueError, match="window must be >= 2"):
        differential_affinity(x, window=1)
    with pytest.raises(ValueError, match="longer than the recording"):
        differential_affinity(x, window=101)
    with pytest.raises(TypeError, match="window must be an integer"):
        differential_affinity(x, window=2.5)
    with pytest.raises(ValueError, match="traces must be 2-dimensional"):
        differential_affinity(x[0])


def test_custom_callable_is_validated():
    x = np.random.default_rng(0).normal(size=(3, 100))

    def ok(data, window):
        return np.ones((data.shape[0], data.shape[0], data.shape[1] // window))

    assert differential_affinity(x, kind=ok, window=10).shape == (3, 3, 10)

    def negative(data, window):
        return -np.ones((3, 3, 2))

    with pytest.raises(ValueError, match="non-negative"):
        differential_affinity(x, kind=negative, window=10)

    def asym(data, window):
        return np.random.default_rng(0).random((3, 3, 2))

    with pytest.raises(ValueError, match="symmetric"):
        differential_affinity(x, kind=asym, window=10)
