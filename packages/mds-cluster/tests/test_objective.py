"""Eq. 1 against hand computations and independent implementations."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mds_cluster import cluster_means, contrastive_objective, normalise_responses


def test_hand_computed_value():
    # means [2, 1, 0], tau = 1, on-cluster 0:
    # J = 2 - log(e^2 + e^1 + e^0) + log 3
    #   = 2 - log(7.389056 + 2.718282 + 1) + 1.098612 = 2 - 2.407606 + 1.098612 = 0.691006
    j = contrastive_objective(torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64), 0, tau=1.0)
    assert float(j) == pytest.approx(0.691006, abs=1e-5)


def test_temperature_scales_means():
    m = torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64)
    assert float(contrastive_objective(m, 1, tau=2.0)) == pytest.approx(
        float(contrastive_objective(m / 2.0, 1, tau=1.0)), abs=1e-12
    )


@pytest.mark.parametrize("k", [1, 2, 5, 17])
def test_zero_at_chance(k):
    means = torch.full((k, k), 3.7, dtype=torch.float64)
    assert torch.allclose(contrastive_objective(means), torch.zeros(k, dtype=torch.float64), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(-50, 50)))
def test_bounded_by_log_k(values):
    s, k = values.shape
    on = np.arange(s) % k
    j = contrastive_objective(torch.from_numpy(values), torch.from_numpy(on), tau=1.6).numpy()
    assert np.all(j <= math.log(k) + 1e-9)
    # independent numpy evaluation of Eq. 1, row by row
    for row in range(s):
        z = values[row] / 1.6
        ref = z[on[row]] - (z.max() + np.log(np.exp(z - z.max()).sum())) + math.log(k)
        assert j[row] == pytest.approx(ref, abs=1e-9)


def test_batched_equals_per_cluster():
    rng = np.random.default_rng(0)
    m = torch.from_numpy(rng.normal(size=(5, 5)))
    batched = contrastive_objective(m, tau=1.6)
    singles = torch.stack([contrastive_objective(m[k], k, tau=1.6) for k in range(5)])
    assert torch.allclose(batched, singles, atol=1e-12)


def test_cluster_means_against_loop():
    rng = np.random.default_rng(1)
    r = rng.normal(size=(3, 20))
    labels = rng.integers(0, 4, size=20)
    labels[:4] = np.arange(4)
    got = cluster_means(torch.from_numpy(r), torch.from_numpy(labels), 4).numpy()
    for j in range(4):
        np.testing.assert_allclose(got[:, j], r[:, labels == j].mean(axis=1), atol=1e-12)


def test_normalisation():
    r = torch.tensor([[1.0, 4.0], [3.0, 8.0]])
    out = normalise_responses(r, torch.tensor([1.0, 4.0]), torch.tensor([2.0, 4.0]))
    assert torch.allclose(out, torch.tensor([[0.0, 0.0], [1.0, 1.0]]))


def test_bad_arguments():
    m = torch.zeros(3)
    with pytest.raises(ValueError, match="tau"):
        contrastive_objective(m, 0, tau=0.0)
    with pytest.raises(ValueError, match="on_idx"):
        contrastive_objective(m, 3)
    with pytest.raises(ValueError, match="on_idx is required"):
        contrastive_objective(m)
    with pytest.raises(ValueError, match="square"):
        contrastive_objective(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="cluster_means"):
        contrastive_objective(torch.zeros(2, 2, 2))
