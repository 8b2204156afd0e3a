"""Learning curve of the modular network: in-region R@1, modular R@1 and theta after every few epochs.

Trains one module per region (synthetic traverses) and, at each checkpoint, records every module's responses to
the reference images (theta frozen) to assign neurons, then measures on the query traverse
- per-module R@1 within its own region (chance = 1 / region size),
- modular R@1 over all places without and with the hyperactive-neuron rule (T from the calibration traverse),
- theta (mean, min, max) and the mean number of spikes per neuron and presentation in the last epoch.

Usage: ``python benchmarks/learning_curve.py --epochs 60 --every 10 --present-ms 100 [--dt 0.5] [--no-delays]``.
Prints one JSON line per checkpoint (and writes them to ``--out`` if given). Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch

from snn_vpr import DiehlCookParams, ModularSNN, synthetic_traverses
from snn_vpr.metrics import recall_at_n
from snn_vpr.preprocess import process_images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--places", type=int, default=40)
    ap.add_argument("--region", type=int, default=10)
    ap.add_argument("--n-e", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--present-ms", type=float, default=100.0)
    ap.add_argument("--dt", type=float, default=0.5)
    ap.add_argument("--no-delays", action="store_true")
    ap.add_argument("--nu-pre", type=float, default=None, help="override nu_pre (sign included)")
    ap.add_argument("--data-seed", type=int, default=7)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(1)

    prm = DiehlCookParams(t_present=a.present_ms, dt=a.dt)
    if a.no_delays and hasattr(prm, "delay_max"):
        prm = replace(prm, delay_max=0.0)
    if a.nu_pre is not None:
        prm = replace(prm, nu_pre=a.nu_pre)
    d = synthetic_traverses(a.places, 64, seed=a.data_seed)
    ref, qry, cal = d.select("ref_a", "ref_b"), d.select("query"), d.select("calibration")
    X, Q, C = process_images(ref.images), process_images(qry.images), process_images(cal.images)
    net = ModularSNN(a.region, a.n_e, a.every, prm, seed=a.seed)
    rows = []
    t0 = time.perf_counter()
    done = 0
    while done < a.epochs:
        n = min(a.every, a.epochs - done)
        net.epochs = n
        net.fit(X, ref.place_id, warm=done > 0)
        done += n
        R = net.respond(Q).counts.T
        gt = net.place_index(qry.place_id)
        per_mod = []
        for m, reg in enumerate(net.regions_):
            r_ = np.flatnonzero(np.isin(qry.place_id, reg))
            cols = np.arange(m * a.region, m * a.region + reg.size)
            s = net.scores_from_responses(R[r_], 0)[:, cols]
            per_mod.append(recall_at_n(s, gt[r_] - cols[0], ns=(1,))[1])
        unreg = recall_at_n(net.scores_from_responses(R, 0), gt, ns=(1,))[1]
        T = net.calibrate_hyperactive(C, cal.place_id)
        reg_r1 = recall_at_n(net.scores_from_responses(R, T), gt, ns=(1,))[1]
        th = net.bank_.theta.cpu().numpy()
        row = {
            "epoch": done,
            "per_module_R@1": [round(float(x), 3) for x in per_mod],
            "modular_R@1_T0": round(float(unreg), 3),
            "modular_R@1_reg": round(float(reg_r1), 3),
            "T": int(T),
            "theta_mean": round(float(th.mean()), 2),
            "theta_min": round(float(th.min()), 2),
            "theta_max": round(float(th.max()), 2),
            "ref_spikes_per_neuron_image": round(float(net.reference_responses_.mean()), 3),
            "assigned_places_per_module": [int(np.unique(x[x >= 0]).size) for x in net.assignments_],
            "elapsed_s": round(time.perf_counter() - t0, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
