"""Localisation matrices: clDice / clPrecision / clRecall (spec, Method 2) and voxel IoU (Method 8).

Each instance is skeletonised once, inside its bounding box (``skimage.morphology.skeletonize``
pads the crop itself, so the skeleton equals the full-volume one), and the labels of the other
segmentation are read at the skeleton voxels with binary searches.  No pass over the full volume
is made per instance.  3-D volumes are thinned in 3-D (Lee), 2-D images (``ndim=2``) in 2-D
(Zhang): ``skeletonize``'s default for each, as the official evaluator calls it.

Matrices are ``(nGT + 1) x (nPred + 1)`` with index 0 = background and are stored as float32,
like the reference evaluator's, so that strict threshold comparisons give the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skimage.morphology import skeletonize

from .labels import Instances, SparseLabels, as_sparse, check_pair, normalize

__all__ = ["Skeleton", "cl_matrices", "cldice_from", "compute_skeletons", "iou_matrices", "skeleton_of"]

IntArray = NDArray[np.int64]
F32 = NDArray[np.float32]


@dataclass(frozen=True)
class Skeleton:
    """Skeleton voxels of one instance and the labels found there.

    Attributes
    ----------
    flat : int64 array [n]
        Flat indices of the skeleton voxels.
    other : int64 array [n, C_other]
        Labels of the *other* segmentation (all channels) at those voxels.
    own : int64 array [n, C_own]
        Labels of the instance's own segmentation (all channels) at those voxels.
    """

    flat: IntArray
    other: IntArray
    own: IntArray

    @property
    def n(self) -> int:
        return int(self.flat.size)


def skeleton_of(inst: Instances, i: int, exclude: IntArray | None = None) -> IntArray:
    """Flat indices of the skeleton of instance ``i``, computed in its bounding box.

    3-D data: Lee's 3-D thinning; 2-D data (``ndim=2``): Zhang's 2-D thinning of the ``[Y, X]`` plane.
    """
    crop, lo = inst.mask_crop(i, exclude)
    if crop.size == 0:
        return np.zeros(0, dtype=np.int64)
    if inst.ndim == 2:
        skel = (skeletonize(crop[0].astype(np.uint8)) > 0)[np.newaxis]  # type: ignore[no-untyped-call]
    else:
        skel = skeletonize(crop.astype(np.uint8)) > 0  # type: ignore[no-untyped-call]
    zyx = np.nonzero(skel)
    coords = tuple(np.asarray(a, dtype=np.int64) + lo[k] for k, a in enumerate(zyx))
    flat: IntArray = np.asarray(np.ravel_multi_index(coords, inst.shape), dtype=np.int64)
    flat.sort()
    return flat


def compute_skeletons(inst: Instances, other: SparseLabels) -> list[Skeleton]:
    """Skeletons of every instance of ``inst`` with label lookups in ``other`` and in ``inst``."""
    out = []
    for i in range(1, inst.n + 1):
        flat = skeleton_of(inst, i)
        out.append(Skeleton(flat, other.lookup(flat), inst.labels.lookup(flat)))
    return out


def fractions(labels_at: IntArray, n_other: int) -> NDArray[np.float64]:
    """Fraction of rows covered by each label 0..n_other; index 0 = rows with no label at all.

    A row (skeleton voxel) counts once for every label present in any channel (overlap-aware).
    """
    n = labels_at.shape[0]
    out = np.zeros(n_other + 1, dtype=np.float64)
    if n == 0:
        return out
    counts = np.bincount(labels_at.ravel(), minlength=n_other + 1).astype(np.float64)
    counts[0] = np.count_nonzero(~np.any(labels_at > 0, axis=1))
    return counts / float(n)


def cldice_from(precision: F32, recall: F32) -> F32:
    """clDice = 2 P R / (P + R) in float32, NaN (0/0) set to 0, as the reference computes it."""
    with np.errstate(invalid="ignore", divide="ignore"):
        loc = 2 * precision * recall / (precision + recall)
    return np.nan_to_num(loc).astype(np.float32)


def recall_matrix(gt_skels: list[Skeleton], n_pred: int) -> F32:
    rec = np.zeros((len(gt_skels) + 1, n_pred + 1), dtype=np.float32)
    for g, sk in enumerate(gt_skels, start=1):
        if sk.n:
            rec[g] = fractions(sk.other, n_pred)
    return rec


def precision_matrix(pred_skels: list[Skeleton], n_gt: int, gt_columns: IntArray | None = None) -> F32:
    """clPrecision; ``gt_columns`` restricts (and reorders) which GT channels count (subsets)."""
    prec = np.zeros((n_gt + 1, len(pred_skels) + 1), dtype=np.float32)
    for p, sk in enumerate(pred_skels, start=1):
        if sk.n:
            other = sk.other if gt_columns is None else sk.other[:, gt_columns]
            prec[:, p] = fractions(other, n_gt)
    return prec


def cl_matrices(gt: Any, pred: Any, *, ndim: int = 3) -> tuple[F32, F32, F32]:
    """clDice, clRecall and clPrecision matrices of two label volumes (or 2-D images).

    Parameters
    ----------
    gt, pred : array-like ``[Z, Y, X]`` / ``[C, Z, Y, X]``, ``neurotypes.InstanceLabels`` or SparseLabels
        Both are normalised as the reference does (no small-component filter).  With ``ndim=2``:
        ``[Y, X]`` / ``[C, Y, X]`` images.
    ndim : {3, 2}
        Number of spatial dimensions.

    Returns
    -------
    cldice, clrecall, clprecision : float32 arrays ``[nGT + 1, nPred + 1]``
        Index 0 is background: ``clrecall[g, 0]`` is the fraction of ``skel(G_g)`` on no prediction,
        ``clprecision[0, p]`` the fraction of ``skel(P_p)`` on no ground-truth instance.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((5, 5, 12), dtype=np.uint8); gt[2, 2, 1:11] = 1
    >>> pred = np.zeros_like(gt); pred[2, 2, 1:6] = 1
    >>> cld, rec, prec = cl_matrices(gt, pred)
    >>> float(rec[1, 1]), float(prec[1, 1])
    (0.5, 1.0)
    """
    g = as_sparse(gt, "gt", ndim)
    p = as_sparse(pred, "pred", ndim)
    check_pair(g, p)
    gi = normalize(g)
    pi = normalize(p)
    gs = compute_skeletons(gi, pi.labels)
    ps = compute_skeletons(pi, gi.labels)
    rec = recall_matrix(gs, pi.n)
    prec = precision_matrix(ps, gi.n)
    return cldice_from(prec, rec), rec, prec


def iou_matrices(gt: Instances, pred: Instances) -> tuple[F32, F32, F32]:
    """Voxel IoU, recall and precision matrices with the reference's channel-pair semantics.

    For overlapping (multi-channel) inputs the reference pairs every GT channel with every
    prediction channel; background entries (row/column 0) count zero voxels per channel pair.
    """
    ng, npd = gt.n, pred.n
    vol = gt.labels.size
    gsize = np.zeros(ng + 1, dtype=np.float64)
    psize = np.zeros(npd + 1, dtype=np.float64)
    for i, v in enumerate(gt.voxels, start=1):
        gsize[i] = v.size
    for i, v in enumerate(pred.voxels, start=1):
        psize[i] = v.size
    gsize[0] = gt.labels.n_channels * vol - sum(v.size for v in gt.labels.indices)
    psize[0] = pred.labels.n_channels * vol - sum(v.size for v in pred.labels.indices)
    counts = np.zeros((ng + 1, npd + 1), dtype=np.float64)
    for gidx, gval in zip(gt.labels.indices, gt.labels.values, strict=True):
        for pidx, pval in zip(pred.labels.indices, pred.labels.values, strict=True):
            _, gi, pi = np.intersect1d(gidx, pidx, assume_unique=True, return_indices=True)
            np.add.at(counts, (gval[gi], pval[pi]), 1.0)
            # foreground of one side paired with background of the other in this channel pair
            gonly = np.bincount(gval, minlength=ng + 1).astype(np.float64)
            gonly -= np.bincount(gval[gi], minlength=ng + 1)
            ponly = np.bincount(pval, minlength=npd + 1).astype(np.float64)
            ponly -= np.bincount(pval[pi], minlength=npd + 1)
            counts[1:, 0] += gonly[1:]
            counts[0, 1:] += ponly[1:]
    iou = np.zeros_like(counts)
    rec = np.zeros_like(counts)
    prec = np.zeros_like(counts)
    nz = counts > 0
    gg, pp = np.nonzero(nz)
    c = counts[nz]
    iou[nz] = c / (gsize[gg] + psize[pp] - c)
    rec[nz] = c / gsize[gg]
    prec[nz] = c / psize[pp]
    return iou.astype(np.float32), rec.astype(np.float32), prec.astype(np.float32)
