"""Validation helpers and the npz file format shared by every neurotypes type.

Each type is a frozen dataclass that validates on construction. Arrays are stored as read-only numpy arrays so
that a constructed value really is immutable; errors name the field and the rule that was broken.

File format: one ``.npz`` archive per value holding the type's arrays plus two entries, ``__schema__`` (for
example ``"neurotypes.SpikeTrains"``) and ``__version__`` (an integer). Readers refuse unknown schemas and
versions newer than they understand, with a message that says what to do.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["SchemaError", "load"]

SCHEMA_KEY = "__schema__"
VERSION_KEY = "__version__"


class SchemaError(ValueError):
    """A file's schema name or version cannot be read by this version of neurotypes."""


# --------------------------------------------------------------------------------------------------- validation


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as a Python int, refusing bools, floats and anything below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out


def check_float(name: str, value: object, *, positive: bool = False) -> float:
    """Return ``value`` as a finite Python float (strictly positive when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    if positive and out <= 0.0:
        raise ValueError(f"{name} must be > 0, got {out}")
    return out


def as_int_array(
    name: str, value: ArrayLike, *, ndim: int | tuple[int, ...], copy: bool = True
) -> NDArray[Any]:
    """Convert to an integer array with the given number of dimensions.

    Integer dtypes are kept (copied when ``copy``); float arrays are accepted only when every value is integral
    (they become int64). Bools and other dtypes are refused: a silent cast would hide a caller's mistake.
    """
    arr = np.asarray(value)
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ndims:
        want = " or ".join(str(d) for d in ndims)
        raise ValueError(f"{name} must be {want}-dimensional, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        raise TypeError(f"{name} must hold integers, got a boolean array")
    if np.issubdtype(arr.dtype, np.integer):
        return np.array(arr, copy=True) if copy else arr
    if np.issubdtype(arr.dtype, np.floating):
        if arr.size and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold finite integers, got NaN or infinity")
        if arr.size and not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integers, got non-integral floats")
        return arr.astype(np.int64)
    if arr.size == 0 and arr.dtype == object:
        return np.zeros(arr.shape, dtype=np.int64)
    raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")


def as_float_array(
    name: str,
    value: ArrayLike,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    allow_nan: bool = False,
) -> NDArray[np.float64]:
    """Convert to a float64 array (a copy), checking dimensions and finiteness."""
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.number) or arr.size == 0):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    out = np.array(arr, dtype=np.float64, copy=True)
    if ndim is not None and out.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {out.shape}")
    if min_ndim is not None and out.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {out.shape}")
    if allow_nan:
        if np.isinf(out).any():
            raise ValueError(f"{name} must not contain infinities (NaN marks missing values)")
    elif out.size and not np.isfinite(out).all():
        raise ValueError(f"{name} must be finite, got NaN or infinity")
    return out


def check_ids(name: str, value: object, length: int) -> tuple[str, ...] | None:
    """Validate an optional sequence of unique string identifiers of a given length."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a sequence of strings, not a single string")
    if not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of strings, got {type(value).__name__}")
    try:
        ids: tuple[object, ...] = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of strings, got {type(value).__name__}") from None
    names: list[str] = []
    for i, item in enumerate(ids):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(item).__name__} {item!r}")
        names.append(item)
    if len(ids) != length:
        raise ValueError(f"{name} must have one entry per item ({length}), got {len(ids)}")
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"{name} must be unique, {dup!r} appears more than once")
    return tuple(names)


def readonly(arr: NDArray[Any]) -> NDArray[Any]:
    """Mark an array read-only (a frozen value must not change under the caller's feet)."""
    arr.flags.writeable = False
    return arr


def summarise(arr: NDArray[Any]) -> str:
    """A short description of an array for ``__repr__``: shape and dtype, never the values."""
    return f"<{arr.dtype} array {arr.shape}>"


