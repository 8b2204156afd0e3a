"""Property-based bad-input tests over the public API: each argument of each public function gets values drawn
from what it must refuse (wrong types, NaN/inf, negative or zero sizes, out-of-range values, mismatched shapes),
with every other argument valid; the call must raise TypeError or ValueError naming the argument."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdr_dendrites as sd
from neurotypes import SDR, SpikeCounts
from sdr_dendrites import plots

# Anything that is not an integer: floats (integral ones too: 2.0 cells is a caller's bug), NaN/inf, text,
# None, booleans, containers.
NOT_INT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
    st.lists(st.integers(0, 5), max_size=2),
)
NOT_INT_OR_NONE = NOT_INT.filter(lambda x: x is not None)
NEG = st.integers(max_value=-1)
NONPOS = st.integers(max_value=0)
NOT_REAL = st.one_of(st.text(max_size=3), st.none(), st.lists(st.floats(), max_size=2))
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
# an error target must lie strictly between 0 and 1
BAD_TARGET = st.one_of(
    NOT_REAL, NOT_FINITE, st.floats(max_value=0.0), st.floats(min_value=1.0), st.booleans()
)
BAD_FRACTION = st.one_of(NOT_REAL, NOT_FINITE, st.floats(max_value=-1e-9), st.floats(min_value=1.0 + 1e-9))
BAD_SEED = st.one_of(st.text(max_size=3), st.floats(), NEG, st.booleans())

PATTERNS = [SDR(20, [0, 1, 2, 3]), SDR(20, [2, 3, 4, 5]), SDR(20, [5, 6, 7, 8])]

# segments and neurons take the same (n, s, theta)
_CELLS: dict[str, Any] = {"n": 20, "s": 4, "theta": 2}
_CELLS_BAD: dict[str, st.SearchStrategy[Any]] = {
    "n": NOT_INT | NONPOS,
    "s": NOT_INT | NONPOS | st.integers(21, 1000),
    "theta": NOT_INT | st.integers(5, 99),
}

Case = tuple[Callable[..., Any], dict[str, Any], dict[str, st.SearchStrategy[Any]]]

CASES: dict[str, Case] = {
    "false_match_probability": (
        sd.false_match_probability,
        {"n": 100, "a": 10, "s": 5, "theta": 3},
        {
            "n": NOT_INT | NONPOS,
            "a": NOT_INT | NEG | st.integers(101, 10**6),
            "s": NOT_INT | NEG | st.integers(101, 10**6),
            "theta": NOT_INT | st.integers(6, 10**6),
            "exact": NOT_INT_OR_NONE.filter(lambda x: not isinstance(x, bool)),
        },
    ),
    "false_negative_probability": (
        sd.false_negative_probability,
        {"a": 20, "s": 10, "theta": 5, "v": 4},
        {
            "a": NOT_INT | NEG,
            "s": NOT_INT | NEG | st.integers(21, 10**6),
            "theta": NOT_INT | st.integers(11, 10**6),
            "v": NOT_INT | NEG | st.integers(21, 10**6),
            "exact": NOT_INT_OR_NONE.filter(lambda x: not isinstance(x, bool)),
        },
    ),
    "log_false_match_probability": (
        sd.log_false_match_probability,
        {"n": [100, 200], "a": [10, 10], "s": [5, 5], "theta": [3, 3]},
        {
            "n": st.sampled_from([[math.nan, 100], [1.5, 100], ["x", "y"], [0, 100], [100, 200, 300]]),
            "a": st.sampled_from([[math.inf, 10], [-1, 10], [101, 10], [10, 10, 10]]),
            "s": st.sampled_from([[2.5, 5], [-1, 5], [None, 5]]),
            "theta": st.sampled_from([[3.5, 3], [6, 3], [1, 2, 3]]),
        },
    ),
    "log_false_negative_probability": (
        sd.log_false_negative_probability,
        {"a": [20, 30], "s": [10, 10], "theta": [5, 5], "v": [4, 4]},
        {
            "a": st.sampled_from([[math.nan, 20], [-1, 20], [1, 2, 3]]),
            "v": st.sampled_from([[1.5, 4], [-1, 4], [31, 31]]),
        },
    ),
    "overlap_set_size": (
        sd.overlap_set_size,
        {"n": 10, "w": 3, "w_x": 4, "b": 2},
        {
            "n": NOT_INT | NONPOS,
            "w": NOT_INT | NEG | st.integers(11, 1000),
            "w_x": NOT_INT | NEG,
            "b": NOT_INT,
        },
    ),
    "union_synapses": (
        sd.union_synapses,
        {"n": 100, "s": 5, "m": 3},
        {"n": NOT_INT | NONPOS, "s": NOT_INT | NEG | st.integers(101, 10**4), "m": NOT_INT | NONPOS},
    ),
    "union_size_distribution": (
        sd.union_size_distribution,
        {"n": 100, "s": 5, "m": 3},
        {
            "n": NOT_INT | NONPOS,
            "s": NOT_INT | NEG,
            "m": NOT_INT | NONPOS,
            "exact": NOT_INT_OR_NONE.filter(lambda x: not isinstance(x, bool)),
        },
    ),
    "union_false_match_probability": (
        sd.union_false_match_probability,
        {"n": 100, "a": 20, "s": 5, "theta": 3, "m": 2},
        {
            "n": NOT_INT | NONPOS,
            "a": NOT_INT | NEG | st.integers(101, 10**4),
            "theta": NOT_INT,
            "m": NOT_INT | NONPOS,
            "method": st.text(max_size=5) | st.none() | st.integers(),
            "exact": NOT_INT_OR_NONE.filter(lambda x: not isinstance(x, bool)),
        },
    ),
    "set_false_match_probability": (
        sd.set_false_match_probability,
        {"n": 100, "w": 7, "theta": 4, "m": 5},
        {
            "n": NOT_INT | NONPOS,
            "w": NOT_INT | NEG | st.integers(101, 10**4),
            "theta": NOT_INT,
            "m": NOT_INT | NONPOS,
            "bound": st.text(max_size=5) | st.none() | st.integers(),
            "exact": NOT_INT_OR_NONE.filter(lambda x: not isinstance(x, bool)),
        },
    ),
    "min_theta": (
        sd.min_theta,
        {"n": 1000, "a": 20, "s": 10, "target_err": 1e-3},
        {"n": NOT_INT | NONPOS, "a": NOT_INT | NEG, "s": NOT_INT | NEG, "target_err": BAD_TARGET},
    ),
    "min_synapses": (
        sd.min_synapses,
        {"n": 1000, "a": 20, "target_err": 1e-3},
        {
            "n": NOT_INT | NONPOS,
            "a": NOT_INT | NONPOS,
            "target_err": BAD_TARGET,
            "noise_frac": BAD_FRACTION,
            "theta": NOT_INT_OR_NONE | NONPOS,
            "s_max": NOT_INT_OR_NONE | NONPOS,
        },
    ),
    "noise_cells": (
        sd.noise_cells,
        {"a": 20, "noise_frac": 0.1},
        {"a": NOT_INT | NEG, "noise_frac": BAD_FRACTION},
    ),
    "random_sdr": (
        sd.random_sdr,
        {"n": 10, "a": 3, "rng": 0},
        {"n": NOT_INT | NONPOS, "a": NOT_INT | NEG | st.integers(11, 1000), "rng": BAD_SEED},
    ),
    "random_subsets": (
        sd.random_subsets,
        {"m": 10, "k": 3, "size": 2, "rng": 0},
        {
            "m": NOT_INT | NONPOS,
            "k": NOT_INT | NEG | st.integers(11, 1000),
            "size": NOT_INT | NEG,
            "rng": BAD_SEED,
        },
    ),
    "simulate": (
        sd.simulate,
        {"kind": "false_match", "n": 100, "a": 10, "s": 5, "theta": 3, "n_trials": 100, "seed": 0},
        {
            "kind": st.text(max_size=5) | st.none() | st.integers(),
            "n": NOT_INT | NONPOS,
            "a": NOT_INT | NEG | st.integers(101, 1000),
            "s": NOT_INT_OR_NONE | NEG | st.integers(11, 1000),
            "theta": NOT_INT,
            "n_trials": NOT_INT | NONPOS,
            "seed": BAD_SEED,
        },
    ),
    "segment_false_matches": (
        sd.segment_false_matches,
        {"patterns": PATTERNS, "s": 2, "theta": 1, "seed": 0},
        {
            "patterns": st.sampled_from(
                [PATTERNS[:1], [], PATTERNS[0], [PATTERNS[0], SDR(21, [1])], [[0, 1], [1, 2]], "ab", None]
            ),
            "s": NOT_INT | NONPOS | st.integers(21, 1000),
            "theta": NOT_INT | NONPOS | st.integers(3, 1000),
            "seed": BAD_SEED,
        },
    ),
    "patterns_from_counts": (
        sd.patterns_from_counts,
        {"counts": SpikeCounts([[0, 1], [1, 1]], bin_size=0.1)},
        {"counts": st.sampled_from([[[0, 1], [1, 1]], np.ones((2, 2)), None, "counts", PATTERNS[0]])},
    ),
    "read_patterns": (
        sd.read_patterns,
        {"path": "no-such-file.npz"},
        {
            "path": st.one_of(st.none(), st.integers(), st.floats(), st.just("")),
            "bin_size": NOT_REAL | NOT_FINITE,
        },
    ),
    "read_parameter_csv": (
        sd.read_parameter_csv,
        {"path": "x.csv"},
        {"path": st.one_of(st.none(), st.integers(), st.floats(), st.just(""))},
    ),
    "DendriteSegment": (sd.DendriteSegment, _CELLS, _CELLS_BAD),
    "DendriticNeuron": (sd.DendriticNeuron, _CELLS, _CELLS_BAD),
    "effect_of_n_figure": (
        plots.effect_of_n_figure,
        {"ns": [300, 1000], "curves": {"a=64": [1e-3, 1e-6]}, "s": 24, "theta": 12},
        {
            "ns": st.sampled_from([[], [math.nan, 1.0], "x", [[1, 2]]]),
            "curves": st.sampled_from(
                [{}, {"a": [0.1]}, {"a": [math.nan, 0.1]}, {"a": [-1.0, 0.1]}, [0.1, 0.2]]
            ),
        },
    ),
    "monte_carlo_figure": (
        plots.monte_carlo_figure,
        {"zscores": {"case": 0.5}},
        {"zscores": st.sampled_from([{}, [0.5], {"case": math.nan}, None])},
    ),
    "optimal_threshold_figure": (
        plots.optimal_threshold_figure,
        {"curve": sd.optimal_theta_curve(thetas=range(1, 3))},
        {"curve": st.sampled_from([None, [1e-3, 1e-6], {"median": [1.0]}])},
    ),
    "optimal_theta_curve": (
        sd.optimal_theta_curve,
        {"thetas": range(1, 4)},
        {
            "grid": st.sampled_from([None, "grid", (1000, 0.01, 20)]),
            "thetas": st.sampled_from([[], [1.5], ["a"], None, [math.nan]]),
            "quantile_levels": st.sampled_from([[1.5], [-0.1], [math.nan], "x"]),
        },
    ),
}


@pytest.mark.parametrize(
    ("name", "arg"), [(name, arg) for name, (_, _, bad) in CASES.items() for arg in bad], ids=lambda x: str(x)
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bad_argument_is_refused_naming_it(name, arg, data, tmp_path):
    fn, valid, bad = CASES[name]
    kwargs = dict(valid)
    if name in ("read_patterns", "read_parameter_csv") and arg != "path":
        f = tmp_path / "p.npz"
        if not f.exists():
            SDR(10, [1, 2]).save(f)
        kwargs["path"] = f
    value = data.draw(bad[arg], label=arg)
    kwargs[arg] = value
    with pytest.raises((TypeError, ValueError)) as info:
        fn(**kwargs)
    if name not in ("patterns_from_counts",):
        # the message names the argument (or, for the element-wise ones, the array it is part of)
        assert arg in str(info.value) or name in ("optimal_theta_curve", "segment_false_matches"), str(
            info.value
        )


@pytest.mark.parametrize("name", list(CASES))
def test_valid_call_of_each_case_works(name, tmp_path):
    # the control: each case's valid arguments are accepted, so the refusals above come from the bad value
    fn, valid, _ = CASES[name]
    kwargs = dict(valid)
    if name in ("read_patterns", "read_parameter_csv"):
        f = tmp_path / ("p.npz" if name == "read_patterns" else "p.csv")
        if name == "read_patterns":
            SDR(10, [1, 2]).save(f)
        else:
            f.write_text("n,a,s,theta\n100,10,5,3\n")
        kwargs["path"] = f
    fn(**kwargs)
