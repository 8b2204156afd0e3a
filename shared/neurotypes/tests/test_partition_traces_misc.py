"""Partition, Traces, Stimulus, InstanceLabels."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurotypes as nt


def ari_brute_force(a, b):
    """ARI from explicit pair counting over all item pairs (Hubert & Arabie 1985)."""
    pairs = list(combinations(range(len(a)), 2))
    same_a = np.array([a[i] == a[j] for i, j in pairs])
    same_b = np.array([b[i] == b[j] for i, j in pairs])
    n_pairs = len(pairs)
    index = np.sum(same_a & same_b)
    expected = same_a.sum() * same_b.sum() / n_pairs
    maximum = (same_a.sum() + same_b.sum()) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


labels = st.lists(st.integers(0, 4), min_size=2, max_size=25)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_ari_matches_pair_counting(data):
    a = data.draw(labels)
    b = data.draw(st.lists(st.integers(0, 4), min_size=len(a), max_size=len(a)))
    got = nt.Partition(a).adjusted_rand_index(nt.Partition(b))
    assert got == pytest.approx(ari_brute_force(a, b), abs=1e-12)
    # symmetric, and invariant to renaming clusters
    assert nt.Partition(b).adjusted_rand_index(nt.Partition(a)) == pytest.approx(got, abs=1e-12)
    renamed = [7 * x + 3 for x in a]
    assert nt.Partition(renamed).adjusted_rand_index(nt.Partition(b)) == pytest.approx(got, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(labels)
def test_relabel_is_canonical(a):
    p = nt.Partition(a).relabel()
    seen: list[int] = []
    for x in p.labels.tolist():
        if x not in seen:
            seen.append(x)
    assert seen == list(range(len(seen)))
    assert p.adjusted_rand_index(nt.Partition(a)) == 1.0
    assert p.n_clusters == len(set(a))
    assert sum(c.size for c in nt.Partition(a).clusters()) == len(a)


def test_known_ari_value_and_contingency():
    # sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
    assert nt.Partition([0, 0, 1, 1]).adjusted_rand_index(nt.Partition([0, 0, 1, 2])) == pytest.approx(4 / 7)
    table = nt.Partition([0, 0, 1, 1]).contingency(nt.Partition([0, 0, 1, 2]))
    assert table.tolist() == [[2, 0, 0], [0, 1, 1]]


def test_partition_aligns_by_item_ids(tmp_path):
    p = nt.Partition([0, 0, 1], item_ids=["a", "b", "c"])
    q = nt.Partition([1, 0, 0], item_ids=["c", "a", "b"])
    assert p.adjusted_rand_index(q) == 1.0
    with pytest.raises(ValueError, match="item_ids differ"):
        p.adjusted_rand_index(nt.Partition([0, 0, 1], item_ids=["a", "b", "d"]))
    p.save(tmp_path / "p.npz")
    assert nt.load(tmp_path / "p.npz") == p


def test_traces_basics(tmp_path):
    data = np.array([[1.0, np.nan, 3.0], [0.0, 0.5, 1.0]])
    tr = nt.Traces(data, rate=4.0, t_start=1.0, unit_ids=["AVAL", "AVAR"])
    np.testing.assert_allclose(tr.times, [1.0, 1.25, 1.5])
    assert tr.missing.tolist() == [[False, True, False], [False, False, False]]
    sel = tr.select(["AVAR"])
    np.testing.assert_array_equal(sel.data, [[0.0, 0.5, 1.0]])
    tr.save(tmp_path / "t.npz")
    assert nt.Traces.load(tmp_path / "t.npz") == tr  # NaN gaps survive the round trip
    assert nt.Traces.load(tmp_path / "t.npz").unit_ids == ("AVAL", "AVAR")


def test_stimulus_and_labels(tmp_path):
    s = nt.Stimulus(np.ones((3, 4, 4)), rate=30.0)
    assert s.n_frames == 3 and s.frame_shape == (4, 4) and s.duration == pytest.approx(0.1)
    s.save(tmp_path / "s.npz")
    assert nt.load(tmp_path / "s.npz") == s
    vol = np.zeros((2, 3, 4, 5), dtype=np.uint16)
    vol[0, 1, 1, 1:3] = 4
    vol[1, 1, 1, 2] = 9  # overlaps channel 0 at one voxel
    lab = nt.InstanceLabels(vol, voxel_size=(0.44, 0.44, 0.44))
    assert lab.n_channels == 2 and lab.spatial_shape == (3, 4, 5)
    assert lab.instance_ids.tolist() == [4, 9] and lab.n_instances == 2
    assert [ids.tolist() for ids in lab.channel_instance_ids()] == [[4], [9]]
    lab.save(tmp_path / "l.npz")
    back = nt.load(tmp_path / "l.npz")
    assert back == lab and back.labels.dtype == np.uint16
    flat = nt.InstanceLabels(vol[0])
    assert flat.n_channels == 1 and flat.as_channels().shape == (1, 3, 4, 5)
