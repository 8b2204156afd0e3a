"""
Your own data: MNIST-format files in, NumPy curves out
======================================================

``homeonet`` reads labelled data sets in the formats this field uses: MNIST's IDX files (``*-ubyte``, gzip too)
and the reference code's CSV (label first, then the pixels), a CSV/TSV table with a header naming the label
column, or an ``.npz`` with arrays ``x`` and ``y``. Here we write a small IDX pair (the real MNIST format, as
``homeonet.write_idx`` produces it), read it back with :func:`homeonet.load_file`, train the homeostatic
learner under concept shift, and save the learning curves as an ``.npz`` that NumPy loads without pickle.
The command-line equivalent is ``homeonet run images-idx3-ubyte --labels labels-idx1-ubyte --swaps 2``.
"""

# %%
import tempfile
from pathlib import Path

import numpy as np

from homeonet import load_file, run, synthetic_templates, write_idx
from homeonet.plots import learning_curves

folder = Path(tempfile.mkdtemp())
X, y, _, _ = synthetic_templates(n=600, size=12, noise=0.8, seed=1, n_val=1)
images = np.round(X.reshape(-1, 12, 12) * 255).astype(np.uint8)
write_idx(folder / "train-images-idx3-ubyte", images)
write_idx(folder / "train-labels-idx1-ubyte", y.astype(np.uint8))

# %%
# Read the IDX pair (pixels scaled to [0, 1]) and hold out 20 % for validation.
Xtr, ytr, Xva, yva = load_file(folder / "train-images-idx3-ubyte", labels=folder / "train-labels-idx1-ubyte")
print(Xtr.shape, Xva.shape, np.bincount(ytr))

# %%
# Train LRH with one label swap per epoch and save the curves.
out = run(mode="lrh", dataset=(Xtr, ytr, Xva, yva), swaps_per_epoch=1, epochs=8, eta0=0.05, seed=0)
np.savez(folder / "curves.npz", online_acc=out["online_acc"], val_acc=out["val_acc"], eta=out["eta_trace"])
with np.load(folder / "curves.npz", allow_pickle=False) as z:
    print({k: np.round(z[k][-3:], 4).tolist() for k in ("online_acc", "val_acc")})

# %%
fig = learning_curves({"lrh": out}, "your data: 12x12 IDX images, 1 swap/epoch")
