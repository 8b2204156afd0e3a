"""Exemplar throughput (images per second) of `compute_exemplars` vs a naive full-materialisation baseline.

The baseline is the NetDissect-style computation without streaming: keep every activation map of the dataset,
then sort per unit and call `numpy.quantile`. Both run on the same small target CNN, back to back.
Run: `uv run --package milan-neurons python packages/milan/benchmarks/bench_exemplars.py [--images N]`.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from milan import compute_exemplars
from milan.datasets import shapes_world
from milan.pipeline import TargetCNN


def naive(model: torch.nn.Module, images: np.ndarray, k: int = 15, q: float = 0.99) -> np.ndarray:
    acts = []
    with torch.no_grad():
        feats = {}
        h = model.features.relu3.register_forward_hook(lambda _m, _i, o: feats.__setitem__("x", o))
        for i in range(0, len(images), 128):
            model(torch.from_numpy(images[i : i + 128]))
            acts.append(feats["x"].numpy())
        h.remove()
    a = np.concatenate(acts)  # [N, U, h, w]
    thr = np.quantile(a.transpose(1, 0, 2, 3).reshape(a.shape[1], -1), q, axis=1)
    top = np.argsort(-a.max(axis=(2, 3)), axis=0, kind="stable")[:k].T
    return thr, top


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--images", type=int, default=4000)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    w = shapes_world(args.images, seed=0)
    net = TargetCNN().eval()
    for name, fn in (
        (
            "milan.compute_exemplars",
            lambda: compute_exemplars(net, "features.relu3", w.images, keep_images=False),
        ),
        ("naive full-materialisation", lambda: naive(net, w.images)),
    ):
        fn()  # warm-up
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        print(f"{name:30s} {args.images / dt:9.0f} images/s")
    ex = compute_exemplars(net, "features.relu3", w.images, keep_images=False)
    thr, top = naive(net, w.images)
    print("max threshold difference vs numpy.quantile:", float(np.abs(ex.thresholds - thr).max()))
    print("top-k identical:", bool((ex.indices == top).all()))


if __name__ == "__main__":
    main()
