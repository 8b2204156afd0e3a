"""The self-contained shapes world: images, ground-truth region masks and templated descriptions.

Images are RGB ``size x size`` pictures on a dark noisy background holding 1-3 objects drawn from
{circle, square, triangle, bar} x {red, green, blue, yellow} x {small, large} at random positions, an
optional white *glyph strip* (a text-like row of three 5x3 letters in the top-left corner whose letters name a
class) and an optional patch of horizontal stripes. Object 0 is always large; the classification label of an
image is the shape of object 0.

Concepts are named regions with a ground-truth mask per image (:func:`concept_masks`) and 2-3 paraphrase
templates (:data:`TEMPLATES`); the generic concept ``"objects"`` covers every object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "COLORS",
    "CONCEPTS",
    "GENERIC",
    "SHAPES",
    "TEMPLATES",
    "ShapesWorld",
    "concept_masks",
    "shapes_world",
]

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "bar")
COLORS: tuple[str, ...] = ("red", "green", "blue", "yellow")
_RGB = np.array([[0.9, 0.1, 0.1], [0.1, 0.8, 0.1], [0.15, 0.25, 0.95], [0.95, 0.9, 0.1]], dtype=np.float32)
_PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "bar": "bars"}

# 5x3 bitmaps of four "letters"; the glyph of class c is letters (c, c+1, c+2) mod 4.
_LETTERS = np.array(
    [
        [[1, 1, 1], [1, 0, 1], [1, 1, 1], [1, 0, 1], [1, 0, 1]],
        [[1, 1, 0], [1, 0, 1], [1, 1, 0], [1, 0, 1], [1, 1, 0]],
        [[1, 1, 1], [1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 1, 1]],
        [[1, 0, 1], [1, 0, 1], [1, 1, 1], [1, 0, 1], [1, 0, 1]],
    ],
    dtype=bool,
)


def _templates() -> dict[str, tuple[str, ...]]:
    t: dict[str, tuple[str, ...]] = {}
    for c in COLORS:
        t[c] = (f"{c} objects", f"{c} things", f"{c} colored shapes")
        for s in SHAPES:
            p = _PLURAL[s]
            t[f"{c} {s}"] = (f"{c} {p}", f"{p} colored {c}", f"the {c} {p}")
    for s in SHAPES:
        p = _PLURAL[s]
        t[s] = (p, f"{p} of any color", f"{s} shapes")
    t["left"] = ("objects on the left", "things on the left side", "shapes at left")
    t["right"] = ("objects on the right", "things on the right side", "shapes at right")
    t["red or green"] = ("red or green objects", "red and green things", "red or green shapes")
    t["stripes"] = ("horizontal stripes", "striped texture", "horizontal lines")
    t["text"] = ("text", "letters in the corner", "white text and letters")
    t["objects"] = ("objects", "objects", "shapes")
    return t


TEMPLATES: dict[str, tuple[str, ...]] = _templates()
"""Paraphrase templates of every concept (the generic ``"objects"`` repeats its most common phrasing)."""
CONCEPTS: tuple[str, ...] = tuple(TEMPLATES)
GENERIC = "objects"


@dataclass(frozen=True)
class ShapesWorld:
    """A batch of shapes-world images with their ground truth.

    Attributes
    ----------
    images : float32 array [n, 3, size, size] in [0, 1].
    object_masks : bool array [n, 3, size, size]; slot j is empty when image has fewer than j+1 objects.
    shape, color, large : int arrays [n, 3]; -1 (shape/color) or 0 (large) for empty slots.
    glyph : int array [n]; class named by the glyph strip, -1 when absent.
    glyph_mask, stripe_mask : bool arrays [n, size, size].
    labels : int64 array [n]; the shape of object 0 (the classification target).
    """

    images: np.ndarray
    object_masks: np.ndarray
    shape: np.ndarray
    color: np.ndarray
    large: np.ndarray
    glyph: np.ndarray
    glyph_mask: np.ndarray
    stripe_mask: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def size(self) -> int:
        """Image side in pixels."""
        return int(self.images.shape[-1])


def _shape_mask(kind: int, cy: float, cx: float, r: float, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    dy, dx = yy - cy, xx - cx
    if kind == 0:
        return dy**2 + dx**2 <= r**2
    if kind == 1:
        return (np.abs(dy) <= r * 0.85) & (np.abs(dx) <= r * 0.85)
    if kind == 2:
        # apex up: width grows linearly from the top (cy - r) to the base (cy + r)
        frac = (dy + r) / (2 * r)
        return (dy >= -r) & (dy <= r) & (np.abs(dx) <= frac * r)
    return (np.abs(dy) <= max(1.0, r * 0.3)) & (np.abs(dx) <= r * 1.1)


def shapes_world(
    n: int,
    size: int = 32,
    seed: int = 0,
    *,
    glyph_prob: float = 0.0,
    glyph_label_prob: float = 0.0,
    stripe_prob: float = 0.2,
    max_objects: int = 3,
) -> ShapesWorld:
    """Draw ``n`` shapes-world images.

    Parameters
    ----------
    n : number of images (>= 1).
    size : image side in pixels (>= 16).
    seed : random seed.
    glyph_prob : probability that an image carries the glyph strip.
    glyph_label_prob : probability that a glyph names the image's label; otherwise it names a uniformly random
        *other* class (so 0 gives conflicting text on every glyph image).
    stripe_prob : probability of a horizontal-stripe patch.
    max_objects : at most this many objects (1-3).
    """
    if not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(size, int | np.integer) or size < 16:
        raise ValueError(f"size must be an integer >= 16, got {size!r}")
    for name, p in (
        ("glyph_prob", glyph_prob),
        ("glyph_label_prob", glyph_label_prob),
        ("stripe_prob", stripe_prob),
    ):
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {p!r}")
    if max_objects not in (1, 2, 3):
        raise ValueError(f"max_objects must be 1, 2 or 3, got {max_objects!r}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    images = (0.08 + 0.04 * rng.random((n, 3, size, size))).astype(np.float32)
    omask = np.zeros((n, 3, size, size), dtype=bool)
    shape = np.full((n, 3), -1, dtype=np.int64)
    color = np.full((n, 3), -1, dtype=np.int64)
    large = np.zeros((n, 3), dtype=np.int64)
    glyph = np.full(n, -1, dtype=np.int64)
    gmask = np.zeros((n, size, size), dtype=bool)
    smask = np.zeros((n, size, size), dtype=bool)
    s = float(size) / 32.0
    for i in range(n):
        if rng.random() < stripe_prob:
            h, w = int(10 * s), int(10 * s)
            y0, x0 = int(rng.integers(int(6 * s), size - h + 1)), int(rng.integers(0, size - w + 1))
            patch = np.zeros((size, size), dtype=bool)
            patch[y0 : y0 + h, x0 : x0 + w] = True
            lines = patch & (np.arange(size)[:, None] % 3 == 0)
            images[i][:, lines] = 0.6
            smask[i] = lines
        k = int(rng.integers(1, max_objects + 1))
        for j in range(k):
            big = j == 0 or rng.random() < 0.3
            r = (rng.uniform(5.5, 7.5) if big else rng.uniform(3.0, 4.0)) * s
            cy, cx = rng.uniform(r + 6 * s, size - r), rng.uniform(r, size - r)
            kind, col = int(rng.integers(4)), int(rng.integers(4))
            m = _shape_mask(kind, cy, cx, r, yy, xx)
            for jj in range(j):  # later objects occlude earlier ones
                omask[i, jj] &= ~m
            images[i][:, m] = _RGB[col][:, None]
            smask[i] &= ~m
            omask[i, j] = m
            shape[i, j], color[i, j], large[i, j] = kind, col, int(big)
    labels = shape[:, 0].copy()
    for i in range(n):
        if rng.random() < glyph_prob:
            c = (
                int(labels[i])
                if rng.random() < glyph_label_prob
                else int((labels[i] + rng.integers(1, 4)) % 4)
            )
            glyph[i] = c
            y0, x0 = max(1, int(s)), max(1, int(s))
            for t in range(3):
                letter = _LETTERS[(c + t) % 4]
                ys, xs = np.nonzero(letter)
                gmask[i, y0 + ys, x0 + 4 * t + xs] = True
            images[i][:, gmask[i]] = 1.0
            omask[i] &= ~gmask[i]
            smask[i] &= ~gmask[i]
    images += 0.02 * rng.standard_normal(images.shape).astype(np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    return ShapesWorld(images, omask, shape, color, large, glyph, gmask, smask, labels)


def concept_masks(world: ShapesWorld, concept: str) -> np.ndarray:
    """Ground-truth region mask of ``concept`` in every image of ``world``: bool array [n, size, size]."""
    if concept not in TEMPLATES:
        raise ValueError(f"concept must be one of {sorted(TEMPLATES)}, got {concept!r}")
    if concept == "text":
        return world.glyph_mask.copy()
    if concept == "stripes":
        return world.stripe_mask.copy()
    sel = world.shape >= 0
    if concept in COLORS:
        sel = world.color == COLORS.index(concept)
    elif concept in SHAPES:
        sel = world.shape == SHAPES.index(concept)
    elif concept == "red or green":
        sel = (world.color == 0) | (world.color == 1)
    elif concept in ("left", "right"):
        half = world.size / 2
        cols = np.arange(world.size)
        out = np.zeros(world.glyph_mask.shape, dtype=bool)
        for j in range(3):
            m = world.object_masks[:, j]
            area = m.sum(axis=(1, 2))
            cx = (m.sum(axis=1) * cols).sum(axis=1) / np.maximum(area, 1)
            keep = (area > 0) & ((cx < half) if concept == "left" else (cx >= half))
            out |= m & keep[:, None, None]
        return out
    elif concept != GENERIC:
        c, s = concept.split(" ")
        sel = (world.color == COLORS.index(c)) & (world.shape == SHAPES.index(s))
    return np.asarray((world.object_masks & sel[:, :, None, None]).any(axis=1), dtype=bool)
