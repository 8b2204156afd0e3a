"""dyn-connectome stage: the dynamic connectome of one recording's Traces (co-rise affinity, non-negative
tensor factorisation, communities of each component); writes the communities of the strongest component
(neurotypes.Partition, items named by the traces' unit ids).

usage: dyn_components.py TRACES_NPZ WINDOW RANK SEED OUT_NPZ
"""

import sys

import numpy as np
from _stage import report

import neurotypes as nt
from dyn_connectome import DynamicConnectome

traces = nt.load(sys.argv[1])
window, rank, seed, out = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
model = DynamicConnectome(window=window, rank=rank, backend="wsbm", n_restarts=2, seed=seed).fit([traces])
strength = [float(np.sum(c.time_profile)) * float(np.max(c.worm_profile)) for c in model.components_]
best = model.components_[int(np.argmax(strength))]
part = best.partition
part.save(out)
report(n_clusters=part.n_clusters, labels=part.labels.tolist(), items=list(part.item_ids or []))
