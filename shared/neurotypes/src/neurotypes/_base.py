"""The npz file format shared by every neurotypes type, its safe reader, and atomic writes.

Each type is a frozen dataclass that validates on construction. Arrays are stored as read-only numpy arrays so
that a constructed value really is immutable; errors name the field and the rule that was broken.

File format: one ``.npz`` archive per value holding the type's arrays plus two entries, ``__schema__`` (for
example ``"neurotypes.SpikeTrains"``) and ``__version__`` (an integer). Readers refuse unknown schemas and
versions newer than they understand, with a message that says what to do.

Reading is defensive, because files come from users and colleagues: the archive's members, their declared
shapes, dtypes and sizes are checked against the archive **before** anything is allocated (no object arrays, no
zero-width dtypes, no array larger than the bytes that hold it, nothing over ``max_bytes``), stored values are
never coerced (an integer field stored as a float is an error, not a rounding), and every failure is a
:class:`FormatError` naming the file.
"""

from __future__ import annotations

import io
import math
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes.validation import check_array, check_int

__all__ = [
    "MAX_BYTES",
    "FileMissingError",
    "FormatError",
    "SchemaError",
    "atomic_write_bytes",
    "load",
]

SCHEMA_KEY = "__schema__"
VERSION_KEY = "__version__"

#: Default limit on the uncompressed size of one archive that :func:`load` accepts (4 GiB). Pass
#: ``max_bytes=`` to read larger files.
MAX_BYTES = 4 * 2**30

_MAX_MEMBERS = 64
_MAX_NDIM = 8
_ALLOWED_KINDS = frozenset("biufU")
_CHUNK = 1 << 20


class FormatError(ValueError):
    """A file could not be read as what it claims to be: damaged, truncated, foreign or invalid content.

    The message names the file and what is wrong. A ``ValueError``, so ``except ValueError`` catches it.
    """


class SchemaError(FormatError):
    """A file's schema name or version cannot be read by this version of neurotypes."""


class FileMissingError(FormatError, FileNotFoundError):
    """No file at the given path (both a :class:`FormatError` and a ``FileNotFoundError``)."""


# ------------------------------------------------------------------------------------------- field helpers


def as_int_array(
    name: str, value: ArrayLike, *, ndim: int | tuple[int, ...], copy: bool = True
) -> NDArray[Any]:
    """An int64 array (see :func:`neurotypes.validation.check_array` with ``dtype="int"``)."""
    return check_array(name, value, ndim=ndim, dtype="int", copy=copy)


def as_float_array(
    name: str,
    value: ArrayLike,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    allow_nan: bool = False,
) -> NDArray[np.float64]:
    """A float64 array (a copy), checking dimensions and finiteness (NaN allowed when ``allow_nan``)."""
    out = check_array(name, value, ndim=ndim, dtype="float", allow_nan=allow_nan)
    if min_ndim is not None and out.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {out.shape}")
    return out


def readonly(arr: NDArray[Any]) -> NDArray[Any]:
    """Mark an array read-only (a frozen value must not change under the caller's feet)."""
    arr.flags.writeable = False
    return arr


def summarise(arr: NDArray[Any]) -> str:
    """A short description of an array for ``__repr__``: shape and dtype, never the values."""
    return f"<{arr.dtype} array {arr.shape}>"


# ---------------------------------------------------------------------------------------------- file I/O


def _target(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    target = Path(path)
    if not str(path):
        raise ValueError("path must not be empty")
    if target.is_dir():
        raise IsADirectoryError(f"path {str(target)!r} is a directory, expected a file path")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"folder {str(parent)!r} of path {str(target)!r} does not exist")
    return target, parent


def _temp_name(parent: Path, target: Path, suffix: str = ".tmp") -> Path:
    return parent / f".{target.name}.{secrets.token_hex(6)}{suffix}"


