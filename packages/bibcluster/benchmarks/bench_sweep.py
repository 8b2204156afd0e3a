"""Time one sweep of bibcluster against the reference's sweep, back to back on the same machine (N = 30, T = 500).

Three baselines, in order of fidelity:

1. ``--peer-python PATH``: one iteration of the reference's loop on its real dependency stack (pyhsmm,
   autoregressive, statsmodels, polyagamma) by ``peer_sweep.py`` in this folder, run by the Python of an environment built
   with ``setup_peer_env.sh``. This is the number the README reports.
2. ``bibcluster.reference.reference_style_sweep``: the emulation without pyhsmm (a lower bound: it leaves out
   pyhsmm's model construction and its AR-HSMM trajectory generation, which the reference runs per neuron).
3. The same emulation restricted to the steps the spec listed (PG draw, naive FFBS, GLM fits).

bibcluster's sweep is timed at K = 3 clusters (as the baselines) with one and with two Polya-Gamma threads.

Run: uv run --package bibcluster --with statsmodels python packages/bibcluster/benchmarks/bench_sweep.py \\
        [--peer-python DIR/.venv/bin/python] [--rounds 3]
Timings on a shared 2-core machine are noisy: the sides alternate round by round; within a round each side's median
(the reference: over one full 10-iteration cycle) is taken, and the minimum over rounds is reported (load-robust).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bibcluster.reference import peer_sweep, reference_style_sweep
from bibcluster.reproduce import time_per_sweep
from bibcluster.simulate import simulate_biclustered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=30, help="neurons (3 clusters; default 30)")
    ap.add_argument("--T", type=int, default=500, help="time bins (default 500)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of all timings (default 3)")
    ap.add_argument("--peer-python", default=None, help="Python of an environment from setup_peer_env.sh")
    args = ap.parse_args()
    Y, truth = simulate_biclustered(n_per_cluster=args.N // 3, T=args.T, seed=0)
    rng = np.random.default_rng(0)
    rows: dict[str, list[float]] = {"peer": [], "emulated": [], "listed": [], "ours_1": [], "ours_2": []}
    for _ in range(args.rounds):
        if args.peer_python:
            peer = peer_sweep(Y.counts, truth.z, args.peer_python)
            rows["peer"].append(float(peer["median_s"]))
        rows["emulated"].append(
            float(np.median([reference_style_sweep(Y.counts, 3, 2, rng) for _ in range(3)]))
        )
        rows["listed"].append(
            float(np.median([reference_style_sweep(Y.counts, 3, 2, rng, full=False) for _ in range(3)]))
        )
        rows["ours_1"].append(float(np.median(time_per_sweep(N=args.N, T=args.T, n_sweeps=15, threads=1))))
        rows["ours_2"].append(float(np.median(time_per_sweep(N=args.N, T=args.T, n_sweeps=15, threads=2))))
    med = {k: float(np.min(v)) for k, v in rows.items() if v}
    print(f"N={args.N} T={args.T}, minimum of {args.rounds} alternating rounds (seconds per sweep):")
    for key in ("ours_1", "ours_2"):
        print(f"  bibcluster, {key[-1]} PG thread(s): {med[key]:.4f}")
    for base in ("peer", "emulated", "listed"):
        if base in med:
            print(
                f"  {base:9s} {med[base]:.3f}  ->  {med[base] / med['ours_1']:.1f}x (1 thread), "
                f"{med[base] / med['ours_2']:.1f}x (2 threads)"
            )
    print(json.dumps({"rounds": rows, "minimum over rounds": med}))


if __name__ == "__main__":
    main()
