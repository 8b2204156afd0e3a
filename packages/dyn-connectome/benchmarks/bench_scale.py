"""Paper-scale pipeline: 300 neurons × 100 windows × 20 animals (44,850 pairs; ~90M tensor entries).

Run: ``python benchmarks/bench_scale.py [--restarts 1] [--threads 2]``. Prints wall time of each stage and the
peak resident memory of the process. Not run in CI. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--neurons", type=int, default=300)
    p.add_argument("--windows", type=int, default=100)
    p.add_argument("--animals", type=int, default=20)
    p.add_argument("--window", type=int, default=50)
    p.add_argument("--rank", type=int, default=3)
    p.add_argument("--restarts", type=int, default=1)
    p.add_argument("--iters", type=int, default=100, help="HALS iterations per restart")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(a.threads)

    import numpy as np

    from dyn_connectome import community, ntf, synthetic, tensor

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    traces, parts = synthetic.planted_epochs(
        n_per_group=a.neurons // 3, n_worms=a.animals, T=a.windows * a.window, seed=100
    )
    t1 = time.perf_counter()
    x, pairs = tensor.build_affinity_tensor(traces, window=a.window)
    del traces
    t2 = time.perf_counter()
    print(
        f"tensor {x.shape} {x.dtype} ({x.nbytes / 2**20:.0f} MiB); generate {t1 - t0:.1f} s, affinities {t2 - t1:.1f} s"
    )
    res = ntf.fit_ntf(x, rank=a.rank, n_restarts=a.restarts, seed=0, n_iter_max=a.iters, tol=1e-8)
    t3 = time.perf_counter()
    print(
        f"NTF rank {a.rank}, {a.restarts} restart(s), <= {a.iters} HALS iterations: {t3 - t2:.1f} s "
        f"({(t3 - t2) / a.restarts:.1f} s per restart), rel_error {res.rel_error:.3f}; peak RSS {peak_mb():.0f} MiB"
    )
    tw = res.f_time.shape[0]
    for backend in ("wsbm", "louvain", "leiden"):
        t = time.perf_counter()
        aris = []
        for r in range(res.rank):
            epoch = int(np.argmax(res.f_time[:, r])) * 3 // tw
            part = community.detect(pairs.to_matrix(res.f_pairs[:, r]), backend=backend, seed=0)
            aris.append(round(part.adjusted_rand_index(parts[epoch]), 3))
        print(
            f"communities ({backend}, N={pairs.n_units}, {res.rank} components): {time.perf_counter() - t:.1f} s, ARI {aris}"
        )
    print(f"total {time.perf_counter() - t0:.1f} s; peak RSS {peak_mb():.0f} MiB")


if __name__ == "__main__":
    main()
