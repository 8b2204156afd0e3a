"""Assignment, place scores, the hyperactive-neuron rule, ModularSNN errors and a quick learning run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_vpr.data import synthetic_traverses
from snn_vpr.model import (
    DiehlCookModule,
    ModularSNN,
    assign_neurons,
    hyperactive_neurons,
    ignore_hyperactive_neurons,
    place_scores,
)
from snn_vpr.network import DiehlCookParams, ModuleBank
from snn_vpr.preprocess import process_images


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 60))
def test_hyperactive_rule_matches_numpy(seed: int, T: int) -> None:
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 8, size=(12, 9))
    q = rng.integers(0, 8, size=(5, 9))
    for count in ("spikes", "images"):
        out = ignore_hyperactive_neurons(q, ref, T, count=count)
        direct = q.astype(float).copy()
        if T > 0:
            for j in range(9):
                act = [int(ref[i, j]) if count == "spikes" else int(ref[i, j] > 0) for i in range(12)]
                if sum(act) >= T:
                    direct[:, j] = 0
        np.testing.assert_array_equal(out, direct)


def test_hyperactive_boundary_inclusive_and_zero_disables() -> None:
    ref = np.array([[3, 1], [2, 1]])
    np.testing.assert_array_equal(hyperactive_neurons(ref, 5, "spikes"), [True, False])
    np.testing.assert_array_equal(hyperactive_neurons(ref, 6, "spikes"), [False, False])
    np.testing.assert_array_equal(hyperactive_neurons(ref, 2, "spikes"), [True, True])
    np.testing.assert_array_equal(hyperactive_neurons(ref, 0, "spikes"), [False, False])
    # VPRSNN counts images with at least one spike: both neurons fire on 2 images
    ref2 = np.array([[3, 0], [2, 1], [0, 4]])
    np.testing.assert_array_equal(hyperactive_neurons(ref2, 2), [True, True])
    np.testing.assert_array_equal(hyperactive_neurons(ref2, 3), [False, False])
    np.testing.assert_array_equal(hyperactive_neurons(ref2, 0), [False, False])
    with pytest.raises(ValueError, match="threshold must be a non-negative integer"):
        hyperactive_neurons(ref, -1)
    with pytest.raises(ValueError, match="count must be one of"):
        hyperactive_neurons(ref, 1, count="rate")
    with pytest.raises(ValueError, match="hyperactive_count must be one of"):
        ModularSNN(2, 4, 1, hyperactive_count="rate")


def test_assign_neurons_hand_case() -> None:
    # 4 presentations of places 7, 7, 9, 9; neuron 0 prefers 9, neuron 1 prefers 7, neuron 2 never fires
    resp = np.array([[0, 4, 0], [1, 2, 0], [3, 0, 0], [2, 1, 0]])
    np.testing.assert_array_equal(assign_neurons(resp, np.array([7, 7, 9, 9])), [9, 7, -1])


def test_place_scores_hand_case() -> None:
    resp = np.array([[2.0, 4.0, 6.0, 1.0]])
    s = place_scores(resp, np.array([0, 0, 1, -1]), np.array([0, 1, 2]))
    np.testing.assert_allclose(s, [[3.0, 6.0, 0.0]])


def _tiny() -> tuple[np.ndarray, np.ndarray]:
    d = synthetic_traverses(4, 32, seed=0).select("ref_a")
    return process_images(d.images), d.place_id


def test_bad_input_errors() -> None:
    X, ids = _tiny()
    with pytest.raises(ValueError, match="one place ID per image: 3 IDs for 4 images"):
        ModularSNN(2, 4, 1).fit(X, ids[:3])
    with pytest.raises(ValueError, match=r"regions\[1\] is empty"):
        ModularSNN(2, 4, 1).fit(X, ids, regions=[[0, 1], []])
    with pytest.raises(ValueError, match="disjoint"):
        ModularSNN(2, 4, 1).fit(X, ids, regions=[[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="no reference image"):
        ModularSNN(2, 4, 1).fit(X, ids, regions=[[0, 1], [5]])
    with pytest.raises(ValueError, match=r"pixel values in \[0, 255\]"):
        ModularSNN(2, 4, 1).fit(X.astype(float) * 2, ids)
    with pytest.raises(ValueError, match="region_size must be a positive integer"):
        ModularSNN(0)
    with pytest.raises(RuntimeError, match="not fitted"):
        ModularSNN(2, 4, 1).respond(X)
    with pytest.raises(TypeError, match="integer place IDs"):
        ModularSNN(2, 4, 1).fit(X, ids.astype(float))


def test_fitted_network_outputs_and_errors() -> None:
    X, ids = _tiny()
    net = ModularSNN(2, 4, 1, DiehlCookParams(t_present=30.0), seed=0).fit(X, ids)
    counts = net.respond(X)
    assert counts.counts.shape == (8, 4)
    assert counts.bin_size == pytest.approx(0.18)
    assert net.predict_scores(X).shape == (4, 4)
    trains = net.respond_trains(X[0], module=1)
    assert trains.n_units == 4 and trains.t_stop == pytest.approx(0.03)
    with pytest.raises(ValueError, match="never learned"):
        net.place_index(np.array([0, 9]))
    with pytest.raises(ValueError, match="never learned"):
        net.calibrate_hyperactive(X, np.array([0, 1, 2, 9]))
    with pytest.raises(ValueError, match="784 pixels like the reference"):
        net.respond(np.zeros((1, 10, 10)))
    mod = DiehlCookModule(n_in=784, n_e=4, epochs=1, params=DiehlCookParams(t_present=30.0)).fit(X, ids)
    assert mod.assign().shape == (4,)
    with pytest.raises(ValueError, match="n_in=100 pixels"):
        DiehlCookModule(n_in=100, n_e=4).fit(X, ids)


def test_calibration_picks_best_threshold_and_ignores_test() -> None:
    X, ids = _tiny()
    net = ModularSNN(2, 6, 1, DiehlCookParams(t_present=30.0), seed=0).fit(X, ids)
    T = net.calibrate_hyperactive(X, ids, thresholds=(0, 1, 3))
    assert T in (0, 1, 3)
    best = max(net.calibration_.values())
    assert net.calibration_[T] == best
    assert next(t for t in (0, 1, 3) if net.calibration_[t] == best) == T


def test_stdp_training_moves_weights_towards_the_presented_place() -> None:
    """Default learning test (mechanism): STDP + weight normalisation make receptive fields resemble the input.

    One module (n_e = 10), one place image presented 20 times (100 ms each, reference constants and delays).
    Criterion fixed before the first run: the mean correlation between a neuron's input weights and the image's
    input rates rises by more than 0.1.
    """
    d = synthetic_traverses(2, 64, seed=3).select("ref_a")
    X = process_images(d.images)
    rates = torch.from_numpy(X[:1].reshape(1, -1).astype(np.float32) / 4.0)
    bank = ModuleBank(1, 784, 10, DiehlCookParams(t_present=100.0), seed=0)

    def mean_corr() -> float:
        w = bank.w[0].numpy()
        r = rates[0].numpy()
        return float(np.mean([np.corrcoef(w[:, j], r)[0, 1] for j in range(w.shape[1])]))

    before = mean_corr()
    bank.train(rates[None].expand(1, 20, -1).contiguous())
    after = mean_corr()
    assert after > before + 0.1, (before, after)
