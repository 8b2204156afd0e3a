"""The shapes-world pipeline: planted concept units, a MILANNOTATIONS-style set, MILAN training, editing.

(a) a small target CNN trained on the shapes task; (b) its exemplars; (c) an annotation set of *planted*
concept-detector units (activation = the concept's ground-truth mask, average-pooled, with a random gain and
noise), each labelled with 3 templated descriptions of its concept, where each annotator writes the generic
"objects" with probability ``p_generic`` (so p(d) has a strong generic mode); units of other CNNs are labelled
NetDissect-style by IoU (:func:`label_units_by_iou`); (d) a backbone trained from scratch on shapes attributes,
the captioner and the LM; (e) PMI decoding.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from milan.datasets import (
    CONCEPTS,
    GENERIC,
    TEMPLATES,
    ShapesWorld,
    concept_masks,
    shapes_world,
)
from milan.decoding import Milan
from milan.exemplars import Exemplars, ablate_units, compute_exemplars, exemplars_from_activations
from milan.models import MaskedPyramidEncoder, ShapesBackbone, Vocabulary
from milan.train import train_captioner, train_classifier, train_language_model

__all__ = [
    "TEXT_WORDS",
    "AnnotationSet",
    "ShapesMilan",
    "TargetCNN",
    "accuracy",
    "annotate",
    "attributes",
    "build_annotations",
    "editing_experiment",
    "label_units_by_iou",
    "planted_activations",
    "train_shapes_milan",
]

log = logging.getLogger(__name__)
TEXT_WORDS = frozenset({"text", "letters", "letter", "word", "words"})


def attributes(world: ShapesWorld) -> np.ndarray:
    """Multi-label attribute targets [n, 10]: colour present (4), shape present (4), glyph, stripes."""
    out = np.zeros((len(world), 10), dtype=np.float32)
    for c in range(4):
        out[:, c] = (world.color == c).any(axis=1)
        out[:, 4 + c] = (world.shape == c).any(axis=1)
    out[:, 8] = world.glyph >= 0
    out[:, 9] = world.stripe_mask.any(axis=(1, 2))
    return out


class TargetCNN(nn.Module):
    """The small target CNN of the shapes task (3 conv layers, 16-32 channels, global average pool)."""

    def __init__(self, width: int = 32, n_classes: int = 4) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(3, width // 2, 3, padding=1),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(width // 2, width, 3, padding=1),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2),
                conv3=nn.Conv2d(width, width, 3, padding=1),
                relu3=nn.ReLU(),
            )
        )
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(self.features(x).mean(dim=(2, 3)))
        return out


@torch.no_grad()
def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, batch_size: int = 512) -> float:
    """Top-1 accuracy of ``model`` on ``images`` [N, C, H, W]."""
    model.eval()
    x = torch.as_tensor(images).float()
    pred = torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    return float((pred.numpy() == np.asarray(labels)).mean())


def planted_activations(
    world: ShapesWorld, concepts: Sequence[str], seed: int = 0, pool: int = 2, noise: float = 0.05
) -> np.ndarray:
    """Activation maps [n, units, size/pool, size/pool] of planted detectors, one unit per entry of ``concepts``.

    A planted unit's map is its concept's ground-truth mask, average-pooled by ``pool``, times a per-object
    random gain in [0.6, 1] (per image), plus half-normal noise of scale ``noise``.
    """
    rng = np.random.default_rng(seed)
    n, s = len(world), world.size // pool
    out = np.empty((n, len(concepts), s, s), dtype=np.float32)
    cache: dict[str, np.ndarray] = {}
    for u, c in enumerate(concepts):
        if c not in cache:
            m = torch.as_tensor(concept_masks(world, c)[:, None].astype(np.float32))
            cache[c] = F.avg_pool2d(m, pool)[:, 0].numpy()
        gain = rng.uniform(0.6, 1.0, size=(n, 1, 1)).astype(np.float32)
        out[:, u] = cache[c] * gain + noise * np.abs(rng.standard_normal((n, s, s))).astype(np.float32)
    return out


def annotate(concept: str, rng: np.random.Generator, n: int = 3, p_generic: float = 0.35) -> list[str]:
    """``n`` templated descriptions of ``concept``; each is the generic phrase with probability ``p_generic``."""
    out = []
    for _ in range(n):
        if concept != GENERIC and rng.random() < p_generic:
            out.append(TEMPLATES[GENERIC][0])
        else:
            out.append(TEMPLATES[concept][int(rng.integers(len(TEMPLATES[concept])))])
    return out


def label_units_by_iou(
    exemplars: Exemplars, world: ShapesWorld, concepts: Sequence[str] = CONCEPTS, min_iou: float = 0.2
) -> list[tuple[str | None, float]]:
    """NetDissect-style label per unit: the concept whose GT masks best overlap the exemplar masks (pooled IoU).

    Returns ``(concept or None if the best IoU < min_iou, best IoU)`` per unit.
    """
    gts = {c: concept_masks(world, c) for c in concepts}
    out: list[tuple[str | None, float]] = []
    for u in range(exemplars.n_units):
        m = exemplars.masks[u]
        best, best_iou = None, 0.0
        for c in concepts:
            g = gts[c][exemplars.indices[u]]
            union = (g | m).sum()
            iou = float((g & m).sum() / union) if union else 0.0
            if iou > best_iou:
                best, best_iou = c, iou
        out.append((best if best_iou >= min_iou else None, best_iou))
    return out


@dataclass
class AnnotationSet:
    """Planted units: their exemplars, concepts and 3 descriptions each."""

    exemplars: Exemplars
    concepts: list[str]
    descriptions: list[list[str]]


def build_annotations(
    world: ShapesWorld, units_per_concept: int, seed: int = 0, k: int = 15, p_generic: float = 0.35
) -> AnnotationSet:
    """Planted units (``units_per_concept`` per concept in :data:`CONCEPTS`) with exemplars and annotations."""
    rng = np.random.default_rng(seed)
    concepts = [c for c in CONCEPTS for _ in range(units_per_concept)]
    parts = []
    for j, c in enumerate(CONCEPTS):  # one concept at a time bounds memory
        acts = planted_activations(world, [c] * units_per_concept, seed=seed * 1000 + j)
        parts.append(exemplars_from_activations(acts, world.images, k=k, quantile=0.99, layer="planted"))
    ex = Exemplars(
        layer="planted",
        indices=np.concatenate([p.indices for p in parts]),
        activations=np.concatenate([p.activations for p in parts]),
        thresholds=np.concatenate([p.thresholds for p in parts]),
        maps=np.concatenate([p.maps for p in parts]),
        masks=np.concatenate([p.masks for p in parts]),
        images=np.concatenate([p.images for p in parts if p.images is not None]),
    )
    return AnnotationSet(ex, concepts, [annotate(c, rng, p_generic=p_generic) for c in concepts])


@dataclass
class ShapesMilan:
    """A MILAN trained on the shapes world plus the pieces needed to evaluate it."""

    milan: Milan
    encoder: MaskedPyramidEncoder
    vocab: Vocabulary
    train: AnnotationSet
    test: AnnotationSet
    info: dict[str, float] = field(default_factory=dict)


def train_shapes_milan(
    n_images: int = 1500,
    units_per_concept: int = 6,
    seed: int = 0,
    *,
    backbone_epochs: int = 3,
    captioner_epochs: int = 60,
    min_epochs: int = 30,
    lm_epochs: int = 15,
    p_generic: float = 0.35,
    progress: bool = False,
) -> ShapesMilan:
    """Steps (c)-(e) on the shapes world: returns a trained :class:`ShapesMilan` (lam 0.2, beam 50, rerank).

    The held-out ``test`` set holds new planted units (2 per concept) on a fresh probe set.
    """
    torch.manual_seed(seed)
    world = shapes_world(n_images, seed=seed, glyph_prob=0.15, stripe_prob=0.15)
    backbone = ShapesBackbone(n_outputs=10, width=16)
    train_classifier(
        backbone,
        world.images,
        attributes(world),
        multilabel=True,
        epochs=backbone_epochs,
        seed=seed,
        progress=progress,
    )
    encoder = MaskedPyramidEncoder(backbone, ["stem", "stage1", "stage2", "stage3"])
    train = build_annotations(world, units_per_concept, seed=seed + 1, p_generic=p_generic)
    probe = shapes_world(max(n_images // 2, 100), seed=seed + 100, glyph_prob=0.15, stripe_prob=0.15)
    test = build_annotations(probe, 2, seed=seed + 2, p_generic=p_generic)
    texts = [d for ds in train.descriptions for d in ds]
    vocab = Vocabulary.from_texts([*texts, *(t for ts in TEMPLATES.values() for t in ts)])
    assert train.exemplars.images is not None
    encoder.fit_normalization(encoder.encode_exemplars(train.exemplars.images, train.exemplars.masks))
    feats = encoder.encode_exemplars(train.exemplars.images, train.exemplars.masks)
    cap = train_captioner(
        feats,
        train.descriptions,
        vocab,
        epochs=captioner_epochs,
        min_epochs=min_epochs,
        seed=seed,
        progress=progress,
    )
    lm = train_language_model(texts, vocab, epochs=lm_epochs, seed=seed, progress=progress)
    milan = Milan(cap, lm, vocab, encoder=encoder, lam=0.2, beam=50, strategy="rerank")
    return ShapesMilan(milan, encoder, vocab, train, test)


def editing_experiment(
    sm: ShapesMilan,
    seed: int = 0,
    n_train: int = 1500,
    n_test: int = 600,
    epochs: int = 4,
    random_draws: int = 10,
    progress: bool = False,
) -> dict[str, object]:
    """Train a target CNN where the glyph names the label in 90% of training images, describe its ``conv3``
    units with MILAN, ablate the units whose description mentions text, and compare with random ablations on
    test images whose glyph always names a wrong class.
    """
    rng = np.random.default_rng(seed)
    tr = shapes_world(n_train, seed=1000 + seed, glyph_prob=1.0, glyph_label_prob=0.9, stripe_prob=0.15)
    te = shapes_world(n_test, seed=2000 + seed, glyph_prob=1.0, glyph_label_prob=0.0, stripe_prob=0.15)
    probe = shapes_world(1000, seed=3000 + seed, glyph_prob=0.15, stripe_prob=0.15)
    torch.manual_seed(seed)
    net = TargetCNN()
    train_classifier(net, tr.images, tr.labels, epochs=epochs, seed=seed, progress=progress)
    layer = "features.relu3"
    ex = compute_exemplars(net, layer, probe.images, k=15, quantile=0.99)
    desc = sm.milan.describe(ex)
    text_units = [u for u, t in zip(desc.units, desc.texts, strict=True) if TEXT_WORDS & set(t.split())]
    base = accuracy(net, te.images, te.labels)
    with ablate_units(net, layer, text_units):
        acc_text = accuracy(net, te.images, te.labels)
    n_units = ex.n_units
    accs = []
    for _ in range(random_draws):
        units = rng.choice(n_units, size=len(text_units), replace=False).tolist()
        with ablate_units(net, layer, units):
            accs.append(accuracy(net, te.images, te.labels))
    acc_rand = float(np.mean(accs))
    return {
        "seed": seed,
        "text_units": text_units,
        "n_units": n_units,
        "descriptions": list(desc.texts),
        "acc_clean_train_glyph_conflict": base,
        "acc_text_ablated": acc_text,
        "acc_random_ablated": acc_rand,
        "gain_points": 100.0 * (acc_text - acc_rand),
        "iou_labels": label_units_by_iou(ex, probe),
    }
