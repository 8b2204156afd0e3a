"""Time one sweep of bibcluster against a reference-style sweep, back to back on the same machine.

The reference-style sweep re-implements (no code copied) the costly steps as the reference does them:
a Polya-Gamma draw, a covariance-form FFBS whose filter inverts the N x N innovation covariance at every time
step, and the label update's Laplace marginals as one GLM fit per (neuron, candidate cluster) pair, with
statsmodels (as the reference) when it is installed, else an unvectorised Newton loop.

Run: uv run --package bibcluster --with statsmodels python packages/bibcluster/benchmarks/bench_sweep.py
Timings on a shared 2-core machine are noisy: compare the two numbers from the same run.
"""

from __future__ import annotations

import argparse

import numpy as np

from bibcluster.refbench import reference_style_sweep
from bibcluster.reproduce import time_per_sweep
from bibcluster.simulate import simulate_biclustered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=30)
    ap.add_argument("--T", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    Y, _ = simulate_biclustered(n_per_cluster=args.N // 3, T=args.T, seed=0)
    rng = np.random.default_rng(0)
    ref = float(np.median([reference_style_sweep(Y.counts, 3, 2, rng) for _ in range(args.repeats)]))
    ours = time_per_sweep(N=args.N, T=args.T, n_sweeps=10)
    print(
        f"N={args.N} T={args.T}: reference-style sweep {ref:.3f} s, bibcluster sweep {ours:.4f} s, ratio {ref / ours:.1f}x"
    )


if __name__ == "__main__":
    main()
