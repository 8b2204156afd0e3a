"""Synthetic tubes: the canonical test cases A and B, and a "toy FISBe" multicolour volume generator.

A tube is an EDT-thresholded polyline: a voxel belongs to it if the Euclidean distance from the
voxel centre to the polyline is <= r.  Everything is deterministic given the seed
(``numpy.random.default_rng``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from neurotypes.validation import check_array, check_float, check_int, check_positive, check_rng

__all__ = ["ToyFisbe", "case_a", "case_b", "toy_fisbe", "tube_mask", "tubes"]

Shape = tuple[int, int, int]


def _check_shape(shape: Sequence[int]) -> Shape:
    if isinstance(shape, str | bytes) or not isinstance(shape, Sequence | np.ndarray):
        raise TypeError(f"shape must be a sequence of 3 positive ints (Z, Y, X), got {type(shape).__name__}")
    if len(shape) != 3:
        raise ValueError(f"shape must be 3 positive ints (Z, Y, X), got {tuple(shape)}")
    z, y, x = (check_int("shape entries", s, minimum=1) for s in shape)
    if z * y * x > 2**31:
        raise ValueError(f"shape must hold at most 2**31 voxels, got {(z, y, x)}")
    return (z, y, x)


def tube_mask(
    shape: Sequence[int], points: NDArray[np.floating] | Sequence[Sequence[float]], radius: float
) -> NDArray[np.bool_]:
    """Voxels within ``radius`` (Euclidean, voxel units) of the polyline through ``points``.

    Parameters
    ----------
    shape : (Z, Y, X)
    points : array [n, 3]
        Polyline vertices in (z, y, x) voxel coordinates (n >= 1).
    radius : float
        Tube radius, > 0.

    Examples
    --------
    >>> m = tube_mask((5, 5, 9), [[2, 2, 1], [2, 2, 7]], 0.5)
    >>> int(m.sum())
    7
    """
    shp = _check_shape(shape)
    pts = check_array("points", points, ndim=(1, 2), dtype="float")
    if pts.size % 3 or pts.size == 0 or (pts.ndim == 2 and pts.shape[1] != 3):
        raise ValueError(f"points must be [n, 3] (z, y, x) vertices with n >= 1, got shape {pts.shape}")
    pts = pts.reshape(-1, 3)
    radius = check_positive("radius", radius)
    lo = np.maximum(np.floor(pts.min(axis=0) - radius - 1), 0).astype(int)
    hi = np.minimum(np.ceil(pts.max(axis=0) + radius + 2), shp).astype(int)
    out = np.zeros(shp, dtype=bool)
    if np.any(hi <= lo):
        return out
    segs = [(pts[0], pts[0])] if pts.shape[0] == 1 else list(itertools.pairwise(pts))
    yx = np.stack(np.meshgrid(np.arange(lo[1], hi[1]), np.arange(lo[2], hi[2]), indexing="ij"), -1)
    yx = yx.reshape(-1, 2).astype(np.float64)
    inside = np.zeros(tuple(int(v) for v in hi - lo), dtype=bool)
    for z in range(int(lo[0]), int(hi[0])):  # one plane at a time keeps memory small
        grid = np.column_stack([np.full(yx.shape[0], float(z)), yx])
        best = np.full(grid.shape[0], np.inf)
        for a, b in segs:
            ab = b - a
            denom = float(ab @ ab)
            t = np.zeros(grid.shape[0]) if denom == 0 else np.clip((grid - a) @ ab / denom, 0.0, 1.0)
            best = np.minimum(best, np.sum((grid - (a + t[:, None] * ab)) ** 2, axis=1))
        inside[z - lo[0]] = (best <= radius * radius).reshape(hi[1] - lo[1], hi[2] - lo[2])
    out[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = inside
    return out


def tubes(
    shape: Sequence[int], polylines: Sequence[NDArray[np.floating] | Sequence[Sequence[float]]], radius: float
) -> NDArray[np.int32]:
    """Dense label volume with tube ``k`` labelled ``k + 1`` (later tubes overwrite earlier ones)."""
    shp = _check_shape(shape)
    if isinstance(polylines, str | bytes) or not isinstance(polylines, Sequence):
        raise TypeError(
            f"polylines must be a sequence of [n, 3] vertex arrays, got {type(polylines).__name__}"
        )
    radius = check_positive("radius", radius)
    out = np.zeros(shp, dtype=np.int32)
    for k, pl in enumerate(polylines):
        out[tube_mask(shp, pl, radius)] = k + 1
    return out


def _line(x0: float, x1: float, f: object, n: int = 200) -> NDArray[np.float64]:
    xs = np.linspace(x0, x1, n)
    zy = np.array([f(x) for x in xs])  # type: ignore[operator]
    return np.column_stack([zy[:, 0], zy[:, 1], xs])


CASE_A_SHAPE: Shape = (40, 96, 96)


def case_a() -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Canonical case A: GT of four radius-2 tubes and a prediction with planted errors.

    GT: tube 1 straight (z=10, y=15), tube 2 sinusoidal (z=20, y=40 + 6 sin), tube 3 straight
    (z=20, y=62), tube 4 sinusoidal (z=30, y=82 + 3 sin); all along x from 2 to 93.
    Prediction: tube 1 cut in two pieces by a gap at x in [45, 49) (ids 1 and 5); tubes 2 and 3
    merged by a bridge tube at x = 70 (id 2); tube 4 shifted by +1 voxel in y (id 4); a
    false-positive tube (id 6) at z = 32, y = 30, x in [20, 55].

    Returns
    -------
    gt, pred : int32 arrays [40, 96, 96]
    """
    r = 2.0
    t1 = _line(2, 93, lambda x: (10.0, 15.0))
    t2 = _line(2, 93, lambda x: (20.0, 40.0 + 6.0 * np.sin(2 * np.pi * x / 48.0)))
    t3 = _line(2, 93, lambda x: (20.0, 62.0))
    t4 = _line(2, 93, lambda x: (30.0, 82.0 + 3.0 * np.sin(2 * np.pi * x / 64.0)))
    gt = tubes(CASE_A_SHAPE, [t1, t2, t3, t4], r)
    pred = np.zeros(CASE_A_SHAPE, dtype=np.int32)
    m1 = gt == 1
    xs = np.arange(CASE_A_SHAPE[2])[None, None, :]
    pred[m1 & (xs < 45)] = 1
    pred[m1 & (xs >= 49)] = 5
    y2 = 40.0 + 6.0 * np.sin(2 * np.pi * 70 / 48.0)
    bridge = tube_mask(CASE_A_SHAPE, [[20.0, y2, 70.0], [20.0, 62.0, 70.0]], r)
    pred[(gt == 2) | (gt == 3) | bridge] = 2
    t4s = t4 + np.array([0.0, 1.0, 0.0])
    pred[tube_mask(CASE_A_SHAPE, t4s, r)] = 4
    pred[tube_mask(CASE_A_SHAPE, _line(20, 55, lambda x: (32.0, 30.0)), r)] = 6
    return gt, pred


