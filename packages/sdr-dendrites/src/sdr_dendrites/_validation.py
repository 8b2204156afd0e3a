"""Argument rules of this package's own (the generic checks come from ``neurotypes.validation``).

Every public function validates its inputs once, at the boundary, and raises a
``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong range)
whose message names the argument and the rule it broke.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from neurotypes.validation import check_bool, check_int, check_probability, check_rng

__all__ = [
    "as_int_array",
    "check_bool",
    "check_fm_args",
    "check_fn_args",
    "check_int",
    "check_probability",
    "check_rng",
    "check_target",
]


def check_target(name: str, value: Any) -> Fraction:
    """Return an error target in (0, 1) as an exact ``Fraction`` of its float value."""
    if isinstance(value, Fraction):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")
        return value
    return Fraction(check_probability(name, value, open_interval=True))


def check_fm_args(n: Any, a: Any, s: Any, theta: Any) -> tuple[int, int, int, int]:
    """Validate the arguments of the false-match probability ``P_fm(n, a, s, theta)``."""
    n_ = check_int("n", n, minimum=1)
    a_ = check_int("a", a, minimum=0)
    s_ = check_int("s", s, minimum=0)
    t_ = check_int("theta", theta)
    if a_ > n_:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a_} > n={n_}")
    if s_ > n_:
        raise ValueError(f"s (synapses) must be <= n (population size), got s={s_} > n={n_}")
    if t_ > s_:
        raise ValueError(f"theta (NMDA threshold) must be <= s (synapses), got theta={t_} > s={s_}")
    return n_, a_, s_, t_


def check_fn_args(a: Any, s: Any, theta: Any, v: Any) -> tuple[int, int, int, int]:
    """Validate the arguments of the false-negative probability ``P_fn(a, s, theta, v)``."""
    a_ = check_int("a", a, minimum=0)
    s_ = check_int("s", s, minimum=0)
    t_ = check_int("theta", theta)
    v_ = check_int("v", v, minimum=0)
    if s_ > a_:
        raise ValueError(
            f"s (synapses) must be <= a: a segment subsamples the pattern's active cells, got s={s_} > a={a_}"
        )
    if t_ > s_:
        raise ValueError(f"theta (NMDA threshold) must be <= s (synapses), got theta={t_} > s={s_}")
    if v_ > a_:
        raise ValueError(f"v (noise: active cells removed) must be <= a, got v={v_} > a={a_}")
    return a_, s_, t_, v_


def as_int_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as an int64 array, refusing non-integral or boolean entries."""
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        raise TypeError(f"{name} must hold integers, got booleans")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name} must hold integers, got non-integral values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)
