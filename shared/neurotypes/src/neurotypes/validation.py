"""Argument checks for the boundary of every public function, in the style of scikit-learn's ``check_array``.

Each check takes the argument's *name* first, so that its error says which argument broke which rule:
a ``TypeError`` for the wrong kind of value, a ``ValueError`` for the right kind out of range. They return the
value in the form the caller should use (a Python ``int``/``float``, a fresh numpy array, a
``numpy.random.Generator``), so a function validates and converts in one line::

    def firing_rate(counts, bin_size, *, seed=None):
        counts = check_array("counts", counts, ndim=2, dtype="int", nonnegative=True)
        bin_size = check_positive("bin_size", bin_size)
        rng = check_rng(seed)

The neurotypes types validate their own fields with these same functions.

Examples
--------
>>> check_int("n_units", 3, minimum=1)
3
>>> check_probability("p", 1.5)
Traceback (most recent call last):
...
ValueError: p must lie in [0, 1], got 1.5
>>> check_array("x", [[1.0, float("nan")]])
Traceback (most recent call last):
...
ValueError: x must be finite, got NaN or infinity at index (0, 1)
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "check_array",
    "check_bool",
    "check_choice",
    "check_consistent_length",
    "check_float",
    "check_ids",
    "check_int",
    "check_path",
    "check_positive",
    "check_probability",
    "check_rng",
    "check_seed",
]

_INT64_MAX = np.iinfo(np.int64).max


def _is_bool(value: object) -> bool:
    return isinstance(value, bool | np.bool_)


def check_int(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as a Python ``int`` within ``[minimum, maximum]``.

    Booleans and floats are refused (a size of ``2.5`` or ``True`` is a caller's bug, not something to round),
    numpy integers are accepted.

    Raises
    ------
    TypeError
        ``value`` is not an integer.
    ValueError
        ``value`` is out of range.
    """
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        got = f"{type(value).__name__} {value!r}" if isinstance(value, numbers.Real) else type(value).__name__
        raise TypeError(f"{name} must be an integer, got {got}")
    out = int(value)
    if minimum is not None and out < minimum:
        rule = "non-negative" if minimum == 0 else ("positive" if minimum == 1 else f">= {minimum}")
        raise ValueError(f"{name} must be {rule}, got {out}")
    if maximum is not None and out > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {out}")
    return out


def check_float(
    name: str,
    value: object,
    *,
    positive: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a finite Python ``float`` (strictly positive when ``positive``).

    ``minimum``/``maximum`` are inclusive bounds. NaN is always refused; infinities unless ``allow_inf``.
    """
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    out = float(value)
    if math.isnan(out) or (math.isinf(out) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {out}")
    if positive and out <= 0.0:
        raise ValueError(f"{name} must be > 0, got {out}")
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    if maximum is not None and out > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {out}")
    return out


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a finite float > 0 (a rate, a duration, a bin size, a temperature)."""
    return check_float(name, value, positive=True)


def check_probability(name: str, value: object, *, open_interval: bool = False) -> float:
    """Return ``value`` as a float in ``[0, 1]`` (``(0, 1)`` when ``open_interval``)."""
    out = check_float(name, value)
    if open_interval and not 0.0 < out < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {out}")
    if not 0.0 <= out <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {out}")
    return out


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` as a ``bool``; only ``True``/``False`` (or numpy bools) are accepted."""
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_choice(name: str, value: object, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``; the error lists them."""
    options = tuple(choices)
    if isinstance(value, np.generic):
        value = value.item()
    try:
        ok = value in options
    except TypeError:  # unhashable / incomparable
        ok = False
    if not ok or (_is_bool(value) and not any(_is_bool(o) for o in options)):
        shown = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


def check_seed(name: str, value: object) -> int:
    """Return a seed as a non-negative Python ``int`` (what ``numpy.random.default_rng`` accepts)."""
    return check_int(name, value, minimum=0)


def check_rng(seed: object, name: str = "seed") -> np.random.Generator:
    """Turn ``seed`` into a ``numpy.random.Generator``.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` gives fresh OS entropy; an int or a ``SeedSequence`` a reproducible stream; a ``Generator`` is
        returned as it is (the caller keeps drawing from the same stream).
    name : str
        The argument's name for the error message.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.RandomState):
        raise TypeError(f"{name} must be an int, a numpy.random.Generator or None, got a legacy RandomState")
    if _is_bool(seed) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be an int, a numpy.random.Generator or None, got {type(seed).__name__} {seed!r}"
        )
    return np.random.default_rng(check_seed(name, seed))


