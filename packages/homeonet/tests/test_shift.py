"""Concept shift: swap semantics (spec test 3), rates, second-order schedules, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeonet import ConceptShiftSchedule, LabelSwapStream, resolve_rates, seasonal_rates, swaps_after_batches


def _stream(n=200, k=10, **kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = np.arange(n) % k
    return LabelSwapStream(X, y, **kw)


@pytest.mark.parametrize("S", [1, 2, 5, 7, 20])
def test_exactly_S_swaps_per_epoch_evenly_spaced(S):
    s = _stream(n=205, swaps_per_epoch=S, batch_size=10, rng=1)  # 20 batches, 5 samples left out
    positions = []
    for _e in range(3):
        before = len(s.events)
        for b in s.epoch():
            n_before = len(s.events)
            assert b.X.shape == (10, 3)
            del n_before
        assert len(s.events) - before == S
    positions = [ev.sample for ev in s.events if ev.epoch == 0]
    # swap k (1-based) happens after the batch whose end first reaches k/S of the epoch's 20 batches
    expected = [int(np.ceil(k * 20 / S)) * 10 - 1 for k in range(1, S + 1)]
    assert positions == expected
    assert positions[-1] == 199  # the last swap closes the epoch


def test_matches_reference_rule_when_it_is_well_defined():
    # the reference swaps after the batch where sampleidx % (N // S) == 0; with N = 60000, m = 10 it is exact
    N, m = 60000, 10
    for S in (1, 2, 5, 10, 20, 40):
        counts = swaps_after_batches([S], N // m)[0]
        ref = [1 if ((j + 1) * m) % (N // S) == 0 else 0 for j in range(N // m)]
        np.testing.assert_array_equal(counts, ref)


def test_label_map_is_a_permutation_and_val_agrees():
    s = _stream(swaps_per_epoch=7, rng=5)
    y_val = np.arange(10)
    for _ in range(4):
        for b in s.epoch():
            assert sorted(s.label_map.tolist()) == list(range(10))
            # batch labels are the current map of the original labels
            np.testing.assert_array_equal(b.y, s.label_map[s.y[b.idx]])
    assert len(s.events) == 28
    np.testing.assert_array_equal(s.map_labels(y_val), s.label_map)
    # replaying the recorded events gives the same map
    sched = s.shift_schedule
    assert isinstance(sched, ConceptShiftSchedule)
    np.testing.assert_array_equal(sched.label_map_at(10**9), s.label_map)
    np.testing.assert_array_equal(sched.swaps_per_epoch(4), [7, 7, 7, 7])


def test_each_swap_exchanges_exactly_two_classes():
    s = _stream(swaps_per_epoch=3, rng=2)
    prev = s.label_map.copy()
    for _ in s.epoch():
        if not np.array_equal(prev, s.label_map):
            diff = np.flatnonzero(prev != s.label_map)
            assert diff.size == 2
            a, b = diff
            assert prev[a] == s.label_map[b]
            assert prev[b] == s.label_map[a]
            prev = s.label_map.copy()
    for ev in s.events:
        assert ev.a != ev.b


def test_batch_labels_before_and_after_a_swap():
    s = _stream(n=40, swaps_per_epoch=1, batch_size=10, rng=0)
    labels_seen = [b.y.copy() for b in s.epoch()]
    assert len(s.events) == 1
    assert s.events[0].sample == 39
    # the swap comes after the last batch: every batch of epoch 0 saw the identity map
    for b_y, j in zip(labels_seen, range(4), strict=True):
        np.testing.assert_array_equal(b_y, s.y[s.order_[j * 10 : (j + 1) * 10]])
    sched = s.shift_schedule
    np.testing.assert_array_equal(sched.label_map_at(39), np.arange(10))
    assert not np.array_equal(sched.label_map_at(40), np.arange(10))


@settings(max_examples=40, deadline=None)
@given(
    rates=st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=8),
    n_batches=st.integers(1, 50),
)
def test_swap_counts_integrate_the_rate(rates, n_batches):
    counts = swaps_after_batches(rates, n_batches)
    assert counts.shape == (len(rates), n_batches)
    assert counts.min() >= 0
    # the running total never lags the integral by a whole swap nor leads it
    total = np.cumsum(counts.ravel())
    integral = np.concatenate(
        [
            np.cumsum(rates)[e - 1] * (e > 0) + rates[e] * np.arange(1, n_batches + 1) / n_batches
            for e in range(len(rates))
        ]
    )
    assert np.all(total <= integral + 1e-6)
    assert np.all(total > integral - 1 - 1e-6)


def test_second_order_schedule_in_the_stream():
    sched = seasonal_rates(8, low=0, high=4, period=4)
    np.testing.assert_array_equal(sched, [0, 0, 4, 4, 0, 0, 4, 4])
    s = _stream(schedule=sched, rng=3)
    for _ in range(8):
        list(s.epoch())
    np.testing.assert_array_equal(s.shift_schedule.swaps_per_epoch(8), sched.astype(int))
    # fractional rates accumulate across epochs: 0.5 per epoch is one swap every two epochs
    s = _stream(swaps_per_epoch=0.5, rng=3)
    for _ in range(6):
        list(s.epoch())
    np.testing.assert_array_equal(s.shift_schedule.swaps_per_epoch(6), [0, 1, 0, 1, 0, 1])
    # callable schedule
    s = _stream(schedule=lambda e: e, rng=3)
    for _ in range(4):
        list(s.epoch())
    np.testing.assert_array_equal(s.shift_schedule.swaps_per_epoch(4), [0, 1, 2, 3])
    sine = seasonal_rates(20, 1, 5, period=10, shape="sine")
    assert sine.min() == pytest.approx(1)
    assert sine.max() == pytest.approx(5)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (
            {"swaps_per_epoch": -1},
            ValueError,
            "swaps_per_epoch must be a finite number of swaps per epoch >= 0",
        ),
        ({"swaps_per_epoch": float("inf")}, ValueError, "swaps_per_epoch must be a finite"),
        ({"swaps_per_epoch": "2"}, TypeError, "swaps_per_epoch must be a real number"),
        ({"schedule": [1, -2]}, ValueError, r"schedule\[1\] must be a finite"),
        ({"schedule": lambda e: float("nan")}, ValueError, r"schedule\(0\) must be a finite"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer in"),
        ({"batch_size": 1000}, ValueError, "batch_size must be an integer in"),
        ({"n_classes": 5}, ValueError, "y holds label 9 but n_classes is 5"),
    ],
)
def test_bad_stream_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        _stream(**kwargs)


def test_bad_data_and_schedule_lengths():
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        LabelSwapStream(np.zeros(5), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="one label per row"):
        LabelSwapStream(np.zeros((5, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="non-negative integer class labels"):
        LabelSwapStream(np.zeros((5, 2)), np.array([0, 1, -1, 0, 1]))
    with pytest.raises(ValueError, match="finite"):
        LabelSwapStream(np.full((5, 2), np.nan), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="at least two classes"):
        LabelSwapStream(np.zeros((5, 2)), np.zeros(5, dtype=int), swaps_per_epoch=1, batch_size=1)
    with pytest.raises(ValueError, match="a rate for each of the 3 epochs"):
        resolve_rates(schedule=[1, 2], epochs=3)
    with pytest.raises(ValueError, match="period must be"):
        seasonal_rates(10, period=1)
