"""Polya-Gamma draws ``PG(b, c)`` (Polson, Scott & Windle 2013) through the ``polyagamma`` package."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from polyagamma import random_polyagamma

__all__ = ["pg_mean", "sample_pg"]

#: Arrays at least this large are drawn in two halves from two child generators (whatever the thread count,
#: so results do not depend on it); the halves run on two threads when ``threads > 1``.
SPLIT_MIN = 4096

_pool: ThreadPoolExecutor | None = None
_pool_pid = -1
_pool_lock = threading.Lock()


def _thread_pool() -> ThreadPoolExecutor:
    """The module's two-thread pool, created per process (a forked chain process must not reuse its parent's
    pool, whose threads do not exist in the child)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bibcluster-pg")
            _pool_pid = os.getpid()
        return _pool


def sample_pg(b: np.ndarray, c: np.ndarray, rng: np.random.Generator, threads: int = 1) -> np.ndarray:
    """Draw ``omega ~ PG(b, c)`` elementwise (``b > 0``); vectorised over arrays of equal shape.

    ``threads = 2`` draws the two halves of a large array concurrently (``polyagamma`` releases the GIL); the
    draws are the same for any ``threads``.
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    shape = np.broadcast_shapes(b.shape, c.shape)
    bf = np.broadcast_to(b, shape).ravel()
    cf = np.broadcast_to(c, shape).ravel()
    n = bf.size
    if n < SPLIT_MIN:
        out = random_polyagamma(bf, cf, random_state=rng)
        return np.asarray(out, dtype=float).reshape(shape)
    gens = [np.random.default_rng(int(s)) for s in rng.integers(0, 2**63 - 1, size=2)]
    parts = [slice(0, n // 2), slice(n // 2, n)]

    def draw(i: int) -> np.ndarray:
        return np.asarray(random_polyagamma(bf[parts[i]], cf[parts[i]], random_state=gens[i]), dtype=float)

    halves = list(_thread_pool().map(draw, (0, 1))) if threads > 1 else [draw(0), draw(1)]
    return np.concatenate(halves).reshape(shape)


def pg_mean(b: np.ndarray | float, c: np.ndarray | float) -> np.ndarray:
    """Closed-form mean ``E[PG(b, c)] = b / (2c) tanh(c / 2)`` (limit ``b / 4`` at ``c = 0``)."""
    b = np.asarray(b, dtype=float)
    c = np.abs(np.asarray(c, dtype=float))
    small = c < 1e-6
    safe = np.where(small, 1.0, c)
    return np.where(small, b / 4.0, b / (2 * safe) * np.tanh(safe / 2))
