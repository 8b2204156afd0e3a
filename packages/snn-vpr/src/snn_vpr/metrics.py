"""Place-recognition metrics: Recall@N, the precision-recall curve over best-match scores, AUC-PR."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes.validation import check_array, check_int

__all__ = ["auc_pr", "best_match", "distance_matrix", "pr_curve", "recall_at_n"]


def _scores_gt(scores: ArrayLike, gt: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    s = check_array("scores", scores, ndim=2)
    if s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"scores must be a non-empty [n_queries, n_places] matrix, got shape {s.shape}")
    if isinstance(gt, str) or gt is None or isinstance(gt, dict):
        raise TypeError(f"gt must be an array of integer place columns, got {type(gt).__name__}")
    try:
        g = np.asarray(gt)
    except (TypeError, ValueError) as e:
        raise TypeError(f"gt must be an array of integer place columns: {e}") from None
    if g.shape != (s.shape[0],):
        raise ValueError(
            f"gt must hold one ground-truth place column per query: shape {g.shape} vs {s.shape[0]} queries"
        )
    if not np.issubdtype(g.dtype, np.integer):
        raise TypeError(f"gt must hold integer place columns, got dtype {g.dtype}")
    if g.min() < 0 or g.max() >= s.shape[1]:
        raise ValueError(f"gt must index a place column in [0, {s.shape[1]})")
    return s, g.astype(np.int64)


def recall_at_n(
    scores: ArrayLike, gt: ArrayLike, ns: Sequence[int] = (1, 5, 10, 15, 20, 25)
) -> dict[int, float]:
    """Fraction of queries whose ground-truth place is among the ``N`` best-scoring places.

    Ties are broken against the query (a place tied with the ground truth counts as ranked above it), so a
    network that answers nothing scores 0, not 1.

    Parameters
    ----------
    scores : array_like, shape (n_queries, n_places)
        Higher is a better match.
    gt : array_like of int, shape (n_queries,)
        Column of each query's true place.
    ns : sequence of int
        The ``N`` to report (positive).

    Returns
    -------
    dict of int to float
        ``{N: recall}``.

    Raises
    ------
    ValueError
        If ``scores`` is not a non-empty finite 2-D matrix or ``gt`` does not hold one valid column per query.
    TypeError
        If ``gt`` is not an integer array.

    Examples
    --------
    >>> S = [[0.9, 0.1, 0.0], [0.2, 0.5, 0.6], [0.0, 0.3, 0.8]]
    >>> recall_at_n(S, [0, 1, 2], ns=(1, 2))
    {1: 0.6666666666666666, 2: 1.0}
    """
    s, g = _scores_gt(scores, gt)
    if isinstance(ns, str) or not isinstance(ns, Sequence) or len(ns) == 0:
        raise TypeError(f"ns must be a non-empty sequence of positive integers, got {ns!r}")
    ns = [check_int("ns[i]", n, minimum=1) for n in ns]
    true = s[np.arange(s.shape[0]), g]
    rank = (s >= true[:, None]).sum(axis=1)  # 1 = strictly best
    out = {}
    for n in ns:
        out[int(n)] = float(np.mean(rank <= n))
    return out


def best_match(scores: ArrayLike, gt: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each query's best score and whether its best match (first argmax) is the ground truth.

    Parameters
    ----------
    scores : array_like, shape (n_queries, n_places)
    gt : array_like of int, shape (n_queries,)

    Returns
    -------
    best : ndarray of float
    correct : ndarray of bool

    Raises
    ------
    ValueError
        If ``scores`` is not a non-empty finite 2-D matrix or ``gt`` does not hold one valid column per query.
    TypeError
        If ``gt`` is not an integer array.

    Examples
    --------
    >>> best_match([[0.9, 0.1], [0.7, 0.2]], [0, 1])
    (array([0.9, 0.7]), array([ True, False]))
    """
    s, g = _scores_gt(scores, gt)
    return s.max(axis=1), s.argmax(axis=1) == g


def pr_curve(
    scores: ArrayLike, gt: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Precision-recall curve over a threshold on each query's best-match score.

    A query is accepted when its best score is ``>= t``; an accepted query is a true positive when its best
    match is the ground truth. Recall is relative to the queries whose best match is correct (sklearn's
    ``precision_recall_curve`` with ``y_true = correct``, ``y_score = best score``; identical output).

    Returns
    -------
    precision, recall : ndarray
        Ordered by increasing threshold; the last point is (precision 1, recall 0).
    thresholds : ndarray
        Distinct best-match scores, increasing.

    Raises
    ------
    ValueError
        If ``scores`` is not a non-empty finite 2-D matrix or ``gt`` does not hold one valid column per query.
    TypeError
        If ``gt`` is not an integer array.

    Examples
    --------
    >>> p, r, t = pr_curve([[0.9, 0.1], [0.7, 0.2]], [0, 1])
    >>> p.tolist(), r.tolist(), t.tolist()
    ([0.5, 1.0, 1.0], [1.0, 1.0, 0.0], [0.7, 0.9])
    """
    best, correct = best_match(scores, gt)
    n_pos = int(correct.sum())
    order = np.argsort(-best, kind="mergesort")
    b, c = best[order], correct[order]
    distinct = np.flatnonzero(np.diff(b)) if b.size > 1 else np.array([], dtype=np.int64)
    ends = np.r_[distinct, b.size - 1]
    tps = np.cumsum(c)[ends].astype(np.float64)
    fps = (ends + 1) - tps
    thr = b[ends]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 1.0)
        recall = tps / n_pos if n_pos > 0 else np.zeros_like(tps)
    precision = np.r_[precision[::-1], 1.0]
    recall = np.r_[recall[::-1], 0.0]
    return precision, recall, thr[::-1]


def auc_pr(scores: ArrayLike, gt: ArrayLike) -> float:
    """Area under :func:`pr_curve` by the trapezoid rule (the reference's ``getAUCPR``).

    Parameters
    ----------
    scores : array_like, shape (n_queries, n_places)
    gt : array_like of int, shape (n_queries,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``scores`` is not a non-empty finite 2-D matrix or ``gt`` does not hold one valid column per query.
    TypeError
        If ``gt`` is not an integer array.

    Examples
    --------
    >>> auc_pr([[0.9, 0.1], [0.7, 0.2]], [0, 1])
    1.0
    """
    p, r, _ = pr_curve(scores, gt)
    # recall decreases along the arrays: integrate in increasing recall
    return float(np.sum((r[:-1] - r[1:]) * (p[:-1] + p[1:]) / 2.0))


def distance_matrix(scores: ArrayLike) -> NDArray[np.float64]:
    """Distances from place scores (rates): ``max(scores) - scores``, so the best match has the smallest distance.

    Parameters
    ----------
    scores : array_like, shape (n_queries, n_places)

    Returns
    -------
    ndarray, shape (n_queries, n_places)

    Raises
    ------
    ValueError
        If ``scores`` is not a finite, non-empty 2-D matrix.

    Examples
    --------
    >>> distance_matrix([[2.0, 0.5], [1.0, 2.0]])
    array([[0. , 1.5],
           [1. , 0. ]])
    """
    s = check_array("scores", scores, ndim=2, min_size=1)
    return np.asarray(s.max() - s, dtype=np.float64)
