"""Optimal-threshold curve and the inverse API (min_synapses, min_theta)."""

from __future__ import annotations

import numpy as np
import pytest

from sdr_dendrites import (
    DEFAULT_GRID,
    ParameterGrid,
    false_match_probability,
    false_negative_probability,
    min_synapses,
    min_theta,
    noise_cells,
    optimal_theta_curve,
)


def test_default_grid_is_the_papers():
    n, a, s = DEFAULT_GRID.points()
    assert len(DEFAULT_GRID) == n.size == 210
    assert set(n.tolist()) == {1000, 5000, 9000, 13000, 17000}
    assert set(s.tolist()) == set(range(20, 51, 5))
    assert sorted(set(a[n == 1000].tolist())) == [5, 10, 15, 20, 25, 30]
    assert sorted(set(a[n == 17000].tolist())) == [85, 170, 255, 340, 425, 510]


def test_optimal_theta_curve_monotone_and_crossing():
    curve = optimal_theta_curve()
    assert np.all(np.diff(curve.median) < 0)
    crossing = int(curve.thetas[np.argmax(curve.median < 1e-9)])
    assert 8 <= crossing <= 20
    assert (
        crossing == 10
    )  # exact recomputation on the stated grid (independent check, spec "Tests to build" 9)
    assert curve.quantiles.shape == (4, 30)


def test_optimal_theta_curve_log_path_matches_exact_on_small_grid():
    grid = ParameterGrid(ns=(1000, 9000), sparsities=(0.01, 0.03), synapses=(20, 35))
    fast = optimal_theta_curve(grid, thetas=range(1, 26))
    exact = optimal_theta_curve(grid, thetas=range(1, 26), exact=True)
    np.testing.assert_allclose(fast.median, exact.median, rtol=1e-9)


def _fm_ok(n, a, s, t, target):
    return false_match_probability(n, a, s, t) <= target


@pytest.mark.parametrize(
    ("n", "a", "target"), [(10_000, 300, 1e-9), (100_000, 2000, 1e-12), (2048, 40, 1e-6)]
)
def test_min_synapses_without_noise_is_minimal(n, a, target):
    d = min_synapses(n, a, target)
    assert _fm_ok(n, a, d.s, d.theta, target)
    # with s - 1 synapses no threshold reaches the target (theta = s - 1 is the most selective)
    assert not any(_fm_ok(n, a, d.s - 1, t, target) for t in range(1, d.s))
    assert d.theta == min_theta(n, a, d.s, target)


@pytest.mark.parametrize(("n", "a", "target", "noise"), [(10_000, 300, 1e-9, 0.3), (5000, 100, 1e-6, 0.5)])
def test_min_synapses_with_noise_is_minimal(n, a, target, noise):
    d = min_synapses(n, a, target, noise_frac=noise)
    v = noise_cells(a, noise)
    assert d.v == v
    assert _fm_ok(n, a, d.s, d.theta, target)
    assert false_negative_probability(a, d.s, d.theta, v) <= target
    s = d.s - 1
    assert not any(
        _fm_ok(n, a, s, t, target) and false_negative_probability(a, s, t, v) <= target
        for t in range(1, s + 1)
    )


def test_min_synapses_with_fixed_theta():
    d = min_synapses(10_000, 300, 1e-6, noise_frac=0.2, theta=8)
    assert d.theta == 8
    assert false_negative_probability(300, d.s, 8, d.v) <= 1e-6
    assert (
        false_negative_probability(300, d.s - 1, 8, d.v) > 1e-6
        or false_match_probability(10_000, 300, d.s - 1, 8) > 1e-6
    )


def test_min_theta_checks_theta_and_theta_minus_one():
    t = min_theta(10_000, 300, 24, 1e-9)
    assert (
        false_match_probability(10_000, 300, 24, t) <= 1e-9 < false_match_probability(10_000, 300, 24, t - 1)
    )


def test_inverse_api_errors():
    with pytest.raises(ValueError, match="no theta <= s=4 reaches target_err"):
        min_theta(100, 50, 4, 1e-12)
    with pytest.raises(ValueError, match="no s <= 5 meets target_err"):
        min_synapses(100, 50, 1e-12, s_max=5)
    with pytest.raises(ValueError, match="target_err must lie strictly between 0 and 1"):
        min_synapses(100, 50, 0.0)
    with pytest.raises(ValueError, match=r"noise_frac must lie in \[0, 1\]"):
        min_synapses(100, 50, 1e-3, noise_frac=1.5)
    with pytest.raises(ValueError, match="s_max must be <= a"):
        min_synapses(100, 50, 1e-3, s_max=51)
    with pytest.raises(TypeError, match="grid must be a ParameterGrid"):
        optimal_theta_curve(grid=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="synapses must be <= every n"):
        ParameterGrid(ns=(10,), sparsities=(0.1,), synapses=(20,)).points()
