"""Data: scikit-learn's bundled 8x8 digits, a harder synthetic Gaussian-mixture task, and the user's own tables.

- :func:`digits`, :func:`gaussian_mixture`: the embedded defaults of the reproduction;
- :func:`load_table`: a classification data set from a file (CSV/TSV with a header and a label column, or an
  ``.npz`` with arrays ``x`` and ``y``), read safely (no pickle), split and standardised like the defaults;
- :func:`split_arrays`: the same from arrays already in memory.
"""

from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch.utils.data import DataLoader, TensorDataset

from neurotypes import FileMissingError, FormatError
from neurotypes.validation import check_array, check_consistent_length, check_float, check_int, check_seed

__all__ = ["Split", "digits", "gaussian_mixture", "load_table", "make_loader", "split_arrays"]

#: Largest table :func:`load_table` reads (bytes on disk, or declared array bytes in an ``.npz``).
MAX_TABLE_BYTES = 2 * 2**30


@dataclass(frozen=True)
class Split:
    """A train/test split as float32 inputs and int64 labels (torch tensors)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return int(max(int(self.y_train.max()), int(self.y_test.max())) + 1)

    @property
    def n_features(self) -> int:
        """Input width (flattened)."""
        return int(self.x_train[0].numel())


def _standardise(x_tr: np.ndarray, x_te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = x_tr.mean(axis=0)
    sd = x_tr.std(axis=0)
    sd[sd == 0] = 1.0  # constant pixels (digits' border) stay 0 after centring
    return (x_tr - mu) / sd, (x_te - mu) / sd


def _split(x: np.ndarray, y: np.ndarray, split: float, seed: int) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    parts: list[np.ndarray] = train_test_split(x, y, train_size=split, stratify=y, random_state=seed)
    return tuple(parts)


def _check_split(split: float) -> float:
    value = check_float("split", split)
    if not 0.0 < value < 1.0:
        raise ValueError(f"split must be a train fraction strictly between 0 and 1, got {split!r}")
    return value


def digits(split: float = 0.7, seed: int = 0, images: bool = False) -> Split:
    """scikit-learn's digits (1797 samples of 8x8 pixels, 10 classes, bundled with scikit-learn).

    Stratified ``split`` train fraction with ``random_state=seed``; pixels standardised with the training
    statistics.

    Parameters
    ----------
    split : float
        Train fraction in (0, 1) (default 0.7).
    seed : int
        ``random_state`` of the split.
    images : bool
        Return inputs shaped ``[n, 1, 8, 8]`` (for a CNN) instead of ``[n, 64]``.
    """
    from sklearn.datasets import load_digits

    _check_split(split)
    seed = check_seed("seed", seed)
    if not isinstance(images, bool):
        raise TypeError(f"images must be a bool, got {type(images).__name__}")
    ds = load_digits()
    x = np.asarray(ds.data, dtype=np.float64)
    y = np.asarray(ds.target, dtype=np.int64)
    x_tr, x_te, y_tr, y_te = _split(x, y, split, seed)
    x_tr, x_te = _standardise(x_tr, x_te)
    shape = (-1, 1, 8, 8) if images else (-1, 64)
    return Split(
        torch.from_numpy(x_tr.astype(np.float32)).reshape(shape),
        torch.from_numpy(y_tr),
        torch.from_numpy(x_te.astype(np.float32)).reshape(shape),
        torch.from_numpy(y_te),
    )


def gaussian_mixture(
    n: int = 3000,
    d: int = 16,
    k: int = 8,
    sep: float = 1.0,
    seed: int = 0,
    modes: int = 3,
    split: float = 0.7,
) -> Split:
    """A harder synthetic task: each of ``k`` classes is a mixture of ``modes`` unit-variance Gaussians.

    Mode centres are drawn from ``N(0, sep^2 I_d)``, so classes overlap (accuracy is far from saturated) and the
    class regions are not linearly separable. Balanced classes, stratified split, standardised inputs.

    Parameters
    ----------
    n : int
        Number of samples (>= 2k).
    d : int
        Input dimension (>= 1).
    k : int
        Number of classes (>= 2).
    sep : float
        Spread of the mode centres relative to the unit noise (> 0); larger is easier.
    seed : int
        Seed of the generator (centres, samples and split).
    modes : int
        Gaussian modes per class (>= 1).
    split : float
        Train fraction in (0, 1).
    """
    k = check_int("k", k, minimum=2)
    n = check_int("n", n, minimum=2 * k)
    d = check_int("d", d, minimum=1)
    modes = check_int("modes", modes, minimum=1)
    sep = check_float("sep", sep, positive=True)
    seed = check_seed("seed", seed)
    _check_split(split)
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, sep, size=(k, modes, d))
    y = np.arange(n) % k
    m = rng.integers(0, modes, size=n)
    x = centres[y, m] + rng.normal(size=(n, d))
    x_tr, x_te, y_tr, y_te = _split(x, y.astype(np.int64), split, seed)
    x_tr, x_te = _standardise(x_tr, x_te)
    return Split(
        torch.from_numpy(x_tr.astype(np.float32)),
        torch.from_numpy(y_tr),
        torch.from_numpy(x_te.astype(np.float32)),
        torch.from_numpy(y_te),
    )


def make_loader(
    x: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True, seed: int = 0
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """A ``DataLoader`` over tensors whose shuffling order is fixed by ``seed`` (paired comparisons).

    Parameters
    ----------
    x, y : torch.Tensor
        Inputs and labels, equal length (>= 1).
    batch_size : int
        Batch size (>= 1).
    shuffle : bool
        Shuffle every epoch (with a generator seeded by ``seed``).
    seed : int
        Seed of the shuffling.
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seed = check_seed("seed", seed)
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of the same length, got {len(x)} and {len(y)}")
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=gen)


