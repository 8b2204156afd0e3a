"""Sticky HDP-HMM pieces: state sampling recovers a known path (spec test 4), AR likelihood, MNIW, transitions."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from bibcluster import StickyHDPHMM
from bibcluster.hmm import ar_loglik, sample_dynamics, sample_states, sample_transitions
from neurotypes import Partition


def _two_state_data(rng, T=300):
    A = np.stack([0.2 * np.eye(2), np.array([[0.99, -0.15], [0.15, 0.99]])])
    b = np.zeros((2, 2))
    Q = np.stack([0.5 * np.eye(2), 0.01 * np.eye(2)])
    xi = np.repeat(np.arange(6) % 2, T // 6)
    X = np.zeros((T, 2))
    X[0] = [1.0, 0.0]
    for t in range(1, T):
        s = xi[t]
        X[t] = A[s] @ X[t - 1] + rng.multivariate_normal(np.zeros(2), Q[s])
    return X, xi, A, b, Q


def test_ar_loglik_matches_scipy():
    rng = np.random.default_rng(1)
    X, _, A, b, Q = _two_state_data(rng, T=30)
    ll = ar_loglik(X, A, b, Q)
    assert np.all(ll[0] == 0)
    for t in (1, 7, 29):
        for s in range(2):
            ref = multivariate_normal(A[s] @ X[t - 1] + b[s], Q[s]).logpdf(X[t])
            assert ll[t, s] == pytest.approx(ref)


def test_state_sampling_recovers_known_path():
    rng = np.random.default_rng(2)
    X, xi, A, b, Q = _two_state_data(rng)
    trans = np.array([[0.98, 0.02], [0.02, 0.98]])
    draw = sample_states(ar_loglik(X, A, b, Q), trans, np.array([0.5, 0.5]), rng)
    ari = Partition(labels=draw[1:]).adjusted_rand_index(Partition(labels=xi[1:]))
    assert ari >= 0.9


def test_mniw_posterior_concentrates_on_truth():
    rng = np.random.default_rng(3)
    X, xi, A, _b, Q = _two_state_data(rng, T=3000)
    hmm = StickyHDPHMM(L=3)
    As, bs, Qs = sample_dynamics(X, xi, hmm, rng)
    np.testing.assert_allclose(As[1], A[1], atol=0.05)
    np.testing.assert_allclose(Qs[0], Q[0], atol=0.08)
    assert As.shape == (3, 2, 2) and bs.shape == (3, 2)


def test_transitions_are_sticky_and_normalised():
    rng = np.random.default_rng(4)
    hmm = StickyHDPHMM(L=5)
    xi = np.repeat([0, 1, 0, 2], 50)
    trans, beta = sample_transitions(xi, np.full(5, 0.2), hmm, rng)
    np.testing.assert_allclose(trans.sum(1), 1.0)
    assert beta.sum() == pytest.approx(1.0)
    assert trans[0, 0] > 0.8 and trans[1, 1] > 0.8


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"L": 0}, "L must"), ({"alpha": 0.0}, "alpha"), ({"kappa": -1.0}, "kappa")]
)
def test_hmm_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StickyHDPHMM(**kwargs)


def test_prior_path_follows_its_transition_matrix():
    from bibcluster.sampler import _prior_path

    rng = np.random.default_rng(5)
    hmm = StickyHDPHMM(L=4)
    beta, trans, xi = _prior_path(20000, hmm, rng)
    np.testing.assert_allclose(trans.sum(1), 1.0)
    assert beta.sum() == pytest.approx(1.0)
    counts = np.zeros((4, 4))
    np.add.at(counts, (xi[:-1], xi[1:]), 1)
    visits = counts.sum(1)
    for k in np.flatnonzero(visits > 2000):
        # multinomial rows: each frequency within 4 binomial SE of the matrix
        freq = counts[k] / visits[k]
        se = np.sqrt(trans[k] * (1 - trans[k]) / visits[k])
        assert np.all(np.abs(freq - trans[k]) < 4 * se + 1e-3)


def test_reference_state_scheme_keep_rules():
    # the reference's rules: restart from the prior while the previous path is unbalanced; keep a path with no
    # state above 60% of the bins; drop the kept path once a state exceeds 70%; never keep in the first 1%
    from bibcluster.sampler import BiClusterSampler, ChainState, _update_states_reference

    rng = np.random.default_rng(6)
    cfg = BiClusterSampler(keep_states_heuristic=True)._config()
    T, D, L = 60, 3, cfg.hmm.L
    X = np.cumsum(rng.standard_normal((T, D)) * 0.1, 0)

    def state(xi, keep):
        s = ChainState(
            z=np.zeros(4, dtype=np.int64),
            lat=X.reshape(T, 1, D).transpose(1, 0, 2).copy(),
            d=np.zeros(4),
            C=np.zeros((4, D - 1)),
            r=np.full(4, 10.0),
            xi=np.asarray(xi, dtype=np.int64),
            beta=np.full(L, 1 / L),
            trans=np.full((L, L), 1 / L),
            keep_states=keep,
        )
        return s

    balanced = np.repeat([0, 1], T // 2)
    one = np.zeros(T, dtype=np.int64)
    s = state(balanced, False)
    _update_states_reference(s, cfg, rng, it=0, n_iter=1000)  # first 1%: restart, never keep
    assert not s.keep_states
    s = state(balanced, False)
    _update_states_reference(s, cfg, rng, it=500, n_iter=1000)
    assert s.keep_states
    s = state(one, True)
    _update_states_reference(s, cfg, rng, it=500, n_iter=1000)
    assert not s.keep_states
    s = state(np.where(np.arange(T) < 0.65 * T, 0, 1), True)  # 65%: kept path stays kept
    _update_states_reference(s, cfg, rng, it=500, n_iter=1000)
    assert s.keep_states


def test_crt_counts_match_their_mean_and_range():
    """E[m] = conc (psi(conc + n) - psi(conc)); 1 <= m <= n where n > 0, 0 where n = 0."""
    from scipy.special import digamma

    from bibcluster.hmm import crt_counts

    rng = np.random.default_rng(0)
    n = np.array([[0, 1, 7], [30, 2, 0]])
    conc = np.array([[0.5, 2.0, 0.3], [5.0, 1e-3, 1.0]])
    draws = np.stack([crt_counts(n, conc, rng) for _ in range(20_000)])
    assert np.all(draws[:, n == 0] == 0)
    assert np.all((draws[:, n > 0] >= 1) & (draws[:, n > 0] <= n[n > 0]))
    expected = conc * (digamma(conc + n) - digamma(conc))
    se = draws.std(0) / np.sqrt(len(draws)) + 1e-12
    assert np.all(np.abs(draws.mean(0) - expected) < 5 * se + 1e-9)
