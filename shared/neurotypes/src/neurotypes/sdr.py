"""Sparse distributed representations: ``a`` active cells out of ``n``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import NpzSerializable, Stored, as_int_array, readonly
from neurotypes.validation import check_int

__all__ = ["SDR"]


@dataclass(frozen=True, eq=False, init=False)
class SDR(NpzSerializable):
    """A binary pattern over ``n`` cells, stored as the sorted indices of its active cells.

    Parameters
    ----------
    n : int
        Number of cells, >= 1.
    active : array_like of int
        Indices of the active cells, unique, in ``[0, n)``. They are stored sorted (int64).

    Examples
    --------
    >>> x = SDR(10, [7, 1, 3])
    >>> x.active.tolist(), x.size, x.sparsity
    ([1, 3, 7], 3, 0.3)
    >>> x.overlap(SDR(10, [3, 7, 9]))
    2
    """

    SCHEMA = "neurotypes.SDR"
    VERSION = 1

    n: int
    active: NDArray[np.int64]

    def __init__(self, n: int, active: ArrayLike) -> None:
        size = check_int("n", n, minimum=1)
        idx = as_int_array("active", active, ndim=1).astype(np.int64)
        if idx.size:
            if idx.min() < 0 or idx.max() >= size:
                raise ValueError(
                    f"active indices must lie in [0, n) = [0, {size}), got [{idx.min()}, {idx.max()}]"
                )
            idx = np.sort(idx)
            dup = idx[1:][idx[1:] == idx[:-1]]
            if dup.size:
                raise ValueError(f"active indices must be unique, {int(dup[0])} appears more than once")
        object.__setattr__(self, "n", size)
        object.__setattr__(self, "active", readonly(idx))

    @property
    def size(self) -> int:
        """Number of active cells (``a`` or ``w`` in the papers)."""
        return int(self.active.size)

    def __len__(self) -> int:
        return self.size

    @property
    def sparsity(self) -> float:
        """Fraction of active cells, ``size / n``."""
        return self.size / self.n

    @classmethod
    def from_dense(cls, dense: ArrayLike) -> SDR:
        """Build from a 1-D binary array (bool, or integers/floats that are all 0 or 1)."""
        arr = np.asarray(dense)
        if arr.ndim != 1:
            raise ValueError(f"dense must be 1-dimensional, got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError("dense must have at least one cell")
        if arr.dtype != np.bool_:
            if not np.issubdtype(arr.dtype, np.number):
                raise TypeError(f"dense must be boolean or numeric, got dtype {arr.dtype}")
            if not np.all((arr == 0) | (arr == 1)):
                raise ValueError("dense must be binary: every value 0 or 1")
        return cls(int(arr.size), np.flatnonzero(arr))

    def to_dense(self) -> NDArray[np.bool_]:
        """The pattern as a boolean array of length ``n``."""
        out = np.zeros(self.n, dtype=np.bool_)
        out[self.active] = True
        return out

    def _same_n(self, other: SDR, what: str) -> None:
        if not isinstance(other, SDR):
            raise TypeError(f"{what} must be an SDR, got {type(other).__name__}")
        if other.n != self.n:
            raise ValueError(f"{what} must have the same n ({self.n}), got n={other.n}")

    def overlap(self, other: SDR) -> int:
        """Number of cells active in both patterns (the dot product of the dense vectors)."""
        self._same_n(other, "other")
        return int(np.intersect1d(self.active, other.active, assume_unique=True).size)

    def union(self, *others: SDR) -> SDR:
        """Cells active in this pattern or in any of ``others``."""
        for i, o in enumerate(others):
            self._same_n(o, f"others[{i}]")
        if not others:
            return self
        return SDR(self.n, np.unique(np.concatenate([self.active, *(o.active for o in others)])))

    @classmethod
    def union_of(cls, sdrs: Iterable[SDR]) -> SDR:
        """Union of a non-empty collection of patterns over the same ``n``."""
        items = list(sdrs)
        if not items:
            raise ValueError("sdrs must hold at least one SDR")
        first = items[0]
        if not isinstance(first, SDR):
            raise TypeError(f"sdrs[0] must be an SDR, got {type(first).__name__}")
        return first.union(*items[1:])

    @classmethod
    def random(cls, n: int, a: int, rng: np.random.Generator | int | None = None) -> SDR:
        """A uniformly random pattern with exactly ``a`` of ``n`` cells active.

        ``rng`` is a ``numpy.random.Generator`` or a seed.
        """
        size = check_int("n", n, minimum=1)
        k = check_int("a", a, minimum=0)
        if k > size:
            raise ValueError(f"a must be <= n ({size}), got {k}")
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return cls(size, gen.choice(size, size=k, replace=False))

    def __contains__(self, cell: object) -> bool:
        if isinstance(cell, bool) or not isinstance(cell, int | np.integer):
            return False
        i = int(np.searchsorted(self.active, cell))
        return i < self.size and int(self.active[i]) == int(cell)

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        return {"n": np.array(self.n), "active": self.active}

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        return cls(stored.int("n"), stored.array("active", "iu"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SDR):
            return NotImplemented
        return self.n == other.n and np.array_equal(self.active, other.active)

    def __hash__(self) -> int:
        return hash((self.n, self.active.tobytes()))

    def __repr__(self) -> str:
        shown = self.active[:8].tolist()
        more = ", ..." if self.size > 8 else ""
        return f"SDR(n={self.n}, size={self.size}, active=[{', '.join(map(str, shown))}{more}])"
