"""Parity with the official evaluator (spec test 13): skipped unless ``evalinstseg`` imports.

``evalinstseg`` is not on PyPI; install it from a local clone of
Kainmueller-Lab/evaluate-instance-segmentation into a dev environment to run this.
"""

from __future__ import annotations

import numpy as np
import pytest

from fisbe_bench import evaluate, synth

evaluate_mod = pytest.importorskip("evalinstseg.evaluate")

GENERAL = [
    "avg_gt_skel_coverage",
    "avg_tp_skel_coverage",
    "avg_f1_cov_score",
    "false_merge",
    "false_split",
    "avg_gt_cov_overlap",
]


def _leaves(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, list | tuple | np.ndarray):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


def _compare(ref, ours):
    ours = dict(_leaves(ours))
    for key, value in _leaves(ref):
        assert key in ours, key
        assert float(ours[key]) == pytest.approx(float(value), abs=1e-12, nan_ok=True), key


@pytest.mark.parametrize("case", ["A", "B"])
@pytest.mark.parametrize("matching", ["greedy", "hungarian"])
@pytest.mark.parametrize("min_size", [None, 800])
@pytest.mark.parametrize("criterion", ["cldice", "iou"])
def test_all_keys_equal_reference(case, matching, min_size, criterion, tmp_path):
    gt, pred = synth.case_a() if case == "A" else synth.case_b(seed=0)
    ref = evaluate_mod.evaluate_volume(
        gt.copy(),
        pred.copy(),
        3,
        str(tmp_path / "out"),
        localization_criterion=criterion,
        assignment_strategy=matching,
        evaluate_false_labels=True,
        add_general_metrics=GENERAL,
        remove_small_components=min_size,
    ).metricsDict
    _compare(
        ref,
        evaluate(
            gt, pred, matching=matching, min_instance_size=min_size, criterion=criterion
        ).to_reference_dict(),
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("criterion", ["cldice", "iou"])
@pytest.mark.parametrize("channels", [False, True])
def test_2d_random_images_equal_reference(seed, criterion, channels, tmp_path):
    """ndim=2 on random 2-D label images (YX, or CYX ground truth with overlapping channels)."""
    rng = np.random.default_rng(seed)
    shape = (36, 40)
    yy, xx = np.indices(shape)
    masks = []
    for _ in range(int(rng.integers(2, 5))):
        a, b = rng.uniform(2, np.array(shape) - 3, size=(2, 2))
        d = b - a
        t = np.clip(((yy - a[0]) * d[0] + (xx - a[1]) * d[1]) / float(d @ d), 0, 1)
        masks.append((yy - a[0] - t * d[0]) ** 2 + (xx - a[1] - t * d[1]) ** 2 <= rng.uniform(1.0, 2.5) ** 2)
    gt = (
        np.stack(masks).astype(np.uint8)
        if channels
        else np.max([m * (i + 1) for i, m in enumerate(masks)], axis=0)
    )
    pred = np.zeros(shape, np.int32)
    for i, m in enumerate(masks):
        pred[np.roll(m, int(rng.integers(-1, 2)), axis=1)] = i + 1
    pred[pred == 2] = 1  # a merge
    ref = evaluate_mod.evaluate_volume(
        gt.copy(),
        pred.copy(),
        2,
        str(tmp_path / "out"),
        localization_criterion=criterion,
        assignment_strategy="greedy",
        evaluate_false_labels=True,
        add_general_metrics=GENERAL,
    ).metricsDict
    _compare(ref, evaluate(gt, pred, ndim=2, criterion=criterion).to_reference_dict())
