"""SpikeTrains and SpikeCounts: construction, binning, conversions, files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurotypes as nt


def test_sorts_events_by_time_then_unit():
    st_ = nt.SpikeTrains([0.3, 0.1, 0.1], [0, 2, 1], n_units=3, t_stop=1.0)
    assert st_.times.tolist() == [0.1, 0.1, 0.3]
    assert st_.units.tolist() == [1, 2, 0]


def test_bin_hand_computed():
    st_ = nt.SpikeTrains([0.0, 0.0099, 0.01, 0.025, 0.04], [0, 0, 1, 1, 0], n_units=2, t_stop=0.04)
    c = st_.bin(0.01)
    # bins [0,10) [10,20) [20,30) [30,40]; the spike at t_stop lands in the last bin
    assert c.counts.tolist() == [[2, 0, 0, 1], [0, 1, 1, 0]]
    assert c.bin_size == 0.01 and c.t_start == 0.0 and c.n_bins == 4
    assert c.t_stop == pytest.approx(0.04)


def test_bin_partial_last_bin_and_t_start():
    st_ = nt.SpikeTrains([1.05, 1.24], [0, 0], n_units=1, t_start=1.0, t_stop=1.25)
    c = st_.bin(0.1)
    assert c.n_bins == 3 and c.counts.tolist() == [[1, 0, 1]]
    assert c.t_start == 1.0 and c.t_stop == pytest.approx(1.3)


def test_bin_float_roundoff_does_not_add_a_bin():
    st_ = nt.SpikeTrains([], [], n_units=1, t_stop=0.3)
    assert st_.bin(0.1).n_bins == 3  # 0.3 / 0.1 = 2.9999999999999996


@st.composite
def spike_trains(draw):
    n_units = draw(st.integers(1, 6))
    t_start = draw(st.floats(-5, 5, allow_nan=False))
    duration = draw(st.floats(0.01, 3))
    n = draw(st.integers(0, 60))
    rel = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    units = draw(st.lists(st.integers(0, n_units - 1), min_size=n, max_size=n))
    times = [t_start + r * duration for r in rel]
    t_stop = t_start + duration
    times = [min(max(t, t_start), t_stop) for t in times]
    return nt.SpikeTrains(times, units, n_units, t_start, t_stop=t_stop)


@settings(max_examples=80, deadline=None)
@given(spike_trains(), st.floats(0.001, 1.0))
def test_binning_conserves_spikes(trains, bin_size):
    c = trains.bin(bin_size)
    assert c.counts.sum() == trains.n_spikes
    np.testing.assert_array_equal(c.counts.sum(axis=1), trains.spike_counts_per_unit())
    assert c.t_stop >= trains.t_stop - 1e-9 * max(1.0, abs(trains.t_stop))
    assert c.t_stop - c.bin_size < trains.t_stop


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_binning_places_each_spike_in_its_bin(data):
    """Spikes drawn inside known bins (away from edges, where round-off may go either way) land there."""
    n_units = data.draw(st.integers(1, 4))
    n_bins = data.draw(st.integers(1, 12))
    bin_size = data.draw(st.sampled_from([0.001, 0.01, 0.025, 0.1, 1.0]))
    t_start = data.draw(st.floats(-3, 3))
    n = data.draw(st.integers(0, 40))
    ks = data.draw(st.lists(st.integers(0, n_bins - 1), min_size=n, max_size=n))
    fracs = data.draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n))
    units = data.draw(st.lists(st.integers(0, n_units - 1), min_size=n, max_size=n))
    times = [t_start + (k + f) * bin_size for k, f in zip(ks, fracs, strict=True)]
    trains = nt.SpikeTrains(times, units, n_units, t_start, t_stop=t_start + n_bins * bin_size)
    expected = np.zeros((n_units, n_bins), dtype=np.int64)
    for k, u in zip(ks, units, strict=True):
        expected[u, k] += 1
    np.testing.assert_array_equal(trains.bin(bin_size).counts, expected)


@settings(max_examples=50, deadline=None)
@given(spike_trains())
def test_unit_times_round_trip(trains):
    per_unit = trains.to_unit_times()
    assert len(per_unit) == trains.n_units
    again = nt.SpikeTrains.from_unit_times(per_unit, t_stop=trains.t_stop, t_start=trains.t_start)
    assert again == trains
    for i, times in enumerate(per_unit):
        np.testing.assert_array_equal(times, trains.unit_times(i))
        assert np.all(np.diff(times) >= 0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 4), min_size=3, max_size=3), min_size=1, max_size=4),
    st.sampled_from([0.001, 0.02, 0.5]),
    st.floats(-2, 2),
)
def test_counts_to_spike_trains_and_back(rows, bin_size, t_start):
    c = nt.SpikeCounts(rows, bin_size=bin_size, t_start=t_start)
    trains = c.to_spike_trains()
    assert trains.n_spikes == c.counts.sum()
    assert trains.bin(bin_size) == c


def test_rates_and_views():
    st_ = nt.SpikeTrains([0.1, 0.2, 0.5], [0, 0, 1], n_units=3, t_stop=2.0)
    np.testing.assert_allclose(st_.firing_rates(), [1.0, 0.5, 0.0])
    assert st_.duration == 2.0 and st_.n_spikes == 3
    assert "n_spikes=3" in repr(st_)
    with pytest.raises(ValueError, match="unit must be < n_units"):
        st_.unit_times(3)


def test_arrays_are_read_only():
    st_ = nt.SpikeTrains([0.1], [0], n_units=1, t_stop=1.0)
    with pytest.raises(ValueError, match="read-only"):
        st_.times[0] = 0.5
    src = np.array([[1, 2]])
    c = nt.SpikeCounts(src, 0.1)
    src[0, 0] = 99  # the value keeps its own copy
    assert c.counts[0, 0] == 1


def test_equality_and_files(tmp_path):
    st_ = nt.SpikeTrains([0.1, 0.3], [1, 0], n_units=2, t_start=0.05, t_stop=1.0)
    assert st_ == nt.SpikeTrains([0.3, 0.1], [0, 1], n_units=2, t_start=0.05, t_stop=1.0)
    assert st_ != nt.SpikeTrains([0.1, 0.3], [1, 0], n_units=3, t_start=0.05, t_stop=1.0)
    p = st_.save(tmp_path / "s.npz")
    assert nt.SpikeTrains.load(p) == st_
    assert nt.load(p) == st_
    c = st_.bin(0.25)
    c.save(tmp_path / "c.npz")
    assert nt.SpikeCounts.load(tmp_path / "c.npz") == c


def test_counts_to_traces():
    c = nt.SpikeCounts([[1, 0, 2]], bin_size=0.5, t_start=1.0)
    tr = c.to_traces(unit_ids=["a"])
    assert tr.rate == 2.0 and tr.t_start == 1.0 and tr.unit_ids == ("a",)
    np.testing.assert_array_equal(tr.data, [[1.0, 0.0, 2.0]])
