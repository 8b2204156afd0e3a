"""The quick reproduction's trained network on NEST (through PyNN) against the package's own engine.

Dev-only (needs the extra ``nest``). Trains the quick reproduce network (40 places, 4 modules x 10 places x
100 neurons, 5 epochs, 350 ms, delays; or loads one saved with ``ModularSNN.save`` via ``--model``), exports
every module with ``snn_vpr.pynn.export_module`` and presents the 40 query images to NEST, one fresh
simulation per module and image, with the very input spikes the package's engine draws for the same seed.
Reports per-neuron spike-count agreement, and the modular answer (place scores of all modules, hyperactive
threshold T from the package's calibration) on NEST's counts vs the package's.

Each comparison is a pair ``PACKAGE_DT:NEST_RESOLUTION`` (ms). The network is trained at 0.5 ms; a package step
of 0.1 ms queries the same network re-stepped (``ModularSNN.with_dt``: same weights, thresholds and delays in
ms), and NEST gets the input spikes drawn at that step::

    PYNEST_QUIET=1 python packages/snn-vpr/benchmarks/nest_compare.py --pairs 0.5:0.5 0.5:0.1 0.1:0.1 \
        --json out.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from snn_vpr import DiehlCookParams, ModularSNN, metrics, synthetic_traverses
from snn_vpr.preprocess import process_images
from snn_vpr.pynn import export_module, query_spike_times, run_pynn
from snn_vpr.reproduce import Settings

os.environ.setdefault("PYNEST_QUIET", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=None, help="a network saved with ModularSNN.save")
    ap.add_argument("--save-model", type=Path, default=None, help="save the trained network here")
    ap.add_argument(
        "--pairs", nargs="+", default=["0.5:0.5"], help="PACKAGE_DT:NEST_RESOLUTION comparisons (ms)"
    )
    ap.add_argument("--seed", type=int, default=2024, help="seed of the query input spikes")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    st = Settings.quick()
    data = synthetic_traverses(st.n_places, 64, seed=st.data_seed)
    ref, qry, cal = data.select("ref_a", "ref_b"), data.select("query"), data.select("calibration")
    if a.model is not None:
        net = ModularSNN.load(a.model)
    else:
        net = ModularSNN(
            st.region_size, st.n_e, st.epochs, DiehlCookParams(t_present=st.t_present), seed=st.net_seed
        )
        net.fit(process_images(ref.images), ref.place_id)
        net.calibrate_hyperactive(process_images(cal.images), cal.place_id)
        if a.save_model is not None:
            net.save(a.save_model)
    Q = process_images(qry.images)
    gt = net.place_index(qry.place_id)
    T = net.threshold_
    out: dict[str, Any] = {
        "network": f"{len(net.regions_)} modules x {st.region_size} places x {net.n_e} neurons, {st.t_present:g} ms",
        "queries": int(Q.shape[0]),
        "hyperactive_T": int(T),
        "input_seed": a.seed,
        "comparisons": {},
    }
    n_e = net.n_e
    for pair in a.pairs:
        pdt, h = (float(v) for v in pair.split(":"))
        qnet = net if pdt == net.params.dt else net.with_dt(pdt)
        package = qnet.respond(Q, seed=a.seed).counts.T  # [Q, M * n_e]
        t0 = time.perf_counter()
        cols = []
        for m in range(len(net.regions_)):
            ex = export_module(qnet, m)
            cols.append(run_pynn(ex, query_spike_times(qnet, Q, a.seed, module=m), "nest", resolution_ms=h))
        nest = np.concatenate(cols, axis=1)
        s_nest, s_pkg = net.scores_from_responses(nest, T), net.scores_from_responses(package, T)
        per_module = []
        for m in range(len(net.regions_)):
            sl = slice(m * n_e, (m + 1) * n_e)
            per_module.append(
                {
                    "equal_counts": round(float(np.mean(nest[:, sl] == package[:, sl])), 4),
                    "pearson_r": round(
                        float(np.corrcoef(nest[:, sl].ravel(), package[:, sl].ravel())[0, 1]), 4
                    ),
                }
            )
        out["comparisons"][f"package dt {pdt:g} ms vs NEST {h:g} ms"] = {
            "nest_wall_s": round(time.perf_counter() - t0, 1),
            "package_spikes_per_neuron_image": round(float(package.mean()), 4),
            "nest_spikes_per_neuron_image": round(float(nest.mean()), 4),
            "equal_counts": round(float(np.mean(nest == package)), 4),
            "within_one_spike": round(float(np.mean(np.abs(nest - package) <= 1)), 4),
            "mean_abs_diff": round(float(np.mean(np.abs(nest - package))), 4),
            "pearson_r": round(float(np.corrcoef(nest.ravel(), package.ravel())[0, 1]), 4),
            "per_module": per_module,
            "package_R@1": metrics.recall_at_n(s_pkg, gt, ns=(1,))[1],
            "nest_R@1": metrics.recall_at_n(s_nest, gt, ns=(1,))[1],
            "package_R@1_T0": metrics.recall_at_n(net.scores_from_responses(package, 0), gt, ns=(1,))[1],
            "nest_R@1_T0": metrics.recall_at_n(net.scores_from_responses(nest, 0), gt, ns=(1,))[1],
            "same_answer": round(float(np.mean(s_nest.argmax(1) == s_pkg.argmax(1))), 4),
        }
        print(json.dumps(out, indent=2), flush=True)
    if a.json is not None:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = a.json.with_suffix(a.json.suffix + ".tmp")
        tmp.write_text(json.dumps(out, indent=2) + "\n")
        tmp.replace(a.json)


if __name__ == "__main__":
    main()
