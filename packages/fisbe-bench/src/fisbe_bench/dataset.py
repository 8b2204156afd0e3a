"""Dataset-level FISBe scores and the official summary table (``summary.csv``).

The official evaluator aggregates a dataset in two ways, both reproduced here:

* :func:`aggregate` (its ``average_flylight_score_over_instances``): F1 at each threshold 0.1 ... 0.9
  from the TP / FP / FN counts *summed* over images, avF1 their mean; coverages, clDice of the
  matches and the dim / overlap coverages pooled over all instances of all images; counts summed.
* :func:`aggregate_combined` (its ``average_sets``, used when completely and partly labelled
  images are evaluated together, FISBe's "combined" setting): each set is aggregated as above and
  the two sets' scores (S, avF1, F1 per threshold, C, clDiceTP, dim / overlap coverages) are
  averaged with equal weight; counts are summed and the ``*_rel`` ratios are recomputed from them.

:func:`summary_table` writes the per-image rows plus the ``mean``, ``sum`` and ``avg_inst`` rows of the
official ``summary.csv``.  The per-image input is an :class:`ImageRecord`, made from a
:class:`~fisbe_bench.scores.FisbeScores` (:func:`record_from_scores`) or from a row of an official
summary file (:meth:`ImageRecord.from_summary_row`).  A summary row does not hold everything: for a
partly labelled image the TP / FP / FN counts at thresholds other than 0.5 are not recoverable
from its F1 (its FP is not ``nPred - TP``), so F1 values that need them are NaN rather than guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .scores import THRESHOLDS, FisbeScores, _jsonable, _th_key

__all__ = [
    "FLYLIGHT_SUMMARY_COLUMNS",
    "DatasetScores",
    "ImageRecord",
    "Pool",
    "SubsetCounts",
    "aggregate",
    "aggregate_combined",
    "record_from_scores",
    "summary_table",
]

#: The thresholds of avF1 (0.1 ... 0.9).
THRESHOLDS_19: tuple[float, ...] = THRESHOLDS[:9]

#: Columns of the official ``--app flylight`` summary (evaluator commit cc34f4d), in its order.
FLYLIGHT_SUMMARY_COLUMNS: tuple[str, ...] = (
    "general Num GT",
    "general Num Pred",
    "general avg_f1_cov_score",
    "confusion_matrix avFscore",
    "general avg_gt_skel_coverage",
    "th_0_5 AP_TP",
    "th_0_5 AP_FP",
    "th_0_5 AP_FN",
    "general FM",
    "general FS",
    "general TP_05",
    "general TP_05_rel",
    "general avg_TP_05_cldice",
    "general GT_dim",
    "general TP_05_dim",
    "general TP_05_rel_dim",
    "general avg_gt_cov_dim",
    "general GT_overlap",
    "general TP_05_overlap",
    "general TP_05_rel_overlap",
    "general avg_gt_cov_overlap",
    *(f"{_th_key(th)} fscore" for th in THRESHOLDS_19),
)

Counts = tuple[int, int, int]


@dataclass(frozen=True)
class Pool:
    """One image's share of a per-instance mean pooled over a dataset.

    ``values`` (float32, as the official evaluator stores them) when known; otherwise only their
    ``mean`` and number ``n`` (e.g. from a summary row).
    """

    mean: float
    n: int
    values: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        if self.values is not None and len(self.values) != self.n:
            raise ValueError(f"values must hold n = {self.n} entries, got {len(self.values)}")


def _pooled_mean(pools: Sequence[Pool]) -> float:
    """Mean over all pooled instances; 0.0 when there are none (as the official evaluator)."""
    total = sum(p.n for p in pools)
    if total == 0:
        return 0.0
    if all(p.values is not None for p in pools):
        vals = np.concatenate([np.asarray(p.values, dtype=np.float32) for p in pools])
        return float(np.mean(vals))  # float32 mean of float32 values, as the official
    return float(sum(p.mean * p.n for p in pools if p.n) / total)


@dataclass(frozen=True)
class SubsetCounts:
    """One image's "dim" or "overlap" subset: GT count, TP at 0.5 and the coverages."""

    n_gt: int = 0
    tp_05: int = 0
    coverage: Pool = field(default_factory=lambda: Pool(0.0, 0, ()))


