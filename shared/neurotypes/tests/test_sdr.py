"""SDR: set semantics, dense round-trips, overlap and union against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurotypes as nt


@st.composite
def sdr_pair(draw):
    n = draw(st.integers(1, 200))
    a = draw(st.sets(st.integers(0, n - 1), max_size=n))
    b = draw(st.sets(st.integers(0, n - 1), max_size=n))
    return n, a, b


@settings(max_examples=100, deadline=None)
@given(sdr_pair())
def test_overlap_union_match_python_sets(case):
    n, a, b = case
    x, y = nt.SDR(n, sorted(a)), nt.SDR(n, list(b))
    assert x.overlap(y) == len(a & b)
    assert x.union(y).active.tolist() == sorted(a | b)
    assert int(np.dot(x.to_dense().astype(int), y.to_dense().astype(int))) == len(a & b)
    assert nt.SDR.from_dense(x.to_dense()) == x
    assert x.size == len(a) and x.sparsity == len(a) / n
    assert all(i in x for i in a) and all((i in x) == (i in a) for i in range(n))


def test_union_of_many_and_random():
    rng = np.random.default_rng(3)
    parts = [nt.SDR.random(100, 10, rng) for _ in range(5)]
    u = nt.SDR.union_of(parts)
    expected = set().union(*(set(p.active.tolist()) for p in parts))
    assert set(u.active.tolist()) == expected
    for p in parts:
        assert p.size == 10 and np.all(np.diff(p.active) > 0)
    assert nt.SDR.random(50, 7, rng=1) == nt.SDR.random(50, 7, rng=1)


def test_random_is_uniform_over_cells():
    rng = np.random.default_rng(0)
    hits = np.zeros(20)
    for _ in range(4000):
        hits[nt.SDR.random(20, 5, rng).active] += 1
    # each cell is active with probability 5/20; 4000 draws -> mean 1000, sd ~27
    assert np.all(np.abs(hits - 1000) < 6 * np.sqrt(4000 * 0.25 * 0.75))


def test_from_dense_accepts_01_numbers():
    assert nt.SDR.from_dense(np.array([0.0, 1.0, 1.0])).active.tolist() == [1, 2]


def test_hash_and_file(tmp_path):
    x = nt.SDR(16, [3, 1])
    assert {x: 1}[nt.SDR(16, [1, 3])] == 1
    x.save(tmp_path / "x.npz")
    assert nt.SDR.load(tmp_path / "x.npz") == x
    assert repr(x) == "SDR(n=16, size=2, active=[1, 3])"


def test_mismatched_n_is_refused():
    with pytest.raises(ValueError, match="same n"):
        nt.SDR(10, [1]).overlap(nt.SDR(11, [1]))
    with pytest.raises(TypeError, match="must be an SDR"):
        nt.SDR(10, [1]).union([1, 2])  # type: ignore[arg-type]
