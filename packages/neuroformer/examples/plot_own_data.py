"""
Your own recording: NWB in, a fitted model and per-unit results out
====================================================================

Neuroformer reads spikes through :mod:`neurotypes.io`: the Units table of an NWB file (``.nwb``), a saved
:class:`neurotypes.SpikeTrains` (``.npz``), a spike table (``.csv`` with columns ``unit,time``) or any format neo
reads. Here a small recording is written to NWB (standing in for yours), read back with
:func:`neuroformer.read_spikes`, a model is fitted and saved as a safe ``.npz`` (weights + JSON, no pickle), and
per-unit results are written back into the NWB file next to the units they describe. The command line does the
same: ``neuroformer fit recording.nwb --out model.npz`` then ``neuroformer run model.npz recording.nwb``.
"""

# %%
# A recording in NWB (replace this file by yours)
# -----------------------------------------------
import tempfile
import warnings
from pathlib import Path

import numpy as np

from neuroformer import (
    NeuroformerConfig,
    NeuroformerLit,
    SpikeTokenizer,
    fit,
    load_model,
    read_spikes,
    sim,
    tokenize_dataset,
    window_log_likelihood,
)
from neurotypes.io import add_unit_columns

folder = Path(tempfile.mkdtemp())
recording = sim.hub_network(n_neurons=12, n_hubs=2, n_targets=4, duration=20.0, seed=1).spikes
recording.to_nwb(folder / "recording.nwb")

# %%
# Read, tokenise, fit, save
# -------------------------
spikes = read_spikes(folder / "recording.nwb")  # SpikeTrains with the table's unit ids
print(spikes)
tok = SpikeTokenizer(
    spikes.n_units, dt=0.01, window=0.05, window_prev=0.05, id_block_size=32, prev_id_block_size=32
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)
    ds = tokenize_dataset(tok, spikes, tok.default_anchors(spikes.bin(tok.dt).n_bins))
cfg = NeuroformerConfig.from_tokenizer(
    tok, n_embd=16, n_head=2, n_state_layers=1, n_state_history_layers=1, n_stimulus_layers=0, n_self_layers=1
)
model = fit(NeuroformerLit(cfg, seed=0), ds, max_epochs=1, batch_size=64).model
model.meta = {"tokenizer": {"n_neurons": tok.n_neurons, "dt": tok.dt, "window": tok.window}}
model.save(folder / "model.npz")
model = load_model(folder / "model.npz")  # numpy arrays + JSON, read with allow_pickle=False

# %%
# Per-unit results back into the NWB file
# ---------------------------------------
# How surprising each unit's spikes are to the model: mean negative log-likelihood of the windows in which the
# unit fires, written as a column of the Units table (the file is updated atomically).
ll, n_targets = window_log_likelihood(model, ds)
fires = np.stack([(ds.arrays["y_id"] == u).any(1) for u in range(tok.n_neurons)], axis=1)
surprise = np.array([-(ll[fires[:, u]] / n_targets[fires[:, u]]).mean() for u in range(tok.n_neurons)])
add_unit_columns(folder / "recording.nwb", {"neuroformer_nll_per_token": surprise})
print(np.round(surprise, 3))
