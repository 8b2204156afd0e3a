"""
Quick start
===========

Describe the units of a vision model in words. MILAN finds each unit's top-activating images (its *exemplars*,
with masks where the unit fires) and decodes the description ``d`` that maximises
``log p(d | exemplars) - 0.2 log p(d)``.

Everything here runs on the package's self-contained *shapes world* (coloured shapes, text-like glyphs and
stripes) in a few seconds on one CPU core.
"""

# %%
# The describer that ships with the package: an exemplar encoder, a captioner p(d|E) and a language model p(d),
# trained on planted concept units of the shapes world, each annotated by three simulated annotators
# (``milan-neurons fit`` or :func:`milan.train_shapes_milan` train one).
import torch

from milan import Milan, TargetCNN, compute_exemplars, shapes_world, train_classifier
from milan.plots import plot_exemplars

torch.manual_seed(0)
describer = Milan.pretrained()

# %%
# The model to explain: a small CNN trained to name the shape of the large object (two epochs). Any
# ``torch.nn.Module`` works; units are the channels of a layer named as in ``model.named_modules()``.
world = shapes_world(800, seed=1, glyph_prob=0.3)
net = train_classifier(TargetCNN(), world.images, world.labels, epochs=2, seed=1)

# %%
# Exemplars of every unit of ``features.relu3`` (top 15 probe images, masks above the 0.99 activation quantile),
# then one description per unit.
probe = shapes_world(500, seed=2, glyph_prob=0.15)
exemplars = compute_exemplars(net, "features.relu3", probe.images, k=15, quantile=0.99)
descriptions = describer.describe(exemplars)
for unit, text in list(zip(descriptions.units, descriptions.texts, strict=True))[:12]:
    print(f"unit {unit:2d}: {text}")

# %%
# The exemplars of one unit, with the regions where it fires outlined.
unit = 0
fig = plot_exemplars(
    exemplars.images[unit], exemplars.masks[unit], f"unit {unit}: {descriptions.texts[unit]}"
)
