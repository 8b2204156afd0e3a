"""Time one sweep of bibcluster against a reference-style sweep, back to back on the same machine.

The reference-style sweep (bibcluster.refbench) re-implements (no code copied) the steps of one iteration of the
reference as it does them; "listed steps" times only the PG draw, the naive FFBS and the GLM fits.

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
    listed = float(
        np.median([reference_style_sweep(Y.counts, 3, 2, rng, full=False) for _ in range(args.repeats)])
    )
    ours = time_per_sweep(N=args.N, T=args.T, n_sweeps=10)
    print(
        f"N={args.N} T={args.T}: reference-style sweep {ref:.3f} s (listed steps only {listed:.3f} s), "
        f"bibcluster sweep {ours:.4f} s, ratio {ref / ours:.1f}x ({listed / ours:.1f}x)"
    )


if __name__ == "__main__":
    main()
