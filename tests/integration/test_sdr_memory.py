"""Pipeline 1: random SDRs stored in the CA3 memory (ca3-cam), recalled from fragments; false recalls against
sdr-dendrites' prediction. Three stages, three package-only environments, neurotypes SDR files between them.

Expectation, stated before the first run: a recall by content returns every cue whose stored content shares at
least one bit with the query. For a fragment of ``f`` bits of one stored pattern, another stored pattern (a
uniformly random ``a``-of-``n`` SDR) is recalled by mistake exactly when it overlaps the fragment in >= 1 bit,
which is sdr-dendrites' ``P_fm(n, a, s=f, theta=1)`` (the fragment plays the segment's synapses, the memory's
threshold is one bit). So (i) the spiking memory answers every query as the oracle does, (ii) every fragment
recalls its own cue, (iii) the false-recall rate over 3 memories x 16 cues x 15 other cues is within 8 binomial
standard errors of P_fm (4 SE, inflated 2x because events that share a stored pattern are correlated).
"""

from __future__ import annotations

import json
import math

import pytest

N_CONTENT, ACTIVE, FRAGMENT, N_CUES, N_MEMORIES = 200, 8, 4, 16, 3


def test_false_recall_rate_matches_sdr_theory(stages, tmp_path):
    p = stages.run("sdr-dendrites", "sdr_predict.py", N_CONTENT, ACTIVE, FRAGMENT, 1)["p"]
    # closed form for theta = 1 as an independent check of the package: 1 - C(n - f, a) / C(n, a)
    assert p == pytest.approx(
        1 - math.comb(N_CONTENT - FRAGMENT, ACTIVE) / math.comb(N_CONTENT, ACTIVE), rel=1e-12
    )
    false = chances = 0
    for seed in range(N_MEMORIES):
        folder = tmp_path / f"memory{seed}"
        stages.run("sdr-dendrites", "sdr_draw.py", folder, N_CONTENT, ACTIVE, N_CUES, FRAGMENT, seed)
        stages.run("ca3-cam", "ca3_store_recall.py", folder, folder / "recall.json")
        got = json.loads((folder / "recall.json").read_text())
        assert got["recalled"] == got["oracle"]  # the spiking network answers as the oracle does
        for cue, recalled in enumerate(got["recalled"]):
            assert cue in recalled  # a fragment always recalls its own cue
            false += len(set(recalled) - {cue})
            chances += N_CUES - 1
    rate = false / chances
    se = math.sqrt(p * (1 - p) / chances)
    assert abs(rate - p) < 8 * se, (rate, p, se)
