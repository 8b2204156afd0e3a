"""ca3-cam stage: store each place's code (code_<p>.npz, neurotypes.SDR) under its place in the spiking CA3
memory; recall from (a) F-bit fragments of the stored codes (drawn with SEED) and (b) the query views
(view_<q>_place<p>.npz). Every query runs on a copy of the memory taken right after learning.

usage: ca3_places.py FOLDER F SEED OUT_JSON
"""

import copy
import json
import re
import sys
from pathlib import Path

import numpy as np
from _stage import report

import neurotypes as nt
from ca3_cam import CA3CAM, IdealCAM

folder, f, seed, out = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
codes = {int(p.stem.split("_")[1]): nt.SDR.load(p) for p in sorted(folder.glob("code_*.npz"))}
places = sorted(codes)
cue_of = {p: i for i, p in enumerate(places)}
n = codes[places[0]].n
cam, ideal = CA3CAM(len(places), n), IdealCAM(len(places), n)
for p in places:
    cam.learn(cue_of[p], codes[p])
    ideal.learn(cue_of[p], set(codes[p].active.tolist()))


def recall(bits: nt.SDR) -> list[int]:
    got = copy.deepcopy(cam).recall_by_content(bits)
    assert got == ideal.recall_by_content(set(bits.active.tolist())), "the spiking memory left the oracle"
    return sorted(places[c] for c in got)


rng = np.random.default_rng(seed)
fragments = []
for p in places:
    frag = nt.SDR(n, rng.choice(codes[p].active, size=f, replace=False))
    fragments.append({"place": p, "recalled": recall(frag)})
views = []
for v in sorted(folder.glob("view_*_place*.npz")):
    p = int(re.search(r"place(\d+)", v.stem).group(1))
    views.append({"place": p, "recalled": recall(nt.SDR.load(v))})
out.write_text(json.dumps({"fragments": fragments, "views": views}))
report(places=len(places), views=len(views))
