"""Overhead of DNR tracking and AP selection per pruning cycle, relative to plain IMP.

Run:  uv run --package ap-prune python packages/ap-prune/benchmarks/bench_overhead.py [--device cuda]

Peer/baseline: plain iterative magnitude pruning through ``torch.nn.utils.prune.global_unstructured`` with a
plain torch training loop. Measurements alternate (baseline, variant) back to back and each side keeps its
minimum (load-robust on a shared machine); the ratios are variant / baseline. Not run in CI.
"""

from __future__ import annotations

import argparse
import gc
import time

import torch
from torch import nn
from torch.nn.utils import prune

from ap_prune import ActivateWhilePruning, DNRTracker, n_alive, prunable_layers, snapshot_weights
from ap_prune.data import digits, make_loader
from ap_prune.models import MLP
from neurotypes.reproduction import machine_summary


def train_epochs(model: nn.Module, loader, epochs: int, device: str, tracker: DNRTracker | None) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        if tracker is not None:
            tracker.end_epoch()
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def plain_prune(model: nn.Module, p: float) -> None:
    targets = [(m, "weight") for m in prunable_layers(model).values()]
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=round(p * n_alive(model)))


def timed(fn) -> float:
    # like timeit: collect first and keep the cyclic GC out of the timed region (pruning hooks create cycles)
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        gc.enable()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per measured cycle")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--prune-reps", type=int, default=31)
    ap.add_argument("--width", type=int, default=128, help="hidden width of the MLP")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sp = digits()
    dev = args.device
    x_tr, y_tr = sp.x_train.to(dev), sp.y_train.to(dev)

    def loader():
        return make_loader(x_tr.cpu(), y_tr.cpu(), batch_size=64, seed=0)

    def fresh() -> nn.Module:
        return MLP((64, args.width, args.width, 10), seed=0).to(dev)

    t_train, t_train_dnr, t_prune, t_ap = [], [], [], []
    for _ in range(args.reps):
        m = fresh()
        t_train.append(timed(lambda m=m: train_epochs(m, loader(), args.epochs, dev, None)))
        m = fresh()
        tr = DNRTracker(m)
        t_train_dnr.append(timed(lambda m=m, tr=tr: train_epochs(m, loader(), args.epochs, dev, tr)))
        tr.remove()
    for _ in range(args.prune_reps):
        m = fresh()
        t_prune.append(timed(lambda m=m: plain_prune(m, 0.2)))
        m = fresh()
        w0 = snapshot_weights(m)
        pr = ActivateWhilePruning(p=0.2, p_ap=0.02)
        t_ap.append(timed(lambda m=m, w0=w0, pr=pr: pr.prune(m, w0)))
    med = min  # minimum of the alternating runs: the least disturbed measurement of each side
    cycle_plain = med(t_train) + med(t_prune)
    cycle_ap = med(t_train_dnr) + med(t_ap)
    print(
        f"device {dev}, MLP 64-{args.width}-{args.width}-10, {args.epochs} epochs per cycle, "
        f"{args.reps} training reps, {args.prune_reps} pruning reps (minimum of alternating runs), "
        f"torch {torch.__version__}, {machine_summary()}"
    )
    print(f"train epochs (no hooks)        {med(t_train):8.4f} s")
    print(
        f"train epochs (DNRTracker)      {med(t_train_dnr):8.4f} s   ratio {med(t_train_dnr) / med(t_train):.3f}"
    )
    print(f"prune step: torch global L1    {med(t_prune) * 1e3:8.2f} ms")
    print(f"prune step: AP (base + select) {med(t_ap) * 1e3:8.2f} ms   ratio {med(t_ap) / med(t_prune):.2f}")
    print(f"cycle IMP+AP+DNR / plain IMP   {cycle_ap / cycle_plain:.3f}")


if __name__ == "__main__":
    main()
