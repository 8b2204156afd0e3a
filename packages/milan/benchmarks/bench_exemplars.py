"""Exemplar computation (top-k images and the 0.99-quantile threshold of every unit of a layer): milan against the
reference's NetDissect tally and a naive full-materialisation baseline.

- ``milan.compute_exemplars``: streaming top-k, *exact* streaming quantile (numpy's linear interpolation).
- reference: ``netdissect.tally.tally_topk_and_quantile`` (``RunningTopK`` + the approximate ``RunningQuantile``
  sketch, r=4096) from evandez/neuron-descriptions, called as its ``src/exemplars/compute.py`` calls it, with the
  same forward hook and batch size. Pass ``--reference DIR`` (a checkout of the repository; nothing of it is
  copied here); without it, only milan and the naive baseline run.
- naive: keep every activation map, then ``numpy.quantile`` and a full sort.

The three run back to back, alternating, ``--repeats`` times; the minimum wall time of each is reported (robust
to machine load), with the largest threshold error against ``numpy.quantile`` and whether the top-k agree.

Run: ``uv run --package milan-neurons python packages/milan/benchmarks/bench_exemplars.py --reference DIR``.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from milan import TargetCNN, compute_exemplars, shapes_world
from neurotypes.reproduction import machine_summary

LAYER = "features.relu3"


def _hooked(net: TargetCNN) -> tuple[dict[str, torch.Tensor], Any]:
    store: dict[str, torch.Tensor] = {}
    handle = net.features.relu3.register_forward_hook(lambda _m, _i, o: store.__setitem__("x", o))
    return store, handle


def naive(net: TargetCNN, images: np.ndarray, k: int, q: float, batch: int) -> tuple[np.ndarray, np.ndarray]:
    store, handle = _hooked(net)
    acts = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            net(torch.from_numpy(images[i : i + batch]))
            acts.append(store["x"].numpy())
    handle.remove()
    a = np.concatenate(acts)  # [N, U, h, w]
    thr = np.quantile(a.transpose(1, 0, 2, 3).reshape(a.shape[1], -1).astype(np.float64), q, axis=1)
    top = np.argsort(-a.max(axis=(2, 3)), axis=0, kind="stable")[:k].T
    return thr, top


def reference(
    tally: Any, net: TargetCNN, images: np.ndarray, k: int, q: float, batch: int
) -> tuple[np.ndarray, np.ndarray]:
    store, handle = _hooked(net)

    def compute_topk_and_quantile(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            net(x)
        hiddens = store["x"]
        b, c = hiddens.shape[:2]
        return hiddens.view(b, c, -1).max(dim=2)[0], hiddens.permute(0, 2, 3, 1).reshape(-1, c)

    dataset = torch.utils.data.TensorDataset(torch.from_numpy(images))
    topk, rq = tally.tally_topk_and_quantile(compute_topk_and_quantile, dataset, k=k, batch_size=batch)
    handle.remove()
    return rq.quantiles(q).reshape(-1).numpy(), topk.result()[1].numpy()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=3000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--reference", default=None, help="checkout of evandez/neuron-descriptions")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    k, q = 15, 0.99
    images = shapes_world(args.images, seed=0, glyph_prob=0.15).images
    torch.manual_seed(0)
    net = TargetCNN().eval()
    runs: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {}

    def ours() -> tuple[np.ndarray, np.ndarray]:
        ex = compute_exemplars(net, LAYER, images, k=k, quantile=q, batch_size=args.batch, keep_images=False)
        return ex.thresholds, ex.indices

    runs["milan.compute_exemplars"] = ours
    if args.reference:
        sys.path.insert(0, f"{args.reference}/src/deps")
        from netdissect import tally  # the reference's own module, imported from the checkout

        runs["reference netdissect tally"] = lambda: reference(tally, net, images, k, q, args.batch)
    runs["naive (materialise + numpy)"] = lambda: naive(net, images, k, q, args.batch)

    exact_thr, exact_top = naive(net, images, k, q, args.batch)
    best = dict.fromkeys(runs, float("inf"))
    results = {}
    for name, fn in runs.items():
        results[name] = fn()  # warm-up
    for _ in range(args.repeats):
        for name, fn in runs.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    print(
        f"{args.images} shapes-world images, TargetCNN {LAYER} (32 units, 8x8), k={k}, q={q}, batch {args.batch}"
    )
    print(
        f"torch {torch.__version__}, numpy {np.__version__}, {args.threads} thread(s), machine {machine_summary()}"
    )
    if args.reference:
        print(f"reference: {args.reference} (netdissect from evandez/neuron-descriptions)")
    base = best["milan.compute_exemplars"]
    for name in runs:
        thr, top = results[name]
        err = float(np.abs(np.asarray(thr, dtype=np.float64) - exact_thr).max())
        same = bool((np.asarray(top) == exact_top).all())
        print(
            f"{name:30s} {best[name]:7.3f} s (min of {args.repeats})  {args.images / best[name]:8.0f} images/s  "
            f"time / milan {best[name] / base:5.2f}  max |threshold - numpy.quantile| {err:.2e}  top-k equal {same}"
        )
    print("milan-neurons", md.version("milan-neurons"))


if __name__ == "__main__":
    main()
