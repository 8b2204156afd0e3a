"""Baselines against independent computations: scipy's Poisson pmf, a loop design matrix, known GLM weights,
hand-counted unigrams."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from neuroformer.baselines import (
    PoissonGLM,
    count_windows,
    decoding_baselines,
    history_design,
    unigram_window_log_likelihood,
)


def test_history_design_by_loop():
    rng = np.random.default_rng(0)
    r = rng.poisson(0.5, (3, 12))
    x = history_design(r, 4)
    for t in range(12):
        for lag in range(4):
            for j in range(3):
                expected = r[j, t - 1 - lag] if t - 1 - lag >= 0 else 0
                assert x[t, lag * 3 + j] == expected


def test_log_likelihood_equals_scipy_poisson():
    rng = np.random.default_rng(1)
    r = rng.poisson(0.4, (2, 400))
    glm = PoissonGLM(n_lags=2, alphas=(0.01,)).fit(r)
    ll = glm.log_likelihood(r)
    x = history_design(r, 2)
    w = glm.weights_.reshape(-1, 2)
    rate = np.exp(glm.bias_ + x @ w)
    np.testing.assert_allclose(ll, poisson.logpmf(r.T, rate).T, rtol=1e-10)
    starts = np.array([3, 100, 395])
    win = glm.window_log_likelihood(r, starts, 5)
    np.testing.assert_allclose(win, [ll[:, s : s + 5].sum() for s in starts], rtol=1e-12)


def test_glm_recovers_known_coupling():
    rng = np.random.default_rng(2)
    t, n = 40_000, 3
    bias = np.log([0.1, 0.1, 0.1])
    w = np.zeros((2, n, n))
    w[0, 0, 1] = 1.0  # neuron 0 excites neuron 1 one bin later
    w[1, 2, 0] = -1.0  # neuron 2 inhibits neuron 0 two bins later
    r = np.zeros((n, t), dtype=np.int64)
    for k in range(t):
        eta = bias.copy()
        for lag in range(2):
            if k - 1 - lag >= 0:
                eta += r[:, k - 1 - lag] @ w[lag]
        r[:, k] = rng.poisson(np.exp(eta))
    glm = PoissonGLM(n_lags=2, alphas=(1e-4,)).fit(r)
    np.testing.assert_allclose(glm.bias_, bias, atol=0.05)
    np.testing.assert_allclose(glm.weights_, w, atol=0.12)


def test_penalty_is_chosen_among_the_candidates():
    r = np.random.default_rng(3).poisson(0.2, (4, 2000))
    glm = PoissonGLM(n_lags=3).fit(r)
    assert glm.alpha_ in glm.alphas
    # independent neurons: the strongest penalty should win on held-out training bins
    assert glm.alpha_ == max(glm.alphas)


def test_unigram_by_hand():
    train = {"y_id": np.array([[0, 1, 4], [0, 3, 4]]), "y_dt": np.array([[1, 2, 5], [1, 4, 5]])}
    test = {"y_id": np.array([[1, 3, 4]]), "y_dt": np.array([[2, 4, 5]])}
    # vocab: 5 ids (PAD = 4), 6 dts; train targets (non-PAD): ids 0, 1, 0, 3 -> counts +1: [3, 2, 1, 2, 1] / 9
    # dts 1, 2, 1, 4 -> counts +1: [1, 3, 2, 1, 2, 1] / 10
    got = unigram_window_log_likelihood(train, test, 5, 6, 4)
    expected = np.log(2 / 9) + np.log(2 / 9) + np.log(2 / 10) + np.log(2 / 10)
    assert got[0] == pytest.approx(expected)


def test_count_windows_by_index():
    r = np.arange(30).reshape(3, 10)
    out = count_windows(r, [0, 4], 3)
    assert out.shape == (2, 3, 3)
    assert out[1, 2, 0] == r[0, 6] and out[0, 1, 2] == r[2, 1]


def test_decoding_baselines_on_a_linear_target():
    rng = np.random.default_rng(4)
    seq = rng.poisson(1.0, (300, 4, 5)).astype(float)
    y = seq[:, :, 0].sum(1) - seq[:, :, 3].sum(1) + 0.1 * rng.standard_normal(300)
    r2 = decoding_baselines(seq, y, np.arange(200), np.arange(200, 300), seed=0)
    assert set(r2) == {"ridge", "lasso", "mlp", "gru"}
    assert r2["ridge"] > 0.95 and r2["lasso"] > 0.95  # a linear read-out: the linear models nearly exact
    assert r2["mlp"] > 0.5 and r2["gru"] > 0.5
