"""astrosnn stage: the AM-SU spikes of a small language model's first layer on a token sequence, written as
neurotypes.SpikeTrains (one step per token, dt = 1 ms); the dense spikes as a plain .npy for the test.

usage: astro_spikes.py OUT_NPZ OUT_NPY N_TOKENS SEED
"""

import sys

import numpy as np
import torch
from _stage import report

from astrosnn import AstroSNNLM, to_spike_trains

out_npz, out_npy, n_tokens, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(seed)
lm = AstroSNNLM(vocab_size=12, d_model=16, n_layers=1)
tokens = torch.randint(0, 12, (1, n_tokens))
with torch.no_grad():
    spikes = lm.layer_spikes(tokens)[0]  # [T, B, d]
trains = to_spike_trains(spikes, dt=1e-3)
trains.save(out_npz)
np.save(out_npy, (spikes.reshape(n_tokens, -1) != 0).numpy(), allow_pickle=False)
report(n_units=trains.n_units, n_spikes=trains.n_spikes)
