"""evaluate / aggregate: the spec's "Tests to build" 2-12 and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from fisbe_bench import aggregate, evaluate, synth
from fisbe_bench.labels import as_sparse, normalize
from fisbe_bench.localize import cl_matrices


def _line(shape, z, y, x0, x1, value=1):
    a = np.zeros(shape, dtype=np.int32)
    a[z, y, x0:x1] = value
    return a


@pytest.fixture(scope="module")
def case_a():
    return synth.case_a()


@pytest.fixture(scope="module")
def case_a_scores(case_a):
    gt, pred = case_a
    return evaluate(gt, pred, min_instance_size=None)


def test_perfect_prediction_scores_one(case_a):
    gt, _ = case_a
    s = evaluate(gt, gt.copy(), min_instance_size=None)
    assert (s.S, s.avF1, s.C, s.cldice_tp, s.tp) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert s.fs == 0 and s.fm == 0
    assert all(t.f1 == 1.0 for t in s.per_threshold)


def test_input_forms_are_equivalent(case_a, case_a_scores):
    gt, pred = case_a
    binary = np.stack([(gt == k).astype(np.uint8) for k in range(1, 5)])
    labelled = np.stack([np.where(gt == k, 10 * k + 3, 0) for k in range(1, 5)]).astype(np.int32)
    with_empty = np.concatenate([np.zeros((2, *gt.shape), np.uint8), binary])
    ref = case_a_scores.to_dict()
    for form in (binary, labelled, with_empty):
        assert evaluate(form, pred, min_instance_size=None).to_dict() == ref


def test_ids_unique_across_channels_and_empty_channels_dropped():
    a = np.zeros((3, 4, 5, 6), dtype=np.uint8)
    a[0, 1, 1, 1:4] = 1
    a[2, 2, 2, 1:4] = 1  # channel 1 empty
    inst = normalize(as_sparse(a))
    assert inst.n == 2
    assert inst.labels.n_channels == 2
    dense = inst.labels.to_dense()
    assert set(np.unique(dense[0])) == {0, 1} and set(np.unique(dense[1])) == {0, 2}
    b = np.zeros((2, 4, 5, 6), dtype=np.int32)
    b[0, 0, 0, :2], b[0, 1, 0, :2] = 7, 9
    b[1, 0, 0, :2] = 7
    inst = normalize(as_sparse(b))
    assert inst.n == 3  # id 7 in two channels gives two instances
    assert sorted(np.unique(inst.labels.to_dense())) == [0, 1, 2, 3]


def test_neurotypes_instance_labels_accepted(case_a, case_a_scores):
    from neurotypes import InstanceLabels

    gt, pred = case_a
    s = evaluate(InstanceLabels(gt), InstanceLabels(pred), min_instance_size=None)
    assert s.to_dict() == case_a_scores.to_dict()


def test_merge_assigned_to_higher_clprecision_other_gt_gets_zero(case_a, case_a_scores):
    gt, pred = case_a
    _, _, prec = cl_matrices(gt, pred)
    winner = 2 if prec[2, 2] > prec[3, 2] else 3
    loser = 5 - winner
    assert case_a_scores.gt_coverage[winner - 1] == pytest.approx(1.0)
    assert case_a_scores.gt_coverage[loser - 1] == 0.0
    # split GT1 is covered by both halves (minus the gap): sum of clRecall of its two pieces
    assert 0.9 < case_a_scores.gt_coverage[0] < 1.0


def test_coverage_background_argmax_covers_nothing():
    shape = (5, 12, 30)
    gt = _line(shape, 2, 2, 2, 28)
    # prediction covers 10 of GT's 26 skeleton voxels but has 40 skeleton voxels in total
    pred = _line(shape, 2, 2, 2, 12) + _line(shape, 2, 8, 0, 30)
    pred[2, 2:9, 11] = 1  # connect both bars into one instance
    s = evaluate(gt, pred, min_instance_size=None)
    _, rec, prec = cl_matrices(gt, pred)
    assert prec[0, 1] > prec[1, 1]  # mostly on background -> assigned to row 0
    assert rec[1, 1] > 0.3
    assert s.gt_coverage == (0.0,)


def test_small_component_filter_800_removed_801_kept():
    shape = (10, 40, 40)
    gt = np.zeros(shape, dtype=np.int32)
    gt[0:8, 0:10, 0:10] = 1  # 800 voxels
    gt[0:9, 20:30, 20:29] = 2  # 810 voxels
    pred = np.zeros(shape, dtype=np.int32)
    pred[0:8, 0:10, 0:10] = 1  # exactly 800 voxels -> removed
    pred[0:9, 20:30, 20:29] = 2
    pred[0, 20, 29] = 2  # 811 ... make it 801 below
    pred[0:9, 20:30, 20:29] = 0
    block = np.zeros(shape, bool)
    block[0:8, 20:30, 20:30] = True  # 800
    block[8, 20, 20] = True  # 801
    pred[block] = 2
    assert (pred == 1).sum() == 800 and (pred == 2).sum() == 801
    s = evaluate(gt, pred, min_instance_size=800)
    assert s.n_pred == 1 and s.n_gt == 2  # GT never filtered, even its 800-voxel instance
    assert evaluate(gt, pred, min_instance_size=None).n_pred == 2
    assert evaluate(gt, pred, min_instance_size=801).n_pred == 0


def test_filter_counts_an_id_over_all_channels():
    shape = (4, 30, 30)
    pred = np.zeros((2, *shape), dtype=np.int32)
    pred[0, 0:2, 0:20, 0:15] = 5  # 600 voxels
    pred[1, 2:4, 0:20, 0:15] = 5  # 600 more with the same raw id
    gt = (pred.max(axis=0) > 0).astype(np.uint8)
    # the reference counts raw id 5 over the whole array (1200 voxels): kept
    assert evaluate(gt, pred, min_instance_size=800).n_pred == 2


def test_fs_fm_split_and_merge(case_a, case_a_scores):
    gt, pred = case_a
    assert case_a_scores.fs == 1 and case_a_scores.fm == 1
    three = pred.copy()
    x = np.arange(gt.shape[2])[None, None, :]
    three[(pred == 5) & (x >= 70)] = 9  # split GT1 into three pieces
    s = evaluate(gt, three, min_instance_size=None)
    assert s.fs == 2


def test_fs_fm_with_overlapping_instances_consumes_skeletons():
    shape = (5, 9, 30)
    gt = _line(shape, 2, 4, 2, 28)
    # two overlapping predictions in channels, both covering the whole GT line
    pred = np.stack([_line(shape, 2, 4, 1, 29), _line(shape, 2, 4, 1, 29)])
    s = evaluate(gt, pred, min_instance_size=None)
    assert s.fs == 0  # the second prediction finds the GT skeleton already consumed
    # without overlap (side by side pieces) the split is counted
    split = _line(shape, 2, 4, 1, 15) + _line(shape, 2, 4, 15, 29, 2)
    assert evaluate(gt, split, min_instance_size=None).fs == 1


def test_greedy_vs_hungarian_agree_on_case_a(case_a, case_a_scores):
    gt, pred = case_a
    h = evaluate(gt, pred, min_instance_size=None, matching="hungarian")
    assert [t.tp for t in h.per_threshold] == [t.tp for t in case_a_scores.per_threshold]
    assert h.avF1 == case_a_scores.avF1


def test_partly_mode_ignores_predictions_on_unlabelled_structure():
    shape = (5, 12, 30)
    gt = _line(shape, 2, 2, 2, 28)
    pred = _line(shape, 2, 2, 2, 28) + _line(shape, 2, 8, 2, 28, 2)  # 2nd: unlabelled neuron
    full = evaluate(gt, pred, min_instance_size=None)
    part = evaluate(gt, pred, min_instance_size=None, partly=True)
    assert full.threshold(0.5).fp == 1 and part.threshold(0.5).fp == 0
    assert part.avF1 == 1.0 and full.avF1 < 1.0
    # an unmatched prediction lying mostly on a GT neuron still counts in partly mode
    pred2 = pred.copy()
    pred2[2, 2, 2:28] = 0
    pred2[2, 2, 2:8] = 3
    pred2[2, 2, 8:28] = 4
    p2 = evaluate(gt, pred2, min_instance_size=None, partly=True)
    assert p2.threshold(0.5).fp == 1  # the short piece: argmax clPrecision is the GT row


def test_aggregate_sums_counts_not_per_image_means():
    shape = (5, 12, 30)
    gt1 = _line(shape, 2, 2, 2, 28)
    img1 = evaluate(gt1, gt1.copy(), min_instance_size=None)  # F1 = 1 at every threshold
    gt2 = _line(shape, 2, 2, 2, 28) + _line(shape, 2, 6, 2, 28, 2) + _line(shape, 2, 10, 2, 28, 3)
    img2 = evaluate(gt2, _line(shape, 2, 2, 2, 28), min_instance_size=None)  # TP 1, FN 2
    total = aggregate([img1, img2])
    # summed: TP = 2, FP = 0, FN = 2 -> F1 = 4 / 6
    assert total.f1_per_threshold[4] == pytest.approx(4 / 6)
    assert total.avF1 == pytest.approx(4 / 6)
    assert (img1.avF1 + img2.avF1) / 2 == pytest.approx((1 + 0.5) / 2)
    assert total.avF1 != pytest.approx((img1.avF1 + img2.avF1) / 2)
    # coverage is pooled over the 4 GT instances
    assert pytest.approx(np.mean([1.0, 1.0, 0.0, 0.0])) == total.C
    assert pytest.approx(0.5 * total.avF1 + 0.5 * total.C) == total.S
    assert total.tp == pytest.approx(2 / 4)


def test_av_ap_definitions(case_a_scores):
    aps = [t.precision * t.recall for t in case_a_scores.per_threshold]
    assert case_a_scores.av_ap19 == pytest.approx(np.mean(aps[:9]))
    assert case_a_scores.av_ap59 == pytest.approx(np.mean(aps[4:]))
    assert pytest.approx(0.5 * case_a_scores.avF1 + 0.5 * case_a_scores.C) == case_a_scores.S
    f1_05 = case_a_scores.threshold(0.5)
    assert f1_05.tp == case_a_scores.tp_05 and case_a_scores.tp == f1_05.tp / 4


def test_iou_criterion_hand_case():
    shape = (4, 4, 10)
    gt = np.zeros(shape, np.int32)
    gt[1, 1, 0:8] = 1
    pred = np.zeros(shape, np.int32)
    pred[1, 1, 4:10] = 1
    s = evaluate(gt, pred, min_instance_size=None, criterion="iou")
    # IoU = 4 / 10 = 0.4: matched below 0.4 only
    assert s.threshold(0.3).tp == 1 and s.threshold(0.4).tp == 0
    assert s.tp_05_cldice == ()


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"matching": "best"}, ValueError, "matching"),
        ({"criterion": "dice"}, ValueError, "criterion"),
        ({"min_instance_size": -1}, ValueError, "min_instance_size"),
        ({"min_instance_size": 2.5}, TypeError, "min_instance_size"),
        ({"fs_threshold": 1.5}, ValueError, "fs_threshold"),
    ],
)
def test_bad_options(kwargs, exc, match):
    gt = _line((3, 3, 8), 1, 1, 1, 7)
    with pytest.raises(exc, match=match):
        evaluate(gt, gt, **kwargs)


def test_bad_inputs():
    gt = _line((3, 3, 8), 1, 1, 1, 7)
    with pytest.raises(ValueError, match="same spatial shape"):
        evaluate(gt, gt[:, :, :6], min_instance_size=None)
    with pytest.raises(TypeError, match="integer"):
        evaluate(gt.astype(np.float32), gt, min_instance_size=None)
    with pytest.raises(TypeError, match="pred must hold integer"):
        evaluate(gt, gt.astype(float), min_instance_size=None)
    with pytest.raises(ValueError, match="non-negative"):
        evaluate(gt, -gt, min_instance_size=None)
    with pytest.raises(ValueError, match="gt is empty"):
        evaluate(np.zeros_like(gt), gt, min_instance_size=None)
    with pytest.raises(ValueError, match=r"\[Z, Y, X\]"):
        evaluate(gt[0], gt[0], min_instance_size=None)
    with pytest.raises(ValueError, match="dim_instances"):
        evaluate(gt, gt, min_instance_size=None, dim_instances=[5])
    with pytest.raises(ValueError, match="at least one"):
        aggregate([])
    with pytest.raises(TypeError, match="FisbeScores"):
        aggregate([1.0])  # type: ignore[list-item]


def test_empty_prediction():
    gt = _line((3, 3, 8), 1, 1, 1, 7)
    s = evaluate(gt, np.zeros_like(gt), min_instance_size=None)
    assert s.avF1 == 0.0 and s.C == 0.0 and s.n_pred == 0 and s.fs == 0 and s.fm == 0
    assert s.cldice_tp == 0.0  # as the official evaluator since its commit 6bb3f2a (NaN before)


def _crossing_gt():
    shape = (6, 20, 30)
    gt = np.zeros((3, *shape), dtype=np.uint8)
    gt[0, 3, 5, 2:28] = 1  # horizontal neuron
    gt[1, 3, 1:19, 15] = 1  # vertical neuron crossing the first at (3, 5, 15)
    gt[2, 3, 15, 2:12] = 1  # separate neuron
    return gt


def test_union_coverage_when_gt_and_pred_overlap():
    gt = _crossing_gt()
    pred = np.zeros((2, *gt.shape[1:]), dtype=np.int32)
    pred[0, 3, 5, 2:14] = 1  # first part of neuron 1
    pred[1, 3, 5, 10:22] = 2  # overlapping second part (pred channels overlap at x 10..13)
    s = evaluate(gt, pred, min_instance_size=None)
    # both predictions are assigned to GT1; its skeleton (x 2..27) is covered on x 2..21: 20 of 26
    assert s.gt_coverage[0] == pytest.approx(20 / 26)
    assert s.gt_coverage[1] == 0.0 and s.gt_coverage[2] == 0.0
    # the per-pair sum would double count the overlap (x 10..13)
    _, rec, _ = cl_matrices(gt, pred)
    assert rec[1, 1] + rec[1, 2] > s.gt_coverage[0]


def test_dim_and_overlap_subsets():
    gt = _crossing_gt()
    perfect = evaluate(gt, gt.copy(), min_instance_size=None, dim_instances=[3])
    assert perfect.overlap is not None and perfect.overlap.n_gt == 2  # neurons 1 and 2 cross
    assert perfect.overlap.tp_05 == 2 and perfect.overlap.coverage == (1.0, 1.0)
    assert perfect.dim is not None and perfect.dim.n_gt == 1 and perfect.dim.tp_05 == 1
    pred = gt[0].astype(np.int32)  # only neuron 1 predicted
    s = evaluate(gt, pred, min_instance_size=None, dim_instances=[2, 3])
    assert s.overlap is not None and s.overlap.tp_05 == 1 and s.overlap.tp_05_rel == 0.5
    assert s.dim is not None and s.dim.tp_05 == 0 and s.dim.avg_coverage == 0.0
    ref = s.to_reference_dict()["general"]
    assert ref["GT_overlap"] == 2 and ref["GT_dim"] == 2
