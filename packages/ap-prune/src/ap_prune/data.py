"""Embedded data: scikit-learn's bundled 8x8 digits, and a harder synthetic Gaussian-mixture task."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["Split", "digits", "gaussian_mixture", "make_loader"]


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


def _check_split(split: float) -> None:
    if isinstance(split, bool) or not isinstance(split, int | float) or not 0.0 < split < 1.0:
        raise ValueError(f"split must be a train fraction strictly between 0 and 1, got {split!r}")


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
    for name, val, lo in (("n", n, 2 * k), ("d", d, 1), ("k", k, 2), ("modes", modes, 1)):
        if isinstance(val, bool) or not isinstance(val, int) or val < lo:
            raise ValueError(f"{name} must be an int >= {lo}, got {val!r}")
    if not sep > 0:
        raise ValueError(f"sep must be > 0, got {sep!r}")
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
    """A ``DataLoader`` over tensors whose shuffling order is fixed by ``seed`` (paired comparisons)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    gen = torch.Generator().manual_seed(int(seed))
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=gen)
