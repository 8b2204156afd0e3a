"""Pipeline 2: one spike dataset, three views.

neuroformer's hub-network simulator gives spikes with known directed connectivity (3 hubs, each driving 8
targets). The same ``SpikeTrains`` are binned into ``SpikeCounts`` for bibcluster (neuron clusters), turned into
``Traces`` for dyn-connectome (communities of a rank-1 dynamic connectome) and tokenised for neuroformer, whose
attention-derived connectivity assigns each neuron to the hub that attends to it most. The three ``Partition``s are
compared with the hub communities and with each other by ARI, in one table. Settings were fixed before the first
run; the assertions check the pipeline and the structure every view must show, and the table is printed.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

import neurotypes as nt
from bibcluster import BiClusterSampler
from dyn_connectome import DynamicConnectome
from neuroformer import analysis, sim
from neuroformer.data import tokenize_dataset
from neuroformer.model import NeuroformerConfig
from neuroformer.tokenizer import SpikeTokenizer
from neuroformer.train import NeuroformerLit, fit


def _hub_communities(hub: sim.HubNetwork) -> nt.Partition:
    """Each hub with the targets only it drives; neurons driven by several hubs or none share one extra label."""
    n = hub.spikes.n_units
    labels = np.full(n, len(hub.hubs))
    for k, h in enumerate(hub.hubs):
        labels[h] = k
    drivers = hub.hub_edges[hub.hubs]  # [n_hubs, N]
    only_one = drivers.sum(axis=0) == 1
    labels[only_one] = np.argmax(drivers[:, only_one], axis=0)
    return nt.Partition(labels)


def test_three_views_of_one_hub_network():
    hub = sim.hub_network(duration=120.0, seed=0)
    truth = _hub_communities(hub)
    n = hub.spikes.n_units

    counts = hub.spikes.bin(0.5)
    assert isinstance(counts, nt.SpikeCounts) and counts.counts.sum() == hub.spikes.n_spikes
    posterior = BiClusterSampler(n_jobs=1).fit(counts, n_iter=150, burn_in=50, chains=1, seed=0)
    p_bib = posterior.point_estimate()

    fine = hub.spikes.bin(0.05)
    kernel = np.exp(-np.arange(20) / 4.0)  # 200-ms exponential smoothing, calcium-like
    smooth = np.array([np.convolve(row, kernel)[: fine.n_bins] for row in fine.counts.astype(float)])
    traces = nt.Traces(smooth, rate=1 / fine.bin_size, unit_ids=[f"n{i}" for i in range(n)])
    dc = DynamicConnectome(window=100, rank=1, n_restarts=2, backend="wsbm", seed=0).fit([traces])
    p_dyn = dc.components_[0].partition

    torch.manual_seed(0)
    tok = SpikeTokenizer(n, 0.01, 0.05, 0.05, 48, 48)
    raster = hub.spikes.bin(0.01).counts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # truncated windows at high rates
        ds = tokenize_dataset(tok, raster, tok.default_anchors(raster.shape[1]))
    cfg = NeuroformerConfig.from_tokenizer(
        tok,
        n_embd=64,
        n_head=4,
        n_state_layers=1,
        n_state_history_layers=2,
        n_stimulus_layers=0,
        n_self_layers=1,
    )
    lit = NeuroformerLit(cfg, lr=1e-3)
    fit(lit, ds, max_epochs=2, batch_size=64, seed=0)
    S = analysis.attention_connectivity(lit.model, ds, n)
    assign = np.argmax(S[hub.hubs], axis=0)
    assign[hub.hubs] = np.arange(len(hub.hubs))
    p_att = nt.Partition(assign)

    views = {"bibcluster": p_bib, "dyn-connectome": p_dyn, "neuroformer attention": p_att}
    print("\nARI vs hub communities:", {k: round(v.adjusted_rand_index(truth), 3) for k, v in views.items()})
    names = list(views)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            print(f"ARI {a} vs {b}: {views[a].adjusted_rand_index(views[b]):.3f}")
    for name, part in views.items():
        assert part.n_items == n, name
        assert 1 <= part.n_clusters <= n, name
    # attention concentrates on the hubs: their summed outgoing attention exceeds that of the other neurons
    out_strength = S.sum(axis=1)
    assert out_strength[hub.hubs].mean() > np.delete(out_strength, hub.hubs).mean()
    # and the correlation-based views see the shared hub drive: at least one separates hub communities above chance
    assert max(p_bib.adjusted_rand_index(truth), p_dyn.adjusted_rand_index(truth)) > 0.2
