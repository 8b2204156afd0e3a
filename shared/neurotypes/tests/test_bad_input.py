"""Every type refuses bad input with a clear error naming the field and the rule."""

from __future__ import annotations

import numpy as np
import pytest

import neurotypes as nt

CASES = [
    # (constructor, kwargs/args, exception, message fragment)
    (
        "times not 1-D",
        lambda: nt.SpikeTrains([[0.1]], [0], 1, t_stop=1.0),
        ValueError,
        "times must be 1-dimensional",
    ),
    ("times NaN", lambda: nt.SpikeTrains([np.nan], [0], 1, t_stop=1.0), ValueError, "times must be finite"),
    (
        "times after t_stop",
        lambda: nt.SpikeTrains([1.5], [0], 1, t_stop=1.0),
        ValueError,
        r"within \[t_start, t_stop\]",
    ),
    ("times before t_start", lambda: nt.SpikeTrains([0.1], [0], 1, 0.5, t_stop=1.0), ValueError, "within"),
    (
        "unit out of range",
        lambda: nt.SpikeTrains([0.1], [2], 2, t_stop=1.0),
        ValueError,
        r"units must lie in \[0, n_units\)",
    ),
    ("negative unit", lambda: nt.SpikeTrains([0.1], [-1], 2, t_stop=1.0), ValueError, "units must lie in"),
    ("length mismatch", lambda: nt.SpikeTrains([0.1, 0.2], [0], 1, t_stop=1.0), ValueError, "same length"),
    (
        "t_stop <= t_start",
        lambda: nt.SpikeTrains([], [], 1, 1.0, t_stop=1.0),
        ValueError,
        "t_stop must be > t_start",
    ),
    (
        "n_units float",
        lambda: nt.SpikeTrains([], [], 1.5, t_stop=1.0),
        TypeError,
        "n_units must be an integer",
    ),
    (
        "n_units bool",
        lambda: nt.SpikeTrains([], [], True, t_stop=1.0),
        TypeError,
        "n_units must be an integer",
    ),
    (
        "units non-integral",
        lambda: nt.SpikeTrains([0.1], [0.5], 1, t_stop=1.0),
        ValueError,
        "units must hold integers",
    ),
    (
        "times strings",
        lambda: nt.SpikeTrains(["a"], [0], 1, t_stop=1.0),
        TypeError,
        "times must hold real numbers",
    ),
    (
        "t_stop inf",
        lambda: nt.SpikeTrains([], [], 1, t_stop=float("inf")),
        ValueError,
        "t_stop must be finite",
    ),
    (
        "bin_size zero",
        lambda: nt.SpikeTrains([], [], 1, t_stop=1.0).bin(0.0),
        ValueError,
        "bin_size must be > 0",
    ),
    ("counts negative", lambda: nt.SpikeCounts([[1, -1]], 0.1), ValueError, "counts must be non-negative"),
    ("counts 1-D", lambda: nt.SpikeCounts([1, 2], 0.1), ValueError, "counts must be 2-dimensional"),
    ("counts fractional", lambda: nt.SpikeCounts([[0.5]], 0.1), ValueError, "counts must hold integers"),
    ("counts no bins", lambda: nt.SpikeCounts(np.zeros((2, 0)), 0.1), ValueError, "at least one time bin"),
    ("counts bool", lambda: nt.SpikeCounts([[True]], 0.1), TypeError, "counts must hold integers"),
    ("bin_size negative", lambda: nt.SpikeCounts([[1]], -0.1), ValueError, "bin_size must be > 0"),
    ("traces inf", lambda: nt.Traces([[np.inf]], 1.0), ValueError, "data must not contain infinities"),
    ("traces rate", lambda: nt.Traces([[1.0]], 0.0), ValueError, "rate must be > 0"),
    ("traces 3-D", lambda: nt.Traces(np.zeros((1, 2, 3)), 1.0), ValueError, "data must be 2-dimensional"),
    (
        "traces ids length",
        lambda: nt.Traces([[1.0]], 1.0, unit_ids=["a", "b"]),
        ValueError,
        "one entry per item",
    ),
    ("traces ids dup", lambda: nt.Traces([[1.0], [2.0]], 1.0, unit_ids=["a", "a"]), ValueError, "unique"),
    ("traces ids str", lambda: nt.Traces([[1.0]], 1.0, unit_ids="a"), TypeError, "not a single string"),
    (
        "traces ids int",
        lambda: nt.Traces([[1.0]], 1.0, unit_ids=[1]),
        TypeError,
        r"unit_ids\[0\] must be a string",
    ),
    ("sdr out of range", lambda: nt.SDR(4, [4]), ValueError, r"active indices must lie in \[0, n\)"),
    ("sdr duplicate", lambda: nt.SDR(4, [1, 1]), ValueError, "must be unique"),
    ("sdr n zero", lambda: nt.SDR(0, []), ValueError, "n must be positive"),
    ("sdr dense non-binary", lambda: nt.SDR.from_dense([0, 2]), ValueError, "dense must be binary"),
    ("sdr random a > n", lambda: nt.SDR.random(3, 4), ValueError, "a must be <= n"),
    (
        "labels float",
        lambda: nt.InstanceLabels(np.zeros((2, 2, 2))),
        TypeError,
        "labels must have an integer dtype",
    ),
    (
        "labels negative",
        lambda: nt.InstanceLabels(-np.ones((2, 2, 2), dtype=int)),
        ValueError,
        "non-negative",
    ),
    ("labels 2-D", lambda: nt.InstanceLabels(np.zeros((2, 2), dtype=int)), ValueError, "3-D"),
    (
        "voxel size",
        lambda: nt.InstanceLabels(np.zeros((1, 1, 1), dtype=int), (1.0, 0.0, 1.0)),
        ValueError,
        r"voxel_size\[1\] must be > 0",
    ),
    (
        "voxel size length",
        lambda: nt.InstanceLabels(np.zeros((1, 1, 1), dtype=int), (1.0, 1.0)),
        ValueError,
        "voxel_size must have 3 entries",
    ),
    ("stimulus empty", lambda: nt.Stimulus(np.zeros((0, 3)), 1.0), ValueError, "at least one frame"),
    ("stimulus NaN", lambda: nt.Stimulus([np.nan], 1.0), ValueError, "frames must be finite"),
    ("partition negative", lambda: nt.Partition([0, -1]), ValueError, "non-negative"),
    ("partition empty", lambda: nt.Partition([]), ValueError, "at least one item"),
    (
        "partition size mismatch",
        lambda: nt.Partition([0, 1]).adjusted_rand_index(nt.Partition([0])),
        ValueError,
        "same number of items",
    ),
    (
        "claim criterion str",
        lambda: nt.Claim("x", 1, {"m": 1}, ["m > 0"]),
        TypeError,
        r"criteria\[0\] must be a Criterion",
    ),
    ("claim empty name", lambda: nt.Claim(" ", 1, {"m": 1}), ValueError, "name must not be empty"),
    (
        "claim measured object",
        lambda: nt.Claim("x", 1, {"m": object()}),
        TypeError,
        "measured.*must be JSON-like",
    ),
    ("claim measured not a dict", lambda: nt.Claim("x", 1, 0.5), TypeError, "measured must be a mapping"),
    (
        "claim metric missing",
        lambda: nt.Claim("x", 1, {"m": 1}, nt.Criterion("z", ">", 0)),
        ValueError,
        "metric 'z' is not a key of measured",
    ),
    (
        "claim absolute figure",
        lambda: nt.Claim("x", 1, {"m": 1}, figures=["/abs/f.png"]),
        ValueError,
        "inside the report folder",
    ),
    ("criterion comparator", lambda: nt.Criterion("m", "=>", 1), ValueError, "comparator must be one of"),
    ("criterion two refs", lambda: nt.Criterion("m", ">", 1, baseline="b"), ValueError, "exactly one of"),
    ("criterion within tol", lambda: nt.Criterion("m", "within", 1), ValueError, "needs a tolerance"),
    (
        "criterion 2se one seed",
        lambda: nt.Criterion("m", ">", 1, spread="mean-2se"),
        ValueError,
        "seeds >= 2",
    ),
    (
        "criterion negative margin",
        lambda: nt.Criterion("m", ">", 1, margin=-1),
        ValueError,
        "margin must be >= 0",
    ),
    ("report no claims", lambda: nt.Report("p", "0.1.0", []), ValueError, "at least one Claim"),
    (
        "report duplicate claims",
        lambda: nt.Report("p", "0.1", [nt.Claim("x", 1, {"m": 1})] * 2),
        ValueError,
        "unique names",
    ),
    (
        "report created",
        lambda: nt.Report("p", "0.1", [nt.Claim("x", 1, {"m": 1})], created="yesterday"),
        ValueError,
        "ISO 8601",
    ),
]


@pytest.mark.parametrize(("make", "exc", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_there_are_at_least_twenty_distinct_cases():
    assert len({c[0] for c in CASES}) >= 20
