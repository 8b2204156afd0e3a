"""
Quick start: score a segmentation with the FISBe metrics
========================================================

Synthetic case A holds four tube-like "neurons". Its prediction splits the first one in two, merges the
second and third through a bridge, shifts the fourth by one voxel and adds a false-positive tube. The FISBe
metrics see each of these errors: the split and the merge lower the one-to-one F1, the merge costs coverage
of one neuron, false splits (FS) and false merges (FM) count them, and the one-voxel shift costs nothing
because localisation runs on centrelines (clDice).
"""

# %%
import numpy as np
from matplotlib.figure import Figure

from fisbe_bench import evaluate, localize, synth
from fisbe_bench.plots import case_a_figure

gt, pred = synth.case_a()  # [Z, Y, X] integer labels, 0 = background
scores = evaluate(gt, pred, min_instance_size=None)  # FISBe's greedy matching on clDice
print(f"S = {scores.S:.3f}  avF1 = {scores.avF1:.3f}  C = {scores.C:.3f}  FS = {scores.fs}  FM = {scores.fm}")
print("coverage per GT neuron:", np.round(scores.gt_coverage, 3))

# %%
# The leaderboard setting (``--app flylight``) also removes predicted instances of at most 800 voxels:
# the two halves of the split neuron and the false-positive tube disappear.
flylight = evaluate(gt, pred, min_instance_size=800)
print(f"with the 800-voxel filter: {flylight.n_pred} predictions, S = {flylight.S:.3f}")

# %%
# The clDice matrix behind the matching (rows: GT neurons, columns: predictions).
cldice, clrecall, clprecision = localize.cl_matrices(gt, pred)
fig_case_a = case_a_figure(gt, pred, cldice)

# %%
# F1 at each clDice threshold; avF1 is their mean over 0.1 ... 0.9.
fig_f1 = Figure(figsize=(4.5, 3))
ax = fig_f1.subplots()
ths = [t.threshold for t in scores.per_threshold[:9]]
ax.plot(ths, [t.f1 for t in scores.per_threshold[:9]], marker="o")
ax.set_xlabel("clDice threshold")
ax.set_ylabel("F1")
fig_f1.tight_layout()

# %%
# 2-D images work the same way with ``ndim=2`` (``[Y, X]`` or ``[C, Y, X]``), thinned in 2-D.
img_gt = np.zeros((20, 40), np.uint8)
img_gt[10, 2:38] = 1
img_pred = np.zeros_like(img_gt)
img_pred[10, 2:20] = 1
print("2-D:", evaluate(img_gt, img_pred, ndim=2).gt_coverage)
