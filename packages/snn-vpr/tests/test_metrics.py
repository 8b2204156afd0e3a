"""Recall@N, PR curve and AUC-PR against hand-made cases and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_curve

from snn_vpr.metrics import auc_pr, distance_matrix, pr_curve, recall_at_n

# queries 0, 1 rank their place first; queries 2, 3 rank it second
HAND = np.array(
    [
        [0.9, 0.1, 0.2, 0.3],
        [0.2, 0.8, 0.1, 0.1],
        [0.1, 0.7, 0.6, 0.0],
        [0.5, 0.1, 0.2, 0.4],
    ]
)


def test_recall_hand_case() -> None:
    r = recall_at_n(HAND, np.arange(4), ns=(1, 2, 3))
    assert r == {1: 0.5, 2: 1.0, 3: 1.0}


def test_ties_count_against_the_query() -> None:
    assert recall_at_n(np.zeros((3, 3)), np.arange(3), ns=(1, 2))[1] == 0.0


def _sklearn_auc(scores: np.ndarray, gt: np.ndarray) -> float:
    best = scores.max(axis=1)
    correct = scores.argmax(axis=1) == gt
    p, r, _ = precision_recall_curve(correct, best)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # noqa: NPY201  (numpy < 2, the lowest the package admits)
    return float(-trapezoid(p, r))


def test_auc_hand_case_matches_sklearn() -> None:
    assert auc_pr(HAND, np.arange(4)) == pytest.approx(_sklearn_auc(HAND, np.arange(4)), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(2, 8))
def test_pr_curve_matches_sklearn(seed: int, q: int, p: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 5, size=(q, p)).astype(float)  # many ties
    gt = rng.integers(0, p, size=q)
    correct = s.argmax(axis=1) == gt
    if not correct.any():
        return
    prec, rec, thr = pr_curve(s, gt)
    sp, sr, st_ = precision_recall_curve(correct, s.max(axis=1))
    np.testing.assert_allclose(prec, sp, atol=1e-12)
    np.testing.assert_allclose(rec, sr, atol=1e-12)
    np.testing.assert_allclose(thr, st_, atol=1e-12)
    assert auc_pr(s, gt) == pytest.approx(_sklearn_auc(s, gt), abs=1e-9)


def test_distance_matrix_best_is_smallest() -> None:
    d = distance_matrix(HAND)
    np.testing.assert_array_equal(d.argmin(axis=1), HAND.argmax(axis=1))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="gt must hold one ground-truth"):
        recall_at_n(HAND, np.arange(3))
    with pytest.raises(ValueError, match="gt must index a place column"):
        recall_at_n(HAND, np.array([0, 1, 2, 4]))
    with pytest.raises(TypeError, match="gt must hold integer"):
        recall_at_n(HAND, np.zeros(4))
    with pytest.raises(ValueError, match="scores must be"):
        auc_pr(np.zeros(4), np.arange(4))
    with pytest.raises(ValueError, match=r"ns\[i\] must be"):
        recall_at_n(HAND, np.arange(4), ns=(0,))
