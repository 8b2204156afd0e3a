"""Speed (and accuracy) against the peers, alternating the two sides back to back and keeping the minimum.

* NTF: this package's ``fit_ntf`` (tensorly HALS, one restart, 200 iterations, no early stop) against tensortools'
  ``ncp_hals`` (0.4, the NTF implementation of Williams et al. 2018) on the same planted-epoch tensors.
* Communities: ``detect(backend="wsbm")`` against Leiden (leidenalg) and Louvain (networkx) on weighted planted
  partitions (N=120, B=4): time and NMI; and the Erdős–Rényi control (blocks found).

Run from a venv holding this package and the peer (outside the repository)::

    uv venv ../dc-bench && uv pip install -p ../dc-bench ./shared/neurotypes './packages/dyn-connectome[leiden]' tensortools
    ../dc-bench/bin/python packages/dyn-connectome/benchmarks/bench_peers.py --repeats 5

Prints one line per comparison; the README records the ratios with the versions and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any


def _alternate(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Minimum wall time of each function over ``repeats`` rounds, the functions alternating within a round."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def bench_ntf(repeats: int) -> None:
    import numpy as np

    from dyn_connectome import data, ntf, tensor

    try:
        import tensortools as tt
    except ImportError:
        tt = None
    for n_per_group, worms in ((10, 4), (30, 10)):
        traces, _ = data.planted_epochs(n_per_group=n_per_group, n_worms=worms, seed=100)
        x, _ = tensor.build_affinity_tensor(traces, window=50, dtype=np.float64)
        label = "x".join(map(str, x.shape))
        fns: dict[str, Callable[[], Any]] = {
            "dyn-connectome fit_ntf": lambda x=x: ntf.fit_ntf(
                x, rank=3, n_restarts=1, seed=0, n_iter_max=200, tol=0.0
            )
        }
        if tt is not None:
            fns["tensortools ncp_hals"] = lambda x=x: tt.ncp_hals(
                x, rank=3, max_iter=200, tol=0.0, verbose=False
            )
        times = _alternate(fns, repeats)
        ours = ntf.fit_ntf(x, rank=3, n_restarts=1, seed=0, n_iter_max=200, tol=0.0)
        line = f"NTF {label}, rank 3, 200 iterations: dyn-connectome {times['dyn-connectome fit_ntf']:.3f} s (error {ours.rel_error:.4f})"
        if tt is not None:
            res = tt.ncp_hals(x, rank=3, max_iter=200, tol=0.0, verbose=False)
            err = np.linalg.norm(x - res.factors.full()) / np.linalg.norm(x)
            ratio = times["tensortools ncp_hals"] / times["dyn-connectome fit_ntf"]
            line += f"; tensortools {times['tensortools ncp_hals']:.3f} s (error {err:.4f}); tensortools/ours = {ratio:.2f}"
        else:
            line += "; tensortools not installed"
        print(line, flush=True)


def bench_communities(repeats: int) -> None:
    import numpy as np

    from dyn_connectome import community, data

    methods = ["wsbm", "leiden", "louvain"]
    graphs = [data.weighted_planted_partition(seed=s) for s in range(5)]
    best = dict.fromkeys(methods, 0.0)
    nmi: dict[str, list[float]] = {m: [] for m in methods}
    for a, truth in graphs:
        times = _alternate(
            {m: (lambda a=a, m=m: community.detect(a, backend=m, seed=0)) for m in methods}, repeats
        )
        for m in methods:
            best[m] += times[m] / len(graphs)
            p = community.detect(a, backend=m, seed=0)
            nmi[m].append(community.normalized_mutual_information(truth.labels, p.labels))
    er = [data.weighted_er(120, 0.1, 1.0, seed=s) for s in range(5)]
    for m in methods:
        blocks = [community.detect(a, backend=m, seed=0).n_clusters for a in er]
        print(
            f"communities N=120 ({m}): {1e3 * best[m]:.1f} ms (mean over 5 graphs of the minimum of {repeats}); "
            f"NMI {np.mean(nmi[m]):.3f}; blocks on Erdős–Rényi {blocks}; time / Leiden {best[m] / best['leiden']:.1f}",
            flush=True,
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5, help="alternating rounds (minimum kept)")
    args = p.parse_args()
    versions = {}
    for dist in ("dyn-connectome", "tensorly", "tensortools", "leidenalg", "networkx", "numpy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(", ".join(f"{k} {v}" for k, v in versions.items()), flush=True)
    bench_ntf(args.repeats)
    bench_communities(args.repeats)


if __name__ == "__main__":
    main()
