"""Neuron-label mixing: the quick-scale neuron ARI over chain seeds with and without the split-merge moves, and
the price of a merge that keeps one of two trajectories at paper scale.

1. ``--seeds``: the quick reproduction's fit (T = 200, 600 sweeps with 200 burn-in, 2 chains) for chain seeds
   0..7, with ``label_moves=0`` and ``label_moves=5``: maxPEAR ARI, mode of K, and how many split and merge moves
   were proposed and accepted.
2. ``--merge-cost``: one chain at T = 500 from the sampler's initial values, 400 sweeps; then, for every ordered
   pair of its clusters (a, b), ``sum over b's members of logML_m(phi_a) - logML_m(phi_b)``: what a merge that
   keeps a's trajectory costs in the label step's target, with the true clusters of both.

Run: uv run --package bibcluster python packages/bibcluster/benchmarks/label_mixing.py --seeds --merge-cost
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bibcluster import BiClusterSampler, simulate
from bibcluster.glm import laplace_log_marginal
from bibcluster.sampler import init_state, sweep


def seeds() -> list[dict]:
    Y, truth = simulate.simulate_biclustered(T=200, family="nb", r=10.0, seed=0)
    rows = []
    for moves in (0, 5):
        for s in range(8):
            post = BiClusterSampler(n_jobs=2, label_moves=moves).fit(
                Y, n_iter=600, burn_in=200, chains=2, seed=s
            )
            k, n = np.unique(post.n_clusters_trace, return_counts=True)
            stats: dict[str, int] = {}
            for c in post.chains:
                for key, v in c.move_stats.items():
                    stats[key] = stats.get(key, 0) + v
            row = {
                "label_moves": moves,
                "seed": s,
                "ARI": round(post.point_estimate().adjusted_rand_index(truth.partition), 3),
                "mode K": int(k[np.argmax(n)]),
                "moves": stats,
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def merge_cost() -> list[dict]:
    Y, truth = simulate.simulate_biclustered(T=500, seed=0)
    y = Y.counts
    cfg = BiClusterSampler()._config()
    rng = np.random.default_rng(np.random.SeedSequence(0).spawn(2)[0])
    vtab = cfg.prior.table(y.shape[0])
    st = init_state(y, cfg, rng)
    for _ in range(400):
        sweep(y, st, cfg, vtab, rng)
    lm, _ = laplace_log_marginal(y, st.lat[:, :, 0], st.lat[:, :, 1:], st.r)
    rows = []
    for a in range(st.K):
        for b in range(st.K):
            if a == b:
                continue
            mb = st.z == b
            row = {
                "keep": a,
                "drop": b,
                "true clusters of a": np.bincount(truth.z[st.z == a], minlength=3).tolist(),
                "true clusters of b": np.bincount(truth.z[mb], minlength=3).tolist(),
                "log ML change of b's members": round(float((lm[mb, a] - lm[mb, b]).sum()), 1),
                "per member": np.round(lm[mb, a] - lm[mb, b], 1).tolist(),
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", action="store_true")
    ap.add_argument("--merge-cost", action="store_true")
    args = ap.parse_args()
    if args.seeds:
        seeds()
    if args.merge_cost:
        merge_cost()


if __name__ == "__main__":
    main()
