"""Data: embedded defaults (sklearn digits, Gaussian templates) and loaders for MNIST / Fashion-MNIST files.

MNIST and Fashion-MNIST cannot be downloaded here; the loaders read the files a user already has, in the
standard IDX format (optionally gzipped) or in the reference code's CSV format (label first, then the pixels).
All loaders return ``X`` as float64 rows scaled to ``[0, 1]`` and ``y`` as int64.
"""

from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import FormatError, atomic_write_bytes
from neurotypes.validation import check_float, check_int

__all__ = [
    "Dataset",
    "digits",
    "load_csv",
    "load_dataset",
    "load_file",
    "load_idx",
    "load_mnist",
    "read_idx",
    "synthetic_templates",
    "write_idx",
]

Dataset = tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]

_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _split(X: NDArray[np.float64], y: NDArray[np.int64], n_val: int, seed: int) -> Dataset:
    order = np.random.default_rng(seed).permutation(X.shape[0])
    tr, va = order[n_val:], order[:n_val]
    return X[tr], y[tr], X[va], y[va]


def digits(n_val: int = 360, split_seed: int = 0) -> Dataset:
    """sklearn's 8x8 digits (1797 images, 10 classes), pixels scaled to [0, 1], split 1437 / 360.

    Returns
    -------
    X_train, y_train, X_val, y_val
    """
    n_val = check_int("n_val", n_val, minimum=1, maximum=1796)
    split_seed = check_int("split_seed", split_seed, minimum=0)
    X, y = _digits_arrays()
    return _split(X.copy(), y.copy(), n_val, split_seed)


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return np.asarray(d.data, dtype=np.float64) / 16.0, np.asarray(d.target, dtype=np.int64)


