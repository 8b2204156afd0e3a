"""Data containers and window datasets.

``TimeSeries`` is package-local (behaviour variables); spikes and stimuli use ``neurotypes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from torch.utils.data import Dataset

from neurotypes import Stimulus

__all__ = ["TimeSeries", "WindowDataset", "stimulus_windows", "tokenize_dataset", "window_means"]


@dataclass(frozen=True)
class TimeSeries:
    """Behaviour variables ``values [T, D]`` sampled at increasing times ``t [T]`` (seconds)."""

    values: NDArray[np.float64]
    t: NDArray[np.float64]

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        t = np.asarray(self.t, dtype=np.float64)
        if v.ndim == 1:
            v = v[:, None]
        if v.ndim != 2:
            raise ValueError(f"values must be [T, D], got shape {v.shape}")
        if t.ndim != 1 or t.shape[0] != v.shape[0]:
            raise ValueError(
                f"t must be 1-D with one time per row of values ({v.shape[0]}), got shape {t.shape}"
            )
        if t.size > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("t must be strictly increasing")
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "t", t)


def window_means(series: TimeSeries, starts: NDArray[np.float64], width: float) -> NDArray[np.float64]:
    """Mean of ``series`` over each window ``[start, start + width)``; ``[n_windows, D]``."""
    out = np.empty((len(starts), series.values.shape[1]))
    idx0 = np.searchsorted(series.t, starts, side="left")
    idx1 = np.searchsorted(series.t, np.asarray(starts) + width, side="left")
    cs = np.vstack([np.zeros((1, series.values.shape[1])), np.cumsum(series.values, axis=0)])
    n = np.maximum(idx1 - idx0, 1)
    out[:] = (cs[idx1] - cs[idx0]) / n[:, None]
    return out


def stimulus_windows(stimulus: Stimulus, ends: NDArray[np.float64], width: float) -> NDArray[np.float32]:
    """Stimulus frames in ``[end - width, end)`` for each window end, as tokens ``[n, frames, features]``."""
    n_frames = round(width * stimulus.rate)
    frames = stimulus.frames.reshape(stimulus.frames.shape[0], -1)
    last = np.rint(np.asarray(ends) * stimulus.rate).astype(np.int64)
    first = last - n_frames
    if first.min() < 0 or last.max() > frames.shape[0]:
        raise ValueError("a stimulus window falls outside the stimulus frames")
    idx = first[:, None] + np.arange(n_frames)[None, :]
    out: NDArray[np.float32] = frames[idx].astype(np.float32)
    return out


class WindowDataset(Dataset[dict[str, NDArray[Any]]]):
    """A pickleable map-style dataset of tokenised windows (dict of equally long arrays).

    Parameters
    ----------
    arrays : dict of str to ndarray
        Every array's first axis indexes windows (e.g. the output of :meth:`SpikeTokenizer.encode` plus
        ``stimulus``/``target_<name>`` entries).
    """

    def __init__(self, arrays: dict[str, NDArray[Any]]) -> None:
        if not arrays:
            raise ValueError("arrays must not be empty")
        lengths = {k: len(v) for k, v in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"all arrays must have the same length, got {lengths}")
        super().__init__()
        self.arrays = {k: np.asarray(v) for k, v in arrays.items()}
        self._n = next(iter(lengths.values()))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> dict[str, NDArray[Any]]:
        return {k: v[i] for k, v in self.arrays.items()}

    def subset(self, idx: NDArray[np.int64]) -> WindowDataset:
        """The windows at ``idx``."""
        return WindowDataset({k: v[idx] for k, v in self.arrays.items()})


def tokenize_dataset(tokenizer: Any, spikes: object, anchors: NDArray[np.float64]) -> WindowDataset:
    """Tokenise ``spikes`` at every anchor into a :class:`WindowDataset` (keys of ``SpikeTokenizer.encode``)."""
    arrays = tokenizer.encode(spikes, anchors)
    arrays["t"] = np.asarray(anchors, dtype=np.float64)
    return WindowDataset(arrays)
