"""Continuous signals sampled at a fixed rate (calcium imaging, smoothed rates, membrane potentials)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import (
    NpzSerializable,
    as_float_array,
    check_float,
    check_ids,
    readonly,
    require,
    summarise,
)

__all__ = ["Traces"]


@dataclass(frozen=True, eq=False, init=False)
class Traces(NpzSerializable):
    """Regularly sampled traces of several units.

    Parameters
    ----------
    data : array_like of float, shape (n_units, n_samples)
        The signal. NaN marks a missing sample (a gap); infinities are refused.
    rate : float
        Sampling rate in Hz, > 0.
    t_start : float
        Time of the first sample in seconds.
    unit_ids : sequence of str, optional
        One unique name per unit (e.g. NeuroPAL neuron names), used to align recordings.

    Examples
    --------
    >>> tr = Traces([[0.0, 1.0, 2.0]], rate=2.0, unit_ids=["AVAL"])
    >>> tr.times.tolist(), tr.duration
    ([0.0, 0.5, 1.0], 1.5)
    """

    SCHEMA = "neurotypes.Traces"
    VERSION = 1

    data: NDArray[np.float64]
    rate: float
    t_start: float
    unit_ids: tuple[str, ...] | None

    def __init__(
        self, data: ArrayLike, rate: float, t_start: float = 0.0, unit_ids: Iterable[str] | None = None
    ) -> None:
        d = as_float_array("data", data, ndim=2, allow_nan=True)
        if d.shape[1] == 0:
            raise ValueError(
                "data must have at least one sample (shape (n_units, n_samples), n_samples >= 1)"
            )
        object.__setattr__(self, "data", readonly(d))
        object.__setattr__(self, "rate", check_float("rate", rate, positive=True))
        object.__setattr__(self, "t_start", check_float("t_start", t_start))
        object.__setattr__(self, "unit_ids", check_ids("unit_ids", unit_ids, d.shape[0]))

    @property
    def n_units(self) -> int:
        """Number of units (rows)."""
        return int(self.data.shape[0])

    @property
    def n_samples(self) -> int:
        """Number of samples (columns)."""
        return int(self.data.shape[1])

    @property
    def times(self) -> NDArray[np.float64]:
        """Sample times in seconds."""
        return self.t_start + np.arange(self.n_samples, dtype=np.float64) / self.rate

    @property
    def duration(self) -> float:
        """``n_samples / rate`` in seconds (each sample covers one sampling period)."""
        return self.n_samples / self.rate

    @property
    def missing(self) -> NDArray[np.bool_]:
        """Boolean mask of missing (NaN) samples, shape ``(n_units, n_samples)``."""
        return np.isnan(self.data)

    def select(self, unit_ids: Iterable[str]) -> Traces:
        """The traces of the named units, in the order given."""
        if self.unit_ids is None:
            raise ValueError("unit_ids: these traces have no unit_ids to select by")
        wanted = list(unit_ids)
        index = {u: i for i, u in enumerate(self.unit_ids)}
        missing = [u for u in wanted if u not in index]
        if missing:
            raise ValueError(f"unit_ids: not present in these traces: {missing}")
        rows = [index[u] for u in wanted]
        return Traces(self.data[rows], self.rate, self.t_start, unit_ids=wanted)

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {
            "data": self.data,
            "rate": np.array(self.rate),
            "t_start": np.array(self.t_start),
        }
        if self.unit_ids is not None:
            out["unit_ids"] = np.array(self.unit_ids, dtype=np.str_)
        return out

    @classmethod
    def _from_arrays(cls, arrays: dict[str, NDArray[Any]], version: int) -> Self:
        data, rate, t_start = require(arrays, "data", "rate", "t_start")
        ids = arrays.get("unit_ids")
        return cls(data, float(rate), float(t_start), unit_ids=None if ids is None else [str(i) for i in ids])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Traces):
            return NotImplemented
        return (
            self.rate == other.rate
            and self.t_start == other.t_start
            and self.unit_ids == other.unit_ids
            and np.array_equal(self.data, other.data, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        ids = "none" if self.unit_ids is None else f"{len(self.unit_ids)} names"
        return f"Traces(data={summarise(self.data)}, rate={self.rate:g}, t_start={self.t_start:g}, unit_ids={ids})"
