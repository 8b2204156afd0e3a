"""
Quick start: a homeostatic learner under concept shift
======================================================

Train the three learners of Man, Damasio & Neven (2022) on sklearn's 8x8 digits while two class labels are
swapped twice per epoch: a constant learning rate (LRC), a randomly regulated one (LRR) and the homeostatic
learner (LRH), whose learning rate is a vulnerable internal state it protects by look-ahead. Ten epochs keep this
example fast; the paper's protocol is 30 (``homeonet reproduce``).
"""

# %%
# One seeded run per learner; each returns per-epoch online (prequential) and validation accuracy, and the
# learning-rate trace.
from homeonet import run
from homeonet.plots import learning_curves

runs = {
    mode: run(mode=mode, swaps_per_epoch=2, epochs=10, eta0=0.05, seed=0) for mode in ("lrc", "lrr", "lrh")
}
for mode, out in runs.items():
    print(
        f"{mode}: online accuracy {out['online_acc'][-3:].mean():.3f}, final eta {out['eta_trace'][-1]:.4f}"
    )

# %%
# Accuracy and eta over time (the same figure ``homeonet reproduce`` saves).
fig = learning_curves(runs, "digits, eta0 = 0.05, 2 swaps/epoch, seed 0")
