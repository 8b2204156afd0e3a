"""Write ``evalinstseg_cases.json``: small cases and the official evaluator's complete output for each.

Run it with the official evaluator (it is not on PyPI) and this package installed in one separate environment::

    git clone https://github.com/Kainmueller-Lab/evaluate-instance-segmentation  # commit cc34f4d
    python -m venv venv && venv/bin/pip install ./evaluate-instance-segmentation ./shared/neurotypes \
        ./packages/fisbe-bench                                                      # scikit-image 0.24
    venv/bin/python tools/make_official_cases.py src/fisbe_bench/data/official/evalinstseg_cases.json

Two groups of cases, each with the output of ``evalinstseg.evaluate.evaluate_volume`` (every metric,
``evaluate_false_labels=True``):

- ``cases``: small 2-D (YX, CYX) and 3-D inputs built here with numpy / scipy and stored in the file
  (run-length coded);
- ``synthetic``: the package's synthetic cases A and B (``fisbe_bench.synth``), stored by the SHA-256 of their
  arrays, under both matchings, with and without the 800-voxel filter, with clDice and IoU.

The package's tests and ``reproduce`` read inputs and official numbers from the file and never need the
evaluator.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile

import numpy as np
from scipy import ndimage

ADD_GENERAL = [
    "avg_gt_skel_coverage",
    "avg_tp_skel_coverage",
    "avg_f1_cov_score",
    "false_merge",
    "false_split",
    "avg_gt_cov_dim",
    "avg_gt_cov_overlap",
]


def segment(shape, p0, p1, r):
    """Pixels (or voxels) within distance r of the segment p0-p1."""
    grid = np.indices(shape).astype(np.float64)
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    rel = grid - p0.reshape((-1,) + (1,) * len(shape))
    t = np.clip(np.tensordot(d, rel, axes=1) / float(d @ d), 0.0, 1.0)
    closest = p0.reshape((-1,) + (1,) * len(shape)) + d.reshape((-1,) + (1,) * len(shape)) * t
    return np.sum((grid - closest) ** 2, axis=0) <= r * r


def polyline(shape, points, r):
    out = np.zeros(shape, bool)
    for a, b in itertools.pairwise(points):
        out |= segment(shape, a, b, r)
    return out


def dense(masks, dtype=np.int32):
    out = np.zeros(masks[0].shape, dtype)
    for i, m in enumerate(masks, start=1):
        out[m] = i
    return out


def cases():
    shape = (36, 52)
    t1 = polyline(shape, [(4, 3), (10, 20), (6, 40), (12, 49)], 1.2)
    t2 = polyline(shape, [(30, 2), (22, 25), (31, 48)], 1.5)
    t3 = segment(shape, (16, 5), (18, 46), 1.0)
    t4 = polyline(shape, [(2, 30), (14, 33), (33, 30)], 1.3)  # crosses t3 and t2
    gt_masks = [t1, t2, t3, t4]
    # prediction: t1 split in two by a gap, t2 shifted by one pixel, t3 and t4 merged, a false positive
    cut = np.zeros(shape, bool)
    cut[:, 24:27] = True
    p1a = t1 & ~cut & (np.indices(shape)[1] < 24)
    p1b = t1 & ~cut & (np.indices(shape)[1] >= 27)
    p2 = np.roll(t2, 1, axis=0)
    p34 = t3 | t4
    fp = segment(shape, (26, 40), (33, 44), 1.0)
    small = np.zeros(shape, bool)
    small[0:2, 0:3] = True  # 6 pixels: removed by min_size 10
    pred_masks = [p1a, p1b, p2, p34, fp, small]
    gt_yx = dense(gt_masks)  # dense: t4 over t3 where they cross
    pred_yx = dense(pred_masks)
    gt_cyx = np.stack(gt_masks).astype(np.uint8)  # channels overlap where t3 / t4 and t2 / t4 cross
    out = {}
    out["yx_cldice_greedy"] = (gt_yx, pred_yx, {"ndim": 2})
    out["yx_cldice_greedy_rm10"] = (gt_yx, pred_yx, {"ndim": 2, "min_size": 10})
    out["yx_cldice_hungarian"] = (gt_yx, pred_yx, {"ndim": 2, "matching": "hungarian"})
    out["yx_iou_greedy"] = (gt_yx, pred_yx, {"ndim": 2, "criterion": "iou"})
    out["cyx_gt_cldice_dim"] = (gt_cyx, pred_yx, {"ndim": 2, "dim": [2, 4]})
    out["cyx_gt_iou"] = (gt_cyx, pred_yx, {"ndim": 2, "criterion": "iou"})
    # partly labelled: GT t1, t2 only; the prediction also segments t3 / t4 (unlabelled) and background
    out["cyx_gt_partly"] = (gt_cyx[:2], pred_yx, {"ndim": 2, "partly": True})
    # labelled channels: several ids per channel, channels not overlapping (the official subsets assume one
    # neuron per channel when channels overlap)
    lab = np.zeros((2, *shape), np.int32)
    lab[0][t1], lab[0][t3] = 3, 5
    lab[1][t2] = 7
    out["cyx_labelled_channels"] = (lab, pred_yx, {"ndim": 2})
    # thick, irregular blobs (Zhang thinning of non-tubular shapes)
    rng = np.random.default_rng(7)
    f = ndimage.gaussian_filter(rng.normal(size=(40, 40)), 2.5)
    blobs, _ = ndimage.label(f > 0.05)
    pred_b = np.roll(blobs, 1, axis=1)
    pred_b[pred_b == 2] = 0
    pred_b[pred_b == 3] = 1
    out["yx_blobs_cldice"] = (blobs.astype(np.int32), pred_b.astype(np.int32), {"ndim": 2})
    # nothing matches at 0.5: avg_TP_05_cldice is written as 0.0
    g = np.zeros((20, 24), np.uint8)
    g[5, 2:22] = 1
    p = np.zeros_like(g)
    p[14, 2:22] = 1
    out["yx_nomatch"] = (g, p, {"ndim": 2})
    g3 = np.zeros((8, 20, 24), np.uint8)
    g3[4, 5, 2:22] = 1
    p3 = np.zeros_like(g3)
    p3[4, 14, 2:22] = 1
    out["zyx_nomatch"] = (g3, p3, {"ndim": 3})
    # 3-D, IoU, overlapping instances on both sides: the prediction background covers a GT neuron
    shape3 = (10, 24, 30)
    a = segment(shape3, (5, 6, 2), (5, 6, 27), 1.5)
    b = segment(shape3, (5, 2, 14), (5, 21, 14), 1.5)  # crosses a
    c = segment(shape3, (5, 18, 2), (5, 18, 12), 1.5)
    gt3 = np.stack([a, b, c]).astype(np.uint8)
    pred3 = np.stack([np.roll(a, 1, axis=2), np.roll(b, 1, axis=1), np.roll(c, 1, axis=2) | b]).astype(
        np.uint8
    )
    out["czyx_iou_overlap_both"] = (gt3, pred3, {"ndim": 3, "criterion": "iou", "dim": [2]})
    out["czyx_cldice_overlap_both"] = (gt3, pred3, {"ndim": 3, "dim": [2]})
    return out


def encode(arr):
    """Run-length code of the C-order flattened array: [start, length, value] for each non-zero run."""
    flat = arr.ravel()
    edges = np.flatnonzero(np.diff(flat)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [flat.size]])
    runs = [[int(a), int(b - a), int(flat[a])] for a, b in zip(starts, ends, strict=True) if flat[a] != 0]
    return {"shape": list(arr.shape), "dtype": str(arr.dtype), "runs": runs}


def plain(o):
    if isinstance(o, dict):
        return {k: plain(v) for k, v in o.items()}
    if isinstance(o, list | tuple | np.ndarray):
        return [plain(v) for v in o]
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    return o


def sha256(arr):
    import hashlib

    a = np.ascontiguousarray(arr)
    return hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes()).hexdigest()


def main(path):
    import evalinstseg
    import skimage
    from evalinstseg.evaluate import evaluate_volume

    from fisbe_bench import synth

    result = {
        "provenance": (
            "Official results computed with Kainmueller-Lab/evaluate-instance-segmentation (evalinstseg, MIT) at "
            f"commit cc34f4d, scikit-image {skimage.__version__}, numpy {np.__version__}: "
            "evalinstseg.evaluate.evaluate_volume(gt, pred, ndim, out, localization_criterion, assignment_strategy, "
            f"evaluate_false_labels=True, add_general_metrics={ADD_GENERAL}, remove_small_components, partly, "
            "dim_insts).metricsDict, by tools/make_official_cases.py."
        ),
        "evalinstseg_file": evalinstseg.__file__.rsplit("/", 2)[-2],
        "cases": {},
        "synthetic": {},
    }
    for name, (gt, pred, opt) in cases().items():
        m = evaluate_volume(
            gt.copy(),
            pred.copy(),
            opt["ndim"],
            tempfile.mkdtemp() + "/x",
            localization_criterion=opt.get("criterion", "cldice"),
            assignment_strategy=opt.get("matching", "greedy"),
            evaluate_false_labels=True,
            add_general_metrics=ADD_GENERAL,
            remove_small_components=opt.get("min_size"),
            partly=opt.get("partly", False),
            dim_insts=opt.get("dim", []),
        ).metricsDict
        result["cases"][name] = {"options": opt, "gt": encode(gt), "pred": encode(pred), "official": plain(m)}
    ga, pa = synth.case_a()
    gb, pb = synth.case_b(seed=0)
    gch = np.stack(
        [(ga == k).astype(np.uint8) for k in range(1, 5)]
    )  # case A ground truth, one neuron per channel
    runs = [
        ("A", ga, pa, c, m, r, [])
        for c in ("cldice", "iou")
        for m in ("greedy", "hungarian")
        for r in (None, 800)
    ]
    runs += [
        ("B", gb, pb, c, m, r, [])
        for c in ("cldice", "iou")
        for m in ("greedy", "hungarian")
        for r in (None, 800)
    ]
    runs += [("A_channels", gch, pa, "cldice", "greedy", r, [2, 4]) for r in (None, 800)]
    for case, gt, pred, criterion, matching, min_size, dim in runs:
        opt = {"ndim": 3, "criterion": criterion, "matching": matching, "min_size": min_size, "dim": dim}
        m = evaluate_volume(
            gt.copy(),
            pred.copy(),
            3,
            tempfile.mkdtemp() + "/x",
            localization_criterion=criterion,
            assignment_strategy=matching,
            evaluate_false_labels=True,
            add_general_metrics=ADD_GENERAL,
            remove_small_components=min_size,
            dim_insts=dim,
        ).metricsDict
        name = f"{case}_{criterion}_{matching}_{'rm800' if min_size else 'all'}"
        result["synthetic"][name] = {
            "case": case,
            "options": opt,
            "gt_sha256": sha256(gt),
            "pred_sha256": sha256(pred),
            "official": plain(m),
        }
    with open(path, "w") as fh:
        json.dump(result, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
