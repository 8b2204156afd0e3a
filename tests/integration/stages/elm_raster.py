"""elm-neuron stage: read spikes from a neurotypes file (SpikeTrains, or SpikeCounts turned into spikes at bin
centres), bin them into elm-neuron's input tensor and run an (untrained) ELM neuron over it.

usage: elm_raster.py IN_NPZ BIN_SIZE N_BINS OUT_NPY
writes the binned raster [time, units] as a plain .npy for the test to compare with the producer's spikes
"""

import sys

import numpy as np
import torch
from _stage import report

import neurotypes as nt
from elm_neuron import ELM
from elm_neuron.data import to_raster

value = nt.load(sys.argv[1])
bin_size, n_bins, out = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
trains = value.to_spike_trains() if isinstance(value, nt.SpikeCounts) else value
raster = to_raster(trains, bin_size=bin_size, n_bins=n_bins)
torch.manual_seed(0)
model = ELM(num_input=raster.shape[-1], num_output=3, num_memory=8)
with torch.no_grad():
    y = model(raster)
np.save(out, raster[0].numpy(), allow_pickle=False)
report(shape=list(raster.shape), out_shape=list(y.shape), finite=bool(torch.isfinite(y).all()))
