"""
Use it on your own data: segments learned on recorded activity (NWB)
====================================================================

``sdr-dendrites run`` and :func:`sdr_dendrites.read_patterns` read population activity from an NWB Units table
(or any format neo reads, or a neurotypes ``.npz``), bin it, and take the units that fired in each bin as one
activity pattern. :func:`sdr_dendrites.segment_false_matches` then lets every pattern teach a segment of ``s``
synapses and counts how often that segment fires on the *other* patterns, next to the rate the theory gives for
random patterns of the same sizes. Here the NWB file is written first from simulated spike trains with a few
cell assemblies (a stand-in for your recording). The same from a shell::

    sdr-dendrites run recording.nwb --s 8 --theta 4 --bin-size 0.05 --out matches.csv
"""

# %%
# Write an NWB file: 200 units, 40 s; four assemblies of 25 units fire together now and then.
import tempfile
from pathlib import Path

import numpy as np

from neurotypes import SpikeTrains
from sdr_dendrites import read_patterns, segment_false_matches

rng = np.random.default_rng(0)
n_units, duration = 200, 40.0
unit_times = [np.sort(rng.uniform(0, duration, rng.poisson(0.4 * duration))) for _ in range(n_units)]
for k in range(4):
    members = np.arange(25 * k, 25 * (k + 1))
    for t in rng.uniform(0, duration, 40):  # 40 assembly events per assembly
        for u in members[rng.random(25) < 0.8]:
            unit_times[u] = np.sort(np.append(unit_times[u], t + rng.normal(0, 0.005)).clip(0, duration))
trains = SpikeTrains.from_unit_times(unit_times, t_stop=duration)
path = Path(tempfile.mkdtemp()) / "recording.nwb"
trains.to_nwb(path)
print(f"wrote {path.name}: {trains.n_units} units, {trains.n_spikes} spikes")

# %%
# Read it back as one activity pattern per 50 ms bin.
patterns = read_patterns(path, bin_size=0.05)
sizes = np.array([p.size for p in patterns])
print(
    f"{len(patterns)} patterns over n={patterns[0].n} cells; active cells per bin: median {np.median(sizes):.0f}"
)

# %%
# Segments of 8 synapses, threshold 4: observed false matches vs random patterns of the same sizes.
result = segment_false_matches(patterns, s=8, theta=4, seed=0)
print(f"{result.n_segments} segments, {result.n_comparisons} comparisons")
print(
    f"observed false-match rate {result.observed:.3g}; random patterns of the same sizes {result.predicted:.3g}"
)
# Assemblies make bins resemble each other: segments learned during an assembly event also fire on the
# other events of the same assembly, so the observed rate lies above the random-pattern theory.