# ---------------------------------------------------------------------------------------------------- file I/O


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, then rename.

    A reader never sees a half-written file, and an existing file is only replaced once the new one is complete.
    """
    target = Path(path)
    if target.exists() and target.is_dir():
        raise IsADirectoryError(f"path {str(target)!r} is a directory, expected a file path")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"folder {str(parent)!r} of path does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


T = TypeVar("T", bound="NpzSerializable")

_REGISTRY: dict[str, type[NpzSerializable]] = {}


class NpzSerializable:
    """Mixin giving a type ``save(path)`` / ``load(path)`` in the neurotypes npz format."""

    SCHEMA: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "SCHEMA" in cls.__dict__:
            _REGISTRY[cls.SCHEMA] = cls

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        raise NotImplementedError

    @classmethod
    def _from_arrays(cls, arrays: dict[str, NDArray[Any]], version: int) -> Self:
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this value to ``path`` (an ``.npz`` archive with schema name and version), atomically.

        Parameters
        ----------
        path : str or path-like
            Destination file. It is written exactly as named (no suffix is added); the folder must exist.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        arrays = self._to_arrays()
        for key in arrays:
            if key.startswith("__"):
                raise RuntimeError(f"internal: array name {key!r} is reserved")
        buf = io.BytesIO()
        payload: dict[str, Any] = {
            SCHEMA_KEY: np.array(self.SCHEMA),
            VERSION_KEY: np.array(self.VERSION, dtype=np.int64),
            **arrays,
        }
        np.savez_compressed(buf, **payload)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read a value written by :meth:`save`.

        Raises
        ------
        SchemaError
            If the file holds another type, has no schema, or has a version newer than this library reads.
        ValueError
            If the stored arrays do not form a valid value.
        """
        schema, version, arrays = _read_npz(path)
        if schema != cls.SCHEMA:
            raise SchemaError(
                f"file {str(path)!r} holds schema {schema!r}, not {cls.SCHEMA!r}; "
                f"use neurotypes.load() to read any type"
            )
        _check_version(cls, version, path)
        return cls._from_arrays(arrays, version)


def _read_npz(path: str | os.PathLike[str]) -> tuple[str, int, dict[str, NDArray[Any]]]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no file at path {str(p)!r}")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError) as exc:
        raise SchemaError(f"file {str(p)!r} is not a readable neurotypes npz archive: {exc}") from exc
    if SCHEMA_KEY not in arrays or VERSION_KEY not in arrays:
        raise SchemaError(
            f"file {str(p)!r} has no neurotypes schema name/version; it was not written by neurotypes"
        )
    schema = str(arrays.pop(SCHEMA_KEY))
    version_arr = arrays.pop(VERSION_KEY)
    if version_arr.shape != () or not np.issubdtype(version_arr.dtype, np.integer):
        raise SchemaError(f"file {str(p)!r} has a malformed schema version {version_arr!r}")
    return schema, int(version_arr), arrays


def _check_version(cls: type[NpzSerializable], version: int, path: str | os.PathLike[str]) -> None:
    if version > cls.VERSION:
        raise SchemaError(
            f"file {str(path)!r} has {cls.SCHEMA} schema version {version}, newer than the version {cls.VERSION} "
            f"this neurotypes reads; upgrade neurotypes to read it"
        )
    if version < 1:
        raise SchemaError(f"file {str(path)!r} has an invalid {cls.SCHEMA} schema version {version}")


def load(path: str | os.PathLike[str]) -> Any:
    """Read any neurotypes value saved with ``save``, dispatching on the file's schema name.

    Examples
    --------
    >>> import tempfile, os, neurotypes
    >>> sdr = neurotypes.SDR(8, [1, 3])
    >>> p = os.path.join(tempfile.mkdtemp(), "x.npz")
    >>> _ = sdr.save(p)
    >>> neurotypes.load(p) == sdr
    True
    """
    schema, version, arrays = _read_npz(path)
    cls = _REGISTRY.get(schema)
    if cls is None:
        known = ", ".join(sorted(_REGISTRY))
        raise SchemaError(f"file {str(path)!r} holds unknown schema {schema!r}; known: {known}")
    _check_version(cls, version, path)
    return cls._from_arrays(arrays, version)


def require(arrays: dict[str, NDArray[Any]], *names: str) -> list[NDArray[Any]]:
    """Fetch named arrays from a loaded archive, with a clear error when one is missing."""
    missing = [n for n in names if n not in arrays]
    if missing:
        raise SchemaError(f"archive is missing array(s) {missing}; the file is damaged or from another tool")
    return [arrays[n] for n in names]