DType = Literal["float", "int", "bool", "any"]


def _where(mask: NDArray[np.bool_]) -> str:
    idx = np.argwhere(mask)[0]
    return f"index {tuple(int(i) for i in idx)}" if idx.size > 1 else f"index {int(idx[0])}"


def check_array(
    name: str,
    value: ArrayLike,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    dtype: DType = "float",
    finite: bool = True,
    allow_nan: bool = False,
    nonnegative: bool = False,
    min_size: int = 0,
    minimum: float | None = None,
    maximum: float | None = None,
    copy: bool = True,
) -> NDArray[Any]:
    """Validate and convert an array argument.

    Parameters
    ----------
    name : str
        The argument's name, used in every error.
    value : array_like
        The argument.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries match any length (e.g. ``(None, 3)``).
    dtype : {"float", "int", "bool", "any"}
        ``"float"``: real numbers, returned as float64 (bools refused). ``"int"``: integers, returned as int64;
        floats are accepted only when every value is integral, unsigned values that do not fit int64 are refused.
        ``"bool"``: booleans (0/1 integers accepted). ``"any"``: numeric, returned as given.
    finite : bool
        Refuse NaN and infinities (float arrays). ``allow_nan`` lets NaN through (missing values) but still
        refuses infinities.
    nonnegative : bool
        Refuse negative values.
    min_size : int
        Minimum number of elements.
    minimum, maximum : float, optional
        Inclusive value bounds.
    copy : bool
        Return a fresh array (default) rather than possibly a view of the caller's data.

    Returns
    -------
    numpy.ndarray
    """
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be an array of numbers, got a string")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if arr.dtype == object:
        if arr.size == 0:
            arr = np.zeros(arr.shape)
        else:
            raise TypeError(
                f"{name} must be an array of numbers, got an object array (ragged or mixed values)"
            )
    kind = arr.dtype.kind
    if kind in "mMUSVc":
        what = {
            "m": "timedelta",
            "M": "datetime",
            "U": "string",
            "S": "bytes",
            "V": "structured",
            "c": "complex",
        }[kind]
        raise TypeError(f"{name} must hold real numbers, got {what} dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must be {want}-dimensional, got shape {arr.shape}")
    if shape is not None:
        want_shape = tuple(shape)
        if arr.ndim != len(want_shape) or any(
            w is not None and w != s for w, s in zip(want_shape, arr.shape, strict=True)
        ):
            shown = "(" + ", ".join("any" if w is None else str(w) for w in want_shape) + ")"
            raise ValueError(f"{name} must have shape {shown}, got {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} element(s), got {arr.size}")

    if dtype == "float":
        if kind == "b":
            raise TypeError(f"{name} must hold real numbers, got a boolean array")
        out = np.array(arr, dtype=np.float64, copy=True) if copy else arr.astype(np.float64, copy=False)
        if finite and out.size:
            bad = np.isinf(out) if allow_nan else ~np.isfinite(out)
            if bad.any():
                if allow_nan:
                    raise ValueError(
                        f"{name} must not contain infinities (NaN marks missing values), got one at {_where(bad)}"
                    )
                raise ValueError(f"{name} must be finite, got NaN or infinity at {_where(bad)}")
    elif dtype == "int":
        if kind == "b":
            raise TypeError(f"{name} must hold integers, got a boolean array")
        if kind == "u" and arr.size and arr.dtype.itemsize >= 8 and int(arr.max()) > _INT64_MAX:
            raise ValueError(f"{name} holds values above {_INT64_MAX} that int64 cannot store exactly")
        if kind == "f":
            if arr.size and not np.isfinite(arr).all():
                raise ValueError(f"{name} must hold finite integers, got NaN or infinity")
            if arr.size and not (arr == np.round(arr)).all():
                raise ValueError(f"{name} must hold integers, got non-integral values")
            if arr.size and np.abs(arr).max() > 2.0**53:
                raise ValueError(f"{name} holds floats too large to be exact integers (> 2**53)")
        out = np.array(arr, dtype=np.int64, copy=True) if copy else arr.astype(np.int64, copy=False)
    elif dtype == "bool":
        if kind == "b":
            out = np.array(arr, copy=True) if copy else arr
        elif kind in "iu" and (arr.size == 0 or np.isin(arr, (0, 1)).all()):
            out = arr.astype(np.bool_)
        else:
            raise TypeError(f"{name} must hold booleans (or 0/1), got dtype {arr.dtype}")
    elif dtype == "any":
        out = np.array(arr, copy=True) if copy else arr
        if finite and kind == "f" and out.size:
            bad = np.isinf(out) if allow_nan else ~np.isfinite(out)
            if bad.any():
                raise ValueError(f"{name} must be finite, got NaN or infinity at {_where(bad)}")
    else:  # pragma: no cover - programming error
        raise ValueError(f"dtype must be 'float', 'int', 'bool' or 'any', got {dtype!r}")

    if out.size and out.dtype.kind != "b":
        if nonnegative and (out < 0).any():
            raise ValueError(f"{name} must be non-negative, got {out.min()} at {_where(out < 0)}")
        if minimum is not None and (out < minimum).any():
            raise ValueError(f"{name} must be >= {minimum}, got {out.min()}")
        if maximum is not None and (out > maximum).any():
            raise ValueError(f"{name} must be <= {maximum}, got {out.max()}")
    return out


