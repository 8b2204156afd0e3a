"""Bad input at the boundary of every public function: a ValueError or TypeError naming the argument.

Hypothesis draws the bad values (NaN/inf, negative or zero sizes, wrong shapes and types, mismatched lengths,
out-of-range parameters); each call must raise, never return a plausible wrong result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snn_vpr import plots
from snn_vpr.baselines import sad_scores
from snn_vpr.data import load_traverses, select_every_nth, synthetic_traverses
from snn_vpr.encode import poisson_rates, poisson_spike_trains
from snn_vpr.metrics import auc_pr, best_match, distance_matrix, pr_curve, recall_at_n
from snn_vpr.model import (
    ModularSNN,
    assign_neurons,
    hyperactive_neurons,
    ignore_hyperactive_neurons,
    place_scores,
)
from snn_vpr.network import DiehlCookParams, ModuleBank, network_size
from snn_vpr.preprocess import patch_normalise, process_image, process_images

NONFINITE = st.sampled_from([np.nan, np.inf, -np.inf])
BAD_INT = st.one_of(
    st.integers(max_value=0), st.floats(allow_nan=True), st.just("3"), st.just(None), st.just(True)
)
BAD_TYPE = st.one_of(st.just(None), st.just("abc"), st.just({"a": 1}), st.just(object()))


def _raises(fn: Callable[..., Any], *args: Any, name: str, **kw: Any) -> None:
    with pytest.raises((ValueError, TypeError)) as e:
        fn(*args, **kw)
    assert re.search(name, str(e.value)), f"{fn.__name__}: the message does not name {name!r}: {e.value}"


def _poison(a: np.ndarray, v: float, i: int) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.flat[i % a.size] = v
    return a


S = np.arange(12, dtype=float).reshape(3, 4)
GT = np.array([0, 1, 2])


@settings(max_examples=25, deadline=None)
@given(v=NONFINITE, i=st.integers(0, 100))
def test_nonfinite_arrays_are_refused(v: float, i: int) -> None:
    img = np.random.default_rng(0).random((28, 28))
    _raises(patch_normalise, _poison(img, v, i), name="img")
    _raises(process_image, _poison(img, v, i), name="img")
    _raises(process_images, _poison(img[None], v, i), name="images")
    _raises(poisson_rates, _poison(img * 255, v, i), name="x")
    _raises(recall_at_n, _poison(S, v, i), GT, name="scores")
    _raises(auc_pr, _poison(S, v, i), GT, name="scores")
    _raises(pr_curve, _poison(S, v, i), GT, name="scores")
    _raises(best_match, _poison(S, v, i), GT, name="scores")
    _raises(distance_matrix, _poison(S, v, i), name="scores")
    _raises(sad_scores, _poison(img[None], v, i), img[None], name="queries")
    _raises(sad_scores, img[None], _poison(img[None], v, i), name="references")
    R = np.ones((6, 5))
    _raises(hyperactive_neurons, _poison(R, v, i), 2, name="reference_responses")
    _raises(ignore_hyperactive_neurons, _poison(R, v, i), R, 2, name="query_responses")
    _raises(ignore_hyperactive_neurons, R, _poison(R, v, i), 2, name="reference_responses")
    _raises(assign_neurons, _poison(R, v, i), np.arange(6) % 3, np.arange(3), name="responses")
    _raises(place_scores, _poison(R, v, i), np.zeros(5, int), np.arange(2), name="responses")
    _raises(plots.distance_matrices, {"x": _poison(S, v, i)}, name="scores")


@settings(max_examples=25, deadline=None)
@given(bad=BAD_INT)
def test_bad_sizes_are_refused(bad: Any) -> None:
    _raises(patch_normalise, np.ones((8, 8)), k=bad, name="k")
    _raises(process_image, np.ones((8, 8)), size=bad, name="size")
    _raises(network_size, bad, 10, name="n_in")
    _raises(network_size, 10, bad, name="n_e")
    _raises(synthetic_traverses, bad, name="P")
    _raises(synthetic_traverses, 4, bad, name="size")
    _raises(select_every_nth, [1, 2, 3], bad, name="skip")
    _raises(ModularSNN, bad, name="region_size")
    _raises(ModularSNN, 2, bad, name="n_e")
    _raises(ModularSNN, 2, 4, bad, name="epochs")
    _raises(ModuleBank, bad, 4, 4, name="n_modules")
    _raises(recall_at_n, S, GT, ns=(bad,), name="ns")
    zero = isinstance(bad, int) and not isinstance(bad, bool) and bad == 0
    _raises(hyperactive_neurons, np.ones((2, 2)), -1 if bad is None or zero else bad, name="threshold")


@settings(max_examples=15, deadline=None)
@given(bad=BAD_TYPE)
def test_wrong_types_are_refused(bad: Any) -> None:
    _raises(patch_normalise, bad, name="img")
    _raises(recall_at_n, bad, GT, name="scores")
    _raises(recall_at_n, S, bad, name="gt")
    _raises(poisson_rates, bad, name="x")
    _raises(load_traverses, bad, name="folders")
    _raises(plots.scaling, bad, name="rows")
    _raises(plots.learning_curves, bad, 10, name="curves")


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 6), extra=st.integers(1, 4))
def test_mismatched_lengths_and_shapes(n: int, extra: int) -> None:
    s = np.ones((n, 3))
    _raises(recall_at_n, s, np.zeros(n + extra, int), name="gt")
    _raises(auc_pr, s, np.zeros(n + extra, int), name="gt")
    _raises(recall_at_n, s, np.full(n, 3 + extra - 1), name="gt")  # a column that does not exist
    _raises(sad_scores, np.ones((n, 4, 4)), np.ones((2, 4, 4 + extra)), name="references")
    _raises(
        ignore_hyperactive_neurons, np.ones((n, 3)), np.ones((2, 3 + extra)), 1, name="reference_responses"
    )
    _raises(assign_neurons, np.ones((n, 3)), np.zeros(n + extra, int), np.arange(1), name="place_ids")
    _raises(place_scores, np.ones((n, 3)), np.zeros(3 + extra, int), np.arange(1), name="assignments")
    _raises(patch_normalise, np.ones((n, 3, 3, 3, 3)), name="img")


@settings(max_examples=20, deadline=None)
@given(v=st.one_of(NONFINITE, st.floats(max_value=0.0)))
def test_out_of_range_parameters(v: float) -> None:
    _raises(poisson_rates, np.ones((2, 2)), intensity=v, name="intensity")
    _raises(poisson_spike_trains, np.ones(3), v, name="duration")
    _raises(DiehlCookParams, dt=v, name="dt")
    _raises(DiehlCookParams, t_present=v, name="t_present")
    _raises(plots.learning_curves, [[{"epoch": 1}]], 0, name="region_size")
