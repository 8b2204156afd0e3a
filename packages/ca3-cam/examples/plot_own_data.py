"""
Use it on your own data
=======================

The memory's input is a schedule of operations. Users bring it as a file: the authors' JSON testbench format, an
operations table (CSV ``op,t_ms,cue,bits``) or the input spike trains themselves (a neurotypes ``SpikeTrains``
file or an NWB Units table). The spikes of every population leave as neurotypes files and, in one NWB Units table
with a ``population`` column, for any NWB tool.

From the command line::

    ca3-cam run operations.csv --cues 5 --content 10 --nwb --out run/
"""

# %%
# An operations table
# -------------------
import tempfile
from pathlib import Path

import numpy as np

from ca3_cam import CA3CAM, build_network, decode_answers, ideal_answers, run_schedule
from ca3_cam.data import activity_patterns, read_schedule
from ca3_cam.memory import rows_to_spiketrains
from neurotypes import SpikeTrains
from neurotypes.io import read_spike_trains

folder = Path(tempfile.mkdtemp())
table = folder / "operations.csv"
table.write_text(
    "op,t_ms,cue,bits\n"
    "learn,0,0,0 1 8 9\n"
    "learn,14,4,1 5 6\n"
    "recall_cue,28,0,\n"
    "recall_content,42,,6\n"
    "recall_content,56,,0 5\n"
)
sched = read_schedule(table, n_cues=5, n_content=10)

# %%
# Run it and compare every answer with the ideal memory
# -----------------------------------------------------
network = build_network(5, 10)
rows = run_schedule(network, sched)
for answer, ideal in zip(decode_answers(sched, rows["Output"]), ideal_answers(sched), strict=True):
    print(
        f"{answer.operation.kind:15s} at {answer.operation.t_ms:3d} ms -> {sorted(answer.answer)} (ideal {sorted(ideal)})"
    )

# %%
# Spikes out: neurotypes files and NWB
# ------------------------------------
trains = rows_to_spiketrains(rows, network, sched.t_stop_ms)
trains["Output"].save(folder / "output.npz")
trains["Output"].to_nwb(folder / "output.nwb")
print(sorted(p.name for p in folder.iterdir()))

# %%
# A recording as memories
# -----------------------
# Spike trains of a recording (an NWB Units table here; any format ``neurotypes.io`` reads) become memories:
# each distinct set of units that fire together in a 10-ms bin is stored under a cue, with the units as
# content bits. The memory then tells in which patterns a unit took part, from that unit alone. Here the
# recording is made up and written as NWB first; with your own file, start at ``read_spike_trains``.
rng = np.random.default_rng(0)
made_up = SpikeTrains.from_unit_times([np.sort(rng.uniform(0, 2.0, n)) for n in (40, 25, 30)], t_stop=2.0)
made_up.to_nwb(folder / "recording.nwb")

recording = read_spike_trains(folder / "recording.nwb")
patterns, first_s = activity_patterns(recording, 0.01)
mem = CA3CAM(len(patterns), recording.n_units)
for cue, pattern in enumerate(patterns):
    mem.learn(cue, pattern)
for unit in range(recording.n_units):
    cues = sorted(mem.recall_by_content({unit}))
    print(f"unit {unit} fired in the patterns first seen at {[round(float(first_s[c]), 3) for c in cues]} s")
