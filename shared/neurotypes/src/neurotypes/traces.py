"""Continuous signals sampled at a fixed rate (calcium imaging, smoothed rates, membrane potentials)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import NpzSerializable, Stored, as_float_array, readonly, summarise
from neurotypes.validation import check_float, check_ids

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
        One unique name per unit (e.g. NeuroPAL neuron names, channel names), used to align recordings.
    signal_units : str, optional
        Physical unit of ``data`` (e.g. ``"mV"``, ``"pA"``, ``"dF/F"``); empty when unknown or dimensionless.

    Examples
    --------
    >>> tr = Traces([[0.0, 1.0, 2.0]], rate=2.0, unit_ids=["AVAL"])
    >>> tr.times.tolist(), tr.duration
    ([0.0, 0.5, 1.0], 1.5)
    """

    SCHEMA = "neurotypes.Traces"
    VERSION = 2  # 2 adds signal_units (0.2.0); version 1 files still load

    data: NDArray[np.float64]
    rate: float
    t_start: float
    unit_ids: tuple[str, ...] | None
    signal_units: str

    def __init__(
        self,
        data: ArrayLike,
        rate: float,
        t_start: float = 0.0,
        unit_ids: Iterable[str] | None = None,
        *,
        signal_units: str = "",
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
        if not isinstance(signal_units, str):
            raise TypeError(f"signal_units must be a string, got {type(signal_units).__name__}")
        object.__setattr__(self, "signal_units", signal_units)

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
        return Traces(
            self.data[rows], self.rate, self.t_start, unit_ids=wanted, signal_units=self.signal_units
        )

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {
            "data": self.data,
            "rate": np.array(self.rate),
            "t_start": np.array(self.t_start),
        }
        if self.unit_ids is not None:
            out["unit_ids"] = np.array(self.unit_ids, dtype=np.str_)
        if self.signal_units:
            out["signal_units"] = np.array(self.signal_units, dtype=np.str_)
        return out

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        ids = stored.strings("unit_ids") if stored.has("unit_ids") else None
        units = stored.text("signal_units") if version >= 2 and stored.has("signal_units") else ""
        return cls(
            stored.array("data", "f"),
            stored.float("rate"),
            stored.float("t_start"),
            unit_ids=ids,
            signal_units=units,
        )

    # ------------------------------------------------------------------------------ the field's formats
    @classmethod
    def from_neo(cls, obj: Any, *, signal: int | str | None = None) -> Traces:
        """Build from a neo ``AnalogSignal`` (or a ``Segment`` holding one) recorded by any neo reader.

        Channels become units (``unit_ids`` from the signal's ``channel_names`` array annotation, else
        ``"ch0"``, ``"ch1"``...), times are converted to seconds and the physical unit is kept in
        ``signal_units``. For a ``Segment`` with several signals, ``signal`` picks one by index or name. For a
        multi-segment ``Block`` use :func:`neurotypes.io.read_traces`, which gives one value per segment.
        Requires the optional extra ``neurotypes[neo]``.
        """
        from neurotypes.io._neo import traces_from_neo

        return traces_from_neo(obj, signal=signal)

    def to_neo(self) -> Any:
        """The traces as one ``neo.AnalogSignal`` (samples x channels, with ``channel_names``)."""
        from neurotypes.io._neo import traces_to_neo

        return traces_to_neo(self)

    @classmethod
    def from_nwb(cls, path: str | os.PathLike[str], *, name: str | None = None) -> Traces:
        """Read a regularly sampled ``TimeSeries`` (e.g. a ``RoiResponseSeries``) from an NWB file.

        ``name`` selects the series by name (searched in ``acquisition`` and every processing module); without
        it the file must hold exactly one. NWB stores time along the first axis; the traces are transposed to
        ``(n_units, n_samples)``. Requires ``neurotypes[nwb]``.
        """
        from neurotypes.io._nwb import traces_from_nwb

        return traces_from_nwb(path, name=name)

    def to_nwb(
        self,
        path: str | os.PathLike[str],
        *,
        name: str = "traces",
        kind: str = "TimeSeries",
        description: str = "traces written by neurotypes",
        overwrite: bool = False,
    ) -> Path:
        """Write the traces to a new NWB file as a ``TimeSeries`` (in ``acquisition``) or, with
        ``kind="RoiResponseSeries"``, as fluorescence in the ``ophys`` processing module. Written atomically.
        Requires ``neurotypes[nwb]``.
        """
        from neurotypes.io._nwb import traces_to_nwb

        return traces_to_nwb(self, path, name=name, kind=kind, description=description, overwrite=overwrite)

    def to_xarray(self) -> Any:
        """The traces as an ``xarray.DataArray`` with dims ``("unit", "time")`` (needs xarray installed)."""
        from neurotypes.io._tables import traces_to_xarray

        return traces_to_xarray(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Traces):
            return NotImplemented
        return (
            self.rate == other.rate
            and self.t_start == other.t_start
            and self.unit_ids == other.unit_ids
            and self.signal_units == other.signal_units
            and np.array_equal(self.data, other.data, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        ids = "none" if self.unit_ids is None else f"{len(self.unit_ids)} names"
        units = f", signal_units={self.signal_units!r}" if self.signal_units else ""
        return (
            f"Traces(data={summarise(self.data)}, rate={self.rate:g}, t_start={self.t_start:g}, "
            f"unit_ids={ids}{units})"
        )
