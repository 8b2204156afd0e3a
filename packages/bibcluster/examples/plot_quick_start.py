"""
Quick start: bi-cluster simulated spike counts
==============================================

Simulate the paper's setting at a small scale (3 clusters of 10 neurons sharing latent trajectories, 2 switching
states), fit the bi-clustering model by MCMC, and compare the neuron clusters and the log-rate bands with the truth.
"""

# %%
# Simulate the paper's N = 30 neurons over T = 200 bins and fit 2 chains of 300 sweeps.
from bibcluster import BiClusterSampler, simulate
from bibcluster.plots import plot_clusters, plot_trajectories

Y, truth = simulate.simulate_biclustered(n_per_cluster=10, n_clusters=3, T=200, seed=0)
post = BiClusterSampler(p=2, family="nb", n_jobs=1).fit(Y, n_iter=300, burn_in=100, chains=2, seed=0)

# %%
# Neuron clusters: the maxPEAR point estimate against the truth, and the convergence diagnostics.
clusters = post.point_estimate()
print("neuron clusters:", clusters.labels.tolist())
print("adjusted Rand index vs truth:", round(clusters.adjusted_rand_index(truth.partition), 3))
print("R-hat of the log-likelihood:", round(post.diagnostics()["log_lik"]["r_hat"], 3))
fig = plot_clusters(post)
fig  # noqa: B018 (sphinx-gallery shows the last expression of a cell)

# %%
# Log firing rates of three neurons: posterior mean and 95% band, with the true log rates.
fig = plot_trajectories(post, neurons=(0, 10, 20), truth=truth.log_rate)
fig  # noqa: B018 (sphinx-gallery shows the last expression of a cell)
