"""One-to-one matching (greedy, Hungarian) and many-to-many matching for false splits / merges.

All thresholds are strict (``loc > th``), as in the reference evaluator (spec, Methods 3 and 6).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from itertools import count

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from neurotypes.validation import check_array, check_choice, check_float, check_int

__all__ = ["greedy_one_to_one", "hungarian", "many_to_many_consume", "many_to_many_threshold", "one_to_one"]

Pairs = list[tuple[int, int]]


def _check_loc(loc: NDArray[np.floating], th: float, name: str = "loc") -> tuple[NDArray[np.floating], float]:
    """Validate a localisation matrix (kept in its dtype: the reference compares float32 values with ``th``)."""
    arr = check_array(name, loc, dtype="any", copy=False)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (nGT + 1) x (nPred + 1) matrix, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have a background row and column, got shape {arr.shape}")
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold numbers, got a boolean array")
    return arr, check_float("th", th)


def greedy_one_to_one(loc: NDArray[np.floating], th: float) -> Pairs:
    """Greedy one-to-one matching on a localisation matrix (FISBe's choice).

    Foreground pairs (g >= 1, p >= 1) with ``loc > th`` are visited by decreasing ``loc``, ties
    broken by GT index then prediction index (both ascending); a pair is accepted if neither side
    is matched yet.

    Parameters
    ----------
    loc : array ``[nGT + 1, nPred + 1]``
        Localisation matrix with background row/column 0.
    th : float
        Strict threshold.

    Returns
    -------
    list of (g, p)
        1-based matched pairs in acceptance order.

    Examples
    --------
    >>> import numpy as np
    >>> loc = np.zeros((3, 3)); loc[1:, 1:] = [[0.9, 0.8], [0.85, 0.0]]
    >>> greedy_one_to_one(loc, 0.5)
    [(1, 1)]
    """
    loc, th = _check_loc(loc, th)
    fg = loc[1:, 1:]
    gi, pi = np.nonzero(fg > th)
    vals = fg[gi, pi]
    order = np.lexsort((pi, gi, -vals))
    used_g: set[int] = set()
    used_p: set[int] = set()
    out: Pairs = []
    for k in order:
        g, p = int(gi[k]), int(pi[k])
        if g not in used_g and p not in used_p:
            used_g.add(g)
            used_p.add(p)
            out.append((g + 1, p + 1))
    return out


def hungarian(loc: NDArray[np.floating], th: float, n_norm: int | None = None) -> Pairs:
    """Optimal one-to-one matching maximising the number of pairs with ``loc > th``.

    Solves ``linear_sum_assignment`` on the cost ``-(loc > th) - loc / (2 n)`` with
    ``n = min(nGT, nPred)`` (the reference's normaliser, which keeps the tie-break term below 1),
    then keeps assigned pairs with ``loc > th``.

    Examples
    --------
    >>> import numpy as np
    >>> loc = np.zeros((3, 3)); loc[1:, 1:] = [[0.9, 0.8], [0.85, 0.0]]
    >>> hungarian(loc, 0.5)
    [(1, 2), (2, 1)]
    """
    loc, th = _check_loc(loc, th)
    fg = loc[1:, 1:]
    if fg.size == 0:
        return []
    n = min(fg.shape) if n_norm is None else check_int("n_norm", n_norm, minimum=1)
    costs = -(fg > th).astype(float) - fg / (2 * n)
    gi, pi = linear_sum_assignment(costs)
    ok = fg[gi, pi] > th
    return [(int(g) + 1, int(p) + 1) for g, p, m in zip(gi, pi, ok, strict=True) if m]


def one_to_one(loc: NDArray[np.floating], th: float, matching: str, n_norm: int | None = None) -> Pairs:
    """Dispatch to :func:`greedy_one_to_one` or :func:`hungarian`; no match unless max(loc) > th.

    Raises
    ------
    TypeError, ValueError
        ``loc`` not a numeric 2-D matrix with a background row and column, ``th`` not a finite number,
        ``matching`` not ``"greedy"`` or ``"hungarian"``.
    """
    loc, th = _check_loc(loc, th)
    check_choice("matching", matching, ("greedy", "hungarian"))
    fg = loc[1:, 1:]
    if fg.size == 0 or not np.max(loc) > th:
        return []
    if matching == "greedy":
        return greedy_one_to_one(loc, th)
    return hungarian(loc, th, n_norm)


def many_to_many_threshold(rec: NDArray[np.floating], th: float) -> dict[int, list[int]]:
    """Every foreground pair with ``rec > th`` is a match (non-overlapping instances)."""
    rec, th = _check_loc(rec, th, "rec")
    gi, pi = np.nonzero(rec[1:, 1:] > th)
    out: dict[int, list[int]] = {}
    for g, p in zip(gi, pi, strict=True):
        out.setdefault(int(g) + 1, []).append(int(p) + 1)
    return out


class _LazyHeap:
    """Min-heap with lazy invalidation (versioned keys), same pop order as the reference's."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, tuple[int, int]]] = []
        self._version: dict[tuple[int, int], int] = {}
        self._tb = count()

    def push(self, key: tuple[int, int], priority: float) -> None:
        v = self._version.get(key, 0) + 1
        self._version[key] = v
        heapq.heappush(self._heap, (priority, next(self._tb), v, key))

    def invalidate(self, key: tuple[int, int]) -> None:
        if key in self._version:
            self._version[key] = -1

    def _discard_stale(self) -> None:
        while self._heap and self._version.get(self._heap[0][3]) != self._heap[0][2]:
            heapq.heappop(self._heap)

    def pop(self) -> tuple[float, tuple[int, int]] | None:
        while self._heap:
            prio, _, v, key = heapq.heappop(self._heap)
            if self._version.get(key) == v:
                self._version.pop(key, None)
                return prio, key
        return None

    def empty(self) -> bool:
        self._discard_stale()
        return not self._heap


def many_to_many_consume(
    rec: NDArray[np.floating],
    th: float,
    gt_free_recall: Callable[[int, int, set[int]], float],
    pred_free_recall: Callable[[int, int, set[int]], float],
) -> dict[int, list[int]]:
    """Greedy "consumption" many-to-many matching for overlapping instances (spec, Method 6).

    Pairs with ``rec > th`` enter a max-heap keyed by their value.  The best pair is accepted; the
    matched prediction's voxels are removed from the GT skeleton's still-available voxels (and the
    GT's voxels from the prediction's available mask); pairs of the same GT or prediction are
    recomputed and pushed back if they still exceed ``th``, otherwise dropped.

    Parameters
    ----------
    rec : array ``[nGT + 1, nPred + 1]``
        Initial (cl)Recall matrix.
    th : float
        Strict threshold.
    gt_free_recall : callable ``(g, p, consumed_preds_of_g) -> float``
        Fraction of ``skel(G_g)`` inside ``P_p`` and outside every prediction in the set.
    pred_free_recall : callable ``(g, p, consumed_gts_of_p) -> float``
        Fraction of ``skel(G_g)`` inside ``P_p`` minus every GT instance in the set.

    Returns
    -------
    dict
        1-based GT id -> list of matched 1-based prediction ids (in acceptance order).
    """
    rec, th = _check_loc(rec, th, "rec")
    for name, fn in (("gt_free_recall", gt_free_recall), ("pred_free_recall", pred_free_recall)):
        if not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    fg = rec[1:, 1:]
    matches: dict[int, list[int]] = {}
    if not np.any(fg > th):
        return matches
    heap = _LazyHeap()
    gi, pi = np.nonzero(fg > th)
    for g0, p0 in zip(gi, pi, strict=True):
        heap.push((int(g0), int(p0)), -float(fg[g0, p0]))
    consumed_by_gt: dict[int, set[int]] = {}
    consumed_by_pred: dict[int, set[int]] = {}
    while not heap.empty():
        item = heap.pop()
        if item is None:
            break
        g, p = int(item[1][0]), int(item[1][1])
        matches.setdefault(g, []).append(p)
        consumed_by_gt.setdefault(g, set()).add(p)
        consumed_by_pred.setdefault(p, set()).add(g)
        for op in (int(v) for v in np.nonzero(fg[g, :] > th)[0]):
            val = gt_free_recall(g + 1, op + 1, {q + 1 for q in consumed_by_gt[g]})
            if val > th:
                heap.push((g, op), -val)
            else:
                heap.invalidate((g, op))
        for og in (int(v) for v in np.nonzero(fg[:, p] > th)[0]):
            val = pred_free_recall(og + 1, p + 1, {q + 1 for q in consumed_by_pred[p]})
            if val > th:
                heap.push((og, p), -val)
            else:
                heap.invalidate((og, p))
    return {g + 1: [p + 1 for p in ps] for g, ps in matches.items()}


def split_merge_counts(matches: dict[int, list[int]], n_pred: int) -> tuple[int, int]:
    """``(FS, FM)``: FS = sum_g max(0, #preds(g) - 1), FM = sum_p max(0, #GTs(p) - 1).

    Raises
    ------
    TypeError, ValueError
        ``matches`` not a dict of lists of prediction ids in ``1 .. n_pred``; ``n_pred`` negative.
    """
    n_pred = check_int("n_pred", n_pred, minimum=0)
    if not isinstance(matches, dict):
        raise TypeError(f"matches must be a dict (GT id -> prediction ids), got {type(matches).__name__}")
    for ps in matches.values():
        for p in ps:
            if check_int("matches' prediction ids", p, minimum=1) > n_pred:
                raise ValueError(f"matches' prediction ids must be <= n_pred = {n_pred}, got {p}")
    fs = sum(max(0, len(v) - 1) for v in matches.values())
    fm = 0
    if n_pred > 0:
        per_pred = np.zeros(n_pred, dtype=np.int64)
        for ps in matches.values():
            for p in ps:
                per_pred[p - 1] += 1
        fm = int(np.maximum(per_pred - 1, 0).sum())
    return fs, fm
