"""Instance segmentations of volumes: one integer label per voxel, optionally several channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import NpzSerializable, Stored, readonly, summarise
from neurotypes.validation import check_float

__all__ = ["InstanceLabels"]


@dataclass(frozen=True, eq=False, init=False)
class InstanceLabels(NpzSerializable):
    """An instance label volume, ``[Z, Y, X]`` or ``[C, Z, Y, X]``.

    Parameters
    ----------
    labels : array_like of non-negative int
        0 is background, every other value is an instance. The optional leading channel axis holds overlapping
        instances (FISBe stores one neuron per channel): a voxel may belong to an instance in several channels.
    voxel_size : tuple of 3 floats
        Physical size of a voxel along (Z, Y, X), each > 0 (e.g. micrometres).

    Notes
    -----
    Volumes can be large, so the array is not copied when it already has an integer dtype: the value keeps a
    read-only view of the caller's array. Do not modify that array afterwards.

    Examples
    --------
    >>> lab = InstanceLabels(np.array([[[0, 1], [2, 2]]], dtype=np.uint8))
    >>> lab.n_channels, lab.spatial_shape, lab.instance_ids.tolist()
    (1, (1, 2, 2), [1, 2])
    """

    SCHEMA = "neurotypes.InstanceLabels"
    VERSION = 1

    labels: NDArray[np.integer[Any]]
    voxel_size: tuple[float, float, float]

    def __init__(self, labels: ArrayLike, voxel_size: Sequence[float] = (1.0, 1.0, 1.0)) -> None:
        arr = np.asarray(labels)
        if arr.ndim not in (3, 4):
            raise ValueError(f"labels must be 3-D [Z, Y, X] or 4-D [C, Z, Y, X], got shape {arr.shape}")
        if arr.dtype.kind not in "iu":  # timedelta64 subclasses numpy's integers: refuse it by kind
            raise TypeError(f"labels must have an integer dtype, got {arr.dtype} (instance ids are integers)")
        if 0 in arr.shape:
            raise ValueError(f"labels must not have an empty axis, got shape {arr.shape}")
        if np.issubdtype(arr.dtype, np.signedinteger) and arr.min() < 0:
            raise ValueError(f"labels must be non-negative (0 = background), got minimum {arr.min()}")
        if isinstance(voxel_size, str | bytes) or len(voxel_size) != 3:
            raise ValueError(f"voxel_size must have 3 entries (Z, Y, X), got {voxel_size!r}")
        vs = tuple(check_float(f"voxel_size[{i}]", v, positive=True) for i, v in enumerate(voxel_size))
        view = arr.view()
        object.__setattr__(self, "labels", readonly(view))
        object.__setattr__(self, "voxel_size", vs)

    @property
    def n_channels(self) -> int:
        """Number of channels (1 for a 3-D volume)."""
        return 1 if self.labels.ndim == 3 else int(self.labels.shape[0])

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        """``(Z, Y, X)``."""
        z, y, x = self.labels.shape[-3:]
        return int(z), int(y), int(x)

    def as_channels(self) -> NDArray[np.integer[Any]]:
        """The labels with a channel axis, ``[C, Z, Y, X]`` (a view)."""
        return self.labels if self.labels.ndim == 4 else self.labels[np.newaxis]

    @property
    def instance_ids(self) -> NDArray[np.int64]:
        """Sorted distinct non-zero labels over all channels."""
        ids = np.unique(self.labels)
        out: NDArray[np.int64] = ids[ids != 0].astype(np.int64)
        return out

    def channel_instance_ids(self) -> list[NDArray[np.int64]]:
        """Sorted distinct non-zero labels of each channel."""
        out = []
        for ch in self.as_channels():
            ids = np.unique(ch)
            out.append(ids[ids != 0].astype(np.int64))
        return out

    @property
    def n_instances(self) -> int:
        """Number of (channel, label) instances: overlapping channels count separately."""
        return sum(ids.size for ids in self.channel_instance_ids())

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        return {"labels": self.labels, "voxel_size": np.array(self.voxel_size)}

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        labels = stored.array("labels", "iu")
        vs = stored.array("voxel_size", "f")
        if vs.shape != (3,):
            raise ValueError(f"voxel_size must have 3 entries, got shape {vs.shape}")
        return cls(labels, tuple(float(v) for v in vs))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InstanceLabels):
            return NotImplemented
        return self.voxel_size == other.voxel_size and np.array_equal(self.labels, other.labels)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"InstanceLabels(labels={summarise(self.labels)}, voxel_size={self.voxel_size})"
