"""neuroformer stage: read a recording's units (suffix-detected: NWB through pynwb), tokenise consecutive
non-overlapping 50-ms windows from T0 to T1 and count the neuron-ID tokens.

usage: nf_tokens.py RECORDING T0 T1
"""

import sys

import numpy as np
from _stage import report

from neuroformer import SpikeTokenizer, read_spikes

trains = read_spikes(sys.argv[1])
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
tok = SpikeTokenizer(trains.n_units, dt=0.01, window=0.05, window_prev=0.15, id_block_size=64)
n_ids = 0
for t in np.arange(t0 + 0.05, t1 + 1e-9, 0.05):
    w = tok.encode_window(trains, float(t))
    n_ids += int((w.y_id < trains.n_units).sum())
report(n_units=trains.n_units, t_start=float(trains.t_start), id_tokens=n_ids)
