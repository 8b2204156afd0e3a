"""
Quick start: prune an MLP with and without AP and watch its dynamic dead neuron rate
====================================================================================

Iterative magnitude pruning (IMP, 20% of the remaining weights per round, rewinding to the initial weights)
of a small ReLU network on scikit-learn's digits, once with the plain base pruner and once with
Activate-while-Pruning (AP: 2% of each round's budget spent on the stable negative weights). A
:class:`~ap_prune.DNRTracker` measures the dynamic dead neuron rate (DNR) during every round's training.
"""

# %%
# Data and the two paired runs (same initial weights, same data order).
import torch

from ap_prune import ActivateWhilePruning, BaselinePruner, DNRTracker, imp_cycle
from ap_prune.data import digits
from ap_prune.models import MLP
from ap_prune.plots import plot_runs
from ap_prune.reproduce import RunResult
from ap_prune.train import make_train_fn

torch.set_num_threads(1)
split = digits()
runs = []
for label, pruner in (("IMP", BaselinePruner(p=0.2)), ("IMP+AP", ActivateWhilePruning(p=0.2, p_ap=0.02))):
    model = MLP((64, 128, 128, 10), seed=0)
    tracker = DNRTracker(model)  # forward hooks on every nn.ReLU, training passes only
    train_fn = make_train_fn(split, epochs=2, seed=0, tracker=tracker)
    history = imp_cycle(model, train_fn, rounds=4, pruner=pruner, tracker=tracker, unit_map=model.unit_map())
    runs.append(RunResult.from_history(label, 0, history, 0.0))
    for h in history:
        print(
            f"{label:7s} density {h.density:.3f}  DNR {h.dnr:.3f}  test accuracy {h.metrics['test_acc']:.3f}"
        )

# %%
# DNR and accuracy against density (5 short rounds only: the reproduction runs 8 x 10 and 16 x 20).
fig = plot_runs(runs, "IMP vs IMP+AP on digits (4 rounds x 2 epochs)")
