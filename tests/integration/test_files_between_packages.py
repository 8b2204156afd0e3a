"""Pipeline 4: values one package writes to neurotypes files are read back and consumed by another package."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurotypes as nt
from astrosnn import AstroSNNLM
from astrosnn.model import to_spike_trains
from bibcluster.simulate import simulate_biclustered
from elm_neuron import ELM
from elm_neuron.data import to_raster
from fisbe_bench import evaluate
from fisbe_bench.synth import toy_fisbe


def test_bibcluster_counts_file_feeds_an_elm_neuron(tmp_path):
    counts, _truth = simulate_biclustered(n_per_cluster=4, T=60, seed=1)
    counts.save(tmp_path / "counts.npz")
    loaded = nt.load(tmp_path / "counts.npz")
    assert isinstance(loaded, nt.SpikeCounts) and loaded == counts
    # counts -> spikes at bin centres -> elm-neuron's binning at the same width gives the counts back exactly
    raster = to_raster(loaded.to_spike_trains(), bin_size=loaded.bin_size)
    assert raster.shape == (1, counts.n_bins, counts.n_units)
    np.testing.assert_array_equal(raster[0].numpy().T, counts.counts)
    model = ELM(num_input=counts.n_units, num_output=3, num_memory=8)
    out = model(raster)
    assert out.shape == (1, counts.n_bins, 3) and torch.isfinite(out).all()


def test_astrosnn_spikes_file_feeds_elm_neuron(tmp_path):
    torch.manual_seed(0)
    lm = AstroSNNLM(vocab_size=12, d_model=16, n_layers=1)
    tokens = torch.randint(0, 12, (1, 40))
    spikes = lm.layer_spikes(tokens)[0]
    trains = to_spike_trains(spikes, dt=1e-3)
    trains.save(tmp_path / "astro_spikes.npz")
    loaded = nt.SpikeTrains.load(tmp_path / "astro_spikes.npz")
    assert loaded == trains and loaded.n_units == spikes.shape[-1]
    raster = to_raster(loaded, bin_size=1e-3, n_bins=40)
    expected = (spikes.detach().reshape(40, -1) != 0).float().numpy()
    np.testing.assert_array_equal(raster[0].numpy(), expected)


def test_instance_labels_file_feeds_fisbe_evaluation(tmp_path):
    toy = toy_fisbe(shape=(12, 40, 40), n_neurons=3, seed=2)
    gt = nt.InstanceLabels(toy.gt, voxel_size=(0.44, 0.44, 0.44))
    gt.save(tmp_path / "gt.npz")
    loaded = nt.load(tmp_path / "gt.npz")
    assert loaded == gt and loaded.labels.dtype == toy.gt.dtype
    scores = evaluate(loaded, loaded)
    assert scores.avF1 == pytest.approx(1.0)
    assert pytest.approx(1.0) == scores.S
    assert scores.fs == 0 and scores.fm == 0
