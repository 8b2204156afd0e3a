"""Stage 2b: NTF against planted low-rank tensors, masks, similarity, rank sweep, bad input."""

import numpy as np
import pytest

from dyn_connectome.ntf import NTFResult, RankSweep, factor_similarity, fit_ntf, rank_sweep, relative_error


def _low_rank(rng, shape=(60, 12, 5), rank=3):
    fs = [rng.uniform(0, 1, size=(s, rank)) ** 2 for s in shape]
    w = np.array([3.0, 2.0, 1.0])[:rank]
    x = np.einsum("r,pr,tr,wr->ptw", w, *fs)
    truth = NTFResult(w, *[f.copy() for f in fs], rel_error=0.0)
    norms = [np.linalg.norm(f, axis=0) for f in fs]
    truth = NTFResult(
        w * norms[0] * norms[1] * norms[2],
        fs[0] / norms[0],
        fs[1] / norms[1],
        fs[2] / norms[2],
        rel_error=0.0,
    )
    return x, truth


@pytest.mark.parametrize("method", ["hals", "mu"])
def test_recovers_exact_low_rank_tensor(method):
    x, truth = _low_rank(np.random.default_rng(0))
    res = fit_ntf(x, rank=3, n_restarts=3, method=method, seed=0, n_iter_max=2000, tol=1e-12)
    assert res.rel_error < (1e-3 if method == "hals" else 2e-2)
    # The model tensor agrees with an independent dense reconstruction of the factors.
    assert relative_error(x, res.reconstruct()) == pytest.approx(res.rel_error, rel=1e-6, abs=1e-9)
    for f in res.factors:
        np.testing.assert_allclose(np.linalg.norm(f, axis=0), 1.0)
    assert np.all(np.diff(res.weights) <= 0)
    if method == "hals":
        assert factor_similarity(res, truth) > 0.98


@pytest.mark.parametrize("method", ["hals", "mu"])
def test_masked_fit_ignores_missing_entries(method):
    rng = np.random.default_rng(1)
    x, _ = _low_rank(rng)
    miss = rng.random(x.shape) < 0.2
    xm = x.copy()
    xm[miss] = np.nan
    res = fit_ntf(xm, rank=3, n_restarts=1, method=method, seed=0, n_iter_max=800, tol=1e-12)
    held_out = relative_error(x[miss], res.reconstruct()[miss])
    assert held_out < (0.02 if method == "hals" else 0.1)
    zero_filled = fit_ntf(np.where(miss, 0.0, x), rank=3, n_restarts=1, seed=0)
    assert relative_error(x[miss], zero_filled.reconstruct()[miss]) > 5 * held_out


def test_factor_similarity_closed_form():
    rng = np.random.default_rng(2)
    _, a = _low_rank(rng)
    perm = [2, 0, 1]
    b = NTFResult(a.weights[perm], a.f_pairs[:, perm], a.f_time[:, perm], a.f_worm[:, perm], 0.0)
    assert factor_similarity(a, b) == pytest.approx(1.0)
    # Halving one weight: that component scores 1 - 0.5 = 0.5, the others 1.
    w = a.weights.copy()
    w[0] /= 2
    c = NTFResult(w, a.f_pairs, a.f_time, a.f_worm, 0.0)
    assert factor_similarity(a, c) == pytest.approx((0.5 + 1 + 1) / 3)
    with pytest.raises(ValueError, match="rank of a"):
        factor_similarity(a, NTFResult(w[:2], a.f_pairs[:, :2], a.f_time[:, :2], a.f_worm[:, :2], 0.0))


def test_rank_sweep_errors_non_increasing_and_seed_reproducible():
    x, _ = _low_rank(np.random.default_rng(3))
    x = x + np.random.default_rng(4).uniform(0, 0.05, size=x.shape)
    sw = rank_sweep(x, ranks=range(1, 6), n_restarts=3, seed=0)
    assert all(b <= a + 1e-4 for a, b in zip(sw.errors, sw.errors[1:], strict=False))
    # The planted rank is where the error reaches the noise floor and restarts still agree.
    assert sw.errors[2] < 0.5 * sw.errors[1]
    assert sw.errors[3] > 0.8 * sw.errors[2]
    assert sw.stable_rank(0.9) >= 3
    assert (
        rank_sweep(x, ranks=[2], n_restarts=2, seed=0).errors
        == rank_sweep(x, ranks=[2], n_restarts=2, seed=0).errors
    )


def test_second_difference_on_the_prototype_numbers():
    # Spec's prototype errors (%): the centred second difference peaks at R = 2 (8.6 vs 1.2).
    e = (0.421, 0.300, 0.265, 0.242, 0.222, 0.203)
    sw = RankSweep((1, 2, 3, 4, 5, 6), e, tuple((v,) for v in e), (1.0,) * 6)
    d = sw.second_differences()
    assert d[2] == pytest.approx(0.421 - 0.600 + 0.265)
    assert d[3] == pytest.approx(0.300 - 0.530 + 0.242)
    assert sw.elbow() == 2


def test_bad_input():
    x = np.ones((4, 3, 2))
    with pytest.raises(ValueError, match="non-negative"):
        fit_ntf(-x)
    with pytest.raises(ValueError, match="infinit"):
        fit_ntf(np.where(x > 0, np.inf, 0))
    with pytest.raises(ValueError, match="3-D"):
        fit_ntf(np.ones((3, 3)))
    with pytest.raises(TypeError, match="real numbers"):
        fit_ntf(np.array([[["a"]]]))
    with pytest.raises(TypeError, match="X must be a numpy array"):
        fit_ntf("tensor")
    assert fit_ntf([[[1.0, 2.0]]], rank=1, n_restarts=1).rel_error < 1e-6  # array_like is accepted
    with pytest.raises(ValueError, match="rank must be positive"):
        fit_ntf(x, rank=0)
    with pytest.raises(ValueError, match="method"):
        fit_ntf(x, method="als")
    with pytest.raises(ValueError, match="every entry is missing"):
        fit_ntf(np.full((2, 2, 2), np.nan))
    with pytest.raises(ValueError, match="n_restarts"):
        fit_ntf(x, n_restarts=0)
