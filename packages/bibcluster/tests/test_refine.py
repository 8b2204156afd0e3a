"""PyMC check: the sampler's Gibbs conditional of the loadings matches NUTS on a tiny problem (spec test 9)."""

import numpy as np
import pytest

from bibcluster import simulate
from bibcluster.refine import gibbs_loadings, refine_loadings_nuts


@pytest.mark.slow
def test_loadings_conditional_matches_nuts():
    pytest.importorskip("pymc")
    Y, truth = simulate.simulate_biclustered(n_per_cluster=2, n_clusters=1, p=1, T=60, seed=3)
    y = Y.counts
    g = gibbs_loadings(y, truth.z, truth.latents, r=10.0, n_draws=3000, seed=0)
    idata = refine_loadings_nuts(y, truth.z, truth.latents, r=10.0, draws=1500, tune=500, chains=2, seed=0)
    nuts = np.concatenate(
        [
            idata.posterior["d"].values.reshape(-1, 2)[..., None],
            idata.posterior["C"].values.reshape(-1, 2, 1),
        ],
        -1,
    )
    # MC standard errors with a generous effective-size discount for autocorrelation (factor 3 on the variance)
    se = np.sqrt(3 * g.var(0) / g.shape[0] + 3 * nuts.var(0) / nuts.shape[0])
    assert np.all(np.abs(g.mean(0) - nuts.mean(0)) < 3 * se)
    np.testing.assert_allclose(g.std(0), nuts.std(0), rtol=0.15)


def test_refine_rejects_bad_shapes():
    with pytest.raises(ValueError, match="latents"):
        gibbs_loadings(np.ones((2, 10), dtype=int), np.zeros(2, dtype=int), np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="z must"):
        gibbs_loadings(np.ones((2, 10), dtype=int), np.array([0, 3]), np.zeros((1, 10, 2)))