def synthetic_templates(
    n: int = 2000,
    n_classes: int = 10,
    size: int = 8,
    noise: float = 0.5,
    seed: int = 0,
    n_val: int | None = None,
) -> Dataset:
    """Gaussian-template images: one random smooth template per class plus i.i.d. pixel noise.

    A second embedded dataset whose difficulty is tuned by ``noise`` (standard deviation relative to the
    templates' unit scale). Pixels are squashed to ``[0, 1]`` with a logistic function.
    """
    n = check_int("n", n, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    size = check_int("size", size, minimum=2)
    noise = check_float("noise", noise, minimum=0.0)
    seed = check_int("seed", seed, minimum=0)
    if n < 2 * n_classes:
        raise ValueError(f"n must be at least 2 * n_classes = {2 * n_classes}, got {n}")
    if n_classes < 2 or size < 2:
        raise ValueError(f"n_classes and size must be >= 2, got {n_classes}, {size}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be finite and >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((n_classes, size + 2, size + 2))
    # a 3x3 box blur gives the templates some spatial structure
    tmpl = sum(raw[:, i : i + size, j : j + size] for i in range(3) for j in range(3)) / 3.0
    tmpl = np.asarray(tmpl).reshape(n_classes, -1)
    y = np.arange(n, dtype=np.int64) % n_classes
    rng.shuffle(y)
    X = 1.0 / (1.0 + np.exp(-(tmpl[y] + noise * rng.standard_normal((n, size * size)))))
    nv = n // 5 if n_val is None else check_int("n_val", n_val, minimum=1, maximum=n - 1)
    return _split(X, y, nv, seed + 1)


# --- IDX -----------------------------------------------------------------------------------------


def _open_bytes(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{p}: corrupt gzip stream ({exc})") from exc
    return raw


def read_idx(path: str | os.PathLike[str]) -> NDArray[np.generic]:
    """Read an IDX file (MNIST's format; gzip accepted) into an array of its stored dtype and shape.

    Layout: two zero bytes, a dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64), the number of dimensions, one big-endian uint32 per dimension, then the big-endian data.

    Raises
    ------
    ValueError
        On a bad magic number, unknown dtype code, or a payload whose size does not match the header.
    """
    raw = _open_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (magic number must start with two zero bytes)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02X}")
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({ndim} dimensions)")
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header], dtype=">u4"))
    dt = _IDX_DTYPES[code]
    expected = int(np.prod(shape)) * dt.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path}: IDX payload has {len(raw) - header} bytes but the header {shape} needs {expected}"
        )
    out: NDArray[np.generic] = (
        np.frombuffer(raw[header:], dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
    )
    return out


def write_idx(path: str | os.PathLike[str], array: NDArray[np.generic], compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzipped when ``compress`` or the name ends in ``.gz``); atomic."""
    a = np.asarray(array)
    codes = {v.newbyteorder("=") if v.itemsize > 1 else v: k for k, v in _IDX_DTYPES.items()}
    dt = a.dtype.newbyteorder("=") if a.dtype.itemsize > 1 else a.dtype
    if dt not in codes:
        raise TypeError(f"array dtype {a.dtype} has no IDX code")
    code = codes[dt]
    body = (
        bytes([0, 0, code, a.ndim])
        + np.asarray(a.shape, dtype=">u4").tobytes()
        + a.astype(_IDX_DTYPES[code]).tobytes()
    )
    p = Path(path)
    if compress or (compress is None and p.suffix == ".gz"):
        body = gzip.compress(body)
    atomic_write_bytes(p, body)
    return p


def load_idx(
    images: str | os.PathLike[str], labels: str | os.PathLike[str]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Load an IDX image file (n, rows, cols) uint8 and its IDX label file (n,) as ``(X / 255, y)``."""
    imgs = read_idx(images)
    labs = read_idx(labels)
    if imgs.ndim < 2 or imgs.dtype != np.uint8:
        raise ValueError(
            f"{images}: expected uint8 images with a leading sample axis, got {imgs.dtype} {imgs.shape}"
        )
    if labs.ndim != 1 or labs.dtype.kind not in "iu":
        raise ValueError(f"{labels}: expected a 1-D integer label array, got {labs.dtype} {labs.shape}")
    if labs.shape[0] != imgs.shape[0]:
        raise ValueError(f"{labels} holds {labs.shape[0]} labels but {images} holds {imgs.shape[0]} images")
    X = imgs.reshape(imgs.shape[0], -1).astype(np.float64) / 255.0
    return X, labs.astype(np.int64)


# --- CSV -----------------------------------------------------------------------------------------


def load_csv(
    path: str | os.PathLike[str], n_pixels: int | None = 784
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Load the reference's CSV format: one image per line, label first, then pixel values 0-255.

    A header line (any non-numeric first line, as in Kaggle's ``label,pixel0,...``) is skipped.

    Raises
    ------
    ValueError
        On ragged rows, a column count other than ``1 + n_pixels``, non-integer or negative labels, or pixel
        values outside 0-255.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    opener = gzip.open if p.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(p, "rt") as fh:
        lines = [ln.strip() for ln in fh if ln.strip()]
    if lines and not lines[0].split(",")[0].strip().lstrip("-").replace(".", "", 1).isdigit():
        lines = lines[1:]
    if not lines:
        raise ValueError(f"{p}: no data rows")
    rows = [ln.split(",") for ln in lines]
    width = len(rows[0])
    for k, r in enumerate(rows):
        if len(r) != width:
            raise ValueError(f"{p}: line {k + 1} has {len(r)} columns, the first has {width}")
    if n_pixels is not None and width != 1 + n_pixels:
        raise ValueError(f"{p}: expected 1 label + {n_pixels} pixel columns, got {width} columns")
    try:
        data = np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{p}: non-numeric value ({exc})") from exc
    labels, pix = data[:, 0], data[:, 1:]
    if np.any(labels < 0) or np.any(labels != np.round(labels)):
        raise ValueError(f"{p}: labels (first column) must be non-negative integers")
    if np.any(pix < 0) or np.any(pix > 255) or not np.all(np.isfinite(pix)):
        raise ValueError(f"{p}: pixel values must lie in 0-255")
    return pix / 255.0, labels.astype(np.int64)


_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_mnist(
    root: str | os.PathLike[str], split: str = "train", kind: str = "mnist"
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Load MNIST or Fashion-MNIST from a folder holding the standard files (IDX, IDX.gz or CSV).

    Looks for ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`` (both datasets use these names), else
    ``{kind}_{split}.csv`` / ``{kind}-{split}.csv`` (e.g. the reference's ``mnist_train.csv``,
    Kaggle's ``fashion-mnist_train.csv``).
    """
    if split not in _IDX_NAMES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if kind not in ("mnist", "fashion-mnist"):
        raise ValueError(f"kind must be 'mnist' or 'fashion-mnist', got {kind!r}")
    r = Path(root)
    if not r.is_dir():
        raise FileNotFoundError(f"no such folder: {r}")
    img, lab = _IDX_NAMES[split]
    for suffix in ("", ".gz"):
        if (r / (img + suffix)).is_file() and (r / (lab + suffix)).is_file():
            return load_idx(r / (img + suffix), r / (lab + suffix))
    for stem in (f"{kind}_{split}", f"{kind}-{split}", f"{kind.replace('-', '_')}_{split}"):
        for suffix in (".csv", ".csv.gz"):
            if (r / (stem + suffix)).is_file():
                return load_csv(r / (stem + suffix))
    raise FileNotFoundError(f"{r}: no {kind} {split} files ({img}[.gz] + {lab}[.gz] or {kind}_{split}.csv)")


def load_dataset(name: str, root: str | os.PathLike[str] | None = None, seed: int = 0) -> Dataset:
    """Named dataset as ``(X_train, y_train, X_val, y_val)``: ``digits``, ``templates``, ``mnist`` or
    ``fashion-mnist`` (the last two need ``root``; validation is the test split)."""
    if name == "digits":
        return digits()
    if name == "templates":
        return synthetic_templates(seed=seed)
    if name in ("mnist", "fashion-mnist"):
        if root is None:
            raise ValueError(f"dataset {name!r} needs root= a folder with its files (nothing is downloaded)")
        Xtr, ytr = load_mnist(root, "train", name)
        Xva, yva = load_mnist(root, "test", name)
        return Xtr, ytr, Xva, yva
    raise ValueError(f"dataset must be 'digits', 'templates', 'mnist' or 'fashion-mnist', got {name!r}")


# --- the user's own data -------------------------------------------------------------------------


def _csv_table(p: Path, label: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """A CSV/TSV table with a header naming a label column, or the reference's headerless label-first CSV."""
    try:
        text = p.read_text()
    except UnicodeDecodeError as exc:
        raise FormatError(f"{p}: not a text table ({exc.reason})") from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise FormatError(f"{p}: empty table")
    sep = "\t" if "\t" in lines[0] else ","
    head = [c.strip() for c in lines[0].split(sep)]
    try:
        float(head[0])
        header = None
    except ValueError:
        header = head
    rows = [ln.split(sep) for ln in (lines[1:] if header is not None else lines)]
    if not rows:
        raise FormatError(f"{p}: a header but no data rows")
    width = len(rows[0])
    for k, r in enumerate(rows):
        if len(r) != width:
            raise FormatError(f"{p}: row {k + 1} has {len(r)} columns, the first has {width}")
    if width < 2:
        raise FormatError(f"{p}: needs a label column and at least one feature column")
    try:
        data = np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise FormatError(f"{p}: non-numeric value ({exc})") from None
    col = 0
    if header is not None:
        if len(header) != width:
            raise FormatError(f"{p}: the header has {len(header)} names for {width} columns")
        if label not in header:
            raise FormatError(
                f"{p}: no label column {label!r} in the header (columns: {', '.join(header[:8])})"
            )
        col = header.index(label)
    y = data[:, col]
    X = np.delete(data, col, axis=1)
    if not np.all(np.isfinite(X)):
        raise FormatError(f"{p}: feature values must be finite")
    if np.any(y < 0) or np.any(y != np.round(y)) or not np.all(np.isfinite(y)):
        raise FormatError(f"{p}: labels (column {label!r}) must be non-negative integers")
    return X, y.astype(np.int64)


def _npz_table(p: Path) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    import zipfile

    if not zipfile.is_zipfile(p):
        raise FormatError(f"{p}: not an .npz archive (numpy's zip of arrays)")
    try:
        with np.load(p, allow_pickle=False) as z:
            names = set(z.files)
            if not {"x", "y"} <= names:
                raise FormatError(f"{p}: an .npz needs arrays 'x' (samples x features) and 'y' (labels)")
            X, y = np.asarray(z["x"]), np.asarray(z["y"])
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FormatError(f"{p}: not a readable .npz file ({exc})") from None
    except ValueError as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError(f"{p}: not a readable .npz file ({exc})") from None
    if X.ndim < 2 or X.dtype.kind not in "iuf":
        raise FormatError(f"{p}: 'x' must be numeric with a leading sample axis, got {X.dtype} {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0] or y.dtype.kind not in "iu" or (y.size and y.min() < 0):
        raise FormatError(f"{p}: 'y' must hold one non-negative integer label per row of 'x'")
    Xf = X.reshape(X.shape[0], -1).astype(np.float64)
    if not np.all(np.isfinite(Xf)):
        raise FormatError(f"{p}: 'x' must be finite")
    return Xf, y.astype(np.int64)


def load_file(
    path: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] | None = None,
    label: str = "label",
    n_val: float = 0.2,
    seed: int = 0,
) -> Dataset:
    """Read a labelled data set from a file and split it into training and validation parts.

    Formats, detected by suffix: ``.csv``/``.tsv``/``.txt`` (a header naming the ``label`` column, or the
    reference's headerless MNIST CSV with the label first), ``.npz`` (arrays ``x``, samples first, and ``y``;
    read with ``allow_pickle=False``), IDX (``*-ubyte``, ``.idx``, optionally ``.gz``: the images, with the
    labels in the IDX file ``labels``). IDX pixel values are scaled by 1/255; other features are used as given.

    Parameters
    ----------
    path : path-like
        The file.
    labels : path-like, optional
        The IDX label file (IDX images only).
    label : str
        Name of the label column of a table with a header.
    n_val : float
        Fraction of samples held out for validation (``0 < n_val < 1``).
    seed : int
        Seed of the split.

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarray
        Features (float64, one row per sample) and integer labels.

    Raises
    ------
    FileNotFoundError
        If ``path`` (or ``labels``) does not exist.
    neurotypes.FormatError
        If the file is not what its suffix says (the message names the file).
    ValueError, TypeError
        On bad arguments.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> np.savez(d / "data.npz", x=rng.random((50, 4)), y=np.arange(50) % 2)
    >>> Xtr, ytr, Xva, yva = load_file(d / "data.npz")
    >>> Xtr.shape, Xva.shape
    ((40, 4), (10, 4))
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}")
    if not isinstance(label, str) or not label:
        raise TypeError("label must be a non-empty column name")
    frac = check_float("n_val", n_val, minimum=0.0, maximum=1.0)
    if not 0 < frac < 1:
        raise ValueError(f"n_val must lie strictly between 0 and 1, got {n_val}")
    seed = check_int("seed", seed, minimum=0)
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    name = p.name.lower()
    stem = name[:-3] if name.endswith(".gz") else name
    if stem.endswith((".csv", ".tsv", ".txt")):
        if name.endswith(".gz"):
            raise FormatError(f"{p}: decompress the table first")
        X, y = _csv_table(p, label)
    elif stem.endswith(".npz"):
        X, y = _npz_table(p)
    elif stem.endswith(("-ubyte", ".idx", ".idx3", ".idx1")):
        if labels is None:
            raise ValueError(f"{p}: IDX images need labels= the IDX label file")
        try:
            X, y = load_idx(p, labels)
        except FileNotFoundError:
            raise
        except ValueError as exc:
            raise FormatError(str(exc)) from None
    else:
        raise FormatError(
            f"{p}: unknown format (expected .csv/.tsv/.txt, .npz, or IDX *-ubyte/.idx with labels=)"
        )
    n = X.shape[0]
    if n < 4:
        raise FormatError(f"{p}: needs at least 4 samples, got {n}")
    nv = min(max(1, round(frac * n)), n - 1)
    return _split(X, y, nv, seed)