@dataclass(frozen=True)
class ImageRecord:
    """What dataset aggregation needs from one image.

    Attributes
    ----------
    name : str
        Sample name.
    partly : bool
        Partly labelled ground truth (FISBe's split: its FP count differs).
    counts : tuple of (TP, FP, FN) or None
        At th = 0.1 ... 0.9; None where unknown.
    row : mapping
        The image's summary row (official column names, e.g. ``"general Num GT"``).
    """

    name: str
    partly: bool
    n_gt: int
    n_pred: int
    counts: tuple[Counts | None, ...]
    coverage: Pool
    tp_05: int
    tp_05_cldice: Pool
    fs: int
    fm: int
    false_split_05: int
    false_merge_05: int
    dim: SubsetCounts
    overlap: SubsetCounts
    row: Mapping[str, float]

    def __post_init__(self) -> None:
        if len(self.counts) != len(THRESHOLDS_19):
            raise ValueError(f"counts must hold {len(THRESHOLDS_19)} entries (th 0.1 ... 0.9)")

    @classmethod
    def from_summary_row(cls, name: str, row: Mapping[str, Any], *, partly: bool) -> ImageRecord:
        """Build a record from one per-image row of an official ``summary.csv``.

        Parameters
        ----------
        name : str
            Sample name (the row's first cell).
        row : mapping
            Column name -> value (str or number); needs at least ``general Num GT``,
            ``general Num Pred``, ``general avg_gt_skel_coverage``, ``general TP_05`` and the
            ``th_0_5 AP_TP/AP_FP/AP_FN`` counts.
        partly : bool
            Whether the image is partly labelled (FISBe split list).  For a completely labelled
            image the counts at every threshold follow from its F1 (``FP = nPred - TP``,
            ``FN = nGT - TP``, so ``TP = F1 (nGT + nPred) / 2``); for a partly labelled one only
            the 0.5 counts are known.

        Raises
        ------
        ValueError
            A required column is missing or the row is inconsistent (a non-integral TP).
        """
        vals = {str(k): float(v) for k, v in row.items() if str(k) != "sample"}
        need = ["general Num GT", "general Num Pred", "general avg_gt_skel_coverage", "general TP_05"]
        need += [f"th_0_5 {c}" for c in ("AP_TP", "AP_FP", "AP_FN")]
        missing = [k for k in need if k not in vals]
        if missing:
            raise ValueError(f"row of {name!r} lacks the columns {missing}")

        def ival(key: str) -> int:
            v = vals.get(key, 0.0)
            if not math.isfinite(v) or v != round(v):
                raise ValueError(f"row of {name!r}: {key} must be a whole number, got {v}")
            return round(v)

        n_gt, n_pred = ival("general Num GT"), ival("general Num Pred")
        counts: list[Counts | None] = []
        for th in THRESHOLDS_19:
            key = _th_key(th)
            if all(f"{key} {c}" in vals for c in ("AP_TP", "AP_FP", "AP_FN")):
                counts.append((ival(f"{key} AP_TP"), ival(f"{key} AP_FP"), ival(f"{key} AP_FN")))
            elif not partly and f"{key} fscore" in vals:
                tp_f = vals[f"{key} fscore"] * (n_gt + n_pred) / 2.0
                tp = round(tp_f)
                if abs(tp_f - tp) > 1e-6:
                    raise ValueError(
                        f"row of {name!r}: {key} fscore {vals[f'{key} fscore']} does not give a whole TP "
                        f"for a completely labelled image (nGT {n_gt}, nPred {n_pred}); is it partly labelled?"
                    )
                counts.append((tp, n_pred - tp, n_gt - tp))
            else:
                counts.append(None)
        tp05 = ival("general TP_05")

        def subset(name_: str, with_cov: bool) -> SubsetCounts:
            n = ival(f"general GT_{name_}")
            cov = vals.get(f"general avg_gt_cov_{name_}", 0.0)
            return SubsetCounts(n, ival(f"general TP_05_{name_}"), Pool(cov, n if with_cov else 0))

        return cls(
            name=name,
            partly=bool(partly),
            n_gt=n_gt,
            n_pred=n_pred,
            counts=tuple(counts),
            coverage=Pool(vals["general avg_gt_skel_coverage"], n_gt),
            tp_05=tp05,
            tp_05_cldice=Pool(vals.get("general avg_TP_05_cldice", 0.0), tp05),
            fs=ival("general FS"),
            fm=ival("general FM"),
            false_split_05=ival("th_0_5 false_split"),
            false_merge_05=ival("th_0_5 false_merge"),
            # the official evaluator computes dim coverages only when there are predictions
            dim=subset("dim", n_pred > 0),
            overlap=subset("overlap", n_pred > 0),
            row=vals,
        )


