"""Default data and readers: the self-contained shapes world, planted concept units, and the user's images.

The shapes world: RGB ``size x size`` pictures on a dark noisy background holding 1-3 objects drawn from
{circle, square, triangle, bar} x {red, green, blue, yellow} x {small, large} at random positions, an optional
white *glyph strip* (a text-like row of three 5x3 letters in the top-left corner whose letters name a class) and
an optional patch of horizontal stripes. Object 0 is always large; the classification label of an image is the
shape of object 0.

Concepts are named regions with a ground-truth mask per image (:func:`concept_masks`) and 2-3 paraphrase
templates (:data:`TEMPLATES`); the generic concept ``"objects"`` covers every object. *Planted* units
(:func:`planted_activations`) are concept detectors whose activation map is the concept's mask; each is
described by three simulated annotators (:func:`annotate`), the stand-in for the MILANNOTATIONS release.

Readers of the user's data: :func:`read_images` (a folder of PNG/JPEG files, or an ``.npz`` holding an
``images`` array) and :func:`read_activations` (an ``.npz`` of a layer's activation maps).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from neurotypes.validation import (
    check_array,
    check_choice,
    check_float,
    check_int,
    check_path,
    check_probability,
    check_rng,
)

__all__ = [
    "COLORS",
    "CONCEPTS",
    "GENERIC",
    "IMAGE_SUFFIXES",
    "SHAPES",
    "TEMPLATES",
    "TEXT_WORDS",
    "ShapesWorld",
    "annotate",
    "attributes",
    "concept_masks",
    "planted_activations",
    "read_activations",
    "read_images",
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


TEXT_WORDS: frozenset[str] = frozenset({"text", "letters", "letter", "word", "words"})
"""Words that mark a description as naming text (the editing experiment ablates such units)."""


def shapes_world(
    n: int,
    size: int = 32,
    seed: int | np.random.Generator | None = 0,
    *,
    glyph_prob: float = 0.0,
    glyph_label_prob: float = 0.0,
    stripe_prob: float = 0.2,
    max_objects: int = 3,
) -> ShapesWorld:
    """Draw ``n`` shapes-world images with their ground truth.

    Parameters
    ----------
    n : int
        Number of images (>= 1).
    size : int
        Image side in pixels (>= 16).
    seed : int, numpy.random.Generator or None
        Randomness.
    glyph_prob : float
        Probability that an image carries the glyph strip.
    glyph_label_prob : float
        Probability that a glyph names the image's label; otherwise it names a uniformly random *other* class
        (so 0 gives conflicting text on every glyph image).
    stripe_prob : float
        Probability of a horizontal-stripe patch.
    max_objects : {1, 2, 3}
        At most this many objects per image.

    Returns
    -------
    ShapesWorld

    Raises
    ------
    TypeError, ValueError
        An argument of the wrong type or out of range (the message names it).

    Examples
    --------
    >>> w = shapes_world(4, seed=1)
    >>> w.images.shape, w.labels.shape
    ((4, 3, 32, 32), (4,))
    """
    n = check_int("n", n, minimum=1)
    size = check_int("size", size, minimum=16, maximum=4096)
    glyph_prob = check_probability("glyph_prob", glyph_prob)
    glyph_label_prob = check_probability("glyph_label_prob", glyph_label_prob)
    stripe_prob = check_probability("stripe_prob", stripe_prob)
    max_objects = check_int("max_objects", max_objects, minimum=1, maximum=3)
    rng = check_rng(seed)
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


def _check_world(world: object) -> ShapesWorld:
    if not isinstance(world, ShapesWorld):
        raise TypeError(f"world must be a milan.data.ShapesWorld, got {type(world).__name__}")
    return world


def concept_masks(world: ShapesWorld, concept: str) -> np.ndarray:
    """Ground-truth region mask of ``concept`` in every image of ``world``.

    Parameters
    ----------
    world : ShapesWorld
        Images and their ground truth.
    concept : str
        One of :data:`CONCEPTS`.

    Returns
    -------
    numpy.ndarray
        bool [n, size, size].

    Examples
    --------
    >>> w = shapes_world(3, seed=0)
    >>> bool((concept_masks(w, "red") <= concept_masks(w, "objects")).all())
    True
    """
    world = _check_world(world)
    concept = check_choice("concept", concept, CONCEPTS)
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


def attributes(world: ShapesWorld) -> np.ndarray:
    """Multi-label attribute targets: colour present (4), shape present (4), glyph, stripes.

    Returns
    -------
    numpy.ndarray
        float32 [n, 10] of 0/1 (the targets the encoder's backbone is trained on).
    """
    world = _check_world(world)
    out = np.zeros((len(world), 10), dtype=np.float32)
    for c in range(4):
        out[:, c] = (world.color == c).any(axis=1)
        out[:, 4 + c] = (world.shape == c).any(axis=1)
    out[:, 8] = world.glyph >= 0
    out[:, 9] = world.stripe_mask.any(axis=(1, 2))
    return out


def planted_activations(
    world: ShapesWorld,
    concepts: list[str] | tuple[str, ...],
    seed: int | np.random.Generator | None = 0,
    pool: int = 2,
    noise: float = 0.05,
) -> np.ndarray:
    """Activation maps of planted concept detectors, one unit per entry of ``concepts``.

    A planted unit's map is its concept's ground-truth mask, average-pooled by ``pool``, times a random gain in
    [0.6, 1] per image, plus half-normal noise of scale ``noise``.

    Parameters
    ----------
    world : ShapesWorld
    concepts : sequence of str
        One concept of :data:`CONCEPTS` per unit (at least one).
    seed : int, numpy.random.Generator or None
    pool : int
        Average-pooling factor (>= 1, must divide the image size).
    noise : float
        Scale of the half-normal noise (>= 0).

    Returns
    -------
    numpy.ndarray
        float32 [n, units, size / pool, size / pool].
    """
    world = _check_world(world)
    if isinstance(concepts, str) or not isinstance(concepts, list | tuple) or not concepts:
        raise TypeError("concepts must be a non-empty list of concept names")
    for i, c in enumerate(concepts):
        check_choice(f"concepts[{i}]", c, CONCEPTS)
    pool = check_int("pool", pool, minimum=1)
    if world.size % pool:
        raise ValueError(f"pool must divide the image size {world.size}, got {pool}")
    noise = check_float("noise", noise, minimum=0.0)
    rng = check_rng(seed)
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


def annotate(
    concept: str, rng: int | np.random.Generator | None = None, n: int = 3, p_generic: float = 0.35
) -> list[str]:
    """``n`` simulated annotations of a planted unit of ``concept``.

    Each annotator independently writes the generic ``"objects"`` with probability ``p_generic`` and otherwise
    one of the concept's paraphrase templates, uniformly (so annotators of one unit disagree as people do, and
    p(d) has a strong generic mode: the setting in which PMI decoding matters).

    Parameters
    ----------
    concept : str
        One of :data:`CONCEPTS`.
    rng : int, numpy.random.Generator or None
    n : int
        Annotators (>= 1; MILANNOTATIONS has 3 per unit).
    p_generic : float
        Probability of the generic description.

    Returns
    -------
    list of str
    """
    concept = check_choice("concept", concept, CONCEPTS)
    gen = check_rng(rng, "rng")
    n = check_int("n", n, minimum=1)
    p_generic = check_probability("p_generic", p_generic)
    out = []
    for _ in range(n):
        if concept != GENERIC and gen.random() < p_generic:
            out.append(TEMPLATES[GENERIC][0])
        else:
            out.append(TEMPLATES[concept][int(gen.integers(len(TEMPLATES[concept])))])
    return out


# ------------------------------------------------------------------------------------------ the user's data

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
"""Image files :func:`read_images` reads from a folder."""


MAX_NPZ_BYTES = 4 * 2**30
"""Largest total uncompressed size of the arrays of an ``.npz`` file this package reads (4 GiB)."""


def _npz_arrays(path: Path, what: str, *, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, read without pickle; any failure names the file.

    Each member's ``.npy`` header is read first: object dtypes (pickles), zero-width dtypes and declared sizes
    above ``max_bytes`` in all are refused before anything is allocated.
    """
    name = f"{what} file {str(path)!r}"
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"member {info.filename!r} is not a .npy array")
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                    elif version in ((2, 0), (3, 0)):
                        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                    else:
                        raise ValueError(f"member {info.filename!r}: unsupported .npy version {version}")
                if dtype.hasobject:
                    raise ValueError(f"member {info.filename!r} holds Python objects (pickled data), refused")
                if dtype.itemsize == 0:
                    raise ValueError(f"member {info.filename!r} has a zero-width dtype {dtype}")
                size = 1
                for n in shape:
                    size *= int(n)
                total += size * dtype.itemsize
                if total > max_bytes:
                    raise ValueError(f"its arrays declare more than {max_bytes} bytes")
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except zipfile.BadZipFile:
        raise ValueError(f"{name} is not an .npz archive (not a zip file)") from None
    except (OSError, EOFError, ValueError, zlib.error, NotImplementedError) as exc:
        raise ValueError(f"{name} cannot be read as an .npz archive of plain arrays: {exc}") from None


