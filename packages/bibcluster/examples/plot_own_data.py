"""
Own data: fit the units of an NWB file
======================================

Read the Units table of an NWB file with :func:`bibcluster.load_counts` (spike times binned into counts), fit the
model, and write the results in formats other tools load: neurotypes ``Partition`` files and a new column of the
NWB file's Units table. Here the NWB file is written first from a simulation, so that the example runs anywhere;
point ``path`` at your own recording (``pip install "bibcluster[nwb]"``).
"""

# %%
# Write a small NWB file with a Units table (spike times of simulated neurons).
import tempfile
from pathlib import Path

import numpy as np

from bibcluster import BiClusterSampler, load_counts, save_result, simulate
from neurotypes import SpikeTrains

Y, truth = simulate.simulate_biclustered(n_per_cluster=3, n_clusters=2, T=80, seed=1)
rng = np.random.default_rng(0)
unit_times = [
    np.sort(np.concatenate([t * 0.05 + rng.uniform(0, 0.05, c) for t, c in enumerate(row)]))
    for row in Y.counts
]
folder = Path(tempfile.mkdtemp())
path = folder / "session.nwb"
SpikeTrains.from_unit_times(unit_times, t_start=0.0, t_stop=80 * 0.05).to_nwb(path)

# %%
# Read it back as 50 ms counts, fit, and write the results next to the units.
counts = load_counts(path, bin_size=0.05)
print(counts.counts.shape, "neurons x bins")
post = BiClusterSampler(p=2, n_jobs=1).fit(counts, n_iter=120, burn_in=40, chains=2, seed=0)
written = save_result(post, folder / "results", source=path)
print({k: v.name for k, v in written.items()})
print("clusters per unit:", SpikeTrains.from_nwb(path).unit_metadata["bibcluster_cluster"])
