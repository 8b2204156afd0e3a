"""
Use it on your own data: folders of images in, a network file and spike counts out
===================================================================================

A traverse is a folder of images (PNG, JPEG, ...), one per frame, sorted by file name; frame ``k`` of every
traverse shows the same place (as in Nordland). Here two reference traverses and a query traverse are written as
PNG files first (stand-ins for your camera frames), read back with :func:`snn_vpr.load_traverses`, used to train
a network that is saved as a safe ``.npz`` file (arrays and JSON metadata, no pickle), read back, and asked for
the best match of every query image. The responses are saved as a neurotypes ``SpikeCounts`` file and one
module's spikes during one query as an NWB Units table (when pynwb is installed).

The same from a shell::

    snn-vpr fit spring/ fall/ --calibration autumn/ --region-size 25 --out net.npz
    snn-vpr run net.npz summer/ --aligned --out matches.csv --responses counts.npz
"""

# %%
# Your traverses: one folder of images each (here written from synthetic frames).
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from neurotypes import SpikeCounts
from snn_vpr import DiehlCookParams, ModularSNN, load_traverses, synthetic_traverses
from snn_vpr.metrics import recall_at_n
from snn_vpr.preprocess import process_images

torch.set_num_threads(1)
root = Path(tempfile.mkdtemp())
frames = synthetic_traverses(6, 64, seed=1)
for name, t in (("spring", "ref_a"), ("fall", "ref_b"), ("summer", "query")):
    (root / name).mkdir()
    for k, im in enumerate(frames.select(t).images):
        Image.fromarray((np.clip(im, 0, 1) * 255).astype(np.uint8)).save(root / name / f"frame_{k:05d}.png")
print(sorted(p.name for p in (root / "summer").iterdir()))

# %%
# Read the folders (every 8th frame for Nordland: ``skip=8``; a VPRSNN name list: ``frames=read_name_list(...)``).
ref = load_traverses([root / "spring", root / "fall"])
qry = load_traverses([root / "summer"])
print(ref.images.shape, np.unique(ref.traverse))

# %%
# Train, save as a safe network file, read it back.
net = ModularSNN(region_size=3, n_e=30, epochs=3, params=DiehlCookParams(t_present=100.0), seed=0)
net.fit(process_images(ref.images), ref.place_id)
net.save(root / "net.npz")
net = ModularSNN.load(root / "net.npz")

# %%
# Answer the queries: spike counts (units x queries) and place scores; the frames are aligned, so query k is
# place k and Recall@N can be measured.
counts = net.respond(process_images(qry.images), seed=0)
scores = net.scores_from_responses(counts.counts.T)
print("best match of each query:", net.places_[scores.argmax(axis=1)])
print("Recall@N:", recall_at_n(scores, net.place_index(qry.place_id), ns=(1, 3)))
counts.save(root / "counts.npz")
print(SpikeCounts.load(root / "counts.npz").counts.shape)

# %%
# One module's spikes during the first query, as an NWB Units table (needs ``pip install 'neurotypes[nwb]'``).
trains = net.respond_trains(process_images(qry.images)[0], module=0)
try:
    path = trains.to_nwb(root / "query0_module0.nwb", description="snn-vpr module 0, query 0")
    print("wrote", path.name, trains.n_units, "units")
except ImportError:
    print("pynwb not installed: spike trains kept as", trains.save(root / "query0_module0.npz").name)
