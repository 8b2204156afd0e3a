"""End-to-end behaviour of the sampler on small problems and the posterior API."""

import numpy as np
import pytest

from bibcluster import BiClusterSampler, DPPrior, simulate
from neurotypes import Partition, SpikeCounts


def test_simulation_truth_is_consistent():
    Y, truth = simulate.simulate_biclustered(T=100, seed=3)
    assert isinstance(Y, SpikeCounts) and Y.counts.shape == (30, 100)
    assert truth.latents.shape == (3, 100, 3) and set(truth.states) <= {0, 1}
    eta = (
        truth.d[:, None]
        + truth.latents[truth.z, :, 0]
        + np.einsum("ip,itp->it", truth.C, truth.latents[truth.z, :, 1:])
    )
    np.testing.assert_allclose(eta, truth.log_rate)
    Y2, _ = simulate.simulate_biclustered(T=100, seed=3)
    np.testing.assert_array_equal(Y.counts, Y2.counts)


@pytest.mark.parametrize("family", ["nb", "poisson"])
def test_small_fit_and_posterior_api(family):
    Y, _ = simulate.simulate_biclustered(n_per_cluster=4, T=60, family=family, seed=1)
    post = BiClusterSampler(family=family, n_jobs=1).fit(Y, n_iter=12, burn_in=4, chains=2, seed=0)
    assert post.n_clusters_trace.shape == (2, 8)
    assert post.coclustering_neurons().shape == (12, 12)
    np.testing.assert_allclose(np.diag(post.coclustering_states()), 1.0)
    pe = post.point_estimate("maxpear")
    assert isinstance(pe, Partition) and pe.n_items == 12
    assert post.point_estimate("minbinder").n_items == 12
    assert post.state_estimate().shape == (60,)
    bands = post.trajectories(0.9)
    assert np.all(bands["log_rate_lower"] <= bands["log_rate_upper"])
    assert bands["cluster_mean"].shape[0] == pe.n_clusters
    with pytest.raises(ValueError, match="method"):
        post.point_estimate("mode")
    with pytest.raises(ValueError, match="hpd"):
        post.trajectories(1.5)
    if family == "poisson":
        assert 0.0 <= post.chains[0].accept_poisson <= 1.0


def test_same_seed_same_draws_and_parallel_chains():
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=2)
    a = BiClusterSampler(n_jobs=2, prior=DPPrior(1.0)).fit(Y, n_iter=6, burn_in=2, chains=2, seed=5)
    b = BiClusterSampler(n_jobs=1, prior=DPPrior(1.0)).fit(Y, n_iter=6, burn_in=2, chains=2, seed=5)
    np.testing.assert_array_equal(a.n_clusters_trace, b.n_clusters_trace)
    np.testing.assert_array_equal(a.relabeled_state_samples(), b.relabeled_state_samples())


def test_inference_data():
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=2)
    post = BiClusterSampler(n_jobs=1).fit(Y, n_iter=6, burn_in=2, chains=2, seed=0)
    idata = post.to_inference_data()
    assert idata.posterior["n_clusters"].shape == (2, 4)
    assert idata.posterior["z"].shape == (2, 4, 9)
    # the stored baselines are the identified d_i: the time average of the log rate (latents are centred)
    np.testing.assert_allclose(post.chains[0].d, post.chains[0].log_rate.mean(2), atol=1e-4)


def _split_rank_rhat(x: np.ndarray) -> float:
    """Rank-normalised split R-hat (Vehtari, Gelman, Simpson, Carpenter & Buerkner 2021, eqs. 4-5 and 14), written
    out in numpy as the independent statement of what ArviZ computes."""
    from scipy.stats import norm, rankdata

    def rhat(c: np.ndarray) -> float:
        n = c.shape[1]
        w = c.var(1, ddof=1).mean()
        b = n * c.mean(1).var(ddof=1)
        return float(np.sqrt(((n - 1) / n * w + b / n) / w))

    def z(c: np.ndarray) -> np.ndarray:
        r = rankdata(c, method="average").reshape(c.shape)
        return np.asarray(norm.ppf((r - 3 / 8) / (c.size + 1 / 4)))

    half = x.shape[1] // 2
    split = np.concatenate([x[:, :half], x[:, -half:]], 0)
    folded = np.abs(split - np.median(split))
    return max(rhat(z(split)), rhat(z(folded)))


def test_diagnostics_match_the_split_rank_rhat_formula():
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=2)
    post = BiClusterSampler(n_jobs=1).fit(Y, n_iter=60, burn_in=10, chains=3, seed=1)
    diag = post.diagnostics()
    ll = np.stack([c.log_lik for c in post.chains])
    assert diag["log_lik"]["r_hat"] == pytest.approx(_split_rank_rhat(ll), rel=1e-10)
    d = np.stack([c.d for c in post.chains])
    want = max(_split_rank_rhat(d[:, :, i]) for i in range(d.shape[2]))
    assert diag["d (max R-hat, min ESS over neurons)"]["r_hat"] == pytest.approx(want, rel=1e-10)
    assert 0 < diag["log_lik"]["ess_bulk"] <= 3 * 50 * 1.5


def test_diagnostics_of_independent_draws_and_of_stuck_chains():
    """Independent draws give R-hat near 1 and ESS near the number of draws; two chains at different levels give a
    large R-hat (so the diagnostic can fail)."""
    from bibcluster.posterior import ChainSamples, Posterior

    rng = np.random.default_rng(0)

    def chains(shift: float) -> list[ChainSamples]:
        out = []
        for c in range(2):
            S = 500
            out.append(
                ChainSamples(
                    z=np.zeros((S, 4), dtype=np.int64),
                    xi=np.zeros((S, 5), dtype=np.int64),
                    n_clusters=rng.integers(1, 4, S),
                    n_states=np.ones(S, dtype=np.int64),
                    log_rate=np.zeros((S, 4, 5), dtype=np.float32),
                    latents=[],
                    r=np.ones((S, 4)),
                    log_lik=rng.standard_normal(S) + c * shift,
                    d=rng.standard_normal((S, 4)),
                )
            )
        return out

    good = Posterior(chains(0.0), y=np.ones((4, 5), dtype=np.int64), p=2, family="nb").diagnostics()
    assert good["log_lik"]["r_hat"] < 1.01 and 800 < good["log_lik"]["ess_bulk"] < 1200
    assert good["n_states"]["r_hat"] != good["n_states"]["r_hat"]  # constant: NaN
    bad = Posterior(chains(3.0), y=np.ones((4, 5), dtype=np.int64), p=2, family="nb").diagnostics()
    assert bad["log_lik"]["r_hat"] > 1.5 and bad["log_lik"]["ess_bulk"] < 50


@pytest.mark.parametrize("family", ["nb", "poisson"])
def test_recorded_log_likelihood_matches_the_kept_draws(family):
    from bibcluster.glm import loglik_counts
    from bibcluster.sampler import run_chain

    Y, _ = simulate.simulate_biclustered(T=60, seed=3)
    cfg = BiClusterSampler(family=family)._config()
    chain = run_chain(Y.counts, cfg, n_iter=4, burn_in=1, seed=0)
    for s in range(3):
        eta = chain.log_rate[s].astype(float)  # stored as float32
        r = None if family == "poisson" else chain.r[s][:, None]
        want = float(loglik_counts(Y.counts, eta, r).sum())
        assert chain.log_lik[s] == pytest.approx(want, rel=1e-5)
