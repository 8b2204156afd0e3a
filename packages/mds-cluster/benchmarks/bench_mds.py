"""Benchmarks (not run in CI): batched vs per-cluster MDS optimisation, and a GMM accuracy baseline.

Run from the workspace root:

    uv run --package mds-cluster python packages/mds-cluster/benchmarks/bench_mds.py

1. Speed: the whole on/off toy clustering of the reference example (K_init = 5, SGD lr 100, 50 steps per
   round, split step) with the batched optimiser (one model call per step for all K stimuli) against the
   reference's strategy of optimising one cluster stimulus at a time (``optimize_stimuli_loop`` patched in),
   measured back to back in this process; plus the optimisation step alone for K = 8 on the LN population.
   The reference itself, in its own environment, is compared in ``bench_reference.py``.
2. Accuracy: Baden et al. (2016)-style clustering of response features (a Gaussian mixture on PCA of the
   responses to white noise, K by BIC; scikit-learn) against MDS clustering, ARI with the true types.
"""

from __future__ import annotations

import resource
import statistics
import time
from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

import mds_cluster.clustering as clustering
from mds_cluster import L2Sphere, MDSClustering, optimize_stimuli, optimize_stimuli_loop, twins


def _loop_as_batched(model: Any, stimuli: Any, labels: Any, **kw: Any) -> Any:
    kw = {
        k: v
        for k, v in kw.items()
        if k in {"tau", "steps", "optimizer", "lr", "constraint", "offset", "scale", "unit_idx"}
    }
    return optimize_stimuli_loop(model, stimuli, labels, **kw)


def _time(fn: Any, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def toy_fit() -> MDSClustering:
    toy = twins.OnOffToy(42, 18)
    return MDSClustering(
        toy, (18, 18), 5, optimizer="sgd", lr=100.0, stim_constraint=None, steps_per_round=50, seed=42
    ).fit()


def main() -> None:
    torch.set_num_threads(1)
    toy_fit()  # warm-up
    batched = _time(toy_fit)
    original = clustering.optimize_stimuli
    clustering.optimize_stimuli = _loop_as_batched  # type: ignore[assignment]
    try:
        looped = _time(toy_fit)
    finally:
        clustering.optimize_stimuli = original
    print(
        f"on/off toy full clustering: batched {batched:.2f} s, per-cluster loop {looped:.2f} s, ratio {looped / batched:.1f}x"
    )

    pop = twins.LNPopulation(seed=0)
    s0 = torch.randn(8, 18, 18, generator=torch.Generator().manual_seed(0))
    labels = torch.as_tensor(np.arange(pop.n_neurons) % 8)
    kw = dict(steps=200, constraint=L2Sphere(5.0))
    tb = _time(lambda: optimize_stimuli(pop, s0, labels, **kw))
    tl = _time(lambda: optimize_stimuli_loop(pop, s0, labels, **kw))
    print(
        f"LN population, K = 8, 200 steps: batched {tb:.3f} s, per-cluster loop {tl:.3f} s, ratio {tl / tb:.1f}x"
    )
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    for seed in range(3):
        pop = twins.LNPopulation(seed=seed)
        noise = torch.randn(300, 18, 18, generator=torch.Generator().manual_seed(100 + seed))
        with torch.no_grad():
            resp = pop(noise).numpy().T  # [N, 300]
        z = (resp - resp.mean(1, keepdims=True)) / (resp.std(1, keepdims=True) + 1e-9)
        feats = PCA(n_components=20, random_state=seed).fit_transform(z)
        fits = [GaussianMixture(k, covariance_type="diag", random_state=seed).fit(feats) for k in range(2, 9)]
        gmm = min(fits, key=lambda g: g.bic(feats))
        ari_gmm = adjusted_rand_score(pop.labels, gmm.predict(feats))
        mc = MDSClustering(pop, (18, 18), 8, merge=True, seed=seed).fit()
        ari_mds = adjusted_rand_score(pop.labels, mc.labels_)
        print(
            f"seed {seed}: GMM on noise-response PCA: K={gmm.n_components}, ARI {ari_gmm:.3f}; MDS (merge): K={mc.n_clusters_}, ARI {ari_mds:.3f}"
        )


if __name__ == "__main__":
    main()
