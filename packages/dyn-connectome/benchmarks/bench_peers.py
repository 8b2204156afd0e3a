"""Speed and accuracy against peers, measured back to back on the same machine (not run in CI).

* NTF: this package's ``fit_ntf`` (tensorly HALS) vs tensorly's multiplicative updates and, when importable,
  tensortools' ``ncp_hals`` (0.4, unmaintained) on the same planted-epoch tensor.
* Communities: ``wsbm`` vs Leiden (leidenalg), Louvain (networkx) and, when importable, graph-tool, on weighted
  planted partitions (N=120, B=4): time and NMI; plus the Erdős–Rényi control (blocks found).

Run: ``python benchmarks/bench_peers.py``. Timings on a shared machine are noisy: compare ratios.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import normalized_mutual_info_score as nmi

from dyn_connectome import community, ntf, synthetic, tensor


def _time(fn, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_ntf() -> None:
    for n_per_group, worms, label in ((10, 4, "435x24x4"), (30, 10, "4005x24x10")):
        traces, _ = synthetic.planted_epochs(n_per_group=n_per_group, n_worms=worms, seed=100)
        x, _ = tensor.build_affinity_tensor(traces, window=50, dtype=np.float64)
        t_hals, r = _time(lambda x=x: ntf.fit_ntf(x, rank=3, n_restarts=1, seed=0, n_iter_max=200, tol=0.0))
        t_mu, r_mu = _time(
            lambda x=x: ntf.fit_ntf(x, rank=3, n_restarts=1, method="mu", seed=0, n_iter_max=200, tol=0.0)
        )
        line = f"NTF {label}, 200 iterations: tensorly HALS {t_hals:.2f} s (err {r.rel_error:.3f}), "
        line += f"tensorly MU {t_mu:.2f} s (err {r_mu.rel_error:.3f})"
        try:
            import tensortools as tt

            t_tt, r_tt = _time(lambda x=x: tt.ncp_hals(x, rank=3, max_iter=200, tol=0.0, verbose=False))
            err = np.linalg.norm(x - r_tt.factors.full()) / np.linalg.norm(x)
            line += f", tensortools ncp_hals {t_tt:.2f} s (err {err:.3f}); ratio tensortools/ours {t_tt / t_hals:.2f}"
        except ImportError:
            line += "; tensortools not installed"
        print(line)


def bench_communities() -> None:
    backends = ["wsbm", "leiden", "louvain"]
    try:
        import graph_tool  # noqa: F401

        backends.append("graph-tool")
    except ImportError:
        pass
    times: dict[str, list[float]] = {b: [] for b in backends}
    scores: dict[str, list[float]] = {b: [] for b in backends}
    er_blocks: dict[str, list[int]] = {b: [] for b in backends}
    for seed in range(10):
        a, truth = synthetic.weighted_planted_partition(seed=seed)
        er = synthetic.weighted_er(120, 0.1, 1.0, seed=seed)
        for b in backends:
            t, p = _time(lambda a=a, b=b, seed=seed: community.detect(a, backend=b, seed=seed), repeat=1)
            times[b].append(t)
            scores[b].append(nmi(truth.labels, p.labels))
            er_blocks[b].append(community.detect(er, backend=b, seed=seed).n_clusters)
    for b in backends:
        print(
            f"{b:10s} N=120: {np.median(times[b]) * 1e3:8.1f} ms (median of 10), NMI {np.mean(scores[b]):.3f} "
            f"± {np.std(scores[b]):.3f}, ER blocks {er_blocks[b]}; time ratio vs leiden "
            f"{np.median(times[b]) / np.median(times['leiden']):.1f}"
        )


if __name__ == "__main__":
    bench_ntf()
    bench_communities()
