"""neurotypes.validation: each check's accepted values, its refusals, and that errors name the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurotypes.validation import (
    check_array,
    check_bool,
    check_choice,
    check_consistent_length,
    check_float,
    check_ids,
    check_int,
    check_path,
    check_positive,
    check_probability,
    check_rng,
)


def test_check_int():
    assert check_int("n", np.int32(3), minimum=1) == 3 and type(check_int("n", np.int64(3))) is int
    for bad, exc in ((2.0, TypeError), (True, TypeError), ("3", TypeError), (None, TypeError)):
        with pytest.raises(exc, match="n must be an integer"):
            check_int("n", bad)
    with pytest.raises(ValueError, match="n must be non-negative, got -1"):
        check_int("n", -1, minimum=0)
    with pytest.raises(ValueError, match="n must be <= 5, got 6"):
        check_int("n", 6, maximum=5)


def test_check_float_and_positive():
    assert check_float("x", 1) == 1.0 and check_positive("rate", np.float32(0.5)) == 0.5
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="x must be finite"):
            check_float("x", bad)
    assert check_float("x", math.inf, allow_inf=True) == math.inf
    with pytest.raises(ValueError, match="rate must be > 0"):
        check_positive("rate", 0.0)
    with pytest.raises(TypeError, match="x must be a real number"):
        check_float("x", "1.0")
    with pytest.raises(TypeError):
        check_float("x", True)
    with pytest.raises(ValueError, match="x must be >= 0"):
        check_float("x", -0.1, minimum=0)


def test_check_probability():
    assert check_probability("p", 0) == 0.0 and check_probability("p", 1) == 1.0
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        check_probability("p", 1.0000001)
    with pytest.raises(ValueError, match="strictly between"):
        check_probability("p", 0.0, open_interval=True)


def test_check_bool_and_choice():
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(TypeError, match="flag must be True or False"):
        check_bool("flag", 1)
    assert check_choice("mode", "fast", ("fast", "exact")) == "fast"
    with pytest.raises(ValueError, match="mode must be one of 'fast', 'exact'; got 'slow'"):
        check_choice("mode", "slow", ("fast", "exact"))
    with pytest.raises(ValueError):
        check_choice("k", True, (1, 2))  # a bool is not the integer 1 here
    with pytest.raises(ValueError):
        check_choice("k", [1], (1, 2))  # unhashable


def test_check_rng():
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    assert check_rng(5).integers(1000) == np.random.default_rng(5).integers(1000)
    assert isinstance(check_rng(None), np.random.Generator)
    assert isinstance(check_rng(np.random.SeedSequence(3)), np.random.Generator)
    with pytest.raises(TypeError, match="seed must be an int"):
        check_rng(1.5)
    with pytest.raises(TypeError, match="legacy RandomState"):
        check_rng(np.random.RandomState(0))
    with pytest.raises(ValueError, match="rng must be non-negative"):
        check_rng(-1, "rng")


def test_check_array_float():
    out = check_array("x", [[1, 2], [3, 4]], ndim=2)
    assert out.dtype == np.float64 and out.shape == (2, 2)
    with pytest.raises(ValueError, match=r"x must be finite, got NaN or infinity at index \(1, 0\)"):
        check_array("x", [[1, 2], [np.nan, 4]])
    assert np.isnan(check_array("x", [np.nan, 1], allow_nan=True)[0])
    with pytest.raises(ValueError, match="must not contain infinities"):
        check_array("x", [np.inf], allow_nan=True)
    with pytest.raises(ValueError, match="x must be 2-dimensional, got shape"):
        check_array("x", [1, 2], ndim=2)
    with pytest.raises(ValueError, match=r"x must have shape \(any, 3\), got \(2, 2\)"):
        check_array("x", np.zeros((2, 2)), shape=(None, 3))
    with pytest.raises(TypeError, match="boolean array"):
        check_array("x", [True, False])
    with pytest.raises(TypeError, match="string dtype"):
        check_array("x", ["a"])
    with pytest.raises(TypeError, match="timedelta"):
        check_array("x", np.array([1, 2], dtype="m8[s]"))
    with pytest.raises(TypeError, match="complex"):
        check_array("x", [1j])
    with pytest.raises(ValueError, match="rectangular"):
        check_array("x", [[1, 2], [3]])
    with pytest.raises(TypeError, match="a string"):
        check_array("x", "123")
    with pytest.raises(ValueError, match=r"x must be non-negative, got -1\.0 at index 1"):
        check_array("x", [0, -1], nonnegative=True)
    with pytest.raises(ValueError, match="at least 2 element"):
        check_array("x", [1.0], min_size=2)
    a = np.ones(3)
    assert check_array("x", a) is not a and check_array("x", a, copy=False) is a


def test_check_array_int_is_exact():
    assert check_array("c", [1.0, 2.0], dtype="int").dtype == np.int64
    with pytest.raises(ValueError, match="non-integral"):
        check_array("c", [1.5], dtype="int")
    big = np.array([2**63], dtype=np.uint64)
    with pytest.raises(ValueError, match="int64 cannot store exactly"):
        check_array("c", big, dtype="int")
    with pytest.raises(ValueError, match="too large to be exact"):
        check_array("c", [2.0**60], dtype="int")
    assert check_array("c", np.array([2**63 - 1], dtype=np.uint64), dtype="int")[0] == 2**63 - 1


def test_check_array_bool():
    assert check_array("m", [0, 1, 1], dtype="bool").dtype == np.bool_
    with pytest.raises(TypeError, match="booleans"):
        check_array("m", [0, 2], dtype="bool")


def test_consistent_length_ids_path(tmp_path):
    assert check_consistent_length(a=[1, 2], b=np.zeros(2)) == 2
    with pytest.raises(ValueError, match="a and b must have the same length, got a=2, b=3"):
        check_consistent_length(a=[1, 2], b=[1, 2, 3])
    with pytest.raises(TypeError, match="b must be a sequence"):
        check_consistent_length(a=[1], b=3)
    assert check_ids("ids", ["a", np.str_("b")], 2) == ("a", "b")
    with pytest.raises(ValueError, match=r"ids\[1\] must not be empty"):
        check_ids("ids", ["a", ""], 2)
    with pytest.raises(ValueError, match="unique, 'a' appears more than once"):
        check_ids("ids", ["a", "a"], 2)
    with pytest.raises(TypeError, match="array of dtype int64"):
        check_ids("ids", np.arange(2), 2)
    f = tmp_path / "a.nwb"
    f.write_text("x")
    assert check_path("path", f, suffixes=(".nwb",)) == f
    with pytest.raises(ValueError, match=r"path must end in one of \.npz"):
        check_path("path", f, suffixes=(".npz",))
    with pytest.raises(FileNotFoundError, match="no such file"):
        check_path("path", tmp_path / "none")
    with pytest.raises(ValueError, match="must be a file, got the folder"):
        check_path("path", tmp_path)
    with pytest.raises(TypeError, match="path must be a path"):
        check_path("path", 3)


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.booleans(), st.text(), st.none()
    )
)
def test_check_float_never_returns_a_non_finite_or_raises_anything_else(value):
    try:
        out = check_float("x", value)
    except (TypeError, ValueError) as exc:
        assert str(exc).startswith("x must")
    else:
        assert math.isfinite(out)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20))
def test_check_array_finite_property(values):
    try:
        out = check_array("x", values)
    except ValueError as exc:
        assert "x must be finite" in str(exc)
        assert not np.isfinite(np.asarray(values, dtype=float)).all()
    else:
        assert np.isfinite(out).all() and out.shape == (len(values),)
