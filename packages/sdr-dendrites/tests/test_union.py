"""Union of patterns on a segment, and classification against a stored set."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from sdr_dendrites import (
    false_match_probability,
    set_false_match_probability,
    union_false_match_probability,
    union_size_distribution,
    union_synapses,
)


@pytest.mark.parametrize(
    ("n", "s", "m"), [(1000, 25, 1), (1000, 25, 2), (10_000, 25, 7), (50, 50, 3), (7, 0, 4)]
)
def test_union_synapses_closed_form(n, s, m):
    got = union_synapses(n, s, m)
    expected = n * (1 - (1 - s / n) ** m)
    assert got.expected == pytest.approx(expected, rel=1e-12)
    assert got.rounded == math.floor(expected + 0.5)


def test_union_synapses_rounds_halves_up():
    # n=4, s=2, M=2: 4 * (1 - 1/4) = 3 exactly; n=8, s=4, M=2: 6; n=2, s=1, M=2: 1.5 -> 2.
    assert union_synapses(2, 1, 2) == (1.5, 2)


def test_union_distribution_brute_force():
    # All ordered pairs/triples of 2-subsets of 5 cells: the law of the union size.
    n, s = 5, 2
    subsets = list(itertools.combinations(range(n), s))
    for m in (2, 3):
        counts = Counter(len(set().union(*combo)) for combo in itertools.product(subsets, repeat=m))
        total = len(subsets) ** m
        sizes, probs = union_size_distribution(n, s, m)
        assert dict(zip(sizes.tolist(), probs, strict=True)) == {
            u: Fraction(counts.get(u, 0), total) for u in sizes.tolist()
        }


@pytest.mark.parametrize(("n", "s", "m"), [(1000, 25, 2), (1000, 25, 5), (200, 30, 4)])
def test_union_distribution_sums_to_one_and_mean(n, s, m):
    sizes, probs = union_size_distribution(n, s, m)
    assert sum(probs) == 1
    mean = sum(p * int(u) for u, p in zip(sizes, probs, strict=True))
    assert float(mean) == pytest.approx(union_synapses(n, s, m).expected, rel=1e-12)
    _, fprobs = union_size_distribution(n, s, m, exact=False)
    np.testing.assert_allclose(fprobs, [float(p) for p in probs], rtol=1e-9, atol=1e-300)


def test_mixture_with_one_pattern_is_plain_false_match():
    assert union_false_match_probability(1000, 200, 25, 15, 1, "exact_mixture") == false_match_probability(
        1000, 200, 25, 15
    )
    assert union_false_match_probability(1000, 200, 25, 15, 1, "expected") == false_match_probability(
        1000, 200, 25, 15
    )


def test_plug_in_below_mixture_n1000_a200_s25_theta15_m2():
    plug = union_false_match_probability(1000, 200, 25, 15, 2, method="expected")
    mix = union_false_match_probability(1000, 200, 25, 15, 2, method="exact_mixture")
    assert plug < mix
    assert union_false_match_probability(1000, 200, 25, 15, 2, "exact_mixture", exact=False) == pytest.approx(
        float(mix), rel=1e-9
    )


@pytest.mark.parametrize(
    ("n", "m", "printed"),
    [
        (1000, 1, 1.00140315240769e-5),
        (1000, 2, 0.0473894530292855),
        (10_000, 1, 5.30352419025194e-20),
        (10_000, 2, 2.35602184920806e-14),
        (20_000, 2, 9.73603540551588e-19),
    ],
)
def test_plug_in_matches_authors_printed_values(n, m, printed):
    # Numenta's union script (exact rational evaluation for M <= 2): a = 200, s = 25, theta = 15.
    assert float(union_false_match_probability(n, 200, 25, 15, m, "expected")) == pytest.approx(
        printed, rel=1e-12
    )


def test_set_bounds_against_closed_forms():
    p = false_match_probability(100, 7, 7, 4)
    assert set_false_match_probability(100, 7, 4, 500, "union") == min(1, 500 * p)
    assert set_false_match_probability(100, 7, 4, 500, "independent") == 1 - (1 - p) ** 500
    indep = set_false_match_probability(100, 7, 4, 500, "independent", exact=False)
    assert indep == pytest.approx(float(1 - (1 - p) ** 500), rel=1e-12)
    assert set_false_match_probability(100, 7, 1, 500, "union") == 1  # clipped at one
    # independence form never exceeds the union bound
    for theta in range(1, 8):
        assert set_false_match_probability(100, 7, theta, 500, "independent") <= set_false_match_probability(
            100, 7, theta, 500, "union"
        )


def test_union_bad_input():
    with pytest.raises(ValueError, match="method must be"):
        union_false_match_probability(1000, 200, 25, 15, 2, method="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"m must be positive"):
        union_synapses(1000, 25, 0)
    with pytest.raises(ValueError, match=r"s \(synapses per pattern\) must be <= n"):
        union_synapses(10, 25, 2)
    with pytest.raises(ValueError, match=r"theta \(NMDA threshold\) must be <= min\(n, m\*s\)"):
        union_false_match_probability(1000, 200, 25, 51, 2)
    with pytest.raises(ValueError, match=r"bound must be"):
        set_false_match_probability(100, 7, 4, 500, bound="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"theta \(match threshold\) must be <= w"):
        set_false_match_probability(100, 7, 8, 500)


@pytest.mark.parametrize(("n", "m"), [(20_000, 3), (20_000, 7), (10_000, 12)])
def test_float_mixture_matches_exact_mixture(n, m):
    exact = union_false_match_probability(n, 200, 25, 15, m, "exact_mixture")
    fast = union_false_match_probability(n, 200, 25, 15, m, "exact_mixture", exact=False)
    assert fast == pytest.approx(float(exact), rel=1e-9)


def test_plug_in_has_no_fixed_sign():
    # Rounding s_M = 47.94 up to 48 puts the plug-in above the exact mixture here.
    plug = union_false_match_probability(10_000, 300, 24, 12, 2, "expected")
    mix = union_false_match_probability(10_000, 300, 24, 12, 2, "exact_mixture")
    assert union_synapses(10_000, 24, 2).rounded == 48
    assert plug > mix
