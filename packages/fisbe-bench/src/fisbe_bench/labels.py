"""Sparse, overlap-aware instance label volumes and the evaluator's input normalisation.

FISBe volumes are large (about 400 x 700 x 700 voxels, one neuron per channel) but their
foreground is thin and sparse.  Every metric in this package only needs (a) each instance's voxels
and (b) the labels of the other segmentation *at skeleton voxels*.  :class:`SparseLabels` therefore
stores, per channel, the sorted flat indices of the non-zero voxels and their label values; lookups
at arbitrary voxels are binary searches.  Memory and time scale with the foreground, not the volume.

The normalisation follows the reference evaluator's ``check_fix_and_unify_ids`` step by step
(spec, Method 1): optional small-component removal (predictions only), dropping empty channels,
binary channels to one id per channel, sequential relabelling with ids unique across channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Instances", "SparseLabels", "as_sparse", "normalize"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class SparseLabels:
    """A label volume ``[C, Z, Y, X]`` stored as per-channel sparse (flat index, value) pairs.

    Parameters
    ----------
    shape : tuple of int
        Spatial shape ``(Z, Y, X)``; a 2-D image ``[Y, X]`` is held as ``(1, Y, X)`` with ``ndim=2``.
    indices : tuple of int64 arrays
        Per channel, the sorted flat (C-order) indices of non-zero voxels.
    values : tuple of int64 arrays
        Per channel, the label value of each listed voxel (all > 0).
    ndim : {3, 2}
        Number of spatial dimensions of the data (the official evaluator's ``ndim``): 3-D volumes
        are skeletonised in 3-D (Lee), 2-D images in 2-D (Zhang), as ``skimage.morphology.skeletonize``
        does by default for each.
    """

    shape: tuple[int, int, int]
    indices: tuple[IntArray, ...]
    values: tuple[IntArray, ...]
    ndim: int = 3

    def __post_init__(self) -> None:
        if len(self.shape) != 3:
            raise ValueError(f"shape must be (Z, Y, X), got {self.shape}")
        if self.ndim not in (2, 3):
            raise ValueError(f"ndim must be 2 or 3, got {self.ndim!r}")
        if self.ndim == 2 and self.shape[0] != 1:
            raise ValueError(f"a 2-D image is held with shape (1, Y, X), got {self.shape}")
        if len(self.indices) != len(self.values) or len(self.indices) == 0:
            raise ValueError("indices and values must be non-empty tuples of equal length (one per channel)")

    @property
    def n_channels(self) -> int:
        return len(self.indices)

    @property
    def size(self) -> int:
        """Number of voxels in one channel."""
        z, y, x = self.shape
        return int(z) * int(y) * int(x)

    def max_value(self) -> int:
        return max((int(v.max()) for v in self.values if v.size), default=0)

    def lookup(self, flat: IntArray) -> IntArray:
        """Label of every channel at the flat voxel indices ``flat``: array ``[len(flat), C]``."""
        out = np.zeros((flat.size, self.n_channels), dtype=np.int64)
        for c, (idx, val) in enumerate(zip(self.indices, self.values, strict=True)):
            if idx.size == 0 or flat.size == 0:
                continue
            pos = np.searchsorted(idx, flat)
            pos = np.minimum(pos, idx.size - 1)
            hit = idx[pos] == flat
            out[hit, c] = val[pos[hit]]
        return out

    def to_dense(self) -> NDArray[np.int64]:
        """Dense ``[C, Z, Y, X]`` (``[C, Y, X]`` for 2-D) array (for tests and small volumes only)."""
        out = np.zeros((self.n_channels, self.size), dtype=np.int64)
        for c, (idx, val) in enumerate(zip(self.indices, self.values, strict=True)):
            out[c, idx] = val
        spatial = self.shape[1:] if self.ndim == 2 else self.shape
        return out.reshape((self.n_channels, *spatial))


def _check_integer(arr: NDArray[Any], name: str) -> None:
    if arr.dtype == np.bool_:
        return
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer instance ids (0 = background), got dtype {arr.dtype}")


def check_ndim(ndim: Any) -> int:
    """Validate the number of spatial dimensions (2 or 3); raise TypeError/ValueError otherwise."""
    if isinstance(ndim, bool) or not isinstance(ndim, int | np.integer):
        raise TypeError(f"ndim must be the int 2 or 3, got {type(ndim).__name__}")
    if int(ndim) not in (2, 3):
        raise ValueError(f"ndim must be 2 (YX / CYX images) or 3 (ZYX / CZYX volumes), got {ndim}")
    return int(ndim)


def as_sparse(labels: Any, name: str = "labels", ndim: int = 3) -> SparseLabels:
    """Convert an integer array, ``neurotypes.InstanceLabels`` or SparseLabels to SparseLabels.

    Parameters
    ----------
    labels : array-like, neurotypes.InstanceLabels or SparseLabels
        With ``ndim=3``: ``[Z, Y, X]`` (one id per voxel) or ``[C, Z, Y, X]`` (channels may
        overlap); with ``ndim=2``: ``[Y, X]`` or ``[C, Y, X]``.  0 = background.
    name : str
        Argument name used in error messages.
    ndim : {3, 2}
        Number of spatial dimensions (the official evaluator's ``ndim``).

    Raises
    ------
    TypeError
        If the array is not integer (or boolean) typed.
    ValueError
        If its number of dimensions is not ``ndim`` or ``ndim + 1``, or it holds negative ids.
    """
    ndim = check_ndim(ndim)
    if isinstance(labels, SparseLabels):
        if labels.ndim != ndim:
            raise ValueError(f"{name} holds {labels.ndim}-D data but ndim={ndim} was requested")
        return labels
    if hasattr(labels, "labels") and hasattr(labels, "voxel_size"):  # neurotypes.InstanceLabels
        labels = labels.labels
    arr = np.asarray(labels)
    _check_integer(arr, name)
    if arr.ndim == ndim:
        arr = arr[np.newaxis]
    if arr.ndim != ndim + 1:
        forms = "[Z, Y, X] or [C, Z, Y, X]" if ndim == 3 else "[Y, X] or [C, Y, X]"
        raise ValueError(f"{name} must be {forms} for ndim={ndim}, got {arr.ndim} dimensions {arr.shape}")
    if ndim == 2:
        arr = arr[:, np.newaxis]
    if arr.dtype != np.bool_ and np.issubdtype(arr.dtype, np.signedinteger) and arr.size and arr.min() < 0:
        raise ValueError(f"{name} must hold non-negative instance ids, found {int(arr.min())}")
    indices: list[IntArray] = []
    values: list[IntArray] = []
    for c in range(arr.shape[0]):
        flat = np.ascontiguousarray(arr[c]).reshape(-1)
        idx = np.flatnonzero(flat).astype(np.int64)
        indices.append(idx)
        values.append(flat[idx].astype(np.int64))
    z, y, x = (int(s) for s in arr.shape[1:])
    return SparseLabels((z, y, x), tuple(indices), tuple(values), ndim)


@dataclass(frozen=True)
class Instances:
    """Normalised instances: sequential ids 1..n, unique across channels.

    Attributes
    ----------
    labels : SparseLabels
        The relabelled volume (values are the global ids).
    n : int
        Number of instances.
    channel : int64 array [n + 1]
        Channel of each id (entry 0 unused).
    voxels : tuple of int64 arrays
        ``voxels[i - 1]`` holds the sorted flat indices of instance ``i``.
    raw_to_id : dict
        First-channel mapping of the (post binary-conversion) raw value to its new id, as the
        reference's forward map (used for the ``dim_neurons`` subset).
    """

    labels: SparseLabels
    n: int
    channel: IntArray
    voxels: tuple[IntArray, ...]
    raw_to_id: dict[int, int] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.labels.shape

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions (2 or 3)."""
        return self.labels.ndim

    def bbox(self, i: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Inclusive-exclusive bounding box ``(lo, hi)`` of instance ``i`` (1-based)."""
        zyx = np.stack(np.unravel_index(self.voxels[i - 1], self.shape))
        return zyx.min(axis=1), zyx.max(axis=1) + 1

    def mask_crop(
        self, i: int, exclude: IntArray | None = None
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        """Boolean mask of instance ``i`` inside its bounding box, and the box origin.

        ``exclude`` (sorted flat indices) are removed from the mask first.
        """
        vox = self.voxels[i - 1]
        if exclude is not None and exclude.size:
            vox = vox[~np.isin(vox, exclude, assume_unique=True)]
        zyx = np.stack(np.unravel_index(vox, self.shape))
        if vox.size == 0:
            return np.zeros((0, 0, 0), dtype=bool), np.zeros(3, dtype=np.int64)
        lo = zyx.min(axis=1)
        hi = zyx.max(axis=1) + 1
        crop = np.zeros(tuple(int(v) for v in hi - lo), dtype=bool)
        crop[tuple(zyx - lo[:, None])] = True
        return crop, lo

    def has_overlap(self) -> bool:
        """True if some voxel is foreground in two or more channels."""
        return overlap_voxels(self.labels).size > 0


def overlap_voxels(labels: SparseLabels) -> IntArray:
    """Sorted flat indices of voxels that are non-zero in more than one channel."""
    if labels.n_channels < 2:
        return np.zeros(0, dtype=np.int64)
    allidx = np.concatenate(labels.indices)
    if allidx.size == 0:
        return np.zeros(0, dtype=np.int64)
    allidx.sort(kind="stable")
    dup = allidx[1:][allidx[1:] == allidx[:-1]]
    return np.unique(dup)


def _filter_components(labels: SparseLabels, min_size: int) -> SparseLabels:
    # The reference counts each raw value over the whole array (all channels together) and zeroes
    # the values with count <= min_size (its ``filter_components``).
    allvals = np.concatenate(labels.values)
    if allvals.size == 0:
        return labels
    uniq, counts = np.unique(allvals, return_counts=True)
    small = uniq[counts <= min_size]
    if small.size == 0:
        return labels
    idx_out: list[IntArray] = []
    val_out: list[IntArray] = []
    for idx, val in zip(labels.indices, labels.values, strict=True):
        keep = ~np.isin(val, small)
        idx_out.append(idx[keep])
        val_out.append(val[keep])
    return SparseLabels(labels.shape, tuple(idx_out), tuple(val_out), labels.ndim)


def normalize(labels: SparseLabels, min_instance_size: int | None = None) -> Instances:
    """The reference's id unification (spec, Method 1) on sparse labels.

    Parameters
    ----------
    labels : SparseLabels
        Raw labels.
    min_instance_size : int or None
        If given and > 0, instances with ``<= min_instance_size`` voxels are removed first (the
        reference applies this to predictions only).
    """
    if min_instance_size is not None and min_instance_size > 0:
        labels = _filter_components(labels, int(min_instance_size))
    idx_list = list(labels.indices)
    val_list = list(labels.values)
    if len(idx_list) > 1:
        keep = [c for c in range(len(idx_list)) if idx_list[c].size > 0]
        idx_list = [idx_list[c] for c in keep]
        val_list = [val_list[c] for c in keep]
        if not idx_list:  # every channel empty: the reference keeps an empty stack
            idx_list = [np.zeros(0, dtype=np.int64)]
            val_list = [np.zeros(0, dtype=np.int64)]
    maxval = max((int(v.max()) for v in val_list if v.size), default=0)
    if maxval == 1:
        val_list = [np.full(v.shape, c + 1, dtype=np.int64) for c, v in enumerate(val_list)]
    offset = 1
    new_vals: list[IntArray] = []
    channel_of: list[int] = [0]
    voxels: list[IntArray] = []
    raw_to_id: dict[int, int] = {}
    for c, (idx, val) in enumerate(zip(idx_list, val_list, strict=True)):
        uniq, inv = np.unique(val, return_inverse=True)
        new = (offset + inv).astype(np.int64)
        new_vals.append(new)
        order = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[order], np.arange(uniq.size + 1))
        for k in range(uniq.size):
            voxels.append(idx[order[bounds[k] : bounds[k + 1]]])
            channel_of.append(c)
            raw_to_id.setdefault(int(uniq[k]), offset + k)
        offset = offset + uniq.size if uniq.size else 1
    sparse = SparseLabels(labels.shape, tuple(idx_list), tuple(new_vals), labels.ndim)
    return Instances(
        labels=sparse,
        n=len(voxels),
        channel=np.asarray(channel_of, dtype=np.int64),
        voxels=tuple(voxels),
        raw_to_id=raw_to_id,
    )


def check_pair(gt: SparseLabels, pred: SparseLabels) -> None:
    """Raise ValueError if the spatial shapes (or dimensionalities) of ``gt`` and ``pred`` differ."""
    if gt.ndim != pred.ndim:
        raise ValueError(f"gt and pred must both be {gt.ndim}-D; got gt {gt.ndim}-D and pred {pred.ndim}-D")
    if gt.shape != pred.shape:
        axes, k = ("(Y, X)", 1) if gt.ndim == 2 else ("(Z, Y, X)", 0)
        raise ValueError(
            f"gt and pred must have the same spatial shape {axes}; "
            f"got gt {gt.shape[k:]} and pred {pred.shape[k:]}"
        )


def subset_channels_instances(inst: Instances, channels: Sequence[int]) -> list[int]:
    """Global ids of the instances in ``channels`` (in channel order, ids ascending within a channel)."""
    out: list[int] = []
    for c in channels:
        out.extend(int(i) for i in np.flatnonzero(inst.channel == c) if i > 0)
    return out
