"""
Quick start
===========

Fit the dynamic functional connectome to the embedded planted-epoch data: calcium-like traces of 30 neurons in
four animals whose communities change across three epochs ({A},{B},{C} → {A∪B},{C} → {A},{B∪C}). Each NTF
component should pick out one epoch (its temporal loading), appear in every animal (its animal loading) and carry
that epoch's communities.

The affinity is the ``corise`` stand-in: the paper's exact differential affinity could not be confirmed.
"""

# %%
# Data and fit
# ------------
import tempfile
from pathlib import Path

from dyn_connectome import DynamicConnectome, plots, synthetic

traces, planted = synthetic.planted_epochs(seed=100)
model = DynamicConnectome(window=50, rank=3, backend="wsbm", n_restarts=3, seed=0).fit(traces)

# %%
# Each component: when, in whom, which communities
# -------------------------------------------------
for c in model.components_:
    epoch = c.peak_window * 3 // len(c.time_profile)
    print(
        f"peak window {c.peak_window:2d} (epoch {epoch}), animal loading {c.worm_profile.round(2)}, "
        f"{c.partition.n_clusters} communities, ARI vs planted {c.partition.adjusted_rand_index(planted[epoch]):.2f}"
    )

# %%
# Figures
# -------
# The figure functions return matplotlib ``Figure`` objects (no pyplot): save them where you like.
folder = Path(tempfile.mkdtemp())
plots.plot_loadings(model.ntf_, epochs=3, title="temporal and animal loadings").savefig(
    folder / "loadings.png"
)
plots.plot_communities([c.affinity for c in model.components_], model.partitions()).savefig(
    folder / "communities.png"
)
print(sorted(p.name for p in folder.iterdir()))