def _subset_of(sub: Any) -> SubsetCounts:
    if sub is None:
        return SubsetCounts()
    cov = tuple(float(c) for c in sub.coverage)
    return SubsetCounts(sub.n_gt, sub.tp_05, Pool(sub.avg_coverage, len(cov), cov))


def record_from_scores(scores: FisbeScores, name: str = "", *, partly: bool | None = None) -> ImageRecord:
    """The :class:`ImageRecord` of one evaluated image (``partly`` defaults to ``scores.partly``)."""
    if not isinstance(scores, FisbeScores):
        raise TypeError(f"scores must be a FisbeScores, got {type(scores).__name__}")
    t05 = scores.threshold(0.5)
    counts = tuple((t.tp, t.fp, t.fn) for t in (scores.threshold(th) for th in THRESHOLDS_19))
    dim, ovl = _subset_of(scores.dim), _subset_of(scores.overlap)
    row: dict[str, float] = {
        "general Num GT": scores.n_gt,
        "general Num Pred": scores.n_pred,
        "general avg_f1_cov_score": scores.S,
        "confusion_matrix avFscore": scores.avF1,
        "general avg_gt_skel_coverage": scores.C,
        "general avg_tp_skel_coverage": scores.tp_coverage,
        "general FM": scores.fm,
        "general FS": scores.fs,
        "general TP_05": scores.tp_05,
        "general TP_05_rel": scores.tp,
        "general avg_TP_05_cldice": scores.cldice_tp,
    }
    for label, sub, src in (("dim", dim, scores.dim), ("overlap", ovl, scores.overlap)):
        row[f"general GT_{label}"] = sub.n_gt
        row[f"general TP_05_{label}"] = sub.tp_05
        row[f"general TP_05_rel_{label}"] = src.tp_05_rel if src is not None else 0.0
        row[f"general avg_gt_cov_{label}"] = sub.coverage.mean
    for t in scores.per_threshold:
        key = _th_key(t.threshold)
        row[f"{key} fscore"] = t.f1
        row[f"{key} AP_TP"], row[f"{key} AP_FP"], row[f"{key} AP_FN"] = t.tp, t.fp, t.fn
        row[f"{key} false_split"], row[f"{key} false_merge"] = t.false_split, t.false_merge
    return ImageRecord(
        name=name,
        partly=scores.partly if partly is None else bool(partly),
        n_gt=scores.n_gt,
        n_pred=scores.n_pred,
        counts=counts,
        coverage=Pool(scores.C, len(scores.gt_coverage), tuple(scores.gt_coverage)),
        tp_05=scores.tp_05,
        tp_05_cldice=Pool(scores.cldice_tp, len(scores.tp_05_cldice), tuple(scores.tp_05_cldice)),
        fs=scores.fs,
        fm=scores.fm,
        false_split_05=t05.false_split,
        false_merge_05=t05.false_merge,
        dim=dim,
        overlap=ovl,
        row={k: float(v) for k, v in row.items()},
    )


