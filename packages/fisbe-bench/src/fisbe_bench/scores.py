"""The FISBe metric suite: ``evaluate`` one image (spec, Methods 1-8); datasets: :mod:`.dataset`.

The numbers follow the official evaluator (``evalinstseg``, FlyLight preset: clDice localisation,
greedy matching) key by key; :meth:`FisbeScores.to_reference_dict` returns them under the
reference's own TOML keys.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_bool, check_choice, check_float, check_int

from .labels import Instances, as_sparse, check_ndim, check_pair, normalize, overlap_voxels
from .localize import (
    Skeleton,
    cldice_from,
    compute_skeletons,
    fractions,
    iou_matrices,
    precision_matrix,
    recall_matrix,
    skeleton_of,
)
from .match import many_to_many_consume, many_to_many_threshold, one_to_one, split_merge_counts

__all__ = [
    "THRESHOLDS",
    "FisbeScores",
    "SubsetScores",
    "ThresholdScores",
    "evaluate",
]

logger = logging.getLogger(__name__)

#: Thresholds in the reference's order: avF1 uses the first nine, avAP59 / avF1_59 the last ten.
THRESHOLDS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.55, 0.65, 0.75, 0.85, 0.95)

F32 = NDArray[np.float32]


def _th_key(th: float) -> str:
    return "th_" + str(th).replace(".", "_")


@dataclass(frozen=True)
class ThresholdScores:
    """Counts and scores at one localisation threshold."""

    threshold: float
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    ap: float
    f1: float
    false_split: int
    false_merge: int


@dataclass(frozen=True)
class SubsetScores:
    """Scores restricted to a GT subset (the "dim" neurons, or neurons that overlap others)."""

    n_gt: int
    tp_05: int
    tp_05_rel: float
    coverage: tuple[float, ...]
    avg_coverage: float


@dataclass(frozen=True)
class FisbeScores:
    """FISBe scores of one image.

    Attributes
    ----------
    S : float
        ``0.5 avF1 + 0.5 C`` (the leaderboard score, ``avg_f1_cov_score``).
    avF1 : float
        Mean F1 over th = 0.1 ... 0.9 (``avFscore19``).
    C : float
        Mean clDice-skeleton coverage of the GT instances (``avg_gt_skel_coverage``).
    cldice_tp : float
        Mean clDice of the one-to-one matches at th = 0.5; 0.0 when there are none (as the official
        evaluator since its commit 6bb3f2a).
    tp : float
        ``TP_0.5 / nGT``.
    fs, fm : int
        False splits (clRecall > ``fs_threshold``) and false merges (clRecall > ``fm_threshold``).
    tp_coverage : float
        Mean coverage of the GT instances with coverage > 0.5 (0.0 if none), the official
        ``avg_tp_skel_coverage``.
    ndim : int
        Spatial dimensions of the evaluated data (3 or 2).
    """

    S: float
    avF1: float
    C: float
    cldice_tp: float
    tp: float
    fs: int
    fm: int
    av_ap19: float
    av_ap59: float
    av_f1_59: float
    n_gt: int
    n_pred: int
    tp_05: int
    tp_05_cldice: tuple[float, ...]
    gt_coverage: tuple[float, ...]
    per_threshold: tuple[ThresholdScores, ...]
    dim: SubsetScores | None
    overlap: SubsetScores | None
    partly: bool
    matching: str
    criterion: str
    min_instance_size: int | None
    tp_coverage: float = 0.0
    ndim: int = 3
    background_covers: bool = True

    def threshold(self, th: float) -> ThresholdScores:
        """The per-threshold entry for ``th`` (one of :data:`THRESHOLDS`).

        Raises
        ------
        TypeError, ValueError
            ``th`` is not a number, or not one of :data:`THRESHOLDS`.
        """
        th = check_float("th", th)
        for t in self.per_threshold:
            if abs(t.threshold - th) < 1e-9:
                return t
        raise ValueError(f"th must be one of {THRESHOLDS}, got {th}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dictionary of every field."""
        out: dict[str, Any] = _jsonable(asdict(self))
        return out

    def to_reference_dict(self) -> dict[str, Any]:
        """The scores under the official evaluator's TOML keys (``general``, ``confusion_matrix``)."""
        gen: dict[str, Any] = {
            "Num GT": self.n_gt,
            "Num Pred": self.n_pred,
            "TP_05": self.tp_05,
            "TP_05_rel": self.tp,
            "TP_05_cldice": list(self.tp_05_cldice),
            "avg_TP_05_cldice": self.cldice_tp,
            "gt_skel_coverage": list(self.gt_coverage),
            "avg_gt_skel_coverage": self.C,
            "avg_tp_skel_coverage": self.tp_coverage,
            "avg_f1_cov_score": self.S,
            "FM": self.fm,
            "FS": self.fs,
        }
        for name, sub in (("dim", self.dim), ("overlap", self.overlap)):
            if sub is None:
                continue
            gen[f"GT_{name}"] = sub.n_gt
            gen[f"TP_05_{name}"] = sub.tp_05
            gen[f"TP_05_rel_{name}"] = sub.tp_05_rel
            gen[f"gt_covs_{name}"] = list(sub.coverage)
            gen[f"avg_gt_cov_{name}"] = sub.avg_coverage
        cm: dict[str, Any] = {
            "avAP": self.av_ap59,
            "avAP59": self.av_ap59,
            "avAP19": self.av_ap19,
            "avFscore": self.avF1,
            "avFscore59": self.av_f1_59,
            "avFscore19": self.avF1,
        }
        for t in self.per_threshold:
            cm[_th_key(t.threshold)] = {
                "AP_TP": t.tp,
                "AP_FP": t.fp,
                "AP_FN": t.fn,
                "precision": t.precision,
                "recall": t.recall,
                "AP": t.ap,
                "fscore": t.f1,
                "false_split": t.false_split,
                "false_merge": t.false_merge,
            }
        cm["th_0_5"]["tp_skel_coverage"] = [c for c in self.gt_coverage if c > 0.5]
        return {"general": gen, "confusion_matrix": cm}


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def _validate(
    matching: str,
    criterion: str,
    min_instance_size: int | None,
    fs_threshold: float,
    fm_threshold: float,
    partly: bool,
    background_covers: bool,
) -> tuple[int | None, float, float]:
    check_choice("matching", matching, ("greedy", "hungarian"))
    check_choice("criterion", criterion, ("cldice", "iou"))
    size = None if min_instance_size is None else check_int("min_instance_size", min_instance_size, minimum=0)
    fs = check_float("fs_threshold", fs_threshold, minimum=0.0)
    fm = check_float("fm_threshold", fm_threshold, minimum=0.0)
    for name, v in (("fs_threshold", fs), ("fm_threshold", fm)):
        if v >= 1.0:
            raise ValueError(f"{name} must lie in [0, 1), got {v}")
    check_bool("partly", partly)
    check_bool("background_covers", background_covers)
    return size, fs, fm


