"""
Use it on your own data: a CSV table in, per-round results out, AP on your own network
======================================================================================

``ap-prune run`` and :func:`ap_prune.data.load_table` read a classification table: a CSV (or TSV) file with a
header, numeric feature columns and an integer label column, or an ``.npz`` with arrays ``x`` and ``y``. Here
the table is Fisher's iris measurements (bundled with scikit-learn) written to a CSV file, as a user's own
table would be. The same from a shell::

    ap-prune run iris.csv --label species --rounds 8 --epochs 20 --out rounds.csv

Then AP as a drop-in for a network of your own: any model with ``nn.Linear``/``nn.Conv`` layers and ``nn.ReLU``
modules, pruned through ``torch.nn.utils.prune``.
"""

# %%
# Write the table (stand-in for your file) and read it back: stratified 70/30 split, standardised features.
import csv
import tempfile
from pathlib import Path

import torch
from sklearn.datasets import load_iris
from torch import nn

from ap_prune import ActivateWhilePruning, DNRTracker, imp_cycle
from ap_prune.data import load_table
from ap_prune.train import make_train_fn

torch.set_num_threads(1)
folder = Path(tempfile.mkdtemp())
iris = load_iris()
table = folder / "iris.csv"
with table.open("w", newline="") as fh:
    writer = csv.writer(fh)
    writer.writerow([*(n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names), "species"])
    for row, label in zip(iris.data, iris.target, strict=True):
        writer.writerow([*row, int(label)])
split = load_table(table, label="species", seed=0)
print(split.x_train.shape, split.x_test.shape, split.n_classes)

# %%
# Your own network: AP wraps the base pruner (global magnitude by default) and needs nothing else.
model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
tracker = DNRTracker(model)
history = imp_cycle(
    model,
    make_train_fn(split, epochs=6, batch_size=16, seed=0, tracker=tracker),
    rounds=6,
    pruner=ActivateWhilePruning(p=0.2, p_ap=0.02),
    tracker=tracker,
)
out = folder / "rounds.csv"
with out.open("w", newline="") as fh:
    writer = csv.writer(fh)
    writer.writerow(["round", "density", "dnr", "test_acc"])
    for h in history:
        writer.writerow([h.round, f"{h.density:.4f}", f"{h.dnr:.4f}", f"{h.metrics['test_acc']:.4f}"])
print(out.read_text())
