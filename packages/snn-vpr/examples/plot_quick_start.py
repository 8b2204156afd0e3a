"""
Quick start: a modular spiking network recognises places
========================================================

Generate synthetic traverses (a reference traverse twice, a query traverse with changed appearance), train a
small modular network (one Diehl & Cook module per region of places), choose the hyperactive-neuron threshold on
a calibration traverse, and rank the places for every query. A small configuration so that it runs in seconds,
which is also its limit: after 3 epochs (24 presentations per module) the modules are still in their warm-up
(the adaptive thresholds must first grow by about 20 mV, some 200 presentations per module, before neurons
become place-selective), so recall here stays near chance. The paper trains 60 epochs; ``snn-vpr reproduce
--full`` shows the learning curve (README, "Reproduction").
"""

# %%
# Synthetic traverses: 8 places; images are 64 x 64 textures, processed to 28 x 28 patch-normalised uint8.
import torch
from matplotlib.figure import Figure

from snn_vpr import DiehlCookParams, ModularSNN, synthetic_traverses
from snn_vpr.metrics import distance_matrix, recall_at_n
from snn_vpr.preprocess import process_images

torch.set_num_threads(1)
data = synthetic_traverses(8, 64, seed=7)
ref, qry, cal = data.select("ref_a", "ref_b"), data.select("query"), data.select("calibration")
X, Q, C = process_images(ref.images), process_images(qry.images), process_images(cal.images)

# %%
# Two modules of 4 places, 40 excitatory neurons each, 100 ms presentations, 3 epochs.
net = ModularSNN(region_size=4, n_e=40, epochs=3, params=DiehlCookParams(t_present=100.0), seed=3)
net.fit(X, ref.place_id)
T = net.calibrate_hyperactive(C, cal.place_id)
scores = net.predict_scores(Q)  # queries x places, higher = better match
gt = net.place_index(qry.place_id)
print(f"hyperactive threshold T = {T}; Recall@N:", recall_at_n(scores, gt, ns=(1, 2, 4)))

# %%
# The distance matrix: the diagonal is the ground truth.
fig = Figure(figsize=(4, 4))
ax = fig.subplots()
ax.imshow(distance_matrix(scores), cmap="viridis")
ax.set_xlabel("reference place")
ax.set_ylabel("query")
fig  # noqa: B018  (sphinx-gallery shows the last expression)
