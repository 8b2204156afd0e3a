"""bibcluster stage: simulate the paper's bi-clustered spike counts; write them (neurotypes.SpikeCounts) and the
planted clusters (neurotypes.Partition).

usage: bib_simulate.py OUT_DIR N_PER_CLUSTER T SEED
"""

import sys
from pathlib import Path

from _stage import report

import neurotypes as nt
from bibcluster.simulate import simulate_biclustered

out, n_per, T, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out.mkdir(parents=True, exist_ok=True)
counts, truth = simulate_biclustered(n_per_cluster=n_per, T=T, seed=seed)
counts.save(out / "counts.npz")
nt.Partition(truth.z).save(out / "clusters.npz")
report(n_units=counts.n_units, n_bins=counts.n_bins, total=int(counts.counts.sum()))
