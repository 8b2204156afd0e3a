"""Spike data: event times (:class:`SpikeTrains`) and binned counts (:class:`SpikeCounts`).

Times are in seconds (float64). PyNN and NEST speak milliseconds: convert at that boundary, not here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes._base import NpzSerializable, Stored, as_float_array, as_int_array, readonly, summarise
from neurotypes.validation import check_float, check_ids, check_int

if TYPE_CHECKING:
    from neurotypes.traces import Traces

__all__ = ["SpikeCounts", "SpikeTrains"]

# Relative tolerance when deciding whether a duration is a whole number of bins (float round-off).
_BIN_RTOL = 1e-9


def n_bins_for(duration: float, bin_size: float) -> int:
    """Number of bins of width ``bin_size`` needed to cover ``duration`` (a last partial bin counts)."""
    ratio = duration / bin_size
    nearest = round(ratio)
    if abs(ratio - nearest) <= _BIN_RTOL * max(1.0, abs(ratio)):
        return max(int(nearest), 1)
    return max(math.ceil(ratio), 1)


@dataclass(frozen=True, eq=False, init=False)
class SpikeTrains(NpzSerializable):
    """Spike times of a population, as one flat list of (time, unit) events.

    Parameters
    ----------
    times : array_like of float, shape (n_spikes,)
        Spike times in seconds, each within ``[t_start, t_stop]``.
    units : array_like of int, shape (n_spikes,)
        Index of the unit that fired each spike, in ``[0, n_units)``.
    n_units : int
        Number of units in the population (silent units count).
    t_start, t_stop : float
        The recording interval in seconds, ``t_start < t_stop``. ``t_stop`` is keyword-only so that a call
        reads unambiguously.
    unit_ids : sequence of str, optional
        One unique name per unit (e.g. the unit ids of a spike-sorted recording), kept through conversions.
    unit_metadata : mapping of str to 1-D array, optional
        Per-unit columns (e.g. ``location``, ``quality``, ``depth`` from an NWB Units table): each an array of
        ``n_units`` numbers, booleans or strings. Stored and compared with the value.

    Notes
    -----
    Events are stored sorted by time, then by unit (the constructor sorts them; the order in which a caller
    lists simultaneous events carries no meaning). Arrays are read-only.

    Examples
    --------
    >>> st = SpikeTrains([0.010, 0.002, 0.030], [1, 0, 1], n_units=2, t_stop=0.04)
    >>> st.times.tolist(), st.units.tolist()
    ([0.002, 0.01, 0.03], [0, 1, 1])
    >>> st.bin(0.02).counts.tolist()
    [[1, 0], [1, 1]]
    """

    SCHEMA = "neurotypes.SpikeTrains"
    VERSION = 2  # 2 adds unit_ids and unit_metadata (0.2.0); version 1 files still load

    times: NDArray[np.float64]
    units: NDArray[np.int64]
    n_units: int
    t_start: float
    t_stop: float
    unit_ids: tuple[str, ...] | None
    unit_metadata: Mapping[str, NDArray[Any]]

    def __init__(
        self,
        times: ArrayLike,
        units: ArrayLike,
        n_units: int,
        t_start: float = 0.0,
        *,
        t_stop: float,
        unit_ids: Iterable[str] | None = None,
        unit_metadata: Mapping[str, ArrayLike] | None = None,
    ) -> None:
        t = as_float_array("times", times, ndim=1)
        u = as_int_array("units", units, ndim=1).astype(np.int64)
        n = check_int("n_units", n_units, minimum=0)
        t0 = check_float("t_start", t_start)
        t1 = check_float("t_stop", t_stop)
        if t1 <= t0:
            raise ValueError(f"t_stop must be > t_start, got t_start={t0}, t_stop={t1}")
        if t.shape != u.shape:
            raise ValueError(f"times and units must have the same length, got {t.size} and {u.size}")
        if t.size:
            if t.min() < t0 or t.max() > t1:
                raise ValueError(
                    f"times must lie within [t_start, t_stop] = [{t0}, {t1}], got range [{t.min()}, {t.max()}]"
                )
            if u.min() < 0 or u.max() >= n:
                raise ValueError(
                    f"units must lie in [0, n_units) = [0, {n}), got range [{u.min()}, {u.max()}]"
                )
            order = np.lexsort((u, t))
            t, u = t[order], u[order]
        object.__setattr__(self, "times", readonly(t))
        object.__setattr__(self, "units", readonly(u))
        object.__setattr__(self, "n_units", n)
        object.__setattr__(self, "t_start", t0)
        object.__setattr__(self, "t_stop", t1)
        object.__setattr__(self, "unit_ids", check_ids("unit_ids", unit_ids, n))
        object.__setattr__(self, "unit_metadata", check_unit_metadata(unit_metadata, n))

    # ------------------------------------------------------------------------------------------- views
    @property
    def n_spikes(self) -> int:
        """Total number of spikes."""
        return int(self.times.size)

    @property
    def duration(self) -> float:
        """``t_stop - t_start`` in seconds."""
        return self.t_stop - self.t_start

    def unit_times(self, unit: int) -> NDArray[np.float64]:
        """Sorted spike times of one unit (a copy)."""
        i = check_int("unit", unit, minimum=0)
        if i >= self.n_units:
            raise ValueError(f"unit must be < n_units ({self.n_units}), got {i}")
        return np.array(self.times[self.units == i])

    def to_unit_times(self) -> list[NDArray[np.float64]]:
        """Spike times per unit: a list of ``n_units`` sorted arrays."""
        order = np.argsort(self.units, kind="stable")
        bounds = np.searchsorted(self.units[order], np.arange(self.n_units + 1))
        sorted_times = self.times[order]
        return [np.array(sorted_times[bounds[i] : bounds[i + 1]]) for i in range(self.n_units)]

    def spike_counts_per_unit(self) -> NDArray[np.int64]:
        """Number of spikes of each unit, shape ``(n_units,)``."""
        return np.bincount(self.units, minlength=self.n_units).astype(np.int64)

    def firing_rates(self) -> NDArray[np.float64]:
        """Mean firing rate of each unit in Hz over ``[t_start, t_stop]``."""
        return self.spike_counts_per_unit() / self.duration

    def select(self, units: Iterable[int] | Iterable[str]) -> SpikeTrains:
        """The spikes of the chosen units (indices, or names from ``unit_ids``), renumbered in the order given.

        ``unit_ids`` and ``unit_metadata`` follow the selection.
        """
        chosen = list(units)
        if chosen and all(isinstance(u, str) for u in chosen):
            if self.unit_ids is None:
                raise ValueError("units: these spike trains have no unit_ids to select by name")
            index = {name: i for i, name in enumerate(self.unit_ids)}
            missing = [u for u in chosen if u not in index]
            if missing:
                raise ValueError(f"units: not present in these spike trains: {missing[:5]}")
            rows = [index[u] for u in chosen]  # type: ignore[index]
        else:
            rows = [check_int(f"units[{i}]", u, minimum=0) for i, u in enumerate(chosen)]
            if rows and max(rows) >= self.n_units:
                raise ValueError(f"units must be < n_units ({self.n_units}), got {max(rows)}")
        if len(set(rows)) != len(rows):
            raise ValueError("units must not repeat a unit")
        new_index = np.full(self.n_units, -1, dtype=np.int64)
        new_index[rows] = np.arange(len(rows))
        keep = new_index[self.units] >= 0
        return SpikeTrains(
            self.times[keep],
            new_index[self.units[keep]],
            len(rows),
            self.t_start,
            t_stop=self.t_stop,
            unit_ids=None if self.unit_ids is None else [self.unit_ids[r] for r in rows],
            unit_metadata={k: v[rows] for k, v in self.unit_metadata.items()},
        )

    @classmethod
    def from_unit_times(
        cls,
        unit_times: Sequence[ArrayLike],
        t_stop: float,
        t_start: float = 0.0,
        *,
        unit_ids: Iterable[str] | None = None,
    ) -> SpikeTrains:
        """Build from one array of spike times per unit (the unit index is the list position)."""
        if isinstance(unit_times, np.ndarray) and unit_times.ndim != 1 and unit_times.dtype != object:
            raise TypeError("unit_times must be a sequence of 1-D arrays, one per unit")
        arrays = [as_float_array(f"unit_times[{i}]", ut, ndim=1) for i, ut in enumerate(unit_times)]
        times = np.concatenate(arrays) if arrays else np.zeros(0)
        units = np.repeat(np.arange(len(arrays), dtype=np.int64), [a.size for a in arrays])
        return cls(times, units, len(arrays), t_start, t_stop=t_stop, unit_ids=unit_ids)

    # -------------------------------------------------------------------------------------- conversions
    def bin(self, bin_size: float) -> SpikeCounts:
        """Count spikes in consecutive bins of ``bin_size`` seconds starting at ``t_start``.

        Bins are half-open ``[t_start + k*bin_size, t_start + (k+1)*bin_size)``; a spike exactly at ``t_stop``
        falls into the last bin. When the duration is not a whole number of bins the last bin extends past
        ``t_stop`` (it is partial). Every spike is counted exactly once.
        """
        width = check_float("bin_size", bin_size, positive=True)
        n_bins = n_bins_for(self.duration, width)
        idx = np.floor((self.times - self.t_start) / width).astype(np.int64)
        np.clip(idx, 0, n_bins - 1, out=idx)
        flat = np.bincount(self.units * n_bins + idx, minlength=self.n_units * n_bins)
        counts = flat.reshape(self.n_units, n_bins).astype(np.int64)
        return SpikeCounts(counts, width, self.t_start, unit_ids=self.unit_ids)

    def to_neo(self) -> list[Any]:
        """One ``neo.SpikeTrain`` per unit (seconds), annotated with ``source_index`` as PyNN does.

        Requires the optional extra ``neurotypes[neo]``.
        """
        neo, pq = _import_neo()
        return [
            neo.SpikeTrain(
                times * pq.s,
                t_start=self.t_start * pq.s,
                t_stop=self.t_stop * pq.s,
                source_index=i,
            )
            for i, times in enumerate(self.to_unit_times())
        ]

    @classmethod
    def from_neo(cls, obj: Any, *, n_units: int | None = None) -> SpikeTrains:
        """Build from neo: a ``Block`` with one segment, a ``Segment``, or a list of ``SpikeTrain``.

        The unit index is the train's ``source_index`` annotation when every train has one (PyNN sets it),
        else its position. Times are rescaled to seconds. ``t_start``/``t_stop`` span all trains.
        """
        neo, pq = _import_neo()
        if isinstance(obj, neo.Block):
            if len(obj.segments) != 1:
                raise ValueError(f"obj: a neo Block must have exactly one segment, got {len(obj.segments)}")
            obj = obj.segments[0]
        trains = list(obj.spiketrains) if isinstance(obj, neo.Segment) else list(obj)
        if not trains:
            raise ValueError("obj holds no spike trains")
        for i, tr in enumerate(trains):
            if not isinstance(tr, neo.SpikeTrain):
                raise TypeError(f"obj[{i}] must be a neo.SpikeTrain, got {type(tr).__name__}")
        if all("source_index" in tr.annotations for tr in trains):
            index = [int(tr.annotations["source_index"]) for tr in trains]
        else:
            index = list(range(len(trains)))
        if len(set(index)) != len(index):
            raise ValueError("obj: two spike trains share the same source_index")
        size = max(index) + 1 if n_units is None else check_int("n_units", n_units, minimum=0)
        if max(index) >= size:
            raise ValueError(f"n_units ({size}) is smaller than the largest source_index ({max(index)}) + 1")
        try:
            times = [np.asarray(tr.rescale(pq.s).magnitude, dtype=np.float64) for tr in trains]
        except ValueError as exc:
            raise ValueError(f"obj: spike times are not in units of time ({exc})") from None
        t_start = min(float(tr.t_start.rescale(pq.s).magnitude) for tr in trains)
        t_stop = max(float(tr.t_stop.rescale(pq.s).magnitude) for tr in trains)
        units = np.repeat(np.asarray(index, dtype=np.int64), [t.size for t in times])
        return cls(np.concatenate(times), units, size, t_start, t_stop=t_stop)

    @classmethod
    def from_nwb(
        cls,
        path: str | os.PathLike[str],
        *,
        units: Iterable[int] | None = None,
        where: Mapping[str, Any] | None = None,
        columns: Iterable[str] | None = None,
        t_start: float | None = None,
        t_stop: float | None = None,
    ) -> SpikeTrains:
        """Read the Units table of an NWB file (a spike-sorted recording).

        Parameters
        ----------
        path : path-like
            The ``.nwb`` file (HDF5).
        units : iterable of int, optional
            Keep only these unit ids (the table's ``id`` column), in this order.
        where : mapping, optional
            Keep only units whose column equals the value, e.g. ``{"quality": "good"}`` (applied after
            ``units``).
        columns : iterable of str, optional
            Unit columns to keep in ``unit_metadata`` (default: every column with one scalar per unit; references
            such as ``electrode_group`` are kept by name).
        t_start, t_stop : float, optional
            The recording interval; by default ``min(0, first spike)`` and the end of the units' observation
            intervals or the last spike, whichever is later.

        Returns
        -------
        SpikeTrains
            With ``unit_ids`` the table's ids (as strings) and ``unit_metadata`` its columns.

        Requires the optional extra ``neurotypes[nwb]`` (pynwb).
        """
        from neurotypes.io._nwb import spike_trains_from_nwb

        return spike_trains_from_nwb(
            path, units=units, where=where, columns=columns, t_start=t_start, t_stop=t_stop
        )

    def to_nwb(
        self,
        path: str | os.PathLike[str],
        *,
        partitions: Mapping[str, Any] | None = None,
        description: str = "spike trains written by neurotypes",
        overwrite: bool = False,
    ) -> Path:
        """Write a new NWB file whose Units table holds these spike trains.

        ``unit_ids`` that are integers become the table's ids (others are kept in a ``unit_name`` column),
        ``unit_metadata`` become columns, and each :class:`~neurotypes.Partition` in ``partitions`` becomes an
        integer unit column of that name (e.g. the clusters a method found). Written atomically; an existing
        file is only replaced with ``overwrite=True``. Requires ``neurotypes[nwb]``.
        """
        from neurotypes.io._nwb import spike_trains_to_nwb

        return spike_trains_to_nwb(
            self, path, partitions=partitions, description=description, overwrite=overwrite
        )

    def to_dataframe(self) -> Any:
        """The spikes as a ``pandas.DataFrame`` with columns ``time``, ``unit`` (and ``unit_id``)."""
        from neurotypes.io._tables import spike_trains_to_dataframe

        return spike_trains_to_dataframe(self)

    # ------------------------------------------------------------------------------------- protocol
    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {
            "times": self.times,
            "units": self.units,
            "n_units": np.array(self.n_units, dtype=np.int64),
            "t_start": np.array(self.t_start),
            "t_stop": np.array(self.t_stop),
        }
        if self.unit_ids is not None:
            out["unit_ids"] = np.array(self.unit_ids, dtype=np.str_)
        for key, col in self.unit_metadata.items():
            out[f"meta.{key}"] = col
        return out

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        ids = stored.strings("unit_ids") if stored.has("unit_ids") else None
        meta = {k[5:]: stored.array(k, "biufU") for k in stored.arrays if k.startswith("meta.")}
        return cls(
            stored.array("times", "f"),
            stored.array("units", "iu"),
            stored.int("n_units"),
            stored.float("t_start"),
            t_stop=stored.float("t_stop"),
            unit_ids=ids,
            unit_metadata=meta,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpikeTrains):
            return NotImplemented
        return (
            self.n_units == other.n_units
            and self.t_start == other.t_start
            and self.t_stop == other.t_stop
            and self.unit_ids == other.unit_ids
            and self.unit_metadata.keys() == other.unit_metadata.keys()
            and all(np.array_equal(v, other.unit_metadata[k]) for k, v in self.unit_metadata.items())
            and np.array_equal(self.times, other.times)
            and np.array_equal(self.units, other.units)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        extra = "" if self.unit_ids is None else ", with unit_ids"
        if self.unit_metadata:
            extra += f", metadata {sorted(self.unit_metadata)}"
        return (
            f"SpikeTrains(n_units={self.n_units}, n_spikes={self.n_spikes}, "
            f"t_start={self.t_start:g}, t_stop={self.t_stop:g}{extra})"
        )


@dataclass(frozen=True, eq=False, init=False)
class SpikeCounts(NpzSerializable):
    """Spike counts of a population in equal time bins.

    Parameters
    ----------
    counts : array_like of int, shape (n_units, n_bins)
        Non-negative spike counts. Float arrays are accepted when every value is integral.
    bin_size : float
        Bin width in seconds, > 0.
    t_start : float
        Start of the first bin in seconds.
    unit_ids : sequence of str, optional
        One unique name per unit (row), kept from the spike trains that were binned.

    Examples
    --------
    >>> sc = SpikeCounts([[0, 2], [1, 0]], bin_size=0.5)
    >>> sc.n_units, sc.n_bins, sc.t_stop
    (2, 2, 1.0)
    """

    SCHEMA = "neurotypes.SpikeCounts"
    VERSION = 2  # 2 adds unit_ids (0.2.0); version 1 files still load

    counts: NDArray[np.int64]
    bin_size: float
    t_start: float
    unit_ids: tuple[str, ...] | None

    def __init__(
        self,
        counts: ArrayLike,
        bin_size: float,
        t_start: float = 0.0,
        *,
        unit_ids: Iterable[str] | None = None,
    ) -> None:
        c = as_int_array("counts", counts, ndim=2)
        if c.size and c.min() < 0:
            raise ValueError(f"counts must be non-negative, got minimum {c.min()}")
        if c.shape[1] == 0:
            raise ValueError("counts must have at least one time bin (shape (n_units, n_bins), n_bins >= 1)")
        object.__setattr__(self, "counts", readonly(c.astype(np.int64)))
        object.__setattr__(self, "bin_size", check_float("bin_size", bin_size, positive=True))
        object.__setattr__(self, "t_start", check_float("t_start", t_start))
        object.__setattr__(self, "unit_ids", check_ids("unit_ids", unit_ids, c.shape[0]))

    @property
    def n_units(self) -> int:
        """Number of units (rows)."""
        return int(self.counts.shape[0])

    @property
    def n_bins(self) -> int:
        """Number of time bins (columns)."""
        return int(self.counts.shape[1])

    @property
    def t_stop(self) -> float:
        """End of the last bin in seconds."""
        return self.t_start + self.n_bins * self.bin_size

    @property
    def bin_edges(self) -> NDArray[np.float64]:
        """The ``n_bins + 1`` bin edges in seconds."""
        return self.t_start + self.bin_size * np.arange(self.n_bins + 1, dtype=np.float64)

    @property
    def bin_centres(self) -> NDArray[np.float64]:
        """The ``n_bins`` bin centres in seconds."""
        return self.t_start + self.bin_size * (np.arange(self.n_bins, dtype=np.float64) + 0.5)

    def to_spike_trains(self) -> SpikeTrains:
        """Spike trains with each bin's spikes placed at the bin centre (binning is lossy: times are not kept).

        ``to_spike_trains().bin(bin_size)`` gives these counts back exactly.
        """
        units, bins = np.nonzero(self.counts)
        reps = self.counts[units, bins]
        times = np.repeat(self.bin_centres[bins], reps)
        return SpikeTrains(
            times,
            np.repeat(units.astype(np.int64), reps),
            self.n_units,
            self.t_start,
            t_stop=self.t_stop,
            unit_ids=self.unit_ids,
        )

    def to_traces(self, *, unit_ids: Iterable[str] | None = None) -> Traces:
        """Counts as :class:`~neurotypes.Traces` sampled at ``1 / bin_size`` Hz (values stay counts).

        ``unit_ids`` default to the counts' own.
        """
        from neurotypes.traces import Traces

        ids = tuple(unit_ids) if unit_ids is not None else self.unit_ids
        return Traces(self.counts.astype(np.float64), 1.0 / self.bin_size, self.t_start, unit_ids=ids)

    def to_xarray(self) -> Any:
        """The counts as an ``xarray.DataArray`` with dims ``("unit", "time")`` and bin centres as time
        coordinates (needs xarray installed; it is not a dependency of neurotypes)."""
        from neurotypes.io._tables import spike_counts_to_xarray

        return spike_counts_to_xarray(self)

    def _to_arrays(self) -> dict[str, NDArray[Any]]:
        out = {"counts": self.counts, "bin_size": np.array(self.bin_size), "t_start": np.array(self.t_start)}
        if self.unit_ids is not None:
            out["unit_ids"] = np.array(self.unit_ids, dtype=np.str_)
        return out

    @classmethod
    def _from_stored(cls, stored: Stored, version: int) -> Self:
        ids = stored.strings("unit_ids") if stored.has("unit_ids") else None
        return cls(
            stored.array("counts", "iu"), stored.float("bin_size"), stored.float("t_start"), unit_ids=ids
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpikeCounts):
            return NotImplemented
        return (
            self.bin_size == other.bin_size
            and self.t_start == other.t_start
            and self.unit_ids == other.unit_ids
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        ids = "" if self.unit_ids is None else ", with unit_ids"
        return (
            f"SpikeCounts(counts={summarise(self.counts)}, total={int(self.counts.sum())}, "
            f"bin_size={self.bin_size:g}, t_start={self.t_start:g}{ids})"
        )


def check_unit_metadata(value: Mapping[str, ArrayLike] | None, n_units: int) -> Mapping[str, NDArray[Any]]:
    """Validate per-unit metadata columns: names are non-empty strings, each column has ``n_units`` entries of
    numbers, booleans or text (read-only copies are kept)."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise TypeError(
            f"unit_metadata must be a mapping of column name to array, got {type(value).__name__}"
        )
    cols: dict[str, NDArray[Any]] = {}
    for key, col in value.items():
        if not isinstance(key, str) or not key or "/" in key or key.startswith("_"):
            raise ValueError(
                f"unit_metadata keys must be non-empty names without '/' or a leading '_', got {key!r}"
            )
        arr = np.array(col)
        if arr.dtype == object and all(isinstance(x, str) for x in arr.ravel()):
            arr = arr.astype(np.str_)
        if arr.dtype.kind not in "biufU" or (arr.dtype.itemsize == 0 and arr.size):
            raise TypeError(
                f"unit_metadata[{key!r}] must hold numbers, booleans or strings, got dtype {arr.dtype}"
            )
        if arr.dtype.kind == "U" and arr.dtype.itemsize == 0:
            arr = arr.astype("<U1")
        if arr.ndim != 1 or arr.shape[0] != n_units:
            raise ValueError(
                f"unit_metadata[{key!r}] must have one entry per unit ({n_units}), got shape {arr.shape}"
            )
        if arr.dtype.kind == "f" and np.isinf(arr).any():
            raise ValueError(f"unit_metadata[{key!r}] must not hold infinities")
        cols[key] = readonly(arr)
    return MappingProxyType(cols)


def _import_neo() -> tuple[Any, Any]:
    try:
        import neo
        import quantities as pq
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("neo interop needs the optional extra: pip install 'neurotypes[neo]'") from exc
    return neo, pq
