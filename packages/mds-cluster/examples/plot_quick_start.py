"""
Quick start
===========

Cluster the neurons of a digital twin with most discriminative stimuli (MDS). The twin here is the embedded
on/off toy of the reference implementation: even neurons respond to the mean of the stimulus, odd neurons to its
negative. Starting from five clusters, the algorithm optimises one stimulus per cluster, reassigns every neuron to
the stimulus that drives it most and drops the clusters that empty: it ends with the two true types.
"""

# %%
# Fit
# ---
import tempfile
from pathlib import Path

import torch

from mds_cluster import MDSClustering, twins
from mds_cluster.plots import plot_mds

torch.set_num_threads(1)  # the twins are tiny: one thread is the fastest on a CPU
toy = twins.OnOffToy(n_neurons=42, size=18)
mc = MDSClustering(
    toy,
    (18, 18),
    n_clusters_init=5,
    optimizer="sgd",
    lr=100.0,
    stim_constraint=None,
    steps_per_round=50,
    seed=42,
).fit()
print(
    f"{mc.n_clusters_} clusters, sizes {[int((mc.labels_ == k).sum()) for k in range(mc.n_clusters_)]}, "
    f"mean objective {-mc.loss_:.3f} (bound log 2 = 0.693)"
)

# %%
# Type new cells on the fly from their responses to the K MDS
# -----------------------------------------------------------
responses = toy(torch.as_tensor(mc.stimuli_)).detach().numpy().T  # [cells, K]
print("types of the first six cells:", mc.assign(responses)[:6].tolist())

# %%
# The MDS (a matplotlib Figure, no pyplot)
# ----------------------------------------
folder = Path(tempfile.mkdtemp())
plot_mds(mc, "MDS of the on/off toy").savefig(folder / "mds.png")
mc.save(folder / "result.npz")  # versioned arrays + JSON, no pickle
print(sorted(p.name for p in folder.iterdir()))