def case_b(
    seed: int = 0, shape: Sequence[int] = (32, 64, 64), n_tubes: int = 5
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Canonical case B: random radius-1.5 tubes; the prediction misses a 25-voxel chunk per tube.

    Each tube is a 4-vertex random polyline; the removed chunk is the 25 voxels of the tube
    nearest to a randomly chosen voxel of it.
    """
    shp = _check_shape(shape)
    if min(shp) < 8:
        raise ValueError(f"shape must be at least 8 voxels along each axis, got {shp}")
    n_tubes = check_int("n_tubes", n_tubes, minimum=1)
    rng = check_rng(seed)
    lines = []
    for _ in range(n_tubes):
        pts = rng.uniform([3, 3, 3], np.array(shp) - 4, size=(4, 3))
        lines.append(pts)
    gt = tubes(shp, lines, 1.5)
    pred = gt.copy()
    for k in range(1, n_tubes + 1):
        vox = np.argwhere(gt == k)
        if vox.shape[0] <= 25:
            continue
        centre = vox[rng.integers(vox.shape[0])]
        d = np.sum((vox - centre) ** 2, axis=1)
        drop = vox[np.argsort(d, kind="stable")[:25]]
        pred[tuple(drop.T)] = 0
    return gt, pred


@dataclass(frozen=True)
class ToyFisbe:
    """A toy FISBe image: raw multicolour volume, GT (one neuron per channel) and neuron colours."""

    raw: NDArray[np.float32]  # [3, Z, Y, X]
    gt: NDArray[np.uint8]  # [N, Z, Y, X] binary
    colours: NDArray[np.float64]  # [N, 3]


def _random_colour(rng: np.random.Generator) -> NDArray[np.float64]:
    # MCFO: each neuron expresses a random subset of 3 tags at random levels
    while True:
        on = rng.random(3) < 0.6
        if on.any():
            break
    c: NDArray[np.float64] = np.where(on, rng.uniform(0.4, 1.0, 3), 0.0)
    return c / float(c.max())


def _neuron_polylines(shape: Shape, rng: np.random.Generator, n_branches: int) -> list[NDArray[np.float64]]:
    z, y, x = shape
    lo = np.array([3.0, 3.0, 3.0])
    hi = np.array([z - 4.0, y - 4.0, x - 4.0])
    start = rng.uniform(lo, hi)
    direction = rng.normal(size=3)
    direction[0] *= 0.3
    direction /= np.linalg.norm(direction)
    trunk = [start]
    step = max(3.0, min(y, x) / 12.0)
    for _ in range(14):
        direction = direction + 0.35 * rng.normal(size=3) * np.array([0.3, 1.0, 1.0])
        direction /= np.linalg.norm(direction)
        nxt = np.clip(trunk[-1] + step * direction, lo, hi)
        trunk.append(nxt)
    lines = [np.array(trunk)]
    for _ in range(n_branches):
        base = lines[0][rng.integers(2, len(trunk) - 2)]
        d = rng.normal(size=3) * np.array([0.3, 1.0, 1.0])
        d /= np.linalg.norm(d)
        br = [base]
        for _ in range(6):
            d = d + 0.3 * rng.normal(size=3) * np.array([0.3, 1.0, 1.0])
            d /= np.linalg.norm(d)
            br.append(np.clip(br[-1] + step * d, lo, hi))
        lines.append(np.array(br))
    return lines


def toy_fisbe(
    shape: Sequence[int] = (40, 128, 128),
    n_neurons: int = 5,
    *,
    radius: float = 1.5,
    noise: float = 0.08,
    seed: int | np.random.Generator = 0,
) -> ToyFisbe:
    """Generate a toy FISBe image: long, thin, branching, intertwined neurons in 3 colour channels.

    Each neuron is a random-walk trunk with branches (tubes of ``radius``), with its own random
    MCFO-like colour over the 3 channels.  The raw volume is the colour-weighted neuron masks,
    slightly blurred, times a smooth uneven illumination field, plus background
    autofluorescence, Gaussian noise (sigma ``noise``) and shot-like noise; clipped to [0, 1].
    Neurons may cross; the GT keeps one neuron per channel, so overlaps are represented.

    Returns
    -------
    ToyFisbe
        ``raw`` float32 [3, Z, Y, X], ``gt`` uint8 [n_neurons, Z, Y, X] (binary), ``colours`` [n, 3].
    """
    shp = _check_shape(shape)
    if min(shp) < 8:
        raise ValueError(f"shape must be at least 8 voxels along each axis, got {shp}")
    n_neurons = check_int("n_neurons", n_neurons, minimum=1, maximum=255)
    radius = check_positive("radius", radius)
    noise = check_float("noise", noise, minimum=0.0)
    rng = check_rng(seed)
    gt = np.zeros((n_neurons, *shp), dtype=np.uint8)
    colours = np.zeros((n_neurons, 3))
    for k in range(n_neurons):
        mask = np.zeros(shp, dtype=bool)
        for pl in _neuron_polylines(shp, rng, n_branches=int(rng.integers(1, 4))):
            mask |= tube_mask(shp, pl, radius)
        gt[k] = mask
        colours[k] = _random_colour(rng)
    signal = np.einsum("nc,nzyx->czyx", colours, gt.astype(np.float32)).astype(np.float32)
    signal = np.minimum(signal, 1.0)
    signal = np.stack([ndimage.gaussian_filter(s, 0.7) for s in signal])
    zz, yy, xx = np.meshgrid(*[np.linspace(0, 1, s) for s in shp], indexing="ij")
    phase = rng.uniform(0, 2 * np.pi, 3)
    illum = (
        0.75
        + 0.25 * np.sin(2.0 * xx + phase[0]) * np.cos(1.5 * yy + phase[1])
        + 0.05 * np.sin(3 * zz + phase[2])
    )
    raw = signal * illum[None].astype(np.float32)
    raw += 0.05 + noise * rng.standard_normal(raw.shape).astype(np.float32)
    raw += 0.05 * rng.poisson(np.clip(raw, 0, None) * 4.0).astype(np.float32) / 4.0
    return ToyFisbe(raw=np.clip(raw, 0.0, 1.0).astype(np.float32), gt=gt, colours=colours)