def check_consistent_length(**arrays: Any) -> int:
    """Check that the named arguments have the same length (first axis); return that length.

    >>> check_consistent_length(times=[0.1, 0.2], units=[0, 1])
    2
    """
    lengths = {}
    for key, val in arrays.items():
        try:
            lengths[key] = len(val)
        except TypeError:
            raise TypeError(f"{key} must be a sequence or array, got {type(val).__name__}") from None
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length, got {shown}")
    return next(iter(lengths.values()), 0)


def check_ids(name: str, value: object, length: int) -> tuple[str, ...] | None:
    """Validate an optional sequence of ``length`` unique, non-empty string identifiers."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a sequence of strings, not a single string")
    if isinstance(value, np.ndarray) and value.dtype.kind not in "UO":
        raise TypeError(f"{name} must be a sequence of strings, got an array of dtype {value.dtype}")
    if not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of strings, got {type(value).__name__}")
    ids = tuple(value)
    names: list[str] = []
    for i, item in enumerate(ids):
        if isinstance(item, np.str_):
            item = str(item)
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(item).__name__} {item!r}")
        if not item:
            raise ValueError(f"{name}[{i}] must not be empty")
        if "\x00" in item:
            raise ValueError(f"{name}[{i}] must not contain NUL characters")
        names.append(item)
    if len(names) != length:
        raise ValueError(f"{name} must have one entry per item ({length}), got {len(names)}")
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = next(n for n in names if n in seen or seen.add(n))  # type: ignore[func-returns-value]
        raise ValueError(f"{name} must be unique, {dup!r} appears more than once")
    return tuple(names)


def check_path(
    name: str,
    value: object,
    *,
    must_exist: bool = True,
    kind: Literal["file", "dir", "any"] = "file",
    suffixes: Iterable[str] | None = None,
) -> Path:
    """Validate a path argument and return it as a ``pathlib.Path``.

    Parameters
    ----------
    must_exist : bool
        Refuse a path that does not exist (``FileNotFoundError``, which is an ``OSError``).
    kind : {"file", "dir", "any"}
        What an existing path must be.
    suffixes : iterable of str, optional
        Allowed suffixes (case-insensitive, with the dot: ``(".nwb", ".npz")``).
    """
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    path = Path(value)
    if not str(value):
        raise ValueError(f"{name} must not be an empty path")
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if path.suffix.lower() not in allowed:
            raise ValueError(f"{name} must end in one of {', '.join(allowed)}, got {str(path)!r}")
    if must_exist:
        if not path.exists():
            raise FileNotFoundError(f"{name}: no such file or folder {str(path)!r}")
        if kind == "file" and not path.is_file():
            raise ValueError(f"{name} must be a file, got the folder {str(path)!r}")
        if kind == "dir" and not path.is_dir():
            raise ValueError(f"{name} must be a folder, got the file {str(path)!r}")
    return path
