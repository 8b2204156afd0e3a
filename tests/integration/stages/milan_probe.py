"""milan stage: draw shapes-world probe images (the images a user would show to describe units) as an .npz.

usage: milan_probe.py OUT_NPZ N SEED STRIPE_PROB
writes OUT_NPZ with 'images' float32 [N, 3, 32, 32] in [0, 1] (milan's probe-image format; no glyphs)
"""

import sys
from pathlib import Path

import numpy as np
from _stage import report

from milan import shapes_world

out, n, seed, stripe_prob = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
world = shapes_world(n, seed=seed, glyph_prob=0.0, stripe_prob=stripe_prob)
out.parent.mkdir(parents=True, exist_ok=True)
np.savez(out, images=world.images.astype(np.float32))
report(images=int(world.images.shape[0]), size=int(world.images.shape[-1]))
