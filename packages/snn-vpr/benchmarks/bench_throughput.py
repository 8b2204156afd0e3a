"""Training and query throughput (images per second) of the torch module bank.

Compares against
- the Brian2 reference's reported speed: a Nordland training run still going after about a week
  (VPRSNN issue #18). Nordland modular config: 3300 places / 25 per module = 132 modules, each trained on
  25 places x 2 traverses x 60 epochs = 3000 presentations -> 396,000 presentations in >= 7 days
  (<= 0.65 presentations/s; the reference ran modules as separate jobs, so this is an order of magnitude);
- VPRTempo (``pip install vprtempo``): only whether it is importable; the comparison itself is
  ``benchmarks/bench_vprtempo.py``.

Usage: ``python benchmarks/bench_throughput.py [--modules 4] [--places 25] [--n-e 400] [--epochs 1]``.
Timings on a shared machine are noisy: compare numbers taken back to back on the same machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time

import torch

from snn_vpr import DiehlCookParams, ModularSNN, synthetic_traverses
from snn_vpr.preprocess import process_images

REFERENCE_PRESENTATIONS_PER_S = 396_000 / (7 * 24 * 3600)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", type=int, default=4)
    ap.add_argument("--places", type=int, default=25, help="places per module")
    ap.add_argument("--n-e", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--present-ms", type=float, default=350.0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    P = a.modules * a.places
    d = synthetic_traverses(P, 64, seed=0)
    ref, q = d.select("ref_a", "ref_b"), d.select("query")
    X, Q = process_images(ref.images), process_images(q.images)
    prm = DiehlCookParams(t_present=a.present_ms)
    t0 = time.perf_counter()
    net = ModularSNN(a.places, a.n_e, a.epochs, prm, seed=0, device=a.device).fit(X, ref.place_id)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.respond(Q)
    t_q = time.perf_counter() - t0
    train_ips = len(X) * a.epochs / t_fit  # presentations per second, all modules together
    out = {
        "device": a.device,
        "modules": a.modules,
        "places_per_module": a.places,
        "n_e": a.n_e,
        "epochs": a.epochs,
        "present_ms": a.present_ms,
        "fit_s (incl. recording responses)": round(t_fit, 2),
        "train_presentations_per_s": round(train_ips, 3),
        "query_images_per_s (every module answers)": round(len(Q) / t_q, 3),
        "reference_presentations_per_s (<=, issue #18)": round(REFERENCE_PRESENTATIONS_PER_S, 3),
        "ratio_train_vs_reference (>=)": round(train_ips / REFERENCE_PRESENTATIONS_PER_S, 1),
        "vprtempo_importable": importlib.util.find_spec("vprtempo") is not None,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
