"""MFM coefficients against a brute-force sum and the partition sum rule (spec test 1)."""

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp

from bibcluster import DPPrior, MFMPrior, log_v_coefficients


def _brute_log_v(n: int, t: int, gamma: float, r: float, k_max: int = 2000) -> float:
    terms = []
    for k in range(t, k_max + 1):
        log_fall = sum(np.log(k - j) for j in range(t))
        log_rise = sum(np.log(gamma * k + j) for j in range(n))
        terms.append(log_fall - log_rise + np.log(r) + (k - 1) * np.log1p(-r))
    return float(logsumexp(terms))


def test_log_v_matches_brute_force():
    n = 30
    lv = log_v_coefficients(n, n // 2, gamma=1.0, geom_r=0.2)
    for t in (1, 2, 3, 7, 15):
        assert lv[t] == pytest.approx(_brute_log_v(n, t, 1.0, 0.2), abs=1e-8)
    assert lv[0] == -np.inf


def test_sum_rule_over_partitions():
    # sum_t V_n(t) B_gamma(n, t) = 1, with B(n+1, t) = (n + gamma t) B(n, t) + gamma B(n, t-1)
    for n, gamma in ((12, 1.0), (30, 1.0), (20, 0.5)):
        logB = np.full((n + 1, n + 1), -np.inf)
        logB[0, 0] = 0.0
        for m in range(n):
            for t in range(1, m + 2):
                a = np.log(m + gamma * t) + logB[m, t] if logB[m, t] > -np.inf else -np.inf
                b = np.log(gamma) + logB[m, t - 1]
                logB[m + 1, t] = np.logaddexp(a, b)
        lv = log_v_coefficients(n, n, gamma=gamma, geom_r=0.2)
        total = logsumexp(lv[1:] + logB[n, 1:])
        assert total == pytest.approx(0.0, abs=1e-8)


def test_prior_weights():
    prior = MFMPrior()
    tab = prior.table(10)
    assert prior.log_new(2, tab) == pytest.approx(tab[3] - tab[2])
    np.testing.assert_allclose(prior.log_existing(np.array([1.0, 4.0])), np.log([2.0, 5.0]))
    dp = DPPrior(alpha=2.0)
    assert dp.log_new(3, dp.table(5)) == pytest.approx(np.log(2.0))
    # the closed form gammaln check of one rising factorial term
    assert gammaln(1.0 * 3 + 10) - gammaln(3.0) == pytest.approx(np.sum(np.log(np.arange(3, 13))))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"geom_r": 0.0}, "geom_r"), ({"geom_r": 1.5}, "geom_r"), ({"gamma": -1.0}, "gamma")],
)
def test_mfm_prior_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MFMPrior(**kwargs)


def test_log_v_rejects_bad_arguments():
    with pytest.raises(ValueError, match="t_max"):
        log_v_coefficients(5, 6)
    with pytest.raises(ValueError, match="n must"):
        log_v_coefficients(0, 1)
    with pytest.raises(ValueError, match="alpha"):
        DPPrior(alpha=0.0)
