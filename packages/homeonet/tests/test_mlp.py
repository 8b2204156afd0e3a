"""The learner's equations against independent computations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeonet import MLPClassifier, init_params, lookahead_accuracy, run
from homeonet.mlp import MLPParams, backward, elu, elu_derivative, forward, softmax


def test_elu_closed_form():
    x = np.array([-3.0, -1.0, -1e-3, 0.0, 0.5, 40.0])
    expected = [np.exp(-3) - 1, np.exp(-1) - 1, np.exp(-1e-3) - 1, 0.0, 0.5, 40.0]
    np.testing.assert_allclose(elu(x), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-12)
    np.testing.assert_allclose(
        elu_derivative(x, alpha=0.5), np.where(x > 0, 1.0, 0.5 * np.exp(x)), rtol=1e-12
    )
    # no overflow warning for large positive inputs
    with np.errstate(over="raise"):
        elu(np.array([1000.0]))


def test_elu_derivative_is_the_derivative():
    x = np.linspace(-4, 4, 81)
    x = x[np.abs(x) > 1e-3]
    h = 1e-6
    np.testing.assert_allclose(elu_derivative(x), (elu(x + h) - elu(x - h)) / (2 * h), rtol=1e-6, atol=1e-8)


def test_softmax_rows_sum_to_one_and_shift_invariant():
    z = np.random.default_rng(0).normal(size=(5, 10)) * 30
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(z + 1000.0), p)


def _loss(params: MLPParams, X, Y):
    p = forward(params, X)[1][-1]
    return -np.sum(Y * np.log(p))


@pytest.mark.parametrize("act", ["elu", "relu", "tanh"])
def test_backprop_matches_finite_differences(act):
    rng = np.random.default_rng(1)
    params = init_params((6, 5, 4, 3), rng, act)
    X = rng.normal(size=(4, 6))
    Y = np.eye(3)[rng.integers(0, 3, 4)]
    zs, acts = forward(params, X)
    deltas = backward(params, zs, acts, Y)
    h = 1e-6
    for layer in range(3):
        gW = deltas[layer].T @ acts[layer]
        gb = deltas[layer].sum(axis=0)
        for idx in [(0, 0), (1, 2), (2, 1)]:
            P1, P2 = params.copy(), params.copy()
            P1.W[layer][idx] += h
            P2.W[layer][idx] -= h
            num = (_loss(P1, X, Y) - _loss(P2, X, Y)) / (2 * h)
            assert gW[idx] == pytest.approx(num, rel=1e-5, abs=1e-7)
        P1, P2 = params.copy(), params.copy()
        P1.b[layer][1] += h
        P2.b[layer][1] -= h
        assert gb[1] == pytest.approx((_loss(P1, X, Y) - _loss(P2, X, Y)) / (2 * h), rel=1e-5, abs=1e-7)


def test_init_is_he_normal_with_standard_normal_biases():
    p = init_params((400, 300, 200), np.random.default_rng(2))
    assert p.W[0].shape == (300, 400)
    assert p.W[1].shape == (200, 300)
    assert np.std(p.W[0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.std(p.W[1]) == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    b = np.concatenate(p.b)
    assert np.std(b) == pytest.approx(1.0, rel=0.1)
    assert abs(np.mean(b)) < 0.15


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(1, 6),
    c=st.lists(st.floats(0, 0.5, allow_nan=False), min_size=1, max_size=3),
    n_memo=st.integers(1, 12),
)
def test_lookahead_equals_explicit_weight_copies(seed, rows, c, n_memo):
    rng = np.random.default_rng(seed)
    params = init_params((7, 6, 5, 4), rng)
    Xb = rng.normal(size=(6, 7))
    Yb = np.eye(4)[rng.integers(0, 4, 6)]
    zs, acts = forward(params, Xb)
    deltas = backward(params, zs, acts, Yb)
    Xm = rng.normal(size=(n_memo, 7))
    ym = rng.integers(0, 4, n_memo)
    got = lookahead_accuracy(params, acts, deltas, slice(0, rows), c, Xm, ym)
    for k, ck in enumerate(c):
        sim = params.copy()
        for layer in range(3):
            sim.W[layer] -= ck * deltas[layer][:rows].T @ acts[layer][:rows]
            sim.b[layer] -= ck * deltas[layer][:rows].sum(axis=0)
        logits = forward(sim, Xm)[0][-1]
        # exact ties between logits are measure-zero for random inputs
        assert got[k] == pytest.approx(np.mean(logits.argmax(axis=1) == ym))


def test_classifier_api_and_errors():
    clf = MLPClassifier(sizes=(8,), seed=0)
    with pytest.raises(RuntimeError, match="not initialised"):
        clf.predict(np.zeros((2, 3)))
    clf.initialize(3, 4)
    p = clf.predict_proba(np.zeros((2, 3)))
    assert p.shape == (2, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1)
    assert clf.predict(np.zeros((2, 3))).dtype == np.int64
    with pytest.raises(ValueError, match=r"X must have shape \(n, 3\)"):
        clf.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="act must be one of"):
        init_params((3, 2), 0, act="sigmoid")
    with pytest.raises(ValueError, match="sizes must"):
        init_params((3,), 0)


def test_run_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    X = np.eye(3)[y] + 0.1 * rng.normal(size=(300, 3))
    out = run(mode="lrc", dataset=(X[:240], y[:240], X[240:], y[240:]), epochs=5, eta0=0.1, sizes=(16,))
    assert out["model"].score(X[240:], y[240:]) > 0.95
    assert out["online_acc"].shape == (5,)
