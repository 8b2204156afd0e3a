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
    pytest.importorskip("arviz")
    Y, _ = simulate.simulate_biclustered(n_per_cluster=3, T=40, seed=2)
    post = BiClusterSampler(n_jobs=1).fit(Y, n_iter=6, burn_in=2, chains=2, seed=0)
    idata = post.to_inference_data()
    assert idata.posterior["n_clusters"].shape == (2, 4)
    assert idata.posterior["z"].shape == (2, 4, 9)


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
