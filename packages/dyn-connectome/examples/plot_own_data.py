"""
Use it on your own data
=======================

Recordings come in through neurotypes' readers of the field's formats, one file per animal. Here we write the
planted-epoch traces as NWB files (``RoiResponseSeries``, the format of calcium imaging in NWB), read them back
with :func:`dyn_connectome.load_traces`, fit, and write the results where users load them: an NWB results file,
neurotypes ``Partition`` files and the model file.

The same works from the command line::

    dyn-connectome fit worm0.nwb worm1.nwb worm2.nwb worm3.nwb --rank 3 --nwb --out fit/

CSV tables need ``--layout`` (one row per neuron, or one row per sample); a table that looks transposed is
refused with a hint. Spike-sorted units (an NWB Units table) are read as binned rates with ``--bin-size``.
"""

# %%
# Write one NWB file per animal (stand-in for your recordings)
# -------------------------------------------------------------
import tempfile
from pathlib import Path

import pynwb

from dyn_connectome import DynamicConnectome, load_many, synthetic

folder = Path(tempfile.mkdtemp())
traces, planted = synthetic.planted_epochs(n_worms=3, seed=100)
paths = [t.to_nwb(folder / f"worm{k}.nwb", kind="RoiResponseSeries") for k, t in enumerate(traces)]
print([p.name for p in paths])

# %%
# Read them back and fit
# ----------------------
recordings = load_many(paths)
print(recordings[0])
model = DynamicConnectome(window=50, rank=3, backend="louvain", n_restarts=2).fit(recordings)

# %%
# Results out: NWB, neurotypes files, the model
# ---------------------------------------------
model.to_nwb(folder / "components.nwb")
model.components_[0].partition.save(folder / "partition_0.npz")
model.save(folder / "model.npz")
with pynwb.NWBHDF5IO(str(folder / "components.nwb"), "r") as io:
    neurons = io.read().processing["dyn_connectome"]["neurons"].to_dataframe()
print(neurons.head())
