"""The same clustering on a GPU (skipped without CUDA)."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from mds_cluster import MDSClustering, train_cnn_twin, twins

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
def test_fit_on_cuda_matches_types():
    pop = twins.LNPopulation(seed=0)
    idx = np.arange(pop.n_neurons)
    mc = MDSClustering(pop, (18, 18), 8, merge=True, normalize="noise", seed=0, device="cuda").fit(
        neuron_idx=idx
    )
    assert mc.n_clusters_ == 4
    assert adjusted_rand_score(pop.labels, mc.labels_) == 1.0
    assert mc.stimuli_.shape == (4, 18, 18)


@cuda
def test_cnn_twin_on_cuda():
    pop = twins.LNPopulation(n_per_type=5, size=10, seed=0)
    twin, info = train_cnn_twin(pop, (10, 10), n_train=1500, epochs=15, seed=0, device="cuda")
    assert info["test_corr"] > 0.8
    mc = MDSClustering(twin, (10, 10), 4, merge=True, seed=0, device="cuda").fit()
    assert mc.n_clusters_ >= 2
