"""
Fit a neuron to a unit of your recording
========================================

The NeuronIO task on your own data: an ELM neuron learns to predict one recorded unit's spikes from the spikes
of the other units. The recording comes in as an NWB Units table (the format of spike-sorted Neuropixels
data); here a small one is written first, with one unit that follows another after 5-15 ms, so that there is
something to learn. With your own file, start at :func:`elm_neuron.data.read_recording`, or use the command
line: ``elm-neuron fit recording.nwb --target 7`` and ``elm-neuron run recording.nwb --model elm_neuron_fit.npz``.
"""

# %%
# Write an NWB file with three units (ids 3, 5 and 7); unit 7 copies unit 3 with a short delay.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from elm_neuron import data, load_model, save_model
from elm_neuron.model import neuron_response
from elm_neuron.train import fit_neuron_to_unit
from neurotypes import SpikeTrains

rng = np.random.default_rng(0)
seconds = 20.0
driver = np.sort(rng.uniform(0, seconds, int(8 * seconds)))
other = np.sort(rng.uniform(0, seconds, int(5 * seconds)))
kept = driver[rng.random(driver.size) < 0.8]
follower = np.sort(kept + rng.uniform(0.005, 0.015, kept.size))
follower = follower[follower < seconds]
units = SpikeTrains.from_unit_times([driver, other, follower], t_stop=seconds)
units = SpikeTrains(units.times, units.units, 3, t_stop=seconds, unit_ids=["3", "5", "7"])
folder = Path(tempfile.mkdtemp())
units.to_nwb(folder / "recording.nwb")

# %%
# Read it back (any NWB Units table works the same way) and fit a neuron to unit 7: 5 ms bins, windows of one
# second, the last 20% of the windows held out.
trains = data.read_recording(folder / "recording.nwb")
model, metrics = fit_neuron_to_unit(trains, "7", bin_size=0.005, window=200, steps=60)
print({k: metrics[k] for k in ("inputs", "train windows", "test windows", "test AUC")})

# %%
# Save the neuron (arrays and JSON, no pickle), load it again, and drive it with the whole recording: its output
# is a ``neurotypes.Traces`` (spike logit per bin), which saves as ``.npz``.
path = save_model(model, folder / "neuron.npz", metadata=metrics)
model, meta = load_model(path)
logit = neuron_response(model, trains, meta["bin size (s)"], meta["inputs"])
logit.save(folder / "outputs.npz")
probability = 1 / (1 + np.exp(-logit.data[0]))

target = np.minimum(trains.select(["7"]).bin(0.005).counts[0], 1)
last = slice(-400, None)  # the last two seconds (held out)
fig, ax = plt.subplots(figsize=(6.5, 2.8))
t = np.arange(probability.size)[last] * 0.005
ax.plot(t, probability[last], lw=0.8, label="ELM spike probability")
ax.vlines(t[target[last] > 0], 0, probability[last].max() * 1.1, color="C3", lw=0.8, label="unit 7 spikes")
ax.set_xlabel("time (s)")
ax.legend(fontsize=7)
fig.tight_layout()
