"""Partitions of items (neurons, trials) into clusters, and how two partitions agree."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import NpzSerializable, Stored, as_int_array, readonly
from neurotypes.validation import check_ids

__all__ = ["Partition", "adjusted_rand_index"]


@dataclass(frozen=True, eq=False, init=False)
class Partition(NpzSerializable):
    """A hard clustering: one non-negative cluster label per item.

    Parameters
    ----------
    labels : array_like of int, shape (n_items,)
        Cluster label of each item, >= 0. Label values are names only: ``[0, 0, 1]`` and ``[5, 5, 2]`` are the
        same partition (:meth:`relabel` gives the canonical form; ``==`` compares labels exactly).
    item_ids : sequence of str, optional
        Unique names of the items (e.g. neuron names), to align partitions from different sources.

    Examples
    --------
    >>> p = Partition([5, 5, 2, 7])
    >>> p.relabel().labels.tolist(), p.n_clusters
    ([0, 0, 1, 2], 3)
    >>> p.adjusted_rand_index(Partition([0, 0, 1, 1]))
    0.5714285714285715
    """

    SCHEMA = "neurotypes.Partition"
    VERSION = 1

    labels: NDArray[np.int64]
    item_ids: tuple[str, ...] | None

    def __init__(self, labels: ArrayLike, item_ids: Iterable[str] | None = None) -> None:
        lab = as_int_array("labels", labels, ndim=1).astype(np.int64)
        if lab.size == 0:
            raise ValueError("labels must hold at least one item")
        if lab.min() < 0:
            raise ValueError(f"labels must be non-negative cluster ids, got minimum {lab.min()}")
        object.__setattr__(self, "labels", readonly(lab))
        object.__setattr__(self, "item_ids", check_ids("item_ids", item_ids, lab.size))

    @property
    def n_items(self) -> int:
        """Number of items."""
        return int(self.labels.size)

    @property
    def n_clusters(self) -> int:
        """Number of distinct (non-empty) clusters."""
        return int(np.unique(self.labels).size)

    def relabel(self) -> Partition:
        """The same partition with labels ``0..k-1`` in order of first appearance."""
        _, first, inverse = np.unique(self.labels, return_index=True, return_inverse=True)
        rank = np.empty(first.size, dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(first.size)
        return Partition(rank[inverse.ravel()], self.item_ids)

    def clusters(self) -> list[NDArray[np.int64]]:
        """Item indices of each cluster, in canonical (first-appearance) order."""
        canon = self.relabel().labels
        return [np.flatnonzero(canon == k).astype(np.int64) for k in range(self.n_clusters)]

    def _aligned(self, other: Partition) -> NDArray[np.int64]:
        if not isinstance(other, Partition):
            raise TypeError(f"other must be a Partition, got {type(other).__name__}")
        if self.item_ids is not None and other.item_ids is not None:
            if set(self.item_ids) != set(other.item_ids):
                raise ValueError("other must partition the same items: item_ids differ")
            index = {name: i for i, name in enumerate(other.item_ids)}
            return other.labels[[index[name] for name in self.item_ids]]
        if other.n_items != self.n_items:
            raise ValueError(
                f"other must have the same number of items ({self.n_items}), got {other.n_items}"
            )
        return other.labels

    def contingency(self, other: Partition) -> NDArray[np.int64]:
        """Contingency table: entry ``[i, j]`` counts items in this partition's cluster ``i`` and ``other``'s ``j``.

        Rows and columns follow each partition's canonical order. When both partitions carry ``item_ids`` the
        items are matched by name, else by position.
        """
        b = self._aligned(other)
        _, ia = np.unique(self.relabel().labels, return_inverse=True)
        _, ib = np.unique(Partition(b).relabel().labels, return_inverse=True)
        table = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.int64)
        np.add.at(table, (ia.ravel(), ib.ravel()), 1)
        return table

    def adjusted_rand_index(self, other: Partition) -> float:
        """Adjusted Rand index (Hubert & Arabie 1985) between this partition and ``other``; 1 = identical."""
        return adjusted_rand_index(self.contingency(other))

    @classmethod
    def from_nwb(cls, path: str | os.PathLike[str], column: str) -> Partition:
        """Read a partition stored as an integer column of an NWB file's Units table (see
        ``SpikeTrains.to_nwb(partitions=...)`` and :func:`neurotypes.io.add_unit_columns`); items are named by
        the unit ids. Requires ``neurotypes[nwb]``."""
        from neurotypes.io._nwb import partition_from_nwb

        return partition_from_nwb(path, column)

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {"labels": self.labels}
        if self.item_ids is not None:
            out["item_ids"] = np.array(self.item_ids, dtype=np.str_)
        return out

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        ids = stored.strings("item_ids") if stored.has("item_ids") else None
        return cls(stored.array("labels", "iu"), ids)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Partition):
            return NotImplemented
        return self.item_ids == other.item_ids and np.array_equal(self.labels, other.labels)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        ids = "" if self.item_ids is None else ", with item_ids"
        return f"Partition(n_items={self.n_items}, n_clusters={self.n_clusters}{ids})"


def adjusted_rand_index(table: ArrayLike) -> float:
    """Adjusted Rand index from a contingency table of counts.

    Uses the pair-counting form ``(index - expected) / (max - expected)``. When both partitions are trivial in
    the same way (expected == max, e.g. one cluster each) the index is 1.0.
    """
    t = as_int_array("table", table, ndim=2).astype(np.float64)
    if t.size and t.min() < 0:
        raise ValueError("table must hold non-negative counts")
    n = t.sum()

    def pairs(x: NDArray[np.float64]) -> float:
        return float((x * (x - 1) / 2.0).sum())

    index = pairs(t)
    row, col = pairs(t.sum(axis=1)), pairs(t.sum(axis=0))
    total = n * (n - 1) / 2.0
    expected = row * col / total if total > 0 else 0.0
    maximum = (row + col) / 2.0
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))
