"""Classical baselines: sum of absolute differences (SAD) on raw or patch-normalised images."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["sad_scores"]


def sad_scores(queries: ArrayLike, references: ArrayLike) -> NDArray[np.float64]:
    """Negative mean absolute difference between every query and every reference image (higher = closer).

    Parameters
    ----------
    queries : array_like, shape (Q, H, W)
    references : array_like, shape (R, H, W)
    """
    q = np.asarray(queries, dtype=np.float64)
    r = np.asarray(references, dtype=np.float64)
    if q.ndim != 3 or r.ndim != 3 or q.shape[1:] != r.shape[1:]:
        raise ValueError(
            f"queries and references must be [N, H, W] stacks of one image size, got {q.shape}, {r.shape}"
        )
    qf, rf = q.reshape(q.shape[0], -1), r.reshape(r.shape[0], -1)
    return np.asarray(-np.abs(qf[:, None, :] - rf[None, :, :]).mean(axis=2), dtype=np.float64)
