"""Fidelity check of the time step: dt = 0.5 ms (default) against dt = 0.1 ms (Brian2's default, the reference).

1. Training path: the same initial network (same seed: same weights and the same delays in ms, quantised to each
   step) trains one epoch at both steps; compare theta growth and excitatory spikes per presentation.
2. Inference path: a network trained at dt = 0.5 ms answers the queries at both steps (weights, theta and delays
   copied); compare mean spike counts per neuron and query and R@1.

Usage: ``python benchmarks/dt_check.py [--places 10 --region 5 --n-e 50 --epochs 20]``. Prints JSON. Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from snn_vpr import DiehlCookParams, ModularSNN, ModuleBank, synthetic_traverses
from snn_vpr.metrics import recall_at_n
from snn_vpr.network import as_rates
from snn_vpr.preprocess import process_images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--places", type=int, default=10)
    ap.add_argument("--region", type=int, default=5)
    ap.add_argument("--n-e", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    d = synthetic_traverses(a.places, 64, seed=1)
    ref, qry = d.select("ref_a", "ref_b"), d.select("query")
    X, Q = process_images(ref.images), process_images(qry.images)
    out: dict[str, object] = {}

    # 1. one training epoch from the same start at both steps
    rates = as_rates(X, 4.0)
    n_mod = -(-a.places // a.region)
    order = torch.stack(
        [
            torch.from_numpy(np.flatnonzero(np.isin(ref.place_id, range(m * a.region, (m + 1) * a.region))))
            for m in range(n_mod)
        ]
    )
    for dt in (0.5, 0.1):
        bank = ModuleBank(n_mod, rates.shape[1], a.n_e, DiehlCookParams(dt=dt), seed=a.seed)
        t0 = time.perf_counter()
        bank.train(rates[order])
        out[f"train_dt{dt}"] = {
            "theta_gain_mV": round(float(bank.theta.mean()) - 20.0, 3),
            "spikes_per_neuron_presentation": round(
                (float(bank.theta.mean()) - 20.0) / 0.05 / order.shape[1], 3
            ),
            "seconds": round(time.perf_counter() - t0, 1),
        }

    # 2. a network trained at 0.5 ms answers at both steps
    net = ModularSNN(a.region, a.n_e, a.epochs, DiehlCookParams(), seed=a.seed).fit(X, ref.place_id)
    gt = net.place_index(qry.place_id)
    base = net.bank_
    for dt in (0.5, 0.1):
        bank = ModuleBank(base.n_modules, base.n_in, base.n_e, DiehlCookParams(dt=dt), seed=a.seed)
        bank.w, bank.theta = base.w.clone(), base.theta.clone()
        net.bank_, net.params = bank, bank.params
        t0 = time.perf_counter()
        R = net.respond(Q).counts.T
        out[f"respond_dt{dt}"] = {
            "R@1": round(float(recall_at_n(net.scores_from_responses(R, 0), gt, ns=(1,))[1]), 3),
            "spikes_per_neuron_query": round(float(R.mean()), 3),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
