"""
Quick start: a pretrained NeuronIO neuron and a neuron of your own
==================================================================

The authors' 15 NeuronIO neurons ship with the package. Each maps 1278 input spike trains (excitatory then
inhibitory synapses of a detailed cortical pyramidal neuron model, 1 ms bins) to the probability of an output
spike and the soma voltage. Here one of them is driven by random input spikes, and a small neuron of your own
is built and counted.
"""

# %%
# A pretrained neuron: 10 memory units, 5852 trainable parameters.
import matplotlib.pyplot as plt
import torch

import elm_neuron
from elm_neuron import ELM, count_params

neuron = elm_neuron.pretrained("neuronio", num_memory=10)
print(
    neuron.num_trainable_parameters(),
    "trainable parameters;",
    neuron.resolved_backend(torch.zeros(1, 1, 1278)),
)

# %%
# Drive it with 500 ms of random input spikes (about 1% of the inputs active per ms).
gen = torch.Generator().manual_seed(0)
spikes = (torch.rand(1, 500, 1278, generator=gen) < 0.01).float()
with torch.no_grad():
    p_spike, soma = neuron.neuronio_eval_forward(spikes)[0].unbind(-1)

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.5, 4), sharex=True)
ax1.plot(p_spike.numpy(), lw=0.8)
ax1.set_ylabel("spike probability")
ax2.plot(soma.numpy(), lw=0.8, color="C1")
ax2.set_ylabel("soma (mV above -67.7)")
ax2.set_xlabel("time (ms)")
fig.tight_layout()

# %%
# A neuron of your own: 32 inputs, 10 outputs, 32 memory units with timescales up to 100 steps. The closed-form
# parameter count equals the module's.
model = ELM(num_input=32, num_output=10, num_memory=32, tau_m_max=100.0)
print(count_params(model.reference_config()), model.num_trainable_parameters())
x, y = elm_neuron.data.synthetic_shd(8, seed=1)
with torch.no_grad():
    print(model(torch.from_numpy(x)).shape)  # [batch, time, outputs]
