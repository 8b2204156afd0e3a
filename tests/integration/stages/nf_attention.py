"""neuroformer stage: train a small Neuroformer on a spike file, read directed connectivity from its
current -> past attention, and assign every neuron to the hub that attends to it most (the hubs to themselves);
writes that neurotypes.Partition.

usage: nf_attention.py SPIKES_NPZ SECONDS HUBS(comma-separated) EPOCHS SEED OUT_NPZ
(trains on the first SECONDS of the recording)
"""

import sys
import warnings

import numpy as np
from _stage import report

import neurotypes as nt
from neuroformer import NeuroformerConfig, NeuroformerLit, SpikeTokenizer, analysis, fit, tokenize_dataset

spikes = nt.SpikeTrains.load(sys.argv[1])
seconds = float(sys.argv[2])
hubs = np.array([int(h) for h in sys.argv[3].split(",")])
epochs, seed, out = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
n = spikes.n_units
tok = SpikeTokenizer(n, dt=0.01, window=0.05, window_prev=0.15, id_block_size=64, prev_id_block_size=160)
raster = spikes.bin(0.01).counts[:, : round(seconds / 0.01)]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # windows truncated at the block size are expected
    ds = tokenize_dataset(tok, raster, tok.default_anchors(raster.shape[1]))
cfg = NeuroformerConfig.from_tokenizer(
    tok, n_embd=64, n_head=4, n_state_layers=1, n_state_history_layers=2, n_stimulus_layers=0, n_self_layers=1
)
lit = NeuroformerLit(cfg, lr=1e-3, seed=seed)
fit(lit, ds, max_epochs=epochs, batch_size=64, seed=seed, accelerator="cpu")
S = analysis.attention_connectivity(lit.model, ds, n)
assign = np.argmax(S[hubs], axis=0)
assign[hubs] = np.arange(hubs.size)
nt.Partition(assign).save(out)
strength = S.sum(axis=1)
report(
    hub_out=float(strength[hubs].mean()), other_out=float(np.delete(strength, hubs).mean()), windows=len(ds)
)
