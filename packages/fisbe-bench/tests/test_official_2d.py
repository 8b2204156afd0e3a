"""The 2-D mode (``ndim=2``) and the official-evaluator semantics of issue 27, against published values.

The package ships (``fisbe_bench.data.evalinstseg_cases()``) small 2-D (YX, CYX) and 3-D cases with the
official evaluator's complete output for each, computed with ``evalinstseg`` at commit cc34f4d (scikit-image
0.24.0, numpy 2.4.6) by ``tools/make_official_cases.py`` (its docstring says how to rerun it).  The inputs
are stored in the file, so these tests need no evaluator.  Every number the official evaluator writes is
compared (1e-12), and every key it writes must exist on our side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fisbe_bench import evaluate
from fisbe_bench.data import decode_runs, evalinstseg_cases

REF = evalinstseg_cases()
CASES = REF["cases"]


def _decode(enc: dict) -> np.ndarray:
    """Run-length decoding written out here (independent of ``fisbe_bench.data.decode_runs``)."""
    flat = np.zeros(int(np.prod(enc["shape"])), dtype=enc["dtype"])
    for start, length, value in enc["runs"]:
        flat[start : start + length] = value
    return flat.reshape(enc["shape"])


def test_decode_runs_matches():
    for c in CASES.values():
        np.testing.assert_array_equal(decode_runs(c["gt"]), _decode(c["gt"]))


def _leaves(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


def _ours(case: dict, **extra):
    opt = case["options"]
    return evaluate(
        _decode(case["gt"]),
        _decode(case["pred"]),
        ndim=opt["ndim"],
        criterion=opt.get("criterion", "cldice"),
        matching=opt.get("matching", "greedy"),
        min_instance_size=opt.get("min_size"),
        partly=opt.get("partly", False),
        dim_instances=opt.get("dim") or (),
        **extra,
    )


def test_reference_file_covers_the_cases_of_issue_27():
    assert "cc34f4d" in REF["provenance"]
    forms = {(c["options"]["ndim"], len(c["gt"]["shape"]) - c["options"]["ndim"]) for c in CASES.values()}
    assert {(2, 0), (2, 1), (3, 0), (3, 1)} <= forms  # YX, CYX, ZYX, CZYX ground truth
    assert any(c["options"].get("criterion") == "iou" for c in CASES.values())
    nomatch = [c["official"]["general"]["avg_TP_05_cldice"] for n, c in CASES.items() if "nomatch" in n]
    assert nomatch == [0.0, 0.0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_official_number(name):
    case = CASES[name]
    ours = dict(_leaves(_ours(case).to_reference_dict()))
    official = dict(_leaves(case["official"]))
    assert len(official) > 100
    for key, value in official.items():
        assert key in ours, key
        a, b = float(value), float(ours[key])
        assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12, (key, a, b)
    # lists (coverages, clDice of the matches) have the official lengths
    lists = {k.split("[")[0] for k in official if "[" in k}
    assert not [k for k in ours if "[" in k and k.split("[")[0] in lists and k not in official]


def test_no_match_writes_zero_cldice():
    for name in ("yx_nomatch", "zyx_nomatch"):
        s = _ours(CASES[name])
        assert s.tp_05 == 0 and s.cldice_tp == 0.0 and s.tp_05_cldice == ()


def test_iou_prediction_background_covers_a_gt_neuron():
    """With IoU and overlaps on both sides the official coverage counts the prediction background."""
    case = CASES["czyx_iou_overlap_both"]
    official = case["official"]["general"]["gt_skel_coverage"]
    assert official[0] == pytest.approx(0.875)  # covered through the background
    s = _ours(case)
    assert s.gt_coverage == pytest.approx(official, abs=1e-12)
    strict = _ours(case, background_covers=False)
    assert strict.gt_coverage[0] == 0.0  # no predicted instance is assigned to GT 1
    assert strict.gt_coverage[1:] == s.gt_coverage[1:]
    # with clDice the background column of clPrecision is 0, so the flag changes nothing
    cl = CASES["czyx_cldice_overlap_both"]
    assert _ours(cl).to_dict() == {**_ours(cl, background_covers=False).to_dict(), "background_covers": True}


def test_2d_is_thinned_in_2d():
    """ndim=2 thins in 2-D (Zhang) as the official evaluator; the same image as a one-slice 3-D volume is
    thinned by Lee's 3-D method and scores differently, so the mode matters."""
    case = CASES["yx_cldice_greedy"]
    gt, pred = _decode(case["gt"]), _decode(case["pred"])
    s2 = evaluate(gt, pred, ndim=2)
    s3 = evaluate(gt[None], pred[None], ndim=3)
    assert s2.ndim == 2 and s3.ndim == 3 and s2.n_gt == s3.n_gt
    assert pytest.approx(case["official"]["general"]["avg_gt_skel_coverage"], abs=1e-12) == s2.C
    assert abs(s2.C - s3.C) > 0.01


def _line2d(shape, y, x0, x1, value=1):
    a = np.zeros(shape, np.uint8)
    a[y, x0:x1] = value
    return a


def test_2d_overlap_on_both_sides_hand_counted():
    """CYX with overlapping channels in GT and prediction (the official evaluator raises IndexError here).

    GT: a horizontal line (20 px) and a vertical line (12 px) crossing at one pixel; 1-px lines are their
    own skeletons.  Prediction: the left half of the horizontal line (covering the crossing) and the whole
    vertical line.  Each prediction is assigned to the GT holding its skeleton: coverage 0.5 and 1.
    """
    shape = (12, 24)
    h = _line2d(shape, 5, 2, 22)
    v = np.zeros(shape, np.uint8)
    v[0:12, 10] = 1
    gt = np.stack([h, v])
    pred = np.stack([_line2d(shape, 5, 2, 12), v])
    s = evaluate(gt, pred, ndim=2)
    assert s.gt_coverage == pytest.approx((0.5, 1.0))
    assert s.n_gt == 2 and s.n_pred == 2
    # clRecall of GT 1 on P1 is 10/20, clPrecision 1: clDice 2/3 -> matched up to th 0.6
    assert s.threshold(0.6).tp == 2 and s.threshold(0.7).tp == 1


@pytest.mark.parametrize(
    ("shape", "ndim", "match"),
    [((4, 5), 3, r"\[Z, Y, X\]"), ((2, 3, 4, 5), 2, r"\[Y, X\] or \[C, Y, X\]"), ((5,), 2, "ndim=2")],
)
def test_dimensionality_is_checked(shape, ndim, match):
    a = np.ones(shape, np.uint8)
    with pytest.raises(ValueError, match=match):
        evaluate(a, a, ndim=ndim)


@pytest.mark.parametrize(("ndim", "exc"), [(4, ValueError), (2.0, TypeError), (True, TypeError)])
def test_bad_ndim(ndim, exc):
    a = np.ones((4, 5), np.uint8)
    with pytest.raises(exc, match="ndim"):
        evaluate(a, a, ndim=ndim)


def test_bad_background_covers():
    a = np.ones((4, 5), np.uint8)
    with pytest.raises(TypeError, match="background_covers"):
        evaluate(a, a, ndim=2, background_covers="yes")
