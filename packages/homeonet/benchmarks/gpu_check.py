"""Device check: TorchHomeostaticSGD on a GPU against the numpy learner (same init, same stream, float64).

Run on a machine with CUDA (not part of the tests):
    PYTHONPATH=packages/homeonet/src:shared/neurotypes/src python3 packages/homeonet/benchmarks/gpu_check.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from homeonet import HomeostaticSGD, LabelSwapStream, MLPClassifier
from homeonet.data import digits
from homeonet.torch_optim import TorchHomeostaticSGD, train_torch
from homeonet.train import train


def twin(clf: MLPClassifier, device: str) -> torch.nn.Module:
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 80),
        torch.nn.ELU(),
        torch.nn.Linear(80, 60),
        torch.nn.ELU(),
        torch.nn.Linear(60, 10),
    ).double()
    with torch.no_grad():
        for lin, W, b in zip([net[0], net[2], net[4]], clf.params_.W, clf.params_.b, strict=True):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    return net.to(device)


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print("device:", device, torch.cuda.get_device_name(0) if device == "cuda" else "")
    Xtr, ytr, Xva, yva = digits()
    for mode, epochs in (("lrh", 2), ("lrr", 2), ("lrh", 10)):
        clf = MLPClassifier(seed=3).initialize(64, 10)
        net = twin(clf, device)
        t0 = time.perf_counter()
        a = train(
            clf,
            LabelSwapStream(Xtr, ytr, swaps_per_epoch=5, rng=4),
            HomeostaticSGD(0.05, mode=mode, rng=5),
            Xva,
            yva,
            epochs,
        )
        t1 = time.perf_counter()
        opt = TorchHomeostaticSGD(net.parameters(), 0.05, mode=mode, rng=5)
        b = train_torch(
            net, LabelSwapStream(Xtr, ytr, swaps_per_epoch=5, rng=4), opt, Xva, yva, epochs, device=device
        )
        t2 = time.perf_counter()
        same = int(np.sum(a["eta_trace"] == b["eta_trace"]))
        first_diff = np.flatnonzero(a["eta_trace"] != b["eta_trace"])
        dw = float(np.abs(net[4].weight.detach().cpu().numpy() - clf.params_.W[2]).max())
        print(
            f"{mode} {epochs} epochs: eta trace equal at {same}/{a['eta_trace'].size} batches "
            f"(first difference at batch {first_diff[0] if first_diff.size else None}); "
            f"online numpy {np.round(a['online_acc'], 4).tolist()} torch {np.round(b['online_acc'], 4).tolist()}; "
            f"max |dW_out| {dw:.2e}; numpy-CPU {t1 - t0:.2f} s, torch-{device} {t2 - t1:.2f} s"
        )


if __name__ == "__main__":
    main()
