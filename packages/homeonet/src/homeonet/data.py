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

__all__ = [
    "Dataset",
    "digits",
    "load_csv",
    "load_dataset",
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
    if not 1 <= n_val < 1797:
        raise ValueError(f"n_val must be in [1, 1796], got {n_val}")
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
    return _split(X, y, n // 5 if n_val is None else n_val, seed + 1)


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
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, p)
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
