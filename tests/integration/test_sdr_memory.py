"""Pipeline 1: random SDRs stored as contents in ca3-cam, recalled from fragments, false recalls vs sdr-dendrites.

A recall by content returns every cue whose stored content shares at least one bit with the query. For a fragment
of ``f`` bits taken from one stored pattern, another stored pattern (a uniformly random ``a``-of-``n`` SDR) is
recalled by mistake exactly when it overlaps the fragment in >= 1 bit: sdr-dendrites' false-match probability
``P_fm(n, a, s=f, theta=1)`` (the fragment plays the segment's synapses, the CAM's threshold is one bit).

Each query is made on a copy of the memory taken right after learning: in the CA3 network STDP stays on during
recall, so a multi-bit recall that fires several cues links the query's bits to all of them, and later recalls
see those new links (``test_multi_bit_recalls_interfere``).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import neurotypes as nt
from ca3_cam import CA3CAM, IdealCAM
from sdr_dendrites import false_match_probability, random_sdr

N_CONTENT, ACTIVE, FRAGMENT, N_CUES, N_MEMORIES = 200, 8, 4, 16, 3


def _run_memory(seed: int) -> tuple[int, int, int]:
    """Store N_CUES random SDRs, query one fragment of each; return (false recalls, chances, missed own cues)."""
    rng = np.random.default_rng(seed)
    patterns = [random_sdr(N_CONTENT, ACTIVE, rng) for _ in range(N_CUES)]
    cam, ideal = CA3CAM(N_CUES, N_CONTENT), IdealCAM(N_CUES, N_CONTENT)
    for cue, pattern in enumerate(patterns):
        cam.learn(cue, pattern)  # neurotypes.SDR with n == n_content is accepted as content
        ideal.learn(cue, set(pattern.active.tolist()))
    false, chances, missed = 0, 0, 0
    for cue, pattern in enumerate(patterns):
        fragment = nt.SDR(N_CONTENT, rng.choice(pattern.active, size=FRAGMENT, replace=False))
        recalled = copy.deepcopy(cam).recall_by_content(fragment)
        assert recalled == ideal.recall_by_content(
            set(fragment.active.tolist())
        )  # the spiking net = the oracle
        missed += cue not in recalled
        false += len(recalled - {cue})
        chances += N_CUES - 1
    return false, chances, missed


def test_false_recall_rate_matches_sdr_theory():
    p = float(false_match_probability(N_CONTENT, ACTIVE, FRAGMENT, 1))
    # closed form for theta = 1 as an independent check of the package call: 1 - C(n - f, a) / C(n, a)
    assert p == pytest.approx(
        1 - math.comb(N_CONTENT - FRAGMENT, ACTIVE) / math.comb(N_CONTENT, ACTIVE), rel=1e-12
    )
    results = [_run_memory(seed) for seed in range(N_MEMORIES)]
    false = sum(r[0] for r in results)
    chances = sum(r[1] for r in results)
    assert sum(r[2] for r in results) == 0  # a fragment always recalls its own cue
    rate = false / chances
    # Events sharing a stored pattern are correlated across queries, so allow 4 binomial SE inflated by 2.
    se = math.sqrt(p * (1 - p) / chances)
    assert abs(rate - p) < 4 * 2 * se, (rate, p, se)
    # and a sparser code (more content bits, same activity) must give fewer false recalls in theory
    assert float(false_match_probability(4 * N_CONTENT, ACTIVE, FRAGMENT, 1)) < p / 3


def test_spikes_of_the_memory_are_neurotypes_spike_trains(tmp_path):
    cam = CA3CAM(4, 20)
    cam.learn(0, nt.SDR(20, [1, 5, 9])).learn(1, nt.SDR(20, [2, 5]))
    assert cam.recall_by_content(nt.SDR(20, [5])) == {0, 1}
    trains = cam.spike_trains()
    out = trains["Output"]
    assert isinstance(out, nt.SpikeTrains) and out.n_spikes > 0
    out.save(tmp_path / "output.npz")
    back = nt.load(tmp_path / "output.npz")
    assert back == out
    counts = back.bin(0.001)  # 1-ms bins: the simulator's grid, so no two spikes of a neuron share a bin
    assert counts.counts.max() == 1 and counts.counts.sum() == out.n_spikes


def test_multi_bit_recalls_interfere():
    """Recalls made one after another on the same memory drift from the oracle (recall-time STDP)."""
    rng = np.random.default_rng(0)
    patterns = [random_sdr(N_CONTENT, ACTIVE, rng) for _ in range(N_CUES)]
    cam, ideal = CA3CAM(N_CUES, N_CONTENT), IdealCAM(N_CUES, N_CONTENT)
    for cue, pattern in enumerate(patterns):
        cam.learn(cue, pattern)
        ideal.learn(cue, set(pattern.active.tolist()))
    fresh = copy.deepcopy(cam)
    extra = 0
    for pattern in patterns:
        fragment = set(rng.choice(pattern.active, size=FRAGMENT, replace=False).tolist())
        extra += len(cam.recall_by_content(fragment) - ideal.recall_by_content(fragment))
    assert extra > 0  # recalled cues that were never stored with the queried bits
    # the untouched copy still answers single-bit probes exactly like the oracle
    for bit in range(0, N_CONTENT, 7):
        assert copy.deepcopy(fresh).recall_by_content({bit}) == ideal.recall_by_content({bit})
