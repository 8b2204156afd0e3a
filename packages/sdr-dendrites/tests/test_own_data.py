"""The users' data: activity patterns from a real NWB file and from neurotypes files, and the false-match rate
of segments learned on them (checked by brute force and against the formula on random patterns)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from neurotypes import SDR, SpikeCounts, SpikeTrains
from sdr_dendrites import (
    false_match_probability,
    patterns_from_counts,
    random_sdr,
    read_patterns,
    segment_false_matches,
)
from sdr_dendrites.cli import main

NWB = Path(__file__).parent / "data" / "A8604-211122.nwb"


def test_patterns_from_the_real_nwb_file_match_a_direct_read():
    pynwb = pytest.importorskip("pynwb")
    patterns = read_patterns(NWB, bin_size=0.05)
    with pynwb.NWBHDF5IO(str(NWB), "r") as io:
        units = io.read().units
        times = [np.asarray(units["spike_times"][i]) for i in range(len(units))]
    assert [len(t) for t in times] == [11020, 4690, 5644]  # the facts in tests/data/SOURCE.md
    assert {p.n for p in patterns} == {3}
    # bin the spike times independently (numpy histogram on the same 50 ms grid) and compare bin by bin
    start = 0.0
    edges = start + 0.05 * np.arange(len(patterns) + 1)
    assert edges[-1] >= max(t.max() for t in times)
    fired = np.stack([np.histogram(t, bins=edges)[0] > 0 for t in times])
    for b in (0, 1, 100, len(patterns) // 2, len(patterns) - 1):
        assert patterns[b].active.tolist() == np.flatnonzero(fired[:, b]).tolist()
    assert sum(p.size for p in patterns) == int(fired.sum())


def test_run_on_the_real_nwb_file(tmp_path, capsys):
    pytest.importorskip("pynwb")
    out = tmp_path / "res.csv"
    assert main(["run", str(NWB), "--s", "2", "--theta", "2", "--out", str(out)]) == 0
    header, row = out.read_text().splitlines()
    rec = dict(zip(header.split(","), row.split(","), strict=True))
    assert rec["file"] == NWB.name and rec["n"] == "3" and rec["s"] == "2"
    assert 0.0 <= float(rec["observed_false_match"]) <= 1.0
    assert "false matches observed" in capsys.readouterr().out


def test_patterns_from_counts_and_spike_trains_files(tmp_path):
    counts = SpikeCounts([[0, 3, 1], [2, 0, 1]], bin_size=0.5)
    assert [p.active.tolist() for p in patterns_from_counts(counts)] == [[1], [0], [0, 1]]
    f = tmp_path / "trains.npz"
    trains = SpikeTrains.from_unit_times([[0.1, 0.2], [0.7]], t_stop=1.0)
    trains.save(f)
    assert [p.active.tolist() for p in read_patterns(f, bin_size=0.5)] == [[0], [1]]
    g = tmp_path / "one.npz"
    SDR(8, [1, 5]).save(g)
    assert read_patterns(g) == [SDR(8, [1, 5])]


def test_segment_false_matches_by_brute_force():
    # s equal to every pattern's size: each segment is its whole pattern, so the count is deterministic
    rng = np.random.default_rng(3)
    pats = [random_sdr(12, 4, rng) for _ in range(9)]
    r = segment_false_matches(pats, s=4, theta=2, seed=0)
    pairs = [(i, j) for i, j in itertools.permutations(range(len(pats)), 2)]
    hits = sum(len(set(pats[i].active) & set(pats[j].active)) >= 2 for i, j in pairs)
    assert r.n_comparisons == len(pairs) == 72
    assert r.observed == hits / len(pairs)
    # for random patterns of size 4 the expected rate is the hypergeometric tail (scipy as the oracle)
    hypergeom = pytest.importorskip("scipy.stats").hypergeom
    assert math.isclose(r.predicted, hypergeom.sf(1, 12, 4, 4), rel_tol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_segment_false_matches_agree_with_the_formula_on_random_patterns(seed):
    rng = np.random.default_rng(seed)
    pats = [random_sdr(200, 20, rng) for _ in range(400)]
    r = segment_false_matches(pats, s=10, theta=3, seed=seed)
    p = float(false_match_probability(200, 20, 10, 3))
    assert math.isclose(r.predicted, p, rel_tol=1e-12)
    # indicators (i, j) and (j, i) share an overlap; all other pairs are uncorrelated (permutation symmetry),
    # so the variance is at most twice the binomial one
    se = math.sqrt(2 * p * (1 - p) / r.n_comparisons)
    assert abs(r.observed - p) <= 4 * se


def test_read_patterns_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.nwb"
    bad.write_bytes(b"not hdf5" * 10)
    with pytest.raises(ValueError, match=r"bad\.nwb"):
        read_patterns(bad)
    with pytest.raises(FileNotFoundError):
        read_patterns(tmp_path / "missing.npz")
    wrong = tmp_path / "labels.npz"
    SpikeCounts([[1]], bin_size=1.0).save(wrong)
    with pytest.raises(ValueError, match="bin_size"):
        read_patterns(wrong, bin_size=-1.0)