@dataclass(frozen=True)
class DatasetScores:
    """Dataset-level FISBe scores, as the official evaluator's ``avg_inst`` row.

    F1 values whose counts are unknown (partly labelled images read from summary rows, see
    :meth:`ImageRecord.from_summary_row`) are NaN, and so are avF1 and S then.  ``combined`` marks
    the average of a completely and a partly labelled set (:func:`aggregate_combined`).
    """

    S: float
    avF1: float
    C: float
    cldice_tp: float
    tp: float
    fs: int
    fm: int
    n_images: int
    n_gt: int
    n_pred: int
    tp_05: int
    f1_per_threshold: tuple[float, ...]
    tp_per_threshold: tuple[int | None, ...]
    fp_per_threshold: tuple[int | None, ...]
    fn_per_threshold: tuple[int | None, ...]
    gt_dim: int
    tp_05_dim: int
    tp_05_rel_dim: float
    avg_gt_cov_dim: float
    gt_overlap: int
    tp_05_overlap: int
    tp_05_rel_overlap: float
    avg_gt_cov_overlap: float
    false_split_05: int = 0
    false_merge_05: int = 0
    combined: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dictionary."""
        out: dict[str, Any] = _jsonable(asdict(self))
        return out

    def summary_row(self) -> dict[str, float]:
        """This aggregate under the official summary's column names (its ``avg_inst`` row).

        ``general avg_tp_skel_coverage`` is NaN: the official evaluator does not aggregate it.
        """
        i05 = THRESHOLDS_19.index(0.5)

        def num(v: int | None) -> float:
            return float("nan") if v is None else float(v)

        row: dict[str, float] = {
            "general Num GT": self.n_gt,
            "general Num Pred": self.n_pred,
            "general avg_f1_cov_score": self.S,
            "confusion_matrix avFscore": self.avF1,
            "general avg_gt_skel_coverage": self.C,
            "general avg_tp_skel_coverage": float("nan"),
            "th_0_5 AP_TP": num(self.tp_per_threshold[i05]),
            "th_0_5 AP_FP": num(self.fp_per_threshold[i05]),
            "th_0_5 AP_FN": num(self.fn_per_threshold[i05]),
            "th_0_5 false_split": self.false_split_05,
            "th_0_5 false_merge": self.false_merge_05,
            "general FM": self.fm,
            "general FS": self.fs,
            "general TP_05": self.tp_05,
            "general TP_05_rel": self.tp,
            "general avg_TP_05_cldice": self.cldice_tp,
            "general GT_dim": self.gt_dim,
            "general TP_05_dim": self.tp_05_dim,
            "general TP_05_rel_dim": self.tp_05_rel_dim,
            "general avg_gt_cov_dim": self.avg_gt_cov_dim,
            "general GT_overlap": self.gt_overlap,
            "general TP_05_overlap": self.tp_05_overlap,
            "general TP_05_rel_overlap": self.tp_05_rel_overlap,
            "general avg_gt_cov_overlap": self.avg_gt_cov_overlap,
        }
        for th, f1 in zip(THRESHOLDS_19, self.f1_per_threshold, strict=True):
            row[f"{_th_key(th)} fscore"] = f1
        return {k: float(v) for k, v in row.items()}


def _records(items: Sequence[Any]) -> list[ImageRecord]:
    items = list(items)
    if not items:
        raise ValueError("scores must hold at least one FisbeScores or ImageRecord")
    out = []
    for k, s in enumerate(items):
        if isinstance(s, ImageRecord):
            out.append(s)
        elif isinstance(s, FisbeScores):
            out.append(record_from_scores(s, f"image_{k}"))
        else:
            raise TypeError(f"scores must be FisbeScores or ImageRecord objects, got {type(s).__name__}")
    return out


def _ratio(a: int, b: int) -> float:
    return a / float(b) if b > 0 else 0.0


def aggregate(scores: Sequence[FisbeScores | ImageRecord]) -> DatasetScores:
    """Aggregate per-image scores over a dataset (the official ``average_flylight_score_over_instances``).

    F1 at each threshold 0.1 ... 0.9 comes from the TP / FP / FN counts *summed* over images
    (``2 TP / (2 TP + FP + FN)``, 0 when undefined), avF1 is their mean; C is the mean of all GT
    instances' coverages pooled across images, clDiceTP the mean of all matches' clDice at 0.5, the
    dim / overlap coverages likewise; S = 0.5 avF1 + 0.5 C.  This is not the mean of the per-image
    scores.  Means over no instances are 0.0, as in the official evaluator.

    Parameters
    ----------
    scores : sequence of FisbeScores or ImageRecord
        One entry per image.

    Raises
    ------
    ValueError
        If ``scores`` is empty.
    TypeError
        If an element is neither a FisbeScores nor an ImageRecord.

    Examples
    --------
    A perfect image and an image that finds one of three lines: F1 comes from the summed counts
    (TP 2, FP 0, FN 2: 2/3), not from the mean of the per-image F1 (1 and 1/2):

    >>> import numpy as np
    >>> from fisbe_bench import evaluate
    >>> one = np.zeros((5, 12, 30), np.uint8); one[2, 2, 2:28] = 1
    >>> three = one.copy(); three[2, 6, 2:28] = 2; three[2, 10, 2:28] = 3
    >>> total = aggregate([evaluate(one, one), evaluate(three, one)])
    >>> round(total.avF1, 4), total.tp_per_threshold[4], total.fn_per_threshold[4]
    (0.6667, 2, 2)
    """
    recs = _records(scores)
    tps: list[int | None] = []
    fps: list[int | None] = []
    fns: list[int | None] = []
    f1: list[float] = []
    for k in range(len(THRESHOLDS_19)):
        cs = [r.counts[k] for r in recs]
        if any(c is None for c in cs):
            tps.append(None)
            fps.append(None)
            fns.append(None)
            f1.append(float("nan"))
            continue
        known = [c for c in cs if c is not None]
        tp, fp, fn = (sum(c[j] for c in known) for j in range(3))
        tps.append(tp)
        fps.append(fp)
        fns.append(fn)
        den = 2 * tp + fp + fn
        f1.append(2 * tp / den if den > 0 else 0.0)
    av_f1 = float(np.mean(f1))
    c_mean = _pooled_mean([r.coverage for r in recs])
    n_gt = sum(r.n_gt for r in recs)
    tp05 = sum(r.tp_05 for r in recs)
    cl = _pooled_mean([r.tp_05_cldice for r in recs]) if tp05 > 0 else 0.0

    def sub(name: str) -> tuple[int, int, float, float]:
        subs: list[SubsetCounts] = [getattr(r, name) for r in recs]
        n = sum(x.n_gt for x in subs)
        t = sum(x.tp_05 for x in subs)
        return n, t, _ratio(t, n), _pooled_mean([x.coverage for x in subs])

    d, o = sub("dim"), sub("overlap")
    return DatasetScores(
        S=0.5 * av_f1 + 0.5 * c_mean,
        avF1=av_f1,
        C=c_mean,
        cldice_tp=cl,
        tp=_ratio(tp05, n_gt),
        fs=sum(r.fs for r in recs),
        fm=sum(r.fm for r in recs),
        n_images=len(recs),
        n_gt=n_gt,
        n_pred=sum(r.n_pred for r in recs),
        tp_05=tp05,
        f1_per_threshold=tuple(f1),
        tp_per_threshold=tuple(tps),
        fp_per_threshold=tuple(fps),
        fn_per_threshold=tuple(fns),
        gt_dim=d[0],
        tp_05_dim=d[1],
        tp_05_rel_dim=d[2],
        avg_gt_cov_dim=d[3],
        gt_overlap=o[0],
        tp_05_overlap=o[1],
        tp_05_rel_overlap=o[2],
        avg_gt_cov_overlap=o[3],
        false_split_05=sum(r.false_split_05 for r in recs),
        false_merge_05=sum(r.false_merge_05 for r in recs),
    )


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def aggregate_combined(
    complete: Sequence[FisbeScores | ImageRecord], partly: Sequence[FisbeScores | ImageRecord]
) -> DatasetScores:
    """FISBe's combined score: the average of the completely and the partly labelled sets.

    Each set is aggregated with :func:`aggregate`; S, avF1, F1 per threshold, C, clDiceTP and the
    dim / overlap coverages of the result are the means of the two sets' values, counts are sums
    and ``tp`` (and the dim / overlap ``tp_05_rel``) are recomputed from the summed counts.  This is
    the official evaluator's ``average_sets`` as its published 23-image results
    (``summary_brainbow_combined.csv``) show it; its code at commit cc34f4d pools the two sets'
    clDiceTP values instead and leaves the dim / overlap fields out of the combined row.

    Raises
    ------
    ValueError
        If either set is empty.
    """
    if not list(complete) or not list(partly):
        raise ValueError("complete and partly must each hold at least one image")
    a, b = aggregate(complete), aggregate(partly)

    def mean2(x: float, y: float) -> float:
        return float(np.mean([x, y]))

    n_gt = a.n_gt + b.n_gt
    tp05 = a.tp_05 + b.tp_05
    gt_dim, tp_dim = a.gt_dim + b.gt_dim, a.tp_05_dim + b.tp_05_dim
    gt_ov, tp_ov = a.gt_overlap + b.gt_overlap, a.tp_05_overlap + b.tp_05_overlap
    return DatasetScores(
        S=mean2(a.S, b.S),
        avF1=mean2(a.avF1, b.avF1),
        C=mean2(a.C, b.C),
        cldice_tp=mean2(a.cldice_tp, b.cldice_tp),
        tp=_ratio(tp05, n_gt),
        fs=a.fs + b.fs,
        fm=a.fm + b.fm,
        n_images=a.n_images + b.n_images,
        n_gt=n_gt,
        n_pred=a.n_pred + b.n_pred,
        tp_05=tp05,
        f1_per_threshold=tuple(
            mean2(x, y) for x, y in zip(a.f1_per_threshold, b.f1_per_threshold, strict=True)
        ),
        tp_per_threshold=tuple(
            _add(x, y) for x, y in zip(a.tp_per_threshold, b.tp_per_threshold, strict=True)
        ),
        fp_per_threshold=tuple(
            _add(x, y) for x, y in zip(a.fp_per_threshold, b.fp_per_threshold, strict=True)
        ),
        fn_per_threshold=tuple(
            _add(x, y) for x, y in zip(a.fn_per_threshold, b.fn_per_threshold, strict=True)
        ),
        gt_dim=gt_dim,
        tp_05_dim=tp_dim,
        tp_05_rel_dim=_ratio(tp_dim, gt_dim),
        avg_gt_cov_dim=mean2(a.avg_gt_cov_dim, b.avg_gt_cov_dim),
        gt_overlap=gt_ov,
        tp_05_overlap=tp_ov,
        tp_05_rel_overlap=_ratio(tp_ov, gt_ov),
        avg_gt_cov_overlap=mean2(a.avg_gt_cov_overlap, b.avg_gt_cov_overlap),
        false_split_05=a.false_split_05 + b.false_split_05,
        false_merge_05=a.false_merge_05 + b.false_merge_05,
        combined=True,
    )


def summary_table(
    records: Sequence[FisbeScores | ImageRecord],
    columns: Sequence[str] = FLYLIGHT_SUMMARY_COLUMNS,
) -> list[tuple[str, dict[str, float]]]:
    """The official ``summary.csv``: one row per image, then ``mean``, ``sum`` and ``avg_inst``.

    ``mean`` and ``sum`` are column-wise over the per-image rows (a column an image lacks counts
    as 0.0, as in the official evaluator); ``avg_inst`` is :func:`aggregate` when all images share
    one labelling mode and :func:`aggregate_combined` when completely and partly labelled images
    are mixed (as the official command line does).

    Parameters
    ----------
    records : sequence of FisbeScores or ImageRecord
        One per image (FisbeScores rows are named ``image_<k>``; use :func:`record_from_scores` to
        name them).
    columns : sequence of str
        Column names (default: the official FlyLight preset's).

    Returns
    -------
    list of (row name, {column: value})

    Examples
    --------
    >>> import numpy as np
    >>> from fisbe_bench import evaluate, record_from_scores
    >>> gt = np.zeros((5, 12, 30), np.uint8); gt[2, 2, 2:28] = 1
    >>> rows = summary_table([record_from_scores(evaluate(gt, gt), "perfect")])
    >>> [name for name, _ in rows], rows[-1][1]["general avg_f1_cov_score"]
    (['perfect', 'mean', 'sum', 'avg_inst'], 1.0)
    """
    recs = _records(records)
    cols = list(columns)
    if not cols:
        raise ValueError("columns must name at least one column")
    table = np.array([[r.row.get(c, 0.0) for c in cols] for r in recs], dtype=np.float64)
    rows: list[tuple[str, dict[str, float]]] = [
        (r.name, dict(zip(cols, (float(v) for v in table[i]), strict=True))) for i, r in enumerate(recs)
    ]
    with np.errstate(invalid="ignore"):
        rows.append(("mean", dict(zip(cols, (float(v) for v in np.mean(table, axis=0)), strict=True))))
        rows.append(("sum", dict(zip(cols, (float(v) for v in np.sum(table, axis=0)), strict=True))))
    flags = {r.partly for r in recs}
    if len(flags) > 1:
        agg = aggregate_combined([r for r in recs if not r.partly], [r for r in recs if r.partly])
    else:
        agg = aggregate(recs)
    inst = agg.summary_row()
    rows.append(("avg_inst", {c: inst.get(c, 0.0) for c in cols}))
    return rows
