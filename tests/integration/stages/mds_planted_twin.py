"""mds-cluster stage: cluster the cells of a planted digital twin with most discriminative stimuli; write each
cluster's MDS, the cells' clusters and each cluster's response maps on the probe images.

usage: mds_planted_twin.py POPULATION_NPZ PROBE_NPZ SEED OUT_DIR

POPULATION_NPZ (plain arrays, written by the test): ``features`` [N, 4] (each cell's weights on the four planted
feature channels: red, green, yellow, horizontal stripes), ``masks`` [N, 32, 32] (spatial receptive fields, each
summing to 1), ``gains`` [N], ``biases`` [N]. The twin is a CNN-style model with a fixed (planted) core and a
factorised readout: ``r_i(s) = softplus(g_i * sum_{c,p} F_c(s)[p] m_i[p] f_i[c] + b_i)`` on RGB stimuli
[3, 32, 32].

writes OUT_DIR/mds.npz (neurotypes Stimulus: frames [K, 3, 32, 32]), OUT_DIR/clusters.npz (neurotypes
Partition of the cells), OUT_DIR/cluster_maps.npz ('activations' [n_probe, K, 32, 32]: the response map of
cluster k on probe image n, relu of the members' mean per-position drive)
"""

import sys
from pathlib import Path

import numpy as np
import torch
from _stage import report
from torch import nn

from mds_cluster import MDSClustering


def planted_features(x: torch.Tensor) -> torch.Tensor:
    """The twin's fixed core: four rectified feature maps [B, 4, H, W] of RGB images [B, 3, H, W]."""
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    red = torch.relu(r - torch.maximum(g, b))
    green = torch.relu(g - torch.maximum(r, b))
    yellow = torch.relu(torch.minimum(r, g) - b)
    lum = x.mean(dim=1, keepdim=True)
    kernel = torch.tensor([[-1.0], [2.0], [-1.0]], dtype=x.dtype).reshape(1, 1, 3, 1)
    stripes = torch.relu(nn.functional.conv2d(lum, kernel, padding=(1, 0)))[:, 0]
    return torch.stack([red, green, yellow, stripes], dim=1)


class PlantedTwin(nn.Module):
    def __init__(self, features, masks, gains, biases) -> None:
        super().__init__()
        dtype = torch.get_default_dtype()
        self.register_buffer("features", torch.tensor(features, dtype=dtype))
        self.register_buffer("masks", torch.tensor(masks.reshape(len(masks), -1), dtype=dtype))
        self.register_buffer("gains", torch.tensor(gains, dtype=dtype))
        self.register_buffer("biases", torch.tensor(biases, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = planted_features(x).flatten(2)  # [B, C, P]
        drive = torch.einsum("bcp,np,nc->bn", feats, self.masks, self.features)
        return nn.functional.softplus(self.gains * drive + self.biases)

    def drive_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Per-position drive of every cell, [B, N, P]."""
        feats = planted_features(x).flatten(2)
        return torch.einsum("bcp,np,nc->bnp", feats, self.masks, self.features)


population_file, probe_file, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
out.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(1)
with np.load(population_file, allow_pickle=False) as pop:
    twin = PlantedTwin(pop["features"], pop["masks"], pop["gains"], pop["biases"])
with np.load(probe_file, allow_pickle=False) as probe:
    images = torch.tensor(probe["images"], dtype=torch.get_default_dtype())

mc = MDSClustering(twin, (3, 32, 32), n_clusters_init=8, merge=True, seed=seed).fit()
mc.mds().save(out / "mds.npz")
mc.partition(item_ids=[f"cell{i}" for i in range(len(mc.labels_))]).save(out / "clusters.npz")

labels = torch.as_tensor(mc.labels_)
maps = []
with torch.no_grad():
    for batch in images.split(100):
        d = twin.drive_maps(batch)  # [B, N, P]
        per_cluster = torch.stack([d[:, labels == k].mean(dim=1) for k in range(mc.n_clusters_)], dim=1)
        maps.append(torch.relu(per_cluster).reshape(len(batch), mc.n_clusters_, 32, 32))
np.savez(out / "cluster_maps.npz", activations=torch.cat(maps).numpy().astype(np.float32))
report(n_clusters=int(mc.n_clusters_), loss=float(mc.loss_), objective=[float(j) for j in mc.objective_])
