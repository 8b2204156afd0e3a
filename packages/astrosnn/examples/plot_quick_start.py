"""
Quick start: an AstroSNN language model on a source with a known entropy rate
=============================================================================

Build the astrocyte-modulated spiking unit (AM-SU), train a small AstroSNN language model for a few seconds on
an order-2 Markov source whose best possible loss (its entropy rate H) is known exactly, compare it with the
LIF-only control and a count table, and look at the spikes of its first layer.

The AM-SU equations are the spec's reconstruction of Shen et al. (arXiv:2312.07625): the paper's method section
could not be read.
"""

# %%
# One AM-SU step: spikes and the state (membrane ``u``, astrocyte trace ``a``, last spike ``s``).
import torch

from astrosnn import AMSUCell, AstroSNNLM, LMConfig, NGramLM, data, lif_baseline, to_spike_trains
from astrosnn.plots import plot_spike_raster
from astrosnn.train import WindowDataset, evaluate, fit

torch.set_num_threads(1)
cell = AMSUCell(8, 16, beta=0.5, alpha=0.97, gamma=0.1, g_astro=0.5, mod="gain")
s, state = cell(torch.randn(4, 8) * 2)
print(s.shape, state.a.shape)

# %%
# A Markov source with its exact entropy rate, split 90/10 into windows of 32 tokens.
tokens, H = data.markov_corpus(order=2, vocab=16, n_tokens=40_000, seed=0)
train, test = WindowDataset(tokens[:36_000], 32, skip=2), WindowDataset(tokens[36_000:], 32, skip=2)
print(f"entropy rate H = {H:.3f} nats/token")

# %%
# AstroSNN and the LIF-only control (the same network with the astrocyte off: equal parameter count), trained
# briefly with Lightning. A bigram count table is the floor a language model must clear.
config = LMConfig(16, d_model=32, n_layers=2)
for name, model in (("AstroSNN", AstroSNNLM(config, seed=0)), ("LIF-only", lif_baseline(config, seed=0))):
    fit(model, train, steps=30, batch_size=32, seed=0)
    print(f"{name}: {model.n_params()} parameters, held-out loss {evaluate(model, test)[0]:.3f} nats")
bigram = NGramLM(2, 16).fit(tokens[:36_000])
print(f"bigram table: {bigram.token_nll(tokens[36_000:]).mean():.3f} nats (H = {H:.3f})")

# %%
# Generation is one recurrent step per token with a fixed-size state; the first layer's AM-SU outputs convert
# to :class:`neurotypes.SpikeTrains` (one time step per token).
sample = model.generate(torch.tensor([1, 2, 3]), n=20, temperature=1.0, seed=0)
print(sample.tolist())
spikes = model.layer_spikes(torch.as_tensor(tokens[None, :200]))[0]
trains = to_spike_trains(spikes, dt=1e-3)
fig = plot_spike_raster(trains, "LIF-only control, layer 0 (reconstructed AM-SU)")