def _dim_ids(dim_instances: Any, gi: Instances) -> list[int]:
    if isinstance(dim_instances, str | bytes) or not isinstance(dim_instances, Sequence | np.ndarray):
        raise TypeError(f"dim_instances must be a sequence of GT ids, got {type(dim_instances).__name__}")
    out = []
    for d in dim_instances:
        v = check_int("dim_instances entries", d, minimum=1)
        if v not in gi.raw_to_id:
            raise ValueError(f"dim_instances must list GT ids present in gt; {v} is not")
        out.append(gi.raw_to_id[v])
    return out


def _coverage(
    rec_rows: F32,
    prec_sub: F32,
    sub_skels: Sequence[Skeleton],
    both_overlap: bool,
    background_covers: bool = True,
) -> list[Any]:
    """Per-GT coverage (spec, Method 4): each prediction goes to its argmax clPrecision row.

    ``rec_rows`` are the clRecall rows of the GT set (row 0 = background), ``prec_sub`` the
    clPrecision matrix against that GT set, ``sub_skels`` the skeletons of its instances.

    Column 0 (the prediction background) takes part in the argmax as in the official evaluator:
    with IoU localisation it is non-zero, so the background is assigned to a GT and counted as
    covering it (in the union branch: every skeleton voxel where some prediction channel is 0).
    ``background_covers=False`` assigns column 0 to the background row instead.  With clDice the
    column is 0 and this changes nothing.
    """
    max_gt = np.argmax(prec_sub, axis=0)
    if not background_covers:
        max_gt[0] = 0
    cov: list[Any] = []
    if both_overlap:
        assigned = set(int(v) for v in max_gt[max_gt > 0])
        for gi, sk in enumerate(sub_skels, start=1):
            if gi in assigned:
                preds = np.flatnonzero(max_gt == gi)
                hit = np.any(np.isin(sk.other, preds), axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):  # empty skeleton: NaN, as the reference
                    cov.append(np.float64(np.sum(hit, dtype=float)) / np.float64(sk.n))
            else:
                cov.append(0.0)
    else:
        for i in range(1, rec_rows.shape[0]):
            cov.append(np.sum(rec_rows[i, max_gt == i]))
    return cov