def split_arrays(
    x: ArrayLike, y: ArrayLike, split: float = 0.7, seed: int = 0, standardise: bool = True
) -> Split:
    """A stratified train/test :class:`Split` of a classification data set held in arrays.

    Parameters
    ----------
    x : array_like
        Features, [n_samples, n_features] (finite numbers).
    y : array_like
        Integer class labels, [n_samples]; classes are renumbered 0..K-1 in sorted order.
    split : float
        Train fraction in (0, 1).
    seed : int
        ``random_state`` of the stratified split.
    standardise : bool
        Centre and scale every feature with the training statistics (constant features stay 0).

    Returns
    -------
    Split

    Raises
    ------
    ValueError
        Non-finite features, mismatched lengths, fewer than 2 classes, or a class with fewer than 2 samples
        (a stratified split needs both sides).

    Examples
    --------
    >>> sp = split_arrays(np.arange(40.0).reshape(20, 2), np.arange(20) % 2, seed=0)
    >>> sp.x_train.shape, sp.n_classes
    (torch.Size([14, 2]), 2)
    """
    x_arr = check_array("x", x, ndim=2, dtype="float", min_size=1)
    y_arr = check_array("y", y, ndim=1, dtype="int")
    check_consistent_length(x=x_arr, y=y_arr)
    split = _check_split(split)
    seed = check_seed("seed", seed)
    classes, y_idx = np.unique(y_arr, return_inverse=True)
    if classes.size < 2:
        raise ValueError(f"y must hold at least 2 classes, got {classes.size}")
    counts = np.bincount(y_idx)
    if counts.min() < 2:
        raise ValueError(
            f"every class of y needs at least 2 samples for a stratified split, got {counts.min()}"
        )
    n_test = len(y_idx) - round(split * len(y_idx))
    if n_test < classes.size or len(y_idx) - n_test < classes.size:
        raise ValueError(
            f"split={split} leaves fewer samples than classes ({classes.size}) on one side of {len(y_idx)}"
        )
    x_tr, x_te, y_tr, y_te = _split(x_arr, y_idx.astype(np.int64), split, seed)
    if standardise:
        x_tr, x_te = _standardise(x_tr, x_te)
    return Split(
        torch.from_numpy(np.ascontiguousarray(x_tr, dtype=np.float32)),
        torch.from_numpy(np.ascontiguousarray(y_tr)),
        torch.from_numpy(np.ascontiguousarray(x_te, dtype=np.float32)),
        torch.from_numpy(np.ascontiguousarray(y_te)),
    )


