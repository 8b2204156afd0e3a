"""One-to-one and many-to-many matching."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisbe_bench.match import (
    greedy_one_to_one,
    hungarian,
    many_to_many_consume,
    many_to_many_threshold,
    split_merge_counts,
)


def _loc(fg):
    fg = np.asarray(fg, dtype=np.float64)
    loc = np.zeros((fg.shape[0] + 1, fg.shape[1] + 1))
    loc[1:, 1:] = fg
    return loc


def test_greedy_vs_hungarian_spec_example():
    loc = _loc([[0.9, 0.8], [0.85, 0.0]])
    assert greedy_one_to_one(loc, 0.5) == [(1, 1)]
    assert sorted(hungarian(loc, 0.5)) == [(1, 2), (2, 1)]


def test_greedy_tie_breaking_gt_then_pred_ascending():
    loc = _loc([[0.7, 0.7], [0.7, 0.7]])
    assert greedy_one_to_one(loc, 0.5) == [(1, 1), (2, 2)]
    loc = _loc([[0.0, 0.7], [0.7, 0.7]])
    # ties: (1,2) comes before (2,1) and (2,2); then (2,1)
    assert greedy_one_to_one(loc, 0.5) == [(1, 2), (2, 1)]


def test_thresholds_are_strict():
    loc = _loc([[0.5]])
    assert greedy_one_to_one(loc, 0.5) == []
    assert hungarian(loc, 0.5) == []
    assert many_to_many_threshold(loc, 0.5) == {}
    assert greedy_one_to_one(loc, 0.4999) == [(1, 1)]


def test_background_row_and_column_are_ignored():
    loc = np.array([[0.0, 0.99], [0.99, 0.2]])
    assert greedy_one_to_one(loc, 0.5) == []


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 10_000))
def test_hungarian_maximises_matches_brute_force(n_gt, n_pred, seed):
    rng = np.random.default_rng(seed)
    fg = np.round(rng.random((n_gt, n_pred)), 2)
    th = 0.5
    best = 0
    for perm in itertools.permutations(range(n_pred), min(n_gt, n_pred)):
        rows = range(min(n_gt, n_pred)) if n_gt <= n_pred else None
        if rows is None:
            continue
        best = max(best, sum(fg[r, c] > th for r, c in zip(rows, perm, strict=False)))
    if n_gt > n_pred:
        for perm in itertools.permutations(range(n_gt), n_pred):
            best = max(best, sum(fg[r, c] > th for c, r in enumerate(perm)))
    pairs = hungarian(_loc(fg), th)
    assert len(pairs) == best
    assert all(fg[g - 1, p - 1] > th for g, p in pairs)
    # greedy is a valid one-to-one matching, never larger than the optimum
    gp = greedy_one_to_one(_loc(fg), th)
    assert len({g for g, _ in gp}) == len(gp) == len({p for _, p in gp}) <= best


def test_many_to_many_threshold_and_counts():
    rec = _loc([[0.5, 0.4, 0.0], [0.0, 0.3, 0.0]])
    m = many_to_many_threshold(rec, 0.1)
    assert m == {1: [1, 2], 2: [2]}
    fs, fm = split_merge_counts(m, 3)
    assert fs == 1  # GT1 split into two predictions
    assert fm == 1  # prediction 2 covers two GTs


def test_consume_matching_does_not_credit_a_consumed_skeleton_twice():
    # GT1's skeleton (10 voxels) lies entirely inside P1 and P2 (two overlapping predictions).
    # Plain thresholding would match both (a false split); consumption gives GT1 only P1.
    rec = _loc([[1.0, 1.0]])
    inside = {1: set(range(10)), 2: set(range(10))}

    def gt_free(g, p, consumed_preds):
        free = set(range(10)) - set().union(*(inside[q] for q in consumed_preds))
        return len(free & inside[p]) / 10

    def pred_free(g, p, consumed_gts):
        return 0.0 if g in consumed_gts else len(inside[p]) / 10

    m = many_to_many_consume(rec, 0.05, gt_free, pred_free)
    assert m == {1: [1]}
    assert split_merge_counts(m, 2) == (0, 0)
    assert split_merge_counts(many_to_many_threshold(rec, 0.05), 2) == (1, 0)


def test_consume_matching_keeps_disjoint_pieces():
    # GT skeleton of 10 voxels: P1 covers voxels 0-5, P2 covers 4-9 (overlapping pieces)
    rec = _loc([[0.6, 0.6]])
    inside = {1: set(range(6)), 2: set(range(4, 10))}

    def gt_free(g, p, consumed_preds):
        free = set(range(10)) - set().union(*(inside[q] for q in consumed_preds))
        return len(free & inside[p]) / 10

    def pred_free(g, p, consumed_gts):
        return 0.0 if g in consumed_gts else len(inside[p]) / 10

    m = many_to_many_consume(rec, 0.05, gt_free, pred_free)
    # P1 first (tie broken by insertion order), P2 still has 4 free voxels (0.4 > 0.05)
    assert m == {1: [1, 2]}


def test_bad_matrix_shape():
    with pytest.raises(ValueError, match="2-D"):
        greedy_one_to_one(np.zeros(3), 0.5)