def _subset(
    name: str,
    gt_ids: list[int],
    gi: Instances,
    gt_skels: list[Skeleton],
    pred_skels: list[Skeleton],
    n_pred: int,
    loc: F32,
    rec: F32,
    pred_overlaps: bool,
    matching: str,
) -> SubsetScores | None:
    """Coverage and TP_0.5 on a GT subset, as the reference's ``get_gt_coverage_dim/overlap``.

    The reference selects the subset's *channels* as ``id - 1`` (one neuron per channel, as in
    FISBe), relabels them, and recomputes clPrecision against that subset only.
    """
    k = len(gt_ids)
    if k == 0:
        return SubsetScores(0, 0, 0.0, (), 0.0)
    if n_pred == 0:
        return SubsetScores(k, 0, 0.0, (), 0.0)
    channels = [g - 1 for g in gt_ids]
    n_ch = gi.labels.n_channels
    if any(c < 0 or c >= n_ch for c in channels):
        logger.warning("%s subset ids %s do not index GT channels; subset scores skipped", name, gt_ids)
        return None
    # subset instances: every instance of the selected channels, channel order, ids ascending
    sub_ids: list[int] = []
    for c in channels:
        sub_ids.extend(int(i) for i in np.flatnonzero(gi.channel == c) if i > 0)
    remap = np.zeros(gi.n + 1, dtype=np.int64)
    for j, g in enumerate(sub_ids, start=1):
        remap[g] = j if remap[g] == 0 else remap[g]
    cols = np.asarray(channels, dtype=np.int64)
    prec_sub = np.zeros((len(sub_ids) + 1, n_pred + 1), dtype=np.float32)
    for p, sk in enumerate(pred_skels, start=1):
        if sk.n:
            prec_sub[:, p] = fractions(remap[sk.other[:, cols]], len(sub_ids))
    rows = [0, *gt_ids]
    rec_sub = rec[rows]
    loc_sub = loc[rows]
    sub_overlap = overlap_voxels(_select_channels(gi, channels)).size > 0
    cov = _coverage(rec_sub, prec_sub, [gt_skels[g - 1] for g in sub_ids], sub_overlap and pred_overlaps)
    tp05 = 0
    if loc_sub[1:, 1:].size and np.max(loc_sub[1:, 1:]) > 0.5:
        tp05 = len(one_to_one(loc_sub, 0.5, matching, n_norm=1))
    avg = np.mean(cov) if cov else 0.0
    return SubsetScores(k, tp05, tp05 / float(k), tuple(float(c) for c in cov), float(avg))


def _select_channels(gi: Instances, channels: list[int]) -> Any:
    from .labels import SparseLabels

    return SparseLabels(
        gi.labels.shape,
        tuple(gi.labels.indices[c] for c in channels),
        tuple(gi.labels.values[c] for c in channels),
        gi.labels.ndim,
    )


