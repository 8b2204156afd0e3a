"""Connectivity analysis against brute force; simulators' ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from neuroformer import analysis, sim
from neuroformer.data import TimeSeries, stimulus_windows, window_means
from neurotypes import SpikeTrains, Stimulus


def test_accumulate_attention_brute_force():
    rng = np.random.default_rng(0)
    n = 4
    att = rng.random((2, 3, 5))
    att /= att.sum(-1, keepdims=True)
    q = np.array([[0, 1, 9], [2, 2, 3]])  # 9 = a special token
    k = np.array([[1, 1, 3, 0, -1], [0, 2, 3, 3, 8]])  # -1 = PAD, 8 = special
    obs, exp = analysis.accumulate_attention(att, q, k, n)
    o2 = np.zeros((n, n))
    e2 = np.zeros((n, n))
    for b in range(2):
        n_keys = np.sum(k[b] != -1)
        for i in range(3):
            if q[b, i] >= n:
                continue
            for j in range(5):
                if 0 <= k[b, j] < n:
                    o2[k[b, j], q[b, i]] += att[b, i, j]
                    e2[k[b, j], q[b, i]] += 1.0 / n_keys
    np.testing.assert_allclose(obs, o2)
    np.testing.assert_allclose(exp, e2)


def test_cross_correlogram_brute_force():
    rng = np.random.default_rng(1)
    r = rng.poisson(0.3, size=(3, 50))
    c = analysis.cross_correlogram_connectivity(r, max_lag=2)
    for a in range(3):
        for b in range(3):
            o = sum(r[a, t] * r[b, t + lag] for lag in (1, 2) for t in range(50 - lag))
            e = r[a].sum() * r[b].sum() * 2 / 50
            assert c[a, b] == pytest.approx(o / e)


def test_auroc_and_direction_hand_cases():
    edges = np.zeros((3, 3), dtype=bool)
    edges[0, 1] = True
    s = np.array([[0, 5.0, 1], [2, 0, 1], [1, 1, 0]])
    assert analysis.edge_auroc(s, edges) == 1.0
    assert analysis.direction_accuracy(s, edges) == 1.0
    s2 = s.T.copy()
    assert analysis.direction_accuracy(s2, edges) == 0.0
    with pytest.raises(ValueError, match="edges"):
        analysis.edge_auroc(s, np.zeros((3, 3), dtype=bool))


def test_within_row_auroc_ignores_hub_only_scores():
    edges = np.zeros((4, 4), dtype=bool)
    edges[0, [1, 2]] = True
    hub_only = np.zeros((4, 4))
    hub_only[0, :] = 5.0  # marks neuron 0 as a source, says nothing about its targets
    assert analysis.within_row_auroc(hub_only, edges, np.array([0])) == 0.5
    assert analysis.edge_auroc(hub_only, edges) > 0.8
    good = hub_only.copy()
    good[0, [1, 2]] = 9.0
    assert analysis.within_row_auroc(good, edges, np.array([0])) == 1.0


def test_hub_network_truth_and_rates():
    hub = sim.hub_network(duration=20.0, seed=0)
    assert isinstance(hub.spikes, SpikeTrains)
    assert hub.hub_edges.sum() == 3 * 8
    assert set(np.nonzero(hub.hub_edges)[0]) == set(hub.hubs.tolist())
    assert np.all(hub.adjacency[hub.hub_edges] == 2.0)
    r = hub.spikes.bin(0.01).counts
    assert r.max() <= 1  # Bernoulli per bin
    # hub targets fire more right after hub spikes than at random (the coupling is real)
    c = analysis.cross_correlogram_connectivity(r, 2)
    assert c[hub.hub_edges].mean() > 1.5 * c[~hub.hub_edges & (hub.adjacency == 0)].mean()
    again = sim.hub_network(duration=20.0, seed=0)
    np.testing.assert_array_equal(again.spikes.times, hub.spikes.times)


def test_stimulus_and_behaviour_simulators():
    _, stim = sim.stimulus_driven(duration=5.0, seed=0)
    assert isinstance(stim, Stimulus) and stim.frames.shape == (500, 1)
    w = stimulus_windows(stim, np.array([0.05, 0.1]), 0.05)
    np.testing.assert_allclose(w[1, :, 0], stim.frames[5:10, 0])
    _spikes, speed = sim.behaviour(duration=5.0, seed=0)
    assert isinstance(speed, TimeSeries) and speed.values.shape == (500, 1)
    m = window_means(speed, np.array([0.0]), 0.05)
    assert m[0, 0] == pytest.approx(speed.values[:5, 0].mean())


def test_circular_shuffle_keeps_rates():
    rng = np.random.default_rng(0)
    r = rng.poisson(0.2, (4, 100))
    s = analysis.circular_shuffle(r, seed=1)
    np.testing.assert_array_equal(r.sum(1), s.sum(1))
    assert not np.array_equal(r, s)
