"""Stimuli: a sequence of frames (images, movies, or any array per time step) shown at a fixed rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import NpzSerializable, Stored, as_float_array, readonly, summarise
from neurotypes.validation import check_float

__all__ = ["Stimulus"]


@dataclass(frozen=True, eq=False, init=False)
class Stimulus(NpzSerializable):
    """Frames ``[T, ...]`` shown at ``rate`` frames per second.

    Parameters
    ----------
    frames : array_like of float, shape (T, ...)
        At least one frame; every value finite. A set of static images (e.g. one most discriminative stimulus
        per cluster) is a stimulus whose frames are the images.
    rate : float
        Frames per second, > 0.

    Examples
    --------
    >>> s = Stimulus(np.zeros((4, 2, 3)), rate=2.0)
    >>> s.n_frames, s.frame_shape, s.duration
    (4, (2, 3), 2.0)
    """

    SCHEMA = "neurotypes.Stimulus"
    VERSION = 1

    frames: NDArray[np.float64]
    rate: float

    def __init__(self, frames: ArrayLike, rate: float = 1.0) -> None:
        f = as_float_array("frames", frames, min_ndim=1)
        if f.shape[0] == 0:
            raise ValueError("frames must hold at least one frame (axis 0 is time)")
        object.__setattr__(self, "frames", readonly(f))
        object.__setattr__(self, "rate", check_float("rate", rate, positive=True))

    @property
    def n_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.frames.shape[0])

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame."""
        return tuple(int(s) for s in self.frames.shape[1:])

    @property
    def duration(self) -> float:
        """``n_frames / rate`` in seconds."""
        return self.n_frames / self.rate

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        return {"frames": self.frames, "rate": np.array(self.rate)}

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        return cls(stored.array("frames", "f"), stored.float("rate"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stimulus):
            return NotImplemented
        return self.rate == other.rate and np.array_equal(self.frames, other.frames)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Stimulus(frames={summarise(self.frames)}, rate={self.rate:g})"
