"""Parity with the official evaluator (spec test 13): skipped unless ``evalinstseg`` imports.

``evalinstseg`` is not on PyPI; install it from a local clone of
Kainmueller-Lab/evaluate-instance-segmentation into a dev environment to run this.
"""

from __future__ import annotations

import numpy as np
import pytest

from fisbe_bench import evaluate, synth

evaluate_mod = pytest.importorskip("evalinstseg.evaluate")

GENERAL = ["avg_gt_skel_coverage", "avg_f1_cov_score", "false_merge", "false_split", "avg_gt_cov_overlap"]


def _leaves(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, list | tuple | np.ndarray):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


@pytest.mark.parametrize("case", ["A", "B"])
@pytest.mark.parametrize("matching", ["greedy", "hungarian"])
@pytest.mark.parametrize("min_size", [None, 800])
def test_all_keys_equal_reference(case, matching, min_size, tmp_path):
    gt, pred = synth.case_a() if case == "A" else synth.case_b(seed=0)
    ref = evaluate_mod.evaluate_volume(
        gt.copy(),
        pred.copy(),
        3,
        str(tmp_path / "out"),
        localization_criterion="cldice",
        assignment_strategy=matching,
        evaluate_false_labels=True,
        add_general_metrics=GENERAL,
        remove_small_components=min_size,
    ).metricsDict
    ours = dict(
        _leaves(evaluate(gt, pred, matching=matching, min_instance_size=min_size).to_reference_dict())
    )
    for key, value in _leaves(ref):
        if key in ours:
            assert float(ours[key]) == pytest.approx(float(value), abs=1e-12, nan_ok=True), key
