"""The editing application (paper, Sec. 6): find units whose descriptions mention text and ablate them.

A target CNN is trained on shapes-world images whose glyph strip names the label in most training images (a
spurious text cue); MILAN describes its ``conv3`` units; the units described as text are ablated and the accuracy
on test images whose glyph names a wrong class is compared with ablating as many random units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from milan.data import TEXT_WORDS, shapes_world
from milan.decoding import Milan
from milan.exemplars import ablate_units, compute_exemplars, label_units_by_iou
from milan.model import TargetCNN
from milan.train import train_classifier
from neurotypes.validation import check_array, check_bool, check_int, check_probability, check_rng

__all__ = ["accuracy", "editing_experiment", "mentions_text"]


@torch.no_grad()
def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, batch_size: int = 512) -> float:
    """Top-1 accuracy of ``model`` on ``images`` [N, C, H, W] with class ``labels`` [N].

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 2))
    >>> 0.0 <= accuracy(net, np.zeros((4, 3, 1, 1)), np.array([0, 1, 0, 1])) <= 1.0
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x = torch.from_numpy(check_array("images", images, ndim=4, min_size=1).astype(np.float32))
    y = check_array("labels", labels, ndim=1, dtype="int", nonnegative=True)
    if len(y) != len(x):
        raise ValueError(f"images and labels must have the same length, got {len(x)} and {len(y)}")
    batch_size = check_int("batch_size", batch_size, minimum=1)
    was = model.training
    model.eval()
    try:
        pred = torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was)
    return float((pred.numpy() == y).mean())


def mentions_text(description: str) -> bool:
    """Whether a description names text (one of :data:`milan.data.TEXT_WORDS`)."""
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    return bool(TEXT_WORDS & set(description.lower().split()))


def editing_experiment(
    milan: Milan,
    seed: int = 0,
    n_train: int = 1500,
    n_test: int = 600,
    epochs: int = 4,
    random_draws: int = 10,
    glyph_label_prob: float = 0.9,
    progress: bool = False,
    device: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Train a target CNN with a spurious text cue, describe its ``conv3`` units, ablate the text units.

    Parameters
    ----------
    milan : Milan
        A trained describer with an encoder.
    seed : int
        Seed of the target CNN, its data and the random ablations.
    n_train, n_test : int
        Training images (every one carries the glyph) and test images (every glyph names a wrong class).
    epochs : int
        Training epochs of the target CNN.
    random_draws : int
        Random ablations of as many units as there are text units (their mean accuracy is the control).
    glyph_label_prob : float
        Probability that a training glyph names the true class.
    progress : bool
    device : str or torch.device

    Returns
    -------
    dict
        ``text_units``, ``n_units``, ``descriptions``, the accuracies (``acc_unablated``, ``acc_text_ablated``,
        ``acc_random_ablated``), ``gain_points`` (text minus random, in points), ``iou_labels`` (NetDissect-style
        labels of the described units on the probe world).
    """
    if not isinstance(milan, Milan):
        raise TypeError(f"milan must be a milan.Milan, got {type(milan).__name__}")
    seed = check_int("seed", seed, minimum=0)
    n_train = check_int("n_train", n_train, minimum=16)
    n_test = check_int("n_test", n_test, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1)
    random_draws = check_int("random_draws", random_draws, minimum=1)
    glyph_label_prob = check_probability("glyph_label_prob", glyph_label_prob)
    progress = check_bool("progress", progress)
    rng = check_rng(seed)
    tr = shapes_world(
        n_train, seed=1000 + seed, glyph_prob=1.0, glyph_label_prob=glyph_label_prob, stripe_prob=0.15
    )
    te = shapes_world(n_test, seed=2000 + seed, glyph_prob=1.0, glyph_label_prob=0.0, stripe_prob=0.15)
    probe = shapes_world(1000, seed=3000 + seed, glyph_prob=0.15, stripe_prob=0.15)
    torch.manual_seed(seed)
    net = TargetCNN()
    train_classifier(net, tr.images, tr.labels, epochs=epochs, seed=seed, progress=progress, device=device)
    layer = "features.relu3"
    ex = compute_exemplars(net, layer, probe.images, k=15, quantile=0.99)
    desc = milan.describe(ex)
    text_units = [u for u, t in zip(desc.units, desc.texts, strict=True) if mentions_text(t)]
    base = accuracy(net, te.images, te.labels)
    with ablate_units(net, layer, text_units):
        acc_text = accuracy(net, te.images, te.labels)
    accs = []
    for _ in range(random_draws):
        units = rng.choice(ex.n_units, size=len(text_units), replace=False).tolist()
        with ablate_units(net, layer, units):
            accs.append(accuracy(net, te.images, te.labels))
    acc_rand = float(np.mean(accs))
    return {
        "seed": seed,
        "text_units": text_units,
        "n_units": ex.n_units,
        "descriptions": list(desc.texts),
        "acc_unablated": base,
        "acc_text_ablated": acc_text,
        "acc_random_ablated": acc_rand,
        "gain_points": 100.0 * (acc_text - acc_rand),
        "iou_labels": label_units_by_iou(ex, probe),
    }
