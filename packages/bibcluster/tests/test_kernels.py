"""The compiled kernels of the sweep against their plain numpy statements and closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import chi2, invwishart

from bibcluster import StickyHDPHMM
from bibcluster._kernels import mniw_evidence_flat, sample_states_kernel
from bibcluster.ffbs import ffbs_by_state, ffbs_numpy
from bibcluster.glm import laplace_log_marginal, laplace_log_marginal_numpy
from bibcluster.hmm import mniw_prior, sample_dynamics
from bibcluster.pg import SPLIT_MIN, sample_pg
from bibcluster.statemoves import _Pairs, mniw_log_evidence


def _dynamics(rng: np.random.Generator, L: int, D: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A = np.stack([0.9 * np.eye(D) + 0.05 * rng.standard_normal((D, D)) for _ in range(L)])
    b = 0.05 * rng.standard_normal((L, D))
    Q = np.stack([0.02 * np.eye(D) + 0.01 * (M @ M.T) for M in rng.standard_normal((L, D, D))])
    return A, b, Q


def test_ffbs_kernel_equals_numpy_recursion_on_same_noise() -> None:
    rng = np.random.default_rng(0)
    T, D, L = 60, 4, 3
    A, b, Q = _dynamics(rng, L, D)
    xi = rng.integers(0, L, T)
    H = rng.standard_normal((7, D))
    w = rng.uniform(0.5, 2.0, (T, 7))
    J = np.einsum("tn,ni,nj->tij", w, H, H)
    h = rng.standard_normal((T, D))
    m0, P0 = 0.1 * rng.standard_normal(D), 0.5 * np.eye(D) + 0.1
    seed = 11
    x_kernel = ffbs_by_state(J, h, A, b, Q, xi, m0, P0, np.random.default_rng(seed))
    z = np.random.default_rng(seed).standard_normal((T, D))
    x_numpy = ffbs_numpy(J, h, A[xi], b[xi], Q[xi], m0, P0, z)
    np.testing.assert_allclose(x_kernel, x_numpy, rtol=1e-9, atol=1e-10)


def test_mniw_kernel_equals_numpy_evidence() -> None:
    rng = np.random.default_rng(1)
    D, s0 = 3, 0.02
    X = np.cumsum(0.2 * rng.standard_normal((80, D)), 0)
    pairs = _Pairs(X)
    flats = np.stack([pairs.span(a, b) for a, b in [(0, 80), (1, 5), (10, 11), (3, 60), (0, 1)]])
    got = mniw_evidence_flat(flats, D, s0)
    ZZ, YZ, YY, n = pairs.split(flats)
    has = n > 0
    want = np.zeros(len(n))
    want[has] = mniw_log_evidence(ZZ[has], YZ[has], YY[has], n[has], s0)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)
    assert got[-1] == 0.0  # bin 0 alone has no pair


def test_state_path_draws_match_exact_posterior_by_enumeration() -> None:
    """Forward filtering, backward sampling: frequencies of all 3^4 paths against their exact probabilities."""
    rng = np.random.default_rng(2)
    T, L = 4, 3
    loglik = rng.normal(0, 1.0, (T, L))
    trans = rng.dirichlet(np.ones(L) * 2, size=L)
    init = rng.dirichlet(np.ones(L))
    paths = list(itertools.product(range(L), repeat=T))
    logp = np.array(
        [
            np.log(init[p[0]])
            + loglik[0, p[0]]
            + sum(np.log(trans[p[t - 1], p[t]]) + loglik[t, p[t]] for t in range(1, T))
            for p in paths
        ]
    )
    prob = np.exp(logp - logp.max())
    prob /= prob.sum()
    n = 40_000
    u = rng.random((n, T))
    index = {p: i for i, p in enumerate(paths)}
    counts = np.zeros(len(paths))
    for k in range(n):
        counts[index[tuple(sample_states_kernel(loglik, trans, init, u[k]))]] += 1
    expected = n * prob
    stat = float(((counts - expected) ** 2 / expected).sum())
    assert stat < chi2.ppf(0.999, len(paths) - 1)


@pytest.mark.parametrize("family", ["nb", "poisson"])
def test_laplace_kernel_equals_numpy_batch(family: str) -> None:
    rng = np.random.default_rng(3)
    N, T, K, p = 6, 120, 3, 2
    lat = 0.4 * rng.standard_normal((K, T, p + 1))
    y = rng.poisson(np.exp(0.5 + lat[rng.integers(0, K, N)][:, :, 0])).astype(float)
    r = rng.uniform(2.0, 30.0, N) if family == "nb" else None
    got, b_got = laplace_log_marginal(y, lat[:, :, 0], lat[:, :, 1:], r)
    want, b_want = laplace_log_marginal_numpy(y, lat[:, :, 0], lat[:, :, 1:], r)
    np.testing.assert_allclose(b_got, b_want, atol=1e-8)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-7)


def test_dynamics_draws_match_mniw_posterior_moments() -> None:
    """Bartlett draws of (A, b, Q): E[Q] = S_n / (nu_n - D - 1) and E[[A | b]] = M_n (closed form), and the Q
    draws' marginal variances against scipy's inverse-Wishart sampler."""
    rng = np.random.default_rng(4)
    T, D = 40, 2
    X = np.cumsum(0.3 * rng.standard_normal((T, D)), 0)
    xi = np.zeros(T, dtype=np.int64)
    hmm = StickyHDPHMM(L=2)
    M0, K0, nu0, S0 = mniw_prior(D, hmm.s0_scale)
    Z, Y = np.hstack([X[:-1], np.ones((T - 1, 1))]), X[1:]
    Kn = K0 + Z.T @ Z
    Mn = (M0 @ K0 + Y.T @ Z) @ np.linalg.inv(Kn)
    Sn = S0 + Y.T @ Y + M0 @ K0 @ M0.T - Mn @ Kn @ Mn.T
    nun = nu0 + T - 1
    n = 6000
    draws = [sample_dynamics(X, xi, hmm, rng) for _ in range(n)]
    Qs = np.stack([d[2][0] for d in draws])
    Ws = np.stack([np.hstack([d[0][0], d[1][0][:, None]]) for d in draws])
    ref = invwishart(nun, Sn).rvs(size=n, random_state=np.random.default_rng(5))
    np.testing.assert_allclose(Qs.mean(0), Sn / (nun - D - 1), atol=4 * Qs.std(0).max() / np.sqrt(n))
    np.testing.assert_allclose(Qs.var(0), ref.var(0), rtol=0.15)
    np.testing.assert_allclose(Ws.mean(0), Mn, atol=4 * Ws.std(0).max() / np.sqrt(n))
    # the unused state is drawn from the prior (heavy-tailed: compare medians with scipy's sampler)
    Q1 = np.stack([d[2][1] for d in draws])
    prior = invwishart(nu0, S0).rvs(size=20_000, random_state=np.random.default_rng(6))
    assert np.median(Q1[:, 0, 0]) == pytest.approx(np.median(prior[:, 0, 0]), rel=0.1)


def test_pg_draws_do_not_depend_on_thread_count() -> None:
    n = SPLIT_MIN + 123
    b = np.linspace(1.0, 40.0, n)
    c = np.linspace(-3.0, 3.0, n)
    one = sample_pg(b, c, np.random.default_rng(7), threads=1)
    two = sample_pg(b, c, np.random.default_rng(7), threads=2)
    np.testing.assert_array_equal(one, two)
    assert one.shape == (n,)


def test_nb_row_loglik_equals_scipy_terms() -> None:
    from scipy.special import gammaln

    from bibcluster._kernels import nb_loglik_rows
    from bibcluster.glm import loglik_counts

    rng = np.random.default_rng(8)
    N, T = 5, 300
    eta = rng.normal(0.3, 0.8, (N, T))
    y = rng.poisson(np.exp(eta) * rng.gamma(3.0, 1 / 3.0, (N, T))).astype(float)
    y[0, :3] = [0.0, 57.0, 120.0]
    r = rng.uniform(0.5, 80.0, N)
    want = loglik_counts(y, eta, r[:, None]).sum(1)
    got = nb_loglik_rows(y, eta, r) - gammaln(y + 1).sum(1)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-8)


def test_nb_row_loglik_closed_form_equals_sum_of_logs_on_small_counts() -> None:
    from bibcluster._kernels import nb_loglik_rows, nb_loglik_rows_sum_of_logs

    rng = np.random.default_rng(18)
    N, T = 6, 400
    eta = rng.normal(0.0, 1.0, (N, T))
    y = rng.negative_binomial(4, 4 / (4 + np.exp(eta))).astype(float)
    r = np.array([0.05, 0.7, 1.0, 3.3, 25.0, 400.0])
    np.testing.assert_allclose(nb_loglik_rows(y, eta, r), nb_loglik_rows_sum_of_logs(y, eta, r), rtol=1e-12)


def test_nb_row_loglik_of_huge_counts_equals_scipy() -> None:
    """Counts of 1e6-1e9 per bin (one loop step per count would take minutes to hours; closed form: none)."""
    from scipy.special import gammaln

    from bibcluster._kernels import nb_loglik_rows
    from bibcluster.glm import loglik_counts

    rng = np.random.default_rng(28)
    N, T = 3, 50
    y = np.floor(10.0 ** rng.uniform(6, 9, (N, T)))
    eta = np.log(y) + rng.normal(0, 0.1, (N, T))
    r = np.array([2.0, 10.0, 1e4])
    got = nb_loglik_rows(y, eta, r) - gammaln(y + 1).sum(1)
    want = loglik_counts(y, eta, r[:, None]).sum(1)
    # the terms are about 1e10 and cancel to about 1e3: compare at the precision of the terms
    scale = (np.abs(y * eta) + gammaln(y + r[:, None])).sum(1)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * scale.max())
    assert np.all(np.abs(got - want) < 1e-13 * scale)


def test_pair_statistics_kernel_equals_numpy() -> None:
    from bibcluster._kernels import pair_cumsum

    X = np.random.default_rng(9).standard_normal((70, 4))
    np.testing.assert_allclose(pair_cumsum(X), _Pairs.cumulative_pairs(X), rtol=1e-12, atol=1e-10)


def test_pg_thread_pool_works_in_a_forked_chain_process() -> None:
    """A pool created in the parent must not be reused by a forked child (its threads do not exist there)."""
    import multiprocessing as mp

    n = SPLIT_MIN + 10
    b, c = np.full(n, 12.0), np.zeros(n)
    sample_pg(b, c, np.random.default_rng(0), threads=2)  # the parent's pool exists now
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        child = pool.apply_async(_draw_in_child, (n,)).get(timeout=60)
    np.testing.assert_array_equal(child, sample_pg(b, c, np.random.default_rng(1), threads=1))


def _draw_in_child(n: int) -> np.ndarray:
    return sample_pg(np.full(n, 12.0), np.zeros(n), np.random.default_rng(1), threads=2)
