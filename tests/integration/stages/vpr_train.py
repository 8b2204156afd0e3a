"""snn-vpr stage: train one compact Diehl & Cook module the way snn-vpr's own quick reproduction trains each
module (n_e = 100, 5 epochs, 350-ms presentations; here one module of 10 places), save it in the package's safe
format, and hand its spikes on as neurotypes files:

- enc_ref_<i>.npz / enc_query_<i>.npz: the module's output SpikeTrains for DRAWS presentations of each reference
  (ref_a, ref_b) and query image, labels in labels.json;
- code_<p>.npz: each place's code, the A most active neurons over its reference images (neurotypes.SDR);
- view_<q>.npz: each query's partial view, its F most active neurons (neurotypes.SDR);
reports the module's own R@1 on the query traverse (neuron-assignment readout).

usage: vpr_train.py OUT_DIR PLACES DRAWS A F SEED
"""

import json
import sys
from pathlib import Path

import numpy as np
from _stage import report

import neurotypes as nt
from snn_vpr import DiehlCookParams, ModularSNN, synthetic_traverses
from snn_vpr.metrics import recall_at_n
from snn_vpr.preprocess import process_images

out, places, draws, a, f, seed = Path(sys.argv[1]), *map(int, sys.argv[2:7])
out.mkdir(parents=True, exist_ok=True)
data = synthetic_traverses(places, 64, seed=seed)
ref, query = data.select("ref_a", "ref_b"), data.select("query")
x_ref, x_q = process_images(ref.images), process_images(query.images)
net = ModularSNN(places, 100, 5, DiehlCookParams(t_present=350.0), seed=seed).fit(x_ref, ref.place_id)
net.save(out / "module.npz")
net = ModularSNN.load(out / "module.npz")  # what follows uses the saved module
responses = net.respond(x_q, seed=1000 + seed).counts.T  # [queries, n_e]
r1 = recall_at_n(net.scores_from_responses(responses, 0), net.place_index(query.place_id), ns=(1,))[1]

labels: dict[str, list[int]] = {"ref": [], "query": []}
for kind, images, pids in (("ref", x_ref, ref.place_id), ("query", x_q, query.place_id)):
    i = 0
    for img, pid in zip(images, pids, strict=True):
        for _ in range(draws):
            net.respond_trains(img).save(out / f"enc_{kind}_{i:04d}.npz")
            labels[kind].append(int(pid))
            i += 1
(out / "labels.json").write_text(json.dumps(labels))


def top(counts: np.ndarray, k: int) -> np.ndarray:
    """The k most active neurons (ties broken by the lower index)."""
    return np.lexsort((np.arange(counts.size), -counts))[:k]


ref_counts = net.reference_responses_  # [reference images, n_e]
place_list = sorted(set(int(p) for p in ref.place_id))
for p in place_list:
    summed = ref_counts[np.asarray(ref.place_id) == p].sum(axis=0)
    nt.SDR(net.n_e, top(summed, a)).save(out / f"code_{p:03d}.npz")
for q, (resp, pid) in enumerate(zip(responses, query.place_id, strict=True)):
    nt.SDR(net.n_e, top(resp, f)).save(out / f"view_{q:03d}_place{int(pid):03d}.npz")
report(r1=float(r1), places=place_list, n_e=int(net.n_e))
