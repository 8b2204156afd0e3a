"""A real recording (an NWB Units table of a spike-sorted Neuropixels recording, see data/SOURCE.md) through
the memory: its co-activity patterns stored under cues and recalled by cue and by unit."""

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ca3_cam import CA3CAM, IdealCAM
from ca3_cam.data import activity_patterns

NWB = Path(__file__).parent / "data" / "A8604-211122.nwb"


def _patterns_by_hand(times, units, t_start, bin_size):
    """Independent: walk the spikes in time order, grouping them by bin index."""
    by_bin: dict[int, set[int]] = {}
    for t, u in sorted(zip(times, units, strict=True)):
        by_bin.setdefault(int((t - t_start) // bin_size), set()).add(int(u))
    out: list[frozenset[int]] = []
    for k in sorted(by_bin):
        if frozenset(by_bin[k]) not in out:
            out.append(frozenset(by_bin[k]))
    return out


@settings(max_examples=40, deadline=None)
@given(
    spikes=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 3)), min_size=1, max_size=40),
    bin_ms=st.sampled_from([1, 5, 10, 20]),
)
def test_activity_patterns_match_a_hand_count(spikes, bin_ms):
    from neurotypes import SpikeTrains

    # times on a 0.5-ms grid off the bin edges: binning is unambiguous in floating point
    times = [(ms + 0.5) / 1000.0 for ms, _ in spikes]
    units = [u for _, u in spikes]
    st_ = SpikeTrains(times, units, n_units=4, t_stop=0.2)
    got, first = activity_patterns(st_, bin_ms / 1000.0)
    assert got == _patterns_by_hand(times, units, 0.0, bin_ms / 1000.0)
    assert np.all(np.diff(first) > 0)
    assert activity_patterns(st_, bin_ms / 1000.0, max_patterns=1)[0] == got[:1]


def test_real_nwb_recording_stored_and_recalled():
    pytest.importorskip("pynwb")
    from neurotypes.io import read_spike_trains

    st_ = read_spike_trains(NWB)
    # the facts of data/SOURCE.md
    assert st_.n_units == 3
    assert np.bincount(st_.units).tolist() == [11020, 4690, 5644]
    assert st_.times.min() == pytest.approx(0.028133) and st_.times.max() == pytest.approx(1087.352833)

    patterns, first_s = activity_patterns(st_, 0.01)
    # over 18 minutes, every non-empty combination of the 3 units fires together in some 10-ms bin
    assert set(patterns) == {frozenset(c) for k in (1, 2, 3) for c in combinations(range(3), k)}
    assert first_s.tolist() == sorted(first_s.tolist())

    mem, ideal = CA3CAM(len(patterns), st_.n_units), IdealCAM(len(patterns), st_.n_units)
    for cue, p in enumerate(patterns):
        mem.learn(cue, p)
        ideal.learn(cue, p)
    for cue in range(len(patterns)):
        assert mem.recall_by_cue(cue) == ideal.recall_by_cue(cue) == set(patterns[cue])
    for unit in range(st_.n_units):
        want = {k for k, p in enumerate(patterns) if unit in p}
        assert mem.recall_by_content({unit}) == ideal.recall_by_content({unit}) == want


def test_activity_patterns_bad_input():
    from neurotypes import SpikeTrains

    st_ = SpikeTrains([0.001], [0], n_units=1, t_stop=0.01)
    for bad, name in ((0.0, "bin_size"), (float("nan"), "bin_size"), ("1", "bin_size")):
        with pytest.raises((TypeError, ValueError), match=name):
            activity_patterns(st_, bad)
    with pytest.raises((TypeError, ValueError), match="max_patterns"):
        activity_patterns(st_, 0.001, max_patterns=0)
    with pytest.raises(TypeError, match="spikes"):
        activity_patterns([[0.001, 0]], 0.001)
