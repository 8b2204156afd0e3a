"""Pipelines 2 and 7: one simulated recording with planted cell types (tests/integration/planted.py), several
packages' partitions of its neurons, each package in its own environment, neurotypes files between them.

The recording is built so that every view has what it needs to see the types: each type shares a slow drive
(bibcluster's shared latent trajectories, dyn-connectome's co-rise affinity), has a hub that drives it
(neuroformer's attention) and prefers one of three stimuli (mds-cluster's assignment of each cell to the stimulus
that drives it most, the step of its method a user runs on a recording).

Expectations, stated before the first run (two recordings, seeds 0 and 1):
- pipeline 7 (mds-cluster, bibcluster, dyn-connectome): each partition's ARI with the planted types is >= 0.6 on
  average over the seeds, and every pair of partitions agrees with ARI >= 0.5 on average;
- pipeline 2 (bibcluster counts, dyn-connectome traces, neuroformer attention, one spike dataset three views):
  neuroformer's attention-based assignment reaches ARI >= 0.6 with the planted types on average, and the hubs'
  summed outgoing attention exceeds the other neurons' in every seed.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

import neurotypes as nt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import planted  # (tests/integration/planted.py: numpy + neurotypes only)

SEEDS = (0, 1)
DURATION = 200.0
NF_SECONDS = 60.0  # neuroformer trains on the first minute (2 epochs of 1,200 windows)


def _traces(spikes: nt.SpikeTrains) -> nt.Traces:
    """What a user does to look at spikes as calcium-like traces: 50-ms counts smoothed by a 200-ms exponential."""
    counts = spikes.bin(0.05)
    kernel = np.exp(-np.arange(20) / 4.0)
    smooth = np.array([np.convolve(row, kernel)[: counts.n_bins] for row in counts.counts.astype(float)])
    return nt.Traces(smooth, rate=1 / counts.bin_size, unit_ids=[f"n{i}" for i in range(spikes.n_units)])


@pytest.fixture(scope="module")
def views(tmp_path_factory, make_stages):
    """Partitions of every view for every seed (the stages run once for both pipelines)."""
    out: dict[int, dict[str, nt.Partition]] = {}
    folders: dict[int, Path] = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"planted{seed}")
        stages = make_stages(folder)
        truth = planted.write(folder, DURATION, seed)
        _traces(nt.SpikeTrains.load(folder / "spikes.npz")).save(folder / "traces.npz")
        stages.run(
            "mds-cluster",
            "run_cli.py",
            "mds-cluster",
            "run",
            folder / "spikes.npz",
            "--presentations",
            folder / "presentations.csv",
            "--out",
            folder / "mds_types.npz",
            "-q",
        )
        stages.run(
            "bibcluster",
            "run_cli.py",
            "bibcluster",
            "fit",
            folder / "spikes.npz",
            "--bin-size",
            "0.5",
            "--iters",
            "200",
            "--chains",
            "1",
            "--seed",
            seed,
            "--out",
            folder / "bib",
            "-q",
        )
        stages.run(
            "dyn-connectome", "dyn_components.py", folder / "traces.npz", 50, 3, seed, folder / "dyn.npz"
        )
        folders[seed] = folder
        out[seed] = {
            "planted": truth,
            "mds-cluster": nt.Partition.load(folder / "mds_types.npz"),
            "bibcluster": nt.Partition.load(folder / "bib" / "neuron_clusters.npz"),
            "dyn-connectome": nt.Partition.load(folder / "dyn.npz"),
        }
    return out, folders


@pytest.fixture(scope="module")
def attention(views, make_stages):
    """neuroformer's attention-based partition of the same recordings (pipeline 2's third view)."""
    _, folders = views
    out, extra = {}, {}
    for seed, folder in folders.items():
        extra[seed] = make_stages(folder).run(
            "neuroformer",
            "nf_attention.py",
            folder / "spikes.npz",
            NF_SECONDS,
            "0,10,20",
            2,
            seed,
            folder / "attention.npz",
        )
        out[seed] = nt.Partition.load(folder / "attention.npz")
    return out, extra


def _ari(a: nt.Partition, b: nt.Partition) -> float:
    return nt.Partition(a.labels).adjusted_rand_index(nt.Partition(b.labels))


def test_pipeline7_three_methods_recover_the_planted_types(views):
    parts, _ = views
    names = ["mds-cluster", "bibcluster", "dyn-connectome"]
    vs_truth = {m: float(np.mean([_ari(parts[s][m], parts[s]["planted"]) for s in SEEDS])) for m in names}
    pairwise = {
        (a, b): float(np.mean([_ari(parts[s][a], parts[s][b]) for s in SEEDS]))
        for a, b in itertools.combinations(names, 2)
    }
    print("\nARI vs planted:", vs_truth, "\npairwise:", pairwise)
    for m, v in vs_truth.items():
        assert v >= 0.6, (m, vs_truth)
    for pair, v in pairwise.items():
        assert v >= 0.5, (pair, pairwise)


def test_pipeline2_attention_sees_the_hubs_and_their_types(views, attention):
    parts, _ = views
    nf, extra = attention
    ari = float(np.mean([_ari(nf[s], parts[s]["planted"]) for s in SEEDS]))
    print("\nneuroformer ARI vs planted:", ari, {s: extra[s] for s in SEEDS})
    for s in SEEDS:
        assert extra[s]["hub_out"] > extra[s]["other_out"], extra[s]
    assert ari >= 0.6