def _read_npz(p: Path) -> tuple[np.ndarray, np.ndarray]:
    if not zipfile.is_zipfile(p):
        raise FormatError(f"file {str(p)!r} is not an npz archive")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            missing = [k for k in ("x.npy", "y.npy") if k not in infos]
            if missing:
                raise FormatError(f"file {str(p)!r} must hold arrays 'x' and 'y' (missing {missing})")
            total = infos["x.npy"].file_size + infos["y.npy"].file_size
            if total > MAX_TABLE_BYTES:
                raise FormatError(f"file {str(p)!r} declares {total} bytes, over the {MAX_TABLE_BYTES} limit")
            arrays = []
            for key in ("x.npy", "y.npy"):
                with zf.open(infos[key]) as fh:
                    arrays.append(np.lib.format.read_array(fh, allow_pickle=False))
    except FormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
        raise FormatError(f"file {str(p)!r} is not a readable npz archive: {exc}") from None
    return arrays[0], arrays[1]


def _read_csv(p: Path, label: str, delimiter: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except UnicodeDecodeError as exc:
        raise FormatError(f"file {str(p)!r} is not UTF-8 text: {exc}") from None
    except csv.Error as exc:
        raise FormatError(f"file {str(p)!r} is not a readable table: {exc}") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise FormatError(f"file {str(p)!r} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if label not in header:
        raise FormatError(f"file {str(p)!r} has no label column {label!r} (columns: {header[:10]})")
    j = header.index(label)
    width = len(header)
    if width < 2:
        raise FormatError(f"file {str(p)!r} needs at least one feature column besides {label!r}")
    xs, ys = [], []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise FormatError(f"file {str(p)!r}, line {i}: {len(row)} fields, the header has {width}")
        try:
            values = [float(c) for k, c in enumerate(row) if k != j]
        except ValueError as exc:
            raise FormatError(f"file {str(p)!r}, line {i}: a feature is not a number ({exc})") from None
        lab = row[j].strip()
        try:
            lab_f = float(lab)
        except ValueError:
            raise FormatError(f"file {str(p)!r}, line {i}: label {lab!r} is not an integer") from None
        if not lab_f.is_integer():
            raise FormatError(f"file {str(p)!r}, line {i}: label {lab!r} is not an integer")
        xs.append(values)
        ys.append(int(lab_f))
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.int64)


def load_table(
    path: str | os.PathLike[str],
    label: str = "label",
    split: float = 0.7,
    seed: int = 0,
    standardise: bool = True,
) -> Split:
    """A classification data set from a file, as a stratified, standardised :class:`Split`.

    Formats, detected by suffix:

    - ``.csv`` / ``.tsv`` / ``.txt``: a header row, one row per sample, numeric feature columns and an integer
      ``label`` column (comma-separated; tab-separated for ``.tsv``);
    - ``.npz``: arrays ``x`` [n_samples, n_features] and ``y`` [n_samples] (read without pickle).

    Parameters
    ----------
    path : str or path-like
        The file.
    label : str
        Name of the label column of a text table.
    split, seed, standardise
        As :func:`split_arrays`.

    Returns
    -------
    Split

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (a :class:`neurotypes.FileMissingError`).
    neurotypes.FormatError
        The file is not a table of this kind (the message names the file and the line).
    ValueError
        The data cannot be split (see :func:`split_arrays`).
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if not isinstance(label, str) or not label:
        raise TypeError(f"label must be a non-empty str, got {label!r}")
    p = Path(path)
    if not p.is_file():
        raise FileMissingError(f"no data file at path {str(p)!r}")
    if p.stat().st_size > MAX_TABLE_BYTES:
        raise FormatError(f"file {str(p)!r} is over the {MAX_TABLE_BYTES}-byte limit")
    suffix = p.suffix.lower()
    if suffix == ".npz":
        x, y = _read_npz(p)
        if x.ndim != 2 or y.ndim != 1 or x.dtype.kind not in "biuf" or y.dtype.kind not in "iu":
            raise FormatError(
                f"file {str(p)!r}: x must be a 2-D numeric array and y a 1-D integer array, got "
                f"{x.dtype}{list(x.shape)} and {y.dtype}{list(y.shape)}"
            )
    elif suffix in (".csv", ".tsv", ".txt"):
        x, y = _read_csv(p, label, "\t" if suffix == ".tsv" else ",")
    else:
        raise FormatError(f"file {str(p)!r}: unsupported suffix {suffix!r} (use .csv, .tsv, .txt or .npz)")
    try:
        return split_arrays(x, y, split=split, seed=seed, standardise=standardise)
    except ValueError as exc:
        raise ValueError(f"file {str(p)!r}: {exc}") from None
