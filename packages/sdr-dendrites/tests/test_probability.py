"""P_fm and P_fn against published numbers, brute force, scipy, and their properties."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from sdr_dendrites import (
    false_match_probability,
    false_negative_probability,
    log_false_match_probability,
    log_false_negative_probability,
    overlap_set_size,
)
from sdr_dendrites.reproduce import PAPER_TABLE_1


def test_published_exact_values():
    # Table 1B (s = theta = 6) and the worked example of the paper.
    assert float(false_match_probability(100_000, 2000, 6, 6)) == pytest.approx(
        6.35308872941916e-11, rel=1e-12
    )
    assert float(false_match_probability(1024, 8, 4, 2)) == pytest.approx(3.18241665415146e-4, rel=1e-12)


@pytest.mark.parametrize(("label", "s", "theta", "paper"), PAPER_TABLE_1)
def test_table_1_cells(label, s, theta, paper):
    exact = float(false_match_probability(100_000, 2000, s, theta))
    assert exact == pytest.approx(paper, rel=1e-9), label
    assert hypergeom.sf(theta - 1, 100_000, s, 2000) == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("theta", [0, 1, 2, 3])
def test_false_match_brute_force(theta):
    n, a, s = 12, 4, 3
    synapses = {0, 1, 2}
    patterns = list(itertools.combinations(range(n), a))
    hits = sum(len(synapses.intersection(p)) >= theta for p in patterns)
    assert false_match_probability(n, a, s, theta) == Fraction(hits, len(patterns))


@pytest.mark.parametrize(
    ("s", "theta", "v"), [(3, 1, 2), (3, 2, 2), (3, 3, 2), (4, 3, 3), (2, 2, 0), (6, 4, 6)]
)
def test_false_negative_brute_force(s, theta, v):
    a = 6
    synapses = set(range(s))  # a segment on s of the pattern's 6 active cells
    removals = list(itertools.combinations(range(a), v))
    fails = sum(len(synapses - set(r)) < theta for r in removals)
    assert false_negative_probability(a, s, theta, v) == Fraction(fails, len(removals))


def test_overlap_set_size_counts_by_enumeration():
    n, w, x = 9, 3, {0, 1, 2, 3}
    for b in range(5):
        count = sum(len(x.intersection(p)) == b for p in itertools.combinations(range(n), w))
        assert overlap_set_size(n, w, len(x), b) == count


def test_exact_vs_scipy_on_random_grid():
    rng = np.random.default_rng(3)
    for _ in range(60):
        n = int(rng.integers(50, 30_000))
        a = int(rng.integers(1, n // 3 + 2))
        s = int(rng.integers(1, min(n, 60) + 1))
        theta = int(rng.integers(1, s + 1))
        exact = float(false_match_probability(n, a, s, theta))
        oracle = float(hypergeom.sf(theta - 1, n, s, a))
        if exact > 1e-290:
            assert oracle == pytest.approx(exact, rel=1e-9, abs=0.0)


def test_log_path_matches_exact_including_tiny_values():
    # Segment-sized cases (min(s, a) <= 1024) use the product form: relative 1e-12 even at n = 2e5.
    ns = np.array([1000, 5000, 10_000, 50_000, 100_000, 100_000, 10_000, 2048, 200_000, 100_000])
    as_ = np.array([20, 100, 300, 1000, 2000, 2000, 300, 400, 2000, 2000])
    ss = np.array([20, 30, 30, 40, 24, 10, 30, 40, 40, 240])
    ts = np.array([10, 15, 15, 20, 12, 10, 15, 20, 20, 20])
    logs = log_false_match_probability(ns, as_, ss, ts)
    for i in range(ns.size):
        exact = false_match_probability(int(ns[i]), int(as_[i]), int(ss[i]), int(ts[i]))
        assert exact > 0
        assert math.exp(logs[i]) == pytest.approx(float(exact), rel=1e-12)
    assert float(np.exp(logs[8])) < 1e-28  # tiny probabilities are part of the grid


@pytest.mark.parametrize(("n", "a", "s", "theta"), [(5000, 3000, 2000, 1300), (100_000, 2000, 2000, 100)])
def test_log_path_lgamma_branch_within_documented_bound(n, a, s, theta):
    # min(s, a) > 1024: the log-factorial table, documented at relative 1e-9 up to n = 1e5.
    exact = float(false_match_probability(n, a, s, theta))
    assert 0 < exact < 1
    assert math.exp(float(log_false_match_probability(n, a, s, theta))) == pytest.approx(exact, rel=1e-9)


def test_precision_negative_control():
    # n=10000, a=300, s=30, theta=15: exact value from the authors' exact-rational notebook output.
    independent = 1.04919182521237e-15
    exact = float(false_match_probability(10_000, 300, 30, 15))
    assert exact == pytest.approx(independent, rel=1e-13)
    assert false_match_probability(10_000, 300, 30, 15, exact=False) == pytest.approx(exact, rel=1e-9)

    # Negative control: the same sum through the complement, in float64, is visibly wrong.
    def term(b: int) -> float:
        return math.comb(30, b) * math.comb(10_000 - 30, 300 - b) / math.comb(10_000, 300)

    complement = 1.0 - math.fsum(term(b) for b in range(15))
    assert abs(complement - exact) / exact > 1e-3
    # Low-precision (float32) terms summed directly lose the value too.
    low = (
        float(np.sum(np.array([term(b) for b in range(15, 31)], dtype=np.float32) * np.float32(1e20))) / 1e20
    )
    plain = float(np.sum([term(b) for b in range(15, 31)]))
    assert abs(plain - exact) / exact < 1e-12  # float64 terms are fine here...
    assert abs(low - exact) / exact > 1e-9  # ...float32 terms are not


def test_edge_cases_of_theta():
    assert false_match_probability(100, 10, 5, 0) == 1
    assert false_match_probability(100, 10, 5, -3) == 1
    assert false_match_probability(100, 3, 5, 4) == 0  # theta > a
    assert false_negative_probability(10, 5, 0, 10) == 0
    assert false_negative_probability(10, 5, 5, 0) == 0
    assert false_negative_probability(10, 5, 5, 10) == 1
    assert np.isneginf(log_false_match_probability(100, 3, 5, 4))
    assert log_false_match_probability(100, 10, 5, 0) == 0.0


@st.composite
def fm_args(draw):
    n = draw(st.integers(1, 400))
    a = draw(st.integers(0, n))
    s = draw(st.integers(0, n))
    theta = draw(st.integers(-2, s))
    return n, a, s, theta


@settings(max_examples=60, deadline=None)
@given(fm_args())
def test_false_match_properties(args):
    n, a, s, theta = args
    p = false_match_probability(n, a, s, theta)
    assert 0 <= p <= 1
    if theta <= 0:
        assert p == 1
    if theta > min(s, a):
        assert p == 0
    if theta < s:
        assert false_match_probability(n, a, s, theta + 1) <= p
    # symmetric in a and s (hypergeometric symmetry)
    if a <= n and s <= n and theta <= a:
        assert false_match_probability(n, s, a, theta) == p
    assert math.exp(float(log_false_match_probability(n, a, s, theta))) == pytest.approx(float(p), rel=1e-9)


@st.composite
def fn_args(draw):
    a = draw(st.integers(0, 200))
    s = draw(st.integers(0, a))
    theta = draw(st.integers(-1, s))
    v = draw(st.integers(0, a))
    return a, s, theta, v


@settings(max_examples=60, deadline=None)
@given(fn_args())
def test_false_negative_properties(args):
    a, s, theta, v = args
    p = false_negative_probability(a, s, theta, v)
    assert 0 <= p <= 1
    if theta < s:
        assert false_negative_probability(a, s, theta + 1, v) >= p
    if v < a:
        assert false_negative_probability(a, s, theta, v + 1) >= p
    assert math.exp(float(log_false_negative_probability(a, s, theta, v))) == pytest.approx(
        float(p), rel=1e-9
    )


def test_false_negative_has_no_n():
    import inspect

    assert "n" not in inspect.signature(false_negative_probability).parameters


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((10, 11, 3, 2), ValueError, r"a \(active cells\) must be <= n"),
        ((10, 5, 11, 2), ValueError, r"s \(synapses\) must be <= n"),
        ((10, 5, 3, 4), ValueError, r"theta \(NMDA threshold\) must be <= s"),
        ((10, -1, 3, 2), ValueError, r"a must be non-negative"),
        ((0, 0, 0, 0), ValueError, r"n must be positive"),
        ((10, 2.5, 3, 2), TypeError, r"a must be an integer"),
        ((10.0, 2, 3, 2), TypeError, r"n must be an integer"),
        ((10, 2, True, 1), TypeError, r"s must be an integer"),
        (("10", 2, 3, 2), TypeError, r"n must be an integer"),
    ],
)
def test_false_match_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        false_match_probability(*args)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((10, 11, 3, 2), r"s \(synapses\) must be <= a"),
        ((10, 5, 6, 2), r"theta \(NMDA threshold\) must be <= s"),
        ((10, 5, 3, 11), r"v \(noise: active cells removed\) must be <= a"),
        ((10, 5, 3, -1), r"v must be non-negative"),
    ],
)
def test_false_negative_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        false_negative_probability(*args)


def test_log_path_bad_input():
    with pytest.raises(ValueError, match=r"a .* must be <= n"):
        log_false_match_probability([10, 10], [5, 11], 3, 2)
    with pytest.raises(TypeError, match="theta must hold integers"):
        log_false_match_probability(10, 5, 3, 2.5)
    with pytest.raises(ValueError, match=r"v .* must be <= a"):
        log_false_negative_probability(10, 5, 3, [2, 11])


def test_dense_control_does_not_fall_off():
    # theta = s/2 for s = 2..30: the dense code (25 % active) stays above 1e-3 while the sparse code
    # (0.8 % active) falls by more than 20 orders of magnitude (exact values 2.7e-3 and 1.0e-25).
    dense = [float(false_match_probability(16_000, 4000, s, s // 2)) for s in range(2, 31)]
    sparse = [float(false_match_probability(4000, 32, s, s // 2)) for s in range(2, 31)]
    assert min(dense) > 1e-3
    assert sparse[-1] < 1e-24
    assert all(d > 1e10 * sp for d, sp in zip(dense[-10:], sparse[-10:], strict=True))
