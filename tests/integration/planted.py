"""One simulated recording with planted cell types, for the pipelines that compare packages' partitions.

30 neurons in 3 types of 10; neuron 10k is type k's hub. Each neuron spikes in a 10-ms bin with probability
sigmoid(logit), where the logit adds, on a 4 Hz baseline:
- the type's shared slow drive (an Ornstein-Uhlenbeck process, tau 1 s, s.d. 1.0): the members of a type
  co-fluctuate (what bibcluster's shared latent trajectories and dyn-connectome's co-rise affinity see);
- the type's hub's recent spikes (+3.0 logit, exponential trace with tau 20 ms, one bin of lag): the hub drives its
  type (what neuroformer's attention sees);
- +1.5 while the type's preferred stimulus is shown (3 stimuli, 1-s presentations in random order with 0.5-s
  gaps): what mds-cluster's assignment to the most driving stimulus sees.
neurotypes + numpy only (the test environment holds no method package).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import neurotypes as nt

N_TYPES, PER_TYPE, DT = 3, 10, 0.01


def simulate(
    duration: float, seed: int
) -> tuple[nt.SpikeTrains, nt.Partition, list[tuple[int, float, float]]]:
    """Spikes, planted types and presentations (stimulus, start, stop) of one recording."""
    rng = np.random.default_rng(seed)
    n, steps = N_TYPES * PER_TYPE, round(duration / DT)
    types = np.repeat(np.arange(N_TYPES), PER_TYPE)
    hubs = np.arange(N_TYPES) * PER_TYPE
    a = np.exp(-DT / 1.0)
    ou = np.empty((steps, N_TYPES))
    ou[0] = rng.standard_normal(N_TYPES)
    noise = rng.standard_normal((steps, N_TYPES)) * np.sqrt(1 - a * a)
    for t in range(1, steps):
        ou[t] = a * ou[t - 1] + noise[t]
    stim = np.full(steps, -1)
    presentations, t = [], 0.5
    while t + 1.0 <= duration - 0.5:
        for k in rng.permutation(N_TYPES):
            if t + 1.0 > duration - 0.5:
                break
            i0, i1 = round(t / DT), round((t + 1.0) / DT)
            stim[i0:i1] = k
            presentations.append((int(k), round(t, 6), round(t + 1.0, 6)))
            t += 1.5
    base = np.log(4 * DT / (1 - 4 * DT))
    drive = base + ou[:, types]
    drive += 1.5 * (stim[:, None] == types[None, :])
    decay, trace = np.exp(-DT / 0.02), np.zeros(N_TYPES)
    raster = np.zeros((steps, n), dtype=bool)
    u = rng.random((steps, n))
    for t in range(steps):
        logit = drive[t] + 3.0 * trace[types] * (np.arange(n) != hubs[types])
        raster[t] = u[t] < 1 / (1 + np.exp(-logit))
        trace = trace * decay + raster[t, hubs]
    bins, units = np.nonzero(raster)
    spikes = nt.SpikeTrains((bins + 0.5) * DT, units, n, 0.0, t_stop=steps * DT)
    return spikes, nt.Partition(types), presentations


def write(folder: Path, duration: float, seed: int) -> nt.Partition:
    """Write spikes.npz, types.npz (the planted partition) and presentations.csv into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    spikes, types, presentations = simulate(duration, seed)
    spikes.save(folder / "spikes.npz")
    types.save(folder / "types.npz")
    with open(folder / "presentations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mds", "start", "stop"])
        w.writerows(presentations)
    return types
