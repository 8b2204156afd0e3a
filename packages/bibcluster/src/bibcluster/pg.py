"""Polya-Gamma draws ``PG(b, c)`` (Polson, Scott & Windle 2013) through the ``polyagamma`` package."""

from __future__ import annotations

import numpy as np
from polyagamma import random_polyagamma

__all__ = ["pg_mean", "sample_pg"]


def sample_pg(b: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw ``omega ~ PG(b, c)`` elementwise (``b > 0``); vectorised over arrays of equal shape."""
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    out = random_polyagamma(b.ravel(), c.ravel(), random_state=rng)
    return np.asarray(out, dtype=float).reshape(np.broadcast_shapes(b.shape, c.shape))


def pg_mean(b: np.ndarray | float, c: np.ndarray | float) -> np.ndarray:
    """Closed-form mean ``E[PG(b, c)] = b / (2c) tanh(c / 2)`` (limit ``b / 4`` at ``c = 0``)."""
    b = np.asarray(b, dtype=float)
    c = np.abs(np.asarray(c, dtype=float))
    small = c < 1e-6
    safe = np.where(small, 1.0, c)
    return np.where(small, b / 4.0, b / (2 * safe) * np.tanh(safe / 2))
