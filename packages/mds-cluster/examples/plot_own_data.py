"""
Use it on your own data
=======================

Once the MDS are found, recorded cells are typed from their responses to the K MDS alone. A recording comes in
through the field's formats: here a spike-sorted recording in NWB (a Units table) and a presentations table that
says when each MDS was shown. The cells get the type of the MDS they fire most to, and the types go back into the
NWB file as a unit column, next to the units they describe.

The same from the command line::

    mds-cluster run recording.nwb --presentations presentations.csv --model result.npz --nwb --out types.npz
"""

# %%
# Stand-in recording: spikes of 8 cells while the MDS of the on/off toy were shown
# --------------------------------------------------------------------------------
import tempfile
from pathlib import Path

import numpy as np
import torch

from mds_cluster import MDSClustering, load_responses, twins
from neurotypes import Partition, SpikeTrains
from neurotypes.io import add_unit_columns

torch.set_num_threads(1)  # the twins are tiny: one thread is the fastest on a CPU
folder = Path(tempfile.mkdtemp())
toy = twins.OnOffToy(42, 18)
mc = MDSClustering(
    toy, (18, 18), 5, optimizer="sgd", lr=100.0, stim_constraint=None, steps_per_round=50, seed=42
).fit()
mc.save(folder / "result.npz")

rng = np.random.default_rng(0)
schedule = [
    (k, 2.0 * i, 2.0 * i + 1.0) for i, k in enumerate([0, 1, 0, 1])
]  # MDS k on from start to stop (s)
times, units = [], []
for cell in range(8):
    preferred = cell % 2  # even cells fire to MDS 0, odd cells to MDS 1
    for k, start, stop in schedule:
        n = rng.poisson(20 if k == preferred else 3)
        times += list(rng.uniform(start, stop, n))
        units += [cell] * n
order = np.argsort(times)
st = SpikeTrains(
    np.asarray(times)[order],
    np.asarray(units)[order],
    8,
    0.0,
    t_stop=8.0,
    unit_ids=[str(10 + c) for c in range(8)],
)
st.to_nwb(folder / "recording.nwb")
(folder / "presentations.csv").write_text(
    "mds,start,stop\n" + "".join(f"{k},{a},{b}\n" for k, a, b in schedule)
)

# %%
# Read the responses, type the cells, write the types next to the units
# ---------------------------------------------------------------------
responses = load_responses(folder / "recording.nwb", presentations=folder / "presentations.csv")
print("mean rate (Hz) of each cell to each MDS:\n", responses.values.round(1))
types = Partition(
    MDSClustering.load(folder / "result.npz").assign(responses.values), item_ids=responses.cell_ids
)
add_unit_columns(folder / "recording.nwb", {"mds_cluster_type": types})
print(Partition.from_nwb(folder / "recording.nwb", "mds_cluster_type").labels.tolist())