def evaluate(
    gt: Any,
    pred: Any,
    *,
    matching: str = "greedy",
    min_instance_size: int | None = None,
    partly: bool = False,
    criterion: str = "cldice",
    fs_threshold: float = 0.05,
    fm_threshold: float = 0.1,
    dim_instances: Sequence[int] | None = None,
    ndim: int = 3,
    background_covers: bool = True,
) -> FisbeScores:
    """Evaluate a predicted instance segmentation against ground truth with the FISBe metrics.

    Parameters
    ----------
    gt, pred : array ``[Z, Y, X]`` or ``[C, Z, Y, X]``, ``neurotypes.InstanceLabels`` or SparseLabels
        Non-negative integer ids, 0 = background; channels may overlap (FISBe GT: one neuron per
        channel).  Spatial shapes must be equal.  With ``ndim=2``: ``[Y, X]`` or ``[C, Y, X]``.
    matching : {"greedy", "hungarian"}
        One-to-one matching.  FISBe (and this default) is greedy; the reference's
        ``evaluate_volume`` defaults to Hungarian.
    min_instance_size : int or None
        Remove predicted instances with ``<= min_instance_size`` voxels first (the reference CLI's
        ``--app flylight`` preset uses 800; None disables).  GT is never filtered.
    partly : bool
        Partly labelled GT: false positives are only unmatched predictions whose best clPrecision
        row is a GT instance.
    criterion : {"cldice", "iou"}
        Localisation criterion.
    fs_threshold, fm_threshold : float
        clRecall thresholds of the many-to-many matching for false splits / false merges.
    dim_instances : sequence of int, optional
        GT ids of the "dim" neurons (FISBe zarr attribute ``dim_neurons``); adds the dim subset scores.
    ndim : {3, 2}
        Number of spatial dimensions (the official evaluator's ``ndim``): 3 thins each instance in
        3-D (Lee), 2 evaluates 2-D images and thins in 2-D (Zhang), as the official evaluator.
    background_covers : bool
        True (default, the official evaluator): in the coverage step the prediction background is
        assigned to its argmax GT like a prediction and counted as covering it.  This matters only
        with ``criterion="iou"`` (clDice's background column is 0) and there lets coverages exceed 1
        with multi-channel predictions; False lets only predicted instances cover GT.

    Returns
    -------
    FisbeScores

    Raises
    ------
    TypeError
        Float labels or wrong argument types.
    ValueError
        Shape mismatch, negative ids, empty ground truth, unknown options.

    Examples
    --------
    A 20-voxel line predicted as its first half (clRecall 0.5, clPrecision 1, clDice 2/3) plus a stray piece:

    >>> import numpy as np
    >>> gt = np.zeros((5, 7, 24), np.uint8); gt[2, 3, 2:22] = 1
    >>> pred = np.zeros_like(gt); pred[2, 3, 2:12] = 1; pred[2, 6, 2:10] = 2
    >>> s = evaluate(gt, pred)
    >>> s.threshold(0.6).tp, s.threshold(0.7).tp, s.gt_coverage
    (1, 0, (0.5,))
    >>> round(s.avF1, 4), round(s.S, 4)
    (0.4444, 0.4722)
    """
    min_instance_size, fs_threshold, fm_threshold = _validate(
        matching, criterion, min_instance_size, fs_threshold, fm_threshold, partly, background_covers
    )
    ndim = check_ndim(ndim)
    gs = as_sparse(gt, "gt", ndim)
    ps = as_sparse(pred, "pred", ndim)
    check_pair(gs, ps)
    gi = normalize(gs)
    if gi.n == 0:
        raise ValueError("gt is empty: the ground truth must contain at least one instance (id > 0)")
    dim_ids = None if dim_instances is None else _dim_ids(dim_instances, gi)
    pi = normalize(ps, min_instance_size)
    ng, npd = gi.n, pi.n

    gt_skels = compute_skeletons(gi, pi.labels)
    pred_skels = compute_skeletons(pi, gi.labels)
    gt_ov_vox = overlap_voxels(gi.labels)
    gt_overlaps = gt_ov_vox.size > 0
    pred_overlaps = overlap_voxels(pi.labels).size > 0
    overlaps = gt_overlaps or pred_overlaps

    rec_wo: F32 | None = None
    if criterion == "cldice":
        rec = recall_matrix(gt_skels, npd)
        prec = precision_matrix(pred_skels, ng)
        loc = cldice_from(prec, rec)
        if overlaps:
            rec_wo = rec.copy()
            for g in range(1, ng + 1):
                if gt_ov_vox.size and np.isin(gi.voxels[g - 1], gt_ov_vox, assume_unique=True).any():
                    flat = skeleton_of(gi, g, exclude=gt_ov_vox)
                    rec_wo[g] = fractions(pi.labels.lookup(flat), npd) if flat.size else 0.0
    else:
        loc, rec, prec = iou_matrices(gi, pi)

    per_th: list[ThresholdScores] = []
    tp_05 = 0
    tp_05_cldice: list[np.float32] = []
    for th in THRESHOLDS:
        pairs = one_to_one(loc, th, matching, n_norm=min(ng, npd) if min(ng, npd) > 0 else 1)
        tp = len(pairs)
        matched_p = {p for _, p in pairs}
        unassigned = np.array([p for p in range(1, npd + 1) if p not in matched_p], dtype=np.int64)
        fs_ind = unassigned[np.argmax(prec[:, unassigned], axis=0) > 0] if unassigned.size else unassigned
        mask = rec[1:, 1:] > th
        if rec_wo is not None:
            mask = mask & (rec_wo[1:, 1:] > th)
        fm_count = int(np.maximum(0, mask.sum(axis=0) - 1).sum()) if mask.size else 0
        fp = len(fs_ind) if partly else npd - tp
        fn = ng - tp
        precision = tp / max(1, tp + fp)
        recall = tp / max(1, tp + fn)
        f1 = (2.0 * precision * recall) / (precision + recall) if precision + recall > 0 else 0.0
        per_th.append(
            ThresholdScores(th, tp, fp, fn, precision, recall, precision * recall, f1, len(fs_ind), fm_count)
        )
        if th == 0.5:
            tp_05 = tp
            tp_05_cldice = [loc[g, p] for g, p in pairs]

    aps = [t.ap for t in per_th]
    f1s = [t.f1 for t in per_th]
    av_f1 = float(np.mean(f1s[:-5]))

    both_overlap = gt_overlaps and pred_overlaps
    cov = _coverage(rec, prec, gt_skels, both_overlap, bool(background_covers))
    c_mean = float(np.mean(cov))
    cov_arr = np.asarray(cov)  # the official's dtype: float32 from clRecall sums, float64 from unions
    tp_cov = cov_arr[cov_arr > 0.5]
    tp_cov_mean = float(np.mean(tp_cov)) if tp_cov.size else 0.0

    def _m2m(th: float) -> tuple[int, int]:
        if overlaps:
            matches = many_to_many_consume(rec, th, _gt_free_recall(gt_skels), _pred_free_recall(gt_skels))
        else:
            matches = many_to_many_threshold(rec, th)
        return split_merge_counts(matches, npd)

    fm = _m2m(fm_threshold)[1]
    fs = _m2m(fs_threshold)[0] if fs_threshold != fm_threshold else _m2m(fm_threshold)[0]

    dim = None
    if dim_ids is not None:
        dim = _subset("dim", dim_ids, gi, gt_skels, pred_skels, npd, loc, rec, pred_overlaps, matching)
    ov_ids = sorted(int(v) for v in np.unique(gi.labels.lookup(gt_ov_vox)) if v > 0) if gt_overlaps else []
    overlap = _subset("overlap", ov_ids, gi, gt_skels, pred_skels, npd, loc, rec, pred_overlaps, matching)

    # the official writes 0.0 when nothing matches at 0.5 (since its commit 6bb3f2a; NaN before)
    cl_tp = float(np.mean(np.asarray(tp_05_cldice, dtype=np.float32))) if tp_05_cldice else 0.0
    return FisbeScores(
        S=0.5 * av_f1 + 0.5 * c_mean,
        avF1=av_f1,
        C=c_mean,
        cldice_tp=cl_tp,
        tp=tp_05 / float(ng),
        fs=int(fs),
        fm=int(fm),
        av_ap19=float(np.mean(aps[:-5])),
        av_ap59=float(np.mean(aps[4:])),
        av_f1_59=float(np.mean(f1s[4:])),
        n_gt=ng,
        n_pred=npd,
        tp_05=tp_05,
        tp_05_cldice=tuple(float(v) for v in tp_05_cldice),
        gt_coverage=tuple(float(v) for v in cov),
        per_threshold=tuple(per_th),
        dim=dim,
        overlap=overlap,
        partly=bool(partly),
        matching=matching,
        criterion=criterion,
        min_instance_size=min_instance_size,
        tp_coverage=tp_cov_mean,
        ndim=ndim,
        background_covers=bool(background_covers),
    )


def _gt_free_recall(gt_skels: list[Skeleton]) -> Any:
    def f(g: int, p: int, consumed_preds: set[int]) -> float:
        sk = gt_skels[g - 1]
        inside = np.any(sk.other == p, axis=1)
        if consumed_preds:
            inside &= ~np.any(np.isin(sk.other, list(consumed_preds)), axis=1)
        return float(np.sum(inside)) / (float(sk.n) or 1.0)

    return f


def _pred_free_recall(gt_skels: list[Skeleton]) -> Any:
    def f(g: int, p: int, consumed_gts: set[int]) -> float:
        sk = gt_skels[g - 1]
        inside = np.any(sk.other == p, axis=1)
        if consumed_gts:
            inside &= ~np.any(np.isin(sk.own, list(consumed_gts)), axis=1)
        return float(np.sum(inside)) / (float(sk.n) or 1.0)

    return f
