"""
Quick start: tokenise spikes, train a small Neuroformer, read connectivity from attention
=========================================================================================

A simulated hub network (three hub neurons, each driving eight targets) is tokenised into neuron-ID and
time-offset tokens, a small Neuroformer is trained to predict the next spike from the past window, and the
attention from current-window tokens to past-window tokens is summed into a directed connectivity score.
Everything runs on the CPU in seconds; the reproduction (``neuroformer reproduce``) runs the same steps at a
larger scale with three seeds and baselines.
"""

# %%
# Simulate and tokenise
# ---------------------
import warnings

import matplotlib.pyplot as plt

from neuroformer import (
    NeuroformerConfig,
    NeuroformerLit,
    SpikeTokenizer,
    analysis,
    fit,
    sim,
    tokenize_dataset,
)

hub = sim.hub_network(duration=30.0, seed=0)  # SpikeTrains + the true directed edges
tok = SpikeTokenizer(
    n_neurons=30, dt=0.01, window=0.05, window_prev=0.05, id_block_size=48, prev_id_block_size=48
)
window = tok.encode_window(hub.spikes, t=0.3)  # one sample: x_id, x_dt, y_id, y_dt, x_id_prev, ...
print("first tokens of the window ending at 0.3 s:", window.x_id[:8], window.x_dt[:8])
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # a few busy windows are truncated to the block
    ds = tokenize_dataset(tok, hub.spikes, tok.default_anchors(3000))
print(len(ds), "windows")

# %%
# Train a small model (Lightning, CPU) and read connectivity from attention
# -------------------------------------------------------------------------
cfg = NeuroformerConfig.from_tokenizer(
    tok, n_embd=32, n_head=4, n_state_layers=1, n_state_history_layers=1, n_stimulus_layers=0, n_self_layers=1
)
lit = fit(NeuroformerLit(cfg, seed=0), ds, max_epochs=1, batch_size=64, seed=0)
S = analysis.attention_connectivity(lit.model, ds, n_neurons=30)  # S[a, b]: a -> b, frequency-normalised
print("edge AUROC", round(analysis.edge_auroc(S, hub.hub_edges), 3))
print("within-hub-row AUROC", round(analysis.within_row_auroc(S, hub.hub_edges, hub.hubs), 3))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 3))
ax1.imshow(hub.hub_edges, cmap="gray_r")
ax1.set_title("true hub edges")
ax2.imshow(S, cmap="viridis")
ax2.set_title("attention S[a -> b]")
for ax in (ax1, ax2):
    ax.set_xlabel("target b")
    ax.set_ylabel("source a")
fig.tight_layout()
plt.show()