def _as_images(name: str, arr: Any) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / 255.0
    out = check_array(name, a, ndim=4, min_size=1, minimum=0.0, maximum=1.0)
    return out.astype(np.float32)


def read_images(path: str | os.PathLike[str], *, limit: int | None = None) -> np.ndarray:
    """Read the user's probe images as a float32 array [N, 3, H, W] with values in [0, 1].

    Parameters
    ----------
    path : str or path-like
        A folder of image files (:data:`IMAGE_SUFFIXES`, read in name order; every image must have the same size;
        grey and RGBA images are converted to RGB), or an ``.npz`` file holding an ``images`` array [N, C, H, W]
        (float in [0, 1] or uint8).
    limit : int, optional
        Read at most this many images (folders only).

    Returns
    -------
    numpy.ndarray
        float32 [N, C, H, W].

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        No images, images of different sizes, an unreadable file (the message names it).
    """
    p = check_path("path", path, kind="any")
    if limit is not None:
        limit = check_int("limit", limit, minimum=1)
    if p.is_file():
        if p.suffix.lower() != ".npz":
            raise ValueError(f"path must be a folder of images or an .npz file, got {str(p)!r}")
        arrays = _npz_arrays(p, "images")
        if "images" not in arrays:
            raise ValueError(f"images file {str(p)!r} has no 'images' array (found {sorted(arrays)})")
        try:
            return _as_images("images", arrays["images"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"images file {str(p)!r}: {exc}") from None
    from PIL import Image, UnidentifiedImageError

    files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if limit is not None:
        files = files[:limit]
    if not files:
        raise ValueError(f"folder {str(p)!r} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
    out = []
    for f in files:
        try:
            with Image.open(f) as im:
                out.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ValueError(f"image file {str(f)!r} cannot be read: {exc}") from None
        if out[-1].shape != out[0].shape:
            raise ValueError(
                f"image file {str(f)!r} is {out[-1].shape[1]}x{out[-1].shape[0]}, the first image "
                f"{str(files[0])!r} is {out[0].shape[1]}x{out[0].shape[0]}: resize them to one size"
            )
    return (np.stack(out).transpose(0, 3, 1, 2).astype(np.float32) / 255.0).copy()


def read_activations(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a layer's activation maps (and optionally the probe images) from an ``.npz`` file.

    The file holds ``activations`` [N, units, h, w] (finite numbers: the layer's output for N probe images,
    computed with any framework) and optionally ``images`` [N, C, H, W] (float in [0, 1] or uint8).

    Returns
    -------
    activations : numpy.ndarray
        float32 [N, units, h, w].
    images : numpy.ndarray or None
        float32 [N, C, H, W], when the file holds them.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not an ``.npz`` archive, no ``activations`` array, wrong shapes, NaN or infinite values, or images whose
        count differs from the activations' (the message names the file).
    """
    p = check_path("path", path, kind="file")
    if p.suffix.lower() != ".npz":
        raise ValueError(f"activations file must be an .npz archive, got {str(p)!r}")
    arrays = _npz_arrays(p, "activations")
    if "activations" not in arrays:
        raise ValueError(f"activations file {str(p)!r} has no 'activations' array (found {sorted(arrays)})")
    try:
        acts = check_array("activations", arrays["activations"], ndim=4, min_size=1).astype(np.float32)
        images = _as_images("images", arrays["images"]) if "images" in arrays else None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"activations file {str(p)!r}: {exc}") from None
    if images is not None and len(images) != len(acts):
        raise ValueError(f"activations file {str(p)!r}: {len(acts)} activation maps but {len(images)} images")
    return acts, images
