"""Segments, neurons, samplers and the Monte-Carlo simulator against the formulas."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from neurotypes import SDR
from sdr_dendrites import (
    DendriteSegment,
    DendriticNeuron,
    false_match_probability,
    false_negative_probability,
    random_sdr,
    random_subsets,
    simulate,
    union_false_match_probability,
)

N_MC = 200_000


def _within_4_se(estimate: float, p: float, n: int) -> bool:
    return abs(estimate - p) <= 4 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize(
    ("kind", "kw", "formula"),
    [
        (
            "false_match",
            {"n": 300, "a": 64, "s": 24, "theta": 12},
            lambda: false_match_probability(300, 64, 24, 12),
        ),
        (
            "false_match",
            {"n": 1000, "a": 64, "s": 24, "theta": 6},
            lambda: false_match_probability(1000, 64, 24, 6),
        ),
        (
            "false_negative",
            {"n": 1000, "a": 128, "s": 30, "theta": 12, "v": 64},
            lambda: false_negative_probability(128, 30, 12, 64),
        ),
        (
            "union",
            {"n": 1000, "a": 200, "s": 25, "theta": 15, "m": 2},
            lambda: union_false_match_probability(1000, 200, 25, 15, 2, "exact_mixture"),
        ),
        (
            "union",
            {"n": 1000, "a": 200, "s": 25, "theta": 15, "m": 3},
            lambda: union_false_match_probability(1000, 200, 25, 15, 3, "exact_mixture"),
        ),
    ],
)
def test_monte_carlo_agrees_with_formulas(kind, kw, formula):
    r = simulate(kind, n_trials=N_MC, seed=11, **kw)
    assert r.n_trials >= N_MC
    assert _within_4_se(r.estimate, float(formula()), r.n_trials)


def test_monte_carlo_distinguishes_mixture_from_plug_in_at_m2():
    # The plug-in (0.0474) and the exact mixture (0.0508) differ by ~7 SE at N = 200000: the simulation
    # has to side with the mixture.
    r = simulate("union", n=1000, a=200, s=25, theta=15, m=2, n_trials=N_MC, seed=5)
    plug = float(union_false_match_probability(1000, 200, 25, 15, 2, "expected"))
    assert not _within_4_se(r.estimate, plug, r.n_trials)


def test_set_simulation_agrees_with_independence_form():
    r = simulate("set", n=60, a=6, theta=3, m=20, n_trials=20_000, seed=2)
    p = 1 - (1 - false_match_probability(60, 6, 6, 3)) ** 20
    assert _within_4_se(r.estimate, float(p), r.n_trials)


def test_simulation_is_seeded():
    a = simulate("false_match", n=300, a=64, s=24, theta=10, n_trials=5000, seed=3)
    b = simulate("false_match", n=300, a=64, s=24, theta=10, n_trials=5000, seed=3)
    c = simulate("false_match", n=300, a=64, s=24, theta=10, n_trials=5000, seed=4)
    assert a == b
    assert a.n_events != c.n_events


def test_random_subsets_uniform_both_samplers():
    # 2-subsets of 5 (rejection path) and 4-subsets of 6 (argpartition path): chi-square against uniform.
    for m, k in ((5, 2), (6, 4), (8, 1)):
        rows = random_subsets(m, k, 30_000, rng=0)
        assert np.all(np.diff(rows, axis=1) > 0)
        counts = Counter(map(tuple, rows.tolist()))
        expected = 30_000 / math.comb(m, k)
        assert len(counts) == math.comb(m, k)
        chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
        dof = math.comb(m, k) - 1
        assert chi2 < dof + 6 * math.sqrt(2 * dof)


def test_random_sdr_is_uniform_and_sized():
    x = random_sdr(1000, 20, rng=1)
    assert isinstance(x, SDR)
    assert (x.n, x.size) == (1000, 20)
    counts = Counter(
        tuple(random_sdr(5, 2, rng=np.random.default_rng(i)).active.tolist()) for i in range(4000)
    )
    assert len(counts) == 10
    assert max(counts.values()) / min(counts.values()) < 1.4


def test_segment_learns_a_subsample_and_responds():
    rng = np.random.default_rng(0)
    x = random_sdr(500, 40, rng)
    seg = DendriteSegment(500, s=12, theta=8).learn(x, rng)
    assert seg.synapses_.size == 12
    assert set(seg.synapses_.tolist()) <= set(x.active.tolist())
    assert seg.respond(x)
    assert seg.overlap(x) == 12
    other = SDR(500, np.setdiff1d(np.arange(500), x.active)[:40])
    assert not seg.respond(other)


def test_segment_union_learn_holds_union():
    rng = np.random.default_rng(1)
    xs = [random_sdr(200, 30, rng) for _ in range(3)]
    seg = DendriteSegment(200, s=10, theta=6).union_learn(xs, rng)
    assert 10 <= seg.synapses_.size <= 30
    assert all(seg.overlap(x) >= 10 for x in xs)


def test_neuron_responds_to_stored_patterns_and_matches_segments():
    rng = np.random.default_rng(2)
    stored = [random_sdr(1000, 20, rng) for _ in range(6)]
    cell = DendriticNeuron(1000, s=10, theta=6).learn(stored, rng)
    assert cell.n_segments == 6
    assert bool(np.all(cell.respond(stored)))
    overl = cell.segment_overlaps(stored)
    assert np.all(np.diag(overl) == 10)
    seg_view = [DendriteSegment(1000, 10, 6) for _ in range(6)]
    for seg, row in zip(seg_view, cell.segments_, strict=True):
        seg.synapses_ = row
    probe = random_sdr(1000, 20, rng)
    assert [s.overlap(probe) for s in seg_view] == cell.segment_overlaps(probe)[0].tolist()
    union_cell = DendriticNeuron(1000, s=5, theta=4).union_learn([stored[:3], stored[3:]], rng)
    assert bool(np.all(union_cell.respond(stored)))
    dense = np.stack([x.to_dense() for x in stored])
    np.testing.assert_array_equal(union_cell.respond(dense), union_cell.respond(stored))


def test_simulator_and_segment_bad_input():
    with pytest.raises(ValueError, match=r"s \(synapses\) must be <= a"):
        simulate("false_match", n=100, a=10, s=11, theta=5)
    with pytest.raises(ValueError, match="kind must be one of"):
        simulate("bogus", n=100, a=10, s=5, theta=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"s \(synapses\) is required"):
        simulate("union", n=100, a=10, theta=5)
    with pytest.raises(ValueError, match=r"v \(noise\) must be <= a"):
        simulate("false_negative", n=100, a=10, s=5, theta=3, v=11)
    with pytest.raises(TypeError, match="seed must be"):
        simulate("false_match", n=100, a=10, s=5, theta=3, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fewer than s=12 synapses"):
        DendriteSegment(100, 12, 5).learn(SDR(100, range(5)))
    with pytest.raises(ValueError, match="must have n=100 cells"):
        DendriteSegment(100, 2, 1).learn(SDR(50, range(5)))
    with pytest.raises(TypeError, match=r"must be a neurotypes\.SDR"):
        DendriteSegment(100, 2, 1).learn([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="has not learned"):
        DendriteSegment(100, 2, 1).respond(SDR(100, [1]))
    with pytest.raises(ValueError, match="theta must be non-negative"):
        DendriticNeuron(100, 2, -1)
    with pytest.raises(ValueError, match=r"a \(active cells\) must be <= n"):
        random_sdr(10, 11)
