"""sdr-dendrites stage: draw random a-of-n SDRs and one random fragment of each; write them as neurotypes files.

usage: sdr_draw.py OUT_DIR N A COUNT FRAGMENT SEED
writes OUT_DIR/pattern_<i>.npz and OUT_DIR/fragment_<i>.npz (neurotypes.SDR)
"""

import sys
from pathlib import Path

import numpy as np
from _stage import report

import neurotypes as nt
from sdr_dendrites import random_sdr

out, n, a, count, frag, seed = Path(sys.argv[1]), *map(int, sys.argv[2:7])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(seed)
for i in range(count):
    pattern = random_sdr(n, a, rng)
    pattern.save(out / f"pattern_{i:03d}.npz")
    nt.SDR(n, rng.choice(pattern.active, size=frag, replace=False)).save(out / f"fragment_{i:03d}.npz")
report(patterns=count)
