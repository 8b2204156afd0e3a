"""Pipeline 8: ncap's swimming circuit -> dyn-connectome. The NCAP circuit swims dm_control's swimmer (ncap's own
command line writes an episode's B-neurons and muscles as neurotypes Traces); dyn-connectome's dynamic connectome
of those traces groups the units into communities.

Expectation, stated before the first run: the circuit is a chain of oscillators with dorsal and ventral sides in
anti-phase and a travelling wave along the body, so units that rise together are units at the same phase of the
stroke. (i) The communities of the strongest component group units by phase: the mean within-community phase
dispersion (1 - resultant length of the units' phases at the stroke frequency, computed here independently from
the traces by FFT) is below the 5th percentile of the same statistic over 2,000 random relabellings with the same
community sizes; (ii) no joint's dorsal and ventral B-neurons (anti-phase by construction) share a community.
Two episodes (seeds 0 and 1).
"""

from __future__ import annotations

import numpy as np
import pytest

import neurotypes as nt


def _dispersion(labels: np.ndarray, phases: np.ndarray) -> float:
    """Mean over units of (1 - resultant length of the phases of the unit's community)."""
    out = []
    for k in np.unique(labels):
        members = phases[labels == k]
        out += [1.0 - np.abs(np.exp(1j * members).mean())] * members.size
    return float(np.mean(out))


@pytest.mark.parametrize("episode", [0, 1])
def test_connectome_communities_follow_the_stroke_phase(stages, tmp_path, episode):
    act = tmp_path / "activity.npz"
    stages.run(
        "ncap", "run_cli.py", "ncap", "run", "--episodes", "1", "--seed", episode, "--activity", act, "-q"
    )
    traces = nt.Traces.load(act)
    assert traces.n_units == 20 and traces.unit_ids is not None
    got = stages.run("dyn-connectome", "dyn_components.py", act, 50, 3, 0, tmp_path / "communities.npz")
    part = nt.Partition.load(tmp_path / "communities.npz")
    assert list(part.item_ids) == list(traces.unit_ids) and got["n_clusters"] >= 2

    x = traces.data - traces.data.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(x, axis=1)
    k = int(np.argmax(np.abs(spectrum[:, 1:]).sum(axis=0))) + 1  # the stroke frequency
    phases = np.angle(spectrum[:, k])
    observed = _dispersion(part.labels, phases)
    rng = np.random.default_rng(episode)
    null = np.array([_dispersion(rng.permutation(part.labels), phases) for _ in range(2000)])
    assert observed < np.quantile(null, 0.05), (observed, np.quantile(null, [0.05, 0.5]))

    ids = list(traces.unit_ids)
    label = dict(zip(ids, part.labels.tolist(), strict=True))
    for j in range(5):
        assert label[f"B_d{j}"] != label[f"B_v{j}"], j
