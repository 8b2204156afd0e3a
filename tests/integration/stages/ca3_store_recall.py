"""ca3-cam stage: store pattern_<i>.npz under cue i in the spiking CA3 memory, recall from each fragment_<i>.npz.

Each query runs on a copy of the memory taken right after learning (STDP stays on during recall, so a recall that
fires several cues would change what later queries see). The oracle (IdealCAM) answers the same queries.

usage: ca3_store_recall.py IN_DIR OUT_JSON
"""

import copy
import json
import sys
from pathlib import Path

from _stage import report

import neurotypes as nt
from ca3_cam import CA3CAM, IdealCAM

folder, out = Path(sys.argv[1]), Path(sys.argv[2])
patterns = [nt.SDR.load(p) for p in sorted(folder.glob("pattern_*.npz"))]
fragments = [nt.SDR.load(p) for p in sorted(folder.glob("fragment_*.npz"))]
n_content = patterns[0].n
cam, ideal = CA3CAM(len(patterns), n_content), IdealCAM(len(patterns), n_content)
for cue, pattern in enumerate(patterns):
    cam.learn(cue, pattern)
    ideal.learn(cue, set(pattern.active.tolist()))
recalled, oracle = [], []
for fragment in fragments:
    recalled.append(sorted(copy.deepcopy(cam).recall_by_content(fragment)))
    oracle.append(sorted(ideal.recall_by_content(set(fragment.active.tolist()))))
out.write_text(json.dumps({"recalled": recalled, "oracle": oracle}))
report(queries=len(fragments))
