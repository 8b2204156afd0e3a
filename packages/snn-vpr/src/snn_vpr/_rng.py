"""Counter-based Poisson input for query presentations, shared by both inference engines.

Every input neuron of every module, image and retry draws its spikes from its own splitmix64 stream, keyed by
``(seed, retry, module, image, input)``. The spike train is a Bernoulli process with probability ``p`` per time
step (the reference's ``rand < rate * dt``), sampled through its geometric gaps: the ``k``-th draw ``u_k`` in
(0, 1] moves the spike time by ``1 + floor(log(u_k) / log(1 - p))`` steps. Because the streams are keyed by
image index rather than consumed in order, the spike-level reference engine (torch) and the fast engine (numba)
see exactly the same input spikes, whatever the batch size.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "GOLDEN",
    "M1",
    "M2",
    "SEED_MAX",
    "event_streams",
    "poisson_events",
    "poisson_streams",
    "spike_probability",
]

GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
#: largest 64-bit seed a query call draws (the bank's torch generator hands out seeds below this)
SEED_MAX = 2**62

_U64 = np.uint64


def _fin(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's output function (wrapping uint64 arithmetic)."""
    z = (z ^ (z >> _U64(30))) * _U64(M1)
    z = (z ^ (z >> _U64(27))) * _U64(M2)
    return z ^ (z >> _U64(31))


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    return _fin(x + _U64(GOLDEN))


def spike_probability(rates: NDArray[np.float32], dt: float, retry: int = 0) -> NDArray[np.float32]:
    """Spike probability per step in float32, computed as the reference does: ``min(rates * (1 + retry) * dt, 1)``.

    ``rates`` in Hz (float32), ``dt`` in ms. The products are rounded to float32 one at a time, as torch does.
    """
    r = np.asarray(rates, dtype=np.float32)
    if retry:
        r = r * np.float32(1 + retry)
    return np.minimum(r * np.float32(dt * 1e-3), np.float32(1.0))


def event_streams(
    seed: int, n_modules: int, images: NDArray[np.int64], n_in: int, retry: int = 0
) -> NDArray[np.uint64]:
    """Stream keys ``[n_modules, len(images), n_in]`` for ``(seed, retry, module, image, input)``."""
    s = _mix(np.asarray([seed], dtype=_U64))
    s = _mix(s + _U64(retry))
    hm = _mix((s + np.arange(n_modules, dtype=_U64)).astype(_U64, copy=False))
    imgs = np.asarray(images, dtype=_U64)
    hb = _mix((hm[:, None] + imgs[None, :]).astype(_U64, copy=False))
    return _mix((hb[:, :, None] + np.arange(n_in, dtype=_U64)[None, None, :]).astype(_U64, copy=False))


def poisson_events(
    seed: int,
    prob: NDArray[np.float32],
    n_steps: int,
    image_offset: int = 0,
    retry: int = 0,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Input spikes of a query presentation: ``(step, module, image, input)`` index arrays, sorted by step.

    Same parameters as :func:`poisson_streams`.
    """
    p = np.asarray(prob, dtype=np.float32)
    _, b_, n_in = p.shape
    steps, stream = poisson_streams(seed, p, n_steps, image_offset, retry)
    m, rest = np.divmod(stream, b_ * n_in)
    b, i = np.divmod(rest, n_in)
    return steps, m, b, i


def poisson_streams(
    seed: int,
    prob: NDArray[np.float32],
    n_steps: int,
    image_offset: int = 0,
    retry: int = 0,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Input spikes of a query presentation: ``(step, flat index into [M, B, n_in])``, sorted by step, then index.

    Parameters
    ----------
    seed : int
        Seed of this query call (``0 <= seed < 2**64``).
    prob : ndarray, shape (n_modules, n_images, n_in), float32
        Spike probability per step of each input (see :func:`spike_probability`).
    n_steps : int
        Steps of the presentation.
    image_offset : int
        Index of the first image of ``prob`` in the whole query set (streams are keyed by that index).
    retry : int
        Retry round (0 for the first presentation).
    """
    p = np.asarray(prob, dtype=np.float32)
    m_, b_, n_in = p.shape
    keys = event_streams(seed, m_, np.arange(image_offset, image_offset + b_, dtype=np.int64), n_in, retry)
    with np.errstate(divide="ignore"):
        lam = np.log1p(-p.astype(np.float64))  # log(1 - p) <= 0; -inf for p = 1
    flat = np.flatnonzero(lam.ravel() < 0.0)  # p = 0: no spikes
    h = keys.ravel()[flat]
    lam_a = lam.ravel()[flat]
    t = np.full(flat.size, -1.0)
    out_t: list[NDArray[np.int64]] = []
    out_s: list[NDArray[np.int64]] = []
    k = 0
    while flat.size:
        k += 1
        z = _fin(h + _U64((k * GOLDEN) % 2**64))
        u = ((z >> _U64(11)).astype(np.float64) + 1.0) * 2.0**-53
        t = t + 1.0 + np.floor(np.log(u) / lam_a)
        keep = t < n_steps
        flat, h, lam_a, t = flat[keep], h[keep], lam_a[keep], t[keep]
        out_t.append(t.astype(np.int64))
        out_s.append(flat)
    if out_t:
        steps = np.concatenate(out_t)
        stream = np.concatenate(out_s)
    else:
        steps = np.zeros(0, dtype=np.int64)
        stream = np.zeros(0, dtype=np.int64)
    order = np.lexsort((stream, steps))
    return steps[order], stream[order]