def write_temp(parent: Path, target: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target`` and return its path.

    The file is created with mode ``0o666`` filtered by the process umask (as ``open()`` would create it); if
    ``target`` exists its permission bits are copied instead. Where the OS offers ``O_TMPFILE`` the data is
    written into an unnamed file that only gets a name once it is complete and synced, so a process killed while
    writing leaves nothing behind. On any failure the temporary file is removed.
    """
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    tmpfile = getattr(os, "O_TMPFILE", 0)
    fd = -1
    named: Path | None = None
    if tmpfile:
        try:
            fd = os.open(parent, tmpfile | os.O_WRONLY, 0o666)
        except OSError:
            fd = -1
    if fd < 0:
        named = _temp_name(parent, target)
        fd = os.open(named, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if mode is not None:
            os.fchmod(fd, mode)
        os.fsync(fd)
        if named is None:
            named = _temp_name(parent, target)
            try:
                os.link(f"/proc/self/fd/{fd}", named)
            except OSError:  # no /proc: fall back to a named temporary file
                named = None
                os.close(fd)
                fd = -1
                return write_temp_named(parent, target, data, mode)
        return named
    except BaseException:
        if named is not None and named.exists():
            named.unlink()
        raise
    finally:
        if fd >= 0:
            os.close(fd)


def write_temp_named(parent: Path, target: Path, data: bytes, mode: int | None) -> Path:
    """Fallback of :func:`write_temp`: a named temporary file, removed on failure."""
    named = _temp_name(parent, target)
    fd = os.open(named, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
    except BaseException:
        if named.exists():
            named.unlink()
        raise
    return named


def _fsync_dir(parent: Path) -> None:
    try:
        fd = os.open(parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a complete, synced temporary file, then a rename.

    A reader never sees a half-written file; an existing file is only replaced once the new one is complete and
    keeps its permission bits; a new file gets the permissions the umask allows (``0o666 & ~umask``), as any
    file the user creates. On any failure (including ``KeyboardInterrupt``) no temporary file is left behind.

    Parameters
    ----------
    path : str or path-like
        Destination file; its folder must exist.
    data : bytes
        The complete contents.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    target, parent = _target(path)
    tmp = write_temp(parent, target, bytes(data))
    try:
        os.replace(tmp, target)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    _fsync_dir(parent)
    return target


def atomic_write_pair(pairs: list[tuple[Path, bytes]]) -> list[Path]:
    """Replace several files so that either all are new or all keep their old contents.

    Every new file is written and synced before any is renamed into place; if a later rename fails, the files
    already replaced are restored from hard-link backups of their old contents (or removed if they were new).
    """
    prepared: list[tuple[Path, Path, Path]] = []
    try:
        for path, data in pairs:
            target, parent = _target(path)
            prepared.append((target, parent, write_temp(parent, target, data)))
    except BaseException:
        for _, _, tmp in prepared:
            if tmp.exists():
                tmp.unlink()
        raise
    done: list[tuple[Path, Path | None]] = []
    backups: list[Path] = []
    try:
        for target, parent, tmp in prepared:
            backup = None
            if target.exists():
                backup = _temp_name(parent, target)
                os.link(target, backup)
                backups.append(backup)
            os.replace(tmp, target)
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            if backup is not None:
                os.replace(backup, target)
            elif target.exists():
                target.unlink()
        for _, _, tmp in prepared:
            if tmp.exists():
                tmp.unlink()
        raise
    finally:
        for backup in backups:
            if backup.exists():
                backup.unlink()
    for parent in {p for _, p, _ in prepared}:
        _fsync_dir(parent)
    return [t for t, _, _ in prepared]


# ------------------------------------------------------------------------------------------ safe npz reading


def _fail(path: Path, why: str) -> FormatError:
    return FormatError(f"file {str(path)!r} is not a readable neurotypes file: {why}")


def read_npz_arrays(
    path: str | os.PathLike[str], *, max_bytes: int | None = MAX_BYTES
) -> dict[str, NDArray[Any]]:
    """Read every array of an ``.npz`` archive, checking declared sizes before allocating anything.

    Parameters
    ----------
    path : str or path-like
        The archive.
    max_bytes : int or None
        Largest total uncompressed size accepted (``None``: no limit).

    Raises
    ------
    FileMissingError
        There is no file at ``path``.
    FormatError
        The file is not a well-formed archive of plain numeric or string arrays: not a zip file, a damaged or
        truncated member, an object or zero-width dtype, a shape that does not match the member's size, more
        data than ``max_bytes``.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise FileMissingError(f"no file at path {str(p)!r}")
    if not p.is_file():
        raise FormatError(f"path {str(p)!r} is not a regular file")
    if max_bytes is not None:
        check_int("max_bytes", max_bytes, minimum=0)
    try:
        zf = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise _fail(p, "it is not an npz (zip) archive; neurotypes files are written by .save()") from None
    except MemoryError:
        raise _fail(p, "not enough memory to open it") from None
    except Exception as exc:  # zipfile raises OSError, ValueError, NotImplementedError, ... on foreign files
        raise _fail(p, f"it cannot be opened as an archive ({type(exc).__name__}: {exc})") from None
    arrays: dict[str, NDArray[Any]] = {}
    try:
        with zf:
            infos = zf.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise _fail(p, f"it holds {len(infos)} members, more than the {_MAX_MEMBERS} any type writes")
            total = sum(i.file_size for i in infos)
            if max_bytes is not None and total > max_bytes:
                raise _fail(
                    p, f"it declares {total} uncompressed bytes, over the limit max_bytes={max_bytes}"
                )
            for info in infos:
                name = info.filename
                if not name.endswith(".npy") or "/" in name or name.startswith("."):
                    raise _fail(p, f"unexpected member {name!r} (an npz archive holds NAME.npy members)")
                key = name[:-4]
                if key in arrays:
                    raise _fail(p, f"member {name!r} appears twice")
                arrays[key] = _read_member(p, zf, info)
    except FormatError:
        raise
    except MemoryError:
        raise _fail(p, "not enough memory to read it") from None
    except Exception as exc:  # zlib.error, BadZipFile (CRC), EOFError, OSError, ... on damaged members
        raise _fail(p, f"damaged or truncated archive ({type(exc).__name__}: {exc})") from None
    return arrays


def _read_member(p: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> NDArray[Any]:
    name = info.filename
    with zf.open(info) as fh:
        try:
            major, minor = np.lib.format.read_magic(fh)
            if (major, minor) == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif (major, minor) in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy format version {major}.{minor}")
        except (ValueError, SyntaxError, TypeError, EOFError) as exc:
            raise _fail(p, f"member {name!r} has no valid .npy header ({exc})") from None
        header_len = fh.tell()
        if dtype.hasobject or dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None:
            raise _fail(p, f"member {name!r} has dtype {dtype}; only numbers, booleans and text are stored")
        if dtype.itemsize == 0:
            raise _fail(p, f"member {name!r} has the zero-width dtype {dtype}")
        if len(shape) > _MAX_NDIM or any((not isinstance(s, int)) or s < 0 for s in shape):
            raise _fail(p, f"member {name!r} declares an invalid shape {shape}")
        n_items = math.prod(shape)
        nbytes = n_items * dtype.itemsize
        if nbytes != info.file_size - header_len:
            raise _fail(
                p,
                f"member {name!r} declares shape {shape} of {dtype} ({nbytes} bytes) but holds "
                f"{info.file_size - header_len} bytes",
            )
        buf = bytearray(nbytes)
        view = memoryview(buf)
        pos = 0
        while pos < nbytes:
            chunk = fh.read(min(_CHUNK, nbytes - pos))
            if not chunk:
                raise _fail(p, f"member {name!r} is truncated")
            view[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        if fh.read(1):  # reading to the end makes zipfile check the CRC
            raise _fail(p, f"member {name!r} holds more data than its header declares")
    arr = np.frombuffer(buf, dtype=dtype, count=n_items)
    return arr.reshape(shape, order="F" if fortran else "C")


# ------------------------------------------------------------------------------------ strict stored fields


class Stored:
    """Typed access to the arrays of one archive: a missing entry or a wrong kind is a :class:`FormatError`.

    Stored values are never coerced: an integer field stored as a float, a float field stored as text, a scalar
    stored as an array are all errors naming the file and the field.
    """

    def __init__(self, path: Path, schema: str, arrays: dict[str, NDArray[Any]]) -> None:
        self.path = path
        self.schema = schema
        self.arrays = arrays

    def _err(self, field: str, why: str) -> FormatError:
        return FormatError(f"file {str(self.path)!r}: stored {self.schema} field {field!r} {why}")

    def has(self, field: str) -> bool:
        return field in self.arrays

    def array(self, field: str, kinds: str) -> NDArray[Any]:
        if field not in self.arrays:
            raise self._err(field, "is missing; the file is damaged or from another tool")
        arr = self.arrays[field]
        if arr.dtype.kind not in kinds:
            want = {"i": "integers", "u": "integers", "f": "floats", "b": "booleans", "U": "text"}
            wanted = " or ".join(dict.fromkeys(want[k] for k in kinds))
            raise self._err(field, f"must hold {wanted}, got dtype {arr.dtype}")
        return arr

    def scalar(self, field: str, kinds: str) -> NDArray[Any]:
        arr = self.array(field, kinds)
        if arr.shape != ():
            raise self._err(field, f"must be a single value, got shape {arr.shape}")
        return arr

    def int(self, field: str) -> int:
        return int(self.scalar(field, "iu"))

    def float(self, field: str) -> float:
        return float(self.scalar(field, "f"))

    def text(self, field: str) -> str:
        return str(self.scalar(field, "U"))

    def strings(self, field: str) -> list[str]:
        arr = self.array(field, "U")
        if arr.ndim != 1:
            raise self._err(field, f"must be 1-dimensional, got shape {arr.shape}")
        return [str(s) for s in arr]


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
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this value to ``path`` (an ``.npz`` archive with schema name and version), atomically.

        Parameters
        ----------
        path : str or path-like
            Destination file. It is written exactly as named (no suffix is added); the folder must exist. A new
            file gets the permissions the umask allows; an existing one is replaced only once the new one is
            complete.

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
    def load(cls, path: str | os.PathLike[str], *, max_bytes: int | None = MAX_BYTES) -> Self:
        """Read a value written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The file.
        max_bytes : int or None
            Largest uncompressed size accepted (default 4 GiB; ``None``: no limit).

        Raises
        ------
        FileMissingError
            No file at ``path`` (also a ``FileNotFoundError``).
        SchemaError
            The file holds another type, has no schema, or has a version newer than this library reads.
        FormatError
            The file is damaged, truncated, not a neurotypes archive, or its values do not form a valid value.
        """
        schema, version, stored = _open(path, max_bytes)
        if schema != cls.SCHEMA:
            raise SchemaError(
                f"file {str(path)!r} holds schema {schema!r}, not {cls.SCHEMA!r}; "
                f"use neurotypes.load() to read any type"
            )
        return _build(cls, version, stored)


def _open(path: str | os.PathLike[str], max_bytes: int | None) -> tuple[str, int, Stored]:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    arrays = read_npz_arrays(p, max_bytes=max_bytes)
    if SCHEMA_KEY not in arrays or VERSION_KEY not in arrays:
        raise SchemaError(
            f"file {str(p)!r} has no neurotypes schema name/version; it was not written by neurotypes"
        )
    schema_arr = arrays.pop(SCHEMA_KEY)
    version_arr = arrays.pop(VERSION_KEY)
    if schema_arr.shape != () or schema_arr.dtype.kind != "U":
        raise SchemaError(f"file {str(p)!r} has a malformed schema name")
    if version_arr.shape != () or version_arr.dtype.kind not in "iu":
        raise SchemaError(f"file {str(p)!r} has a malformed schema version (dtype {version_arr.dtype})")
    schema = str(schema_arr)
    return schema, int(version_arr), Stored(p, schema, arrays)


def _build(cls: type[T], version: int, stored: Stored) -> T:
    if version > cls.VERSION:
        raise SchemaError(
            f"file {str(stored.path)!r} has {cls.SCHEMA} schema version {version}, newer than the version "
            f"{cls.VERSION} this neurotypes reads; upgrade neurotypes to read it"
        )
    if version < 1:
        raise SchemaError(f"file {str(stored.path)!r} has an invalid {cls.SCHEMA} schema version {version}")
    try:
        return cls._from_stored(stored, version)
    except FormatError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        raise FormatError(f"file {str(stored.path)!r} holds an invalid {cls.SCHEMA}: {exc}") from None
    except MemoryError:
        raise FormatError(f"file {str(stored.path)!r}: not enough memory to build the value") from None


def load(path: str | os.PathLike[str], *, max_bytes: int | None = MAX_BYTES) -> Any:
    """Read any neurotypes value saved with ``save``, dispatching on the file's schema name.

    Raises the same errors as the types' ``load``: :class:`FileMissingError`, :class:`SchemaError` and
    :class:`FormatError` (all ``ValueError`` subclasses) naming the file.

    Examples
    --------
    >>> import tempfile, os, neurotypes
    >>> sdr = neurotypes.SDR(8, [1, 3])
    >>> p = os.path.join(tempfile.mkdtemp(), "x.npz")
    >>> _ = sdr.save(p)
    >>> neurotypes.load(p) == sdr
    True
    """
    schema, version, stored = _open(path, max_bytes)
    cls = _REGISTRY.get(schema)
    if cls is None:
        known = ", ".join(sorted(_REGISTRY))
        raise SchemaError(f"file {str(path)!r} holds unknown schema {schema!r}; known: {known}")
    return _build(cls, version, stored)


# ------------------------------------------------------------------------------------ package model files
META_KEY = "__meta__"


def save_arrays(
    path: str | os.PathLike[str],
    arrays: dict[str, Any],
    metadata: dict[str, Any] | None = None,
    *,
    format: str,
    version: int = 1,
) -> Path:
    """Save named arrays plus JSON metadata as one versioned ``.npz`` (a package's trained model, a fitted state).

    The archive holds ``__schema__`` (``format``), ``__version__`` and ``__meta__`` (the metadata as JSON text)
    beside the arrays; it is written atomically with the umask's permissions, and :func:`load_arrays` reads it
    back without pickle. Arrays must hold numbers, booleans or text (no objects).
    """
    import json

    if not isinstance(format, str) or not format or "\x00" in format:
        raise ValueError(f"format must be a non-empty name, got {format!r}")
    version = check_int("version", version, minimum=1)
    payload: dict[str, Any] = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not key or key.startswith("__") or "/" in key:
            raise ValueError(f"arrays: invalid array name {key!r}")
        arr = np.asarray(value)
        if arr.dtype.hasobject or arr.dtype.kind not in _ALLOWED_KINDS or arr.dtype.itemsize == 0:
            raise TypeError(f"arrays[{key!r}] must hold numbers, booleans or text, got dtype {arr.dtype}")
        payload[key] = arr
    try:
        meta_text = json.dumps(metadata or {}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON-serialisable (finite numbers): {exc}") from None
    buf = io.BytesIO()
    members: dict[str, Any] = {
        SCHEMA_KEY: np.array(format),
        VERSION_KEY: np.array(version, dtype=np.int64),
        META_KEY: np.array(meta_text),
        **payload,
    }
    np.savez_compressed(buf, **members)
    return atomic_write_bytes(path, buf.getvalue())


def load_arrays(
    path: str | os.PathLike[str],
    *,
    format: str,
    max_version: int = 1,
    max_bytes: int | None = MAX_BYTES,
) -> tuple[dict[str, NDArray[Any]], dict[str, Any], int]:
    """Read a file written by :func:`save_arrays`: ``(arrays, metadata, version)``.

    Refuses (with a :class:`FormatError` naming the file) anything that is not a safe archive of ``format`` at a
    version between 1 and ``max_version``: foreign files, pickles, damaged or oversized archives, newer versions.
    """
    import json

    arrays = read_npz_arrays(path, max_bytes=max_bytes)
    schema = arrays.pop(SCHEMA_KEY, None)
    version_arr = arrays.pop(VERSION_KEY, None)
    meta = arrays.pop(META_KEY, None)
    if schema is None or schema.shape != () or schema.dtype.kind != "U" or str(schema) != format:
        got = "none" if schema is None else repr(str(schema))
        raise SchemaError(f"file {str(path)!r} is not a {format} file (its format is {got})")
    if version_arr is None or version_arr.shape != () or version_arr.dtype.kind not in "iu":
        raise SchemaError(f"file {str(path)!r} has a malformed version")
    version = int(version_arr)
    if not 1 <= version <= max_version:
        raise SchemaError(
            f"file {str(path)!r} is {format} version {version}; this version reads 1 to {max_version}"
            + ("; upgrade the package to read it" if version > max_version else "")
        )
    if meta is None or meta.shape != () or meta.dtype.kind != "U":
        raise FormatError(f"file {str(path)!r} has no readable metadata")
    try:
        metadata = json.loads(str(meta))
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"file {str(path)!r} has damaged metadata: {exc}") from None
    if not isinstance(metadata, dict):
        raise FormatError(f"file {str(path)!r}: metadata must be a JSON object")
    return arrays, metadata, version
