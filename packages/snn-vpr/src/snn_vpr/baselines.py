"""Classical baselines: sum of absolute differences (SAD) on raw or patch-normalised images."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes.validation import check_array

__all__ = ["sad_scores"]


def sad_scores(queries: ArrayLike, references: ArrayLike) -> NDArray[np.float64]:
    """Negative mean absolute difference between every query and every reference image (higher = closer).

    Parameters
    ----------
    queries : array_like, shape (Q, H, W)
    references : array_like, shape (R, H, W)
    """
    q = check_array("queries", queries, ndim=3)
    r = check_array("references", references, ndim=3)
    if q.shape[1:] != r.shape[1:]:
        raise ValueError(
            f"references must have the image size of queries, got {r.shape[1:]} vs {q.shape[1:]}"
        )
    qf, rf = q.reshape(q.shape[0], -1), r.reshape(r.shape[0], -1)
    return np.asarray(-np.abs(qf[:, None, :] - rf[None, :, :]).mean(axis=2), dtype=np.float64)
