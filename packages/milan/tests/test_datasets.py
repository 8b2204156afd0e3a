import numpy as np
import pytest

from milan.datasets import CONCEPTS, TEMPLATES, concept_masks, shapes_world
from milan.exemplars import exemplars_from_activations
from milan.pipeline import annotate, attributes, label_units_by_iou, planted_activations


def test_shapes_world_ground_truth_is_consistent():
    w = shapes_world(50, seed=3, glyph_prob=0.5, glyph_label_prob=0.0)
    assert w.images.shape == (50, 3, 32, 32) and w.images.min() >= 0 and w.images.max() <= 1
    assert (w.labels == w.shape[:, 0]).all() and (w.shape[:, 0] >= 0).all()
    has = w.glyph >= 0
    assert (w.glyph[has] != w.labels[has]).all()  # glyph_label_prob=0: always conflicting text
    assert (w.glyph_mask.any(axis=(1, 2)) == has).all()
    red = concept_masks(w, "red")
    red_pixels = np.all(np.abs(w.images.transpose(0, 2, 3, 1) - [0.9, 0.1, 0.1]) < 0.1, axis=-1)
    assert (red_pixels[red]).mean() > 0.95  # red mask pixels are red
    union = concept_masks(w, "objects")
    assert (concept_masks(w, "red circle") <= red).all() and (red <= union).all()
    assert ((concept_masks(w, "left") | concept_masks(w, "right")) == union).all()
    assert set(TEMPLATES) == set(CONCEPTS) and all(2 <= len(t) <= 3 for t in TEMPLATES.values())
    assert attributes(w).shape == (50, 10)


def test_planted_units_are_labelled_by_iou_with_their_concept():
    w = shapes_world(300, seed=4, glyph_prob=0.1)
    concepts = ["text", "stripes", "red"]
    ex = exemplars_from_activations(planted_activations(w, concepts), image_size=(32, 32), k=10)
    labels = label_units_by_iou(ex, w)
    assert [lab for lab, _ in labels][:2] == ["text", "stripes"]
    rng = np.random.default_rng(0)
    assert all(d in (*TEMPLATES["red"], "objects") for d in annotate("red", rng, n=20))


def test_bad_input():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        shapes_world(0)
    with pytest.raises(ValueError, match="size must be an integer >= 16"):
        shapes_world(3, size=8)
    with pytest.raises(ValueError, match="glyph_prob must lie in"):
        shapes_world(3, glyph_prob=2.0)
    with pytest.raises(ValueError, match="concept must be one of"):
        concept_masks(shapes_world(2), "purple")
