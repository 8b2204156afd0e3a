"""Data: recordings in (through :mod:`neurotypes.io`), behaviour series, window datasets.

Spikes and stimuli use the shared types (:class:`neurotypes.SpikeTrains`, :class:`neurotypes.SpikeCounts`,
:class:`neurotypes.Stimulus`); behaviour variables use the package-local :class:`TimeSeries`. The simulators
that generate the default data live in :mod:`neuroformer.sim`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neuroformer.tokenizer import SpikeTokenizer
from neurotypes import FormatError, SpikeCounts, SpikeTrains, Stimulus
from neurotypes.io import NEO_SUFFIXES, read_spike_trains, read_traces_table
from neurotypes.validation import (
    check_array,
    check_choice,
    check_consistent_length,
    check_float,
    check_int,
    check_path,
)

__all__ = [
    "SPIKE_SUFFIXES",
    "TABLE_LAYOUTS",
    "TimeSeries",
    "WindowDataset",
    "read_spikes",
    "stimulus_windows",
    "tokenize_dataset",
    "window_means",
]

#: Table layouts :func:`read_spikes` reads from ``.csv``/``.tsv`` files.
TABLE_LAYOUTS = ("events", "units-by-samples", "samples-by-units")
#: File suffixes :func:`read_spikes` reads.
SPIKE_SUFFIXES = (".nwb", ".npz", ".csv", ".tsv", *NEO_SUFFIXES)

Layout = Literal["events", "units-by-samples", "samples-by-units"]


@dataclass(frozen=True, init=False)
class TimeSeries:
    """Behaviour variables ``values [T, D]`` sampled at strictly increasing times ``t [T]`` (seconds).

    Parameters
    ----------
    values : array_like, shape (T,) or (T, D)
        Finite samples; a 1-D array is one variable.
    t : array_like, shape (T,)
        Finite, strictly increasing sample times in seconds.

    Raises
    ------
    ValueError
        Non-finite values, wrong shapes, lengths that differ, times that do not increase.

    Examples
    --------
    >>> ts = TimeSeries([1.0, 2.0, 4.0], [0.0, 0.1, 0.2])
    >>> ts.values.shape
    (3, 1)
    """

    values: NDArray[np.float64]
    t: NDArray[np.float64]

    def __init__(self, values: ArrayLike, t: ArrayLike) -> None:
        v = check_array("values", values, ndim=(1, 2), min_size=1)
        if v.ndim == 1:
            v = v[:, None]
        times = check_array("t", t, ndim=1, min_size=1)
        check_consistent_length(values=v, t=times)
        if times.size > 1 and np.any(np.diff(times) <= 0):
            raise ValueError("t must be strictly increasing")
        v.flags.writeable = False
        times.flags.writeable = False
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "t", times)


def window_means(series: TimeSeries, starts: ArrayLike, width: float) -> NDArray[np.float64]:
    """Mean of ``series`` over each window ``[start, start + width)``.

    Parameters
    ----------
    series : TimeSeries
    starts : array_like, shape (n,)
        Window starts in seconds.
    width : float
        Window width in seconds (> 0).

    Returns
    -------
    ndarray, shape (n, D)
        The mean of the samples whose time falls in each window.

    Raises
    ------
    ValueError
        A window holds no sample (the series is too sparse or the window lies outside it).

    Examples
    --------
    >>> ts = TimeSeries([1.0, 3.0, 5.0, 7.0], [0.0, 1.0, 2.0, 3.0])
    >>> window_means(ts, [0.0, 2.0], 2.0)[:, 0].tolist()
    [2.0, 6.0]
    """
    if not isinstance(series, TimeSeries):
        raise TypeError(f"series must be a TimeSeries, got {type(series).__name__}")
    s = check_array("starts", starts, ndim=1)
    w = check_float("width", width, positive=True)
    idx0 = np.searchsorted(series.t, s, side="left")
    idx1 = np.searchsorted(series.t, s + w, side="left")
    n = idx1 - idx0
    if np.any(n < 1):
        bad = float(s[int(np.argmin(n))])
        raise ValueError(f"starts: the window [{bad}, {bad + w}) holds no sample of the series")
    cs = np.vstack([np.zeros((1, series.values.shape[1])), np.cumsum(series.values, axis=0)])
    out: NDArray[np.float64] = (cs[idx1] - cs[idx0]) / n[:, None]
    return out


def stimulus_windows(stimulus: Stimulus, ends: ArrayLike, width: float) -> NDArray[np.float32]:
    """Stimulus frames in ``[end - width, end)`` for each window end, as tokens ``[n, frames, features]``.

    Parameters
    ----------
    stimulus : neurotypes.Stimulus
        Frames at ``stimulus.rate`` Hz; each frame is flattened into one token's features.
    ends : array_like, shape (n,)
        Window ends in seconds (the anchors of :meth:`SpikeTokenizer.encode`).
    width : float
        Window width in seconds; it must span at least one frame.

    Returns
    -------
    ndarray of float32, shape (n, round(width * rate), features)

    Raises
    ------
    ValueError
        A window falls outside the frames, or spans no frame.
    """
    if not isinstance(stimulus, Stimulus):
        raise TypeError(f"stimulus must be a neurotypes.Stimulus, got {type(stimulus).__name__}")
    e = check_array("ends", ends, ndim=1, min_size=1)
    w = check_float("width", width, positive=True)
    n_frames = round(w * stimulus.rate)
    if n_frames < 1:
        raise ValueError(f"width ({w} s) must span at least one frame at {stimulus.rate} Hz")
    frames = stimulus.frames.reshape(stimulus.frames.shape[0], -1)
    last = np.rint(e * stimulus.rate).astype(np.int64)
    first = last - n_frames
    if first.min() < 0 or last.max() > frames.shape[0]:
        raise ValueError("ends: a stimulus window falls outside the stimulus frames")
    idx = first[:, None] + np.arange(n_frames)[None, :]
    out: NDArray[np.float32] = frames[idx].astype(np.float32)
    return out


class WindowDataset:
    """A map-style dataset of tokenised windows: a dict of equally long arrays, one row per window.

    Works with ``torch.utils.data.DataLoader`` (it has ``__len__`` and ``__getitem__``) and pickles cleanly
    (plain arrays, no closures).

    Parameters
    ----------
    arrays : dict of str to array_like
        Every array's first axis indexes windows (e.g. the output of :meth:`SpikeTokenizer.encode` plus
        ``stimulus``/``target_<name>`` entries).

    Raises
    ------
    ValueError
        No arrays, or arrays of different lengths.
    """

    def __init__(self, arrays: Mapping[str, ArrayLike]) -> None:
        if not isinstance(arrays, dict):
            raise TypeError(f"arrays must be a dict of str to arrays, got {type(arrays).__name__}")
        if not arrays:
            raise ValueError("arrays must not be empty")
        converted: dict[str, NDArray[Any]] = {}
        for k, v in arrays.items():
            if not isinstance(k, str):
                raise TypeError(f"arrays keys must be strings, got {type(k).__name__}")
            a = np.asarray(v)
            if a.ndim < 1:
                raise ValueError(f"arrays[{k!r}] must have a first axis (one row per window)")
            converted[k] = a
        check_consistent_length(**converted)
        self.arrays = converted
        self._n = len(next(iter(converted.values())))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> dict[str, NDArray[Any]]:
        return {k: v[i] for k, v in self.arrays.items()}

    def subset(self, idx: ArrayLike) -> WindowDataset:
        """The windows at ``idx`` (integer indices)."""
        ii = check_array("idx", idx, ndim=1, dtype="int")
        if ii.size and (ii.min() < -self._n or ii.max() >= self._n):
            raise ValueError(f"idx must index the {self._n} windows")
        return WindowDataset({k: v[ii] for k, v in self.arrays.items()})


def tokenize_dataset(tokenizer: SpikeTokenizer, spikes: object, anchors: ArrayLike) -> WindowDataset:
    """Tokenise ``spikes`` at every anchor into a :class:`WindowDataset`.

    Parameters
    ----------
    tokenizer : SpikeTokenizer
    spikes : array_like [neurons, bins], SpikeTrains or SpikeCounts
    anchors : array_like, shape (n,)
        Window anchors in seconds (see :meth:`SpikeTokenizer.default_anchors`).

    Returns
    -------
    WindowDataset
        The keys of :meth:`SpikeTokenizer.encode` plus ``t`` (the anchors).
    """
    if not isinstance(tokenizer, SpikeTokenizer):
        raise TypeError(f"tokenizer must be a SpikeTokenizer, got {type(tokenizer).__name__}")
    t = check_array("anchors", anchors, ndim=1, min_size=1)
    arrays = tokenizer.encode(spikes, t)
    arrays["t"] = t
    return WindowDataset(arrays)


# ---------------------------------------------------------------------------------------------- files in


def _read_events_table(p: Path) -> SpikeTrains:
    """A CSV/TSV with one spike per row: columns ``unit`` (integer or name) and ``time`` (seconds)."""
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"file {str(p)!r} is not a text table (not UTF-8)") from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if r]
    if not rows:
        raise FormatError(f"file {str(p)!r} is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "unit" not in header or "time" not in header:
        raise FormatError(
            f"file {str(p)!r}: an events table needs a header with columns 'unit' and 'time' (one spike per "
            f"row), got {rows[0][:4]}; for a binned count table pass --layout units-by-samples or samples-by-units"
        )
    iu, it = header.index("unit"), header.index("time")
    body = rows[1:]
    if any(len(r) != len(header) for r in body):
        raise FormatError(f"file {str(p)!r}: rows have different numbers of cells")
    try:
        times = np.asarray([float(r[it]) for r in body], dtype=np.float64)
    except ValueError:
        raise FormatError(f"file {str(p)!r}: the 'time' column must hold numbers (seconds)") from None
    if times.size == 0:
        raise FormatError(f"file {str(p)!r} holds no spikes")
    if not np.isfinite(times).all():
        raise FormatError(f"file {str(p)!r}: the 'time' column holds NaN or infinity")
    names = [r[iu].strip() for r in body]
    if any(not n for n in names):
        raise FormatError(f"file {str(p)!r}: a row has an empty 'unit' cell")
    if all(n.lstrip("-").isdigit() for n in names):
        uniq: list[str] = [str(u) for u in sorted({int(n) for n in names})]
        names = [str(int(n)) for n in names]
    else:
        uniq = sorted(set(names))
    index = {n: i for i, n in enumerate(uniq)}
    units = np.asarray([index[n] for n in names], dtype=np.int64)
    order = np.lexsort((units, times))
    t0 = min(0.0, float(times.min()))
    t1 = float(times.max()) + 1e-9
    return SpikeTrains(
        times=times[order], units=units[order], n_units=len(uniq), t_start=t0, t_stop=t1, unit_ids=uniq
    )


def _counts_from_table(
    p: Path, layout: Literal["units-by-samples", "samples-by-units"], bin_size: float | None
) -> SpikeCounts:
    traces = read_traces_table(p, layout=layout, rate=None if bin_size is None else 1.0 / bin_size)
    arr = np.asarray(traces.data)  # [units, samples]
    if not np.isfinite(arr).all() or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise FormatError(f"file {str(p)!r}: a count table must hold non-negative whole numbers of spikes")
    return SpikeCounts(arr.astype(np.int64), 1.0 / traces.rate, traces.t_start, unit_ids=traces.unit_ids)


def read_spikes(
    path: str | os.PathLike[str],
    *,
    layout: Layout = "events",
    bin_size: float | None = None,
    segment: int = 0,
    units: list[int] | None = None,
) -> SpikeTrains | SpikeCounts:
    """Read a recording's spikes, detecting the format by the file's suffix.

    Parameters
    ----------
    path : path-like
        ``.nwb`` (the Units table of a spike-sorted recording, through pynwb: extra ``neuroformer[nwb]``),
        ``.npz`` (a saved :class:`neurotypes.SpikeTrains` or :class:`neurotypes.SpikeCounts`), ``.csv``/``.tsv``
        (see ``layout``) or any format neo reads (``.abf``, ``.smr``, ``.plx``, ``.nev``, ...; extra
        ``neuroformer[neo]``).
    layout : {"events", "units-by-samples", "samples-by-units"}
        For text tables: ``"events"`` is one spike per row with columns ``unit`` and ``time`` (seconds);
        the other two are binned count tables in neurotypes' table layouts (a table that looks transposed is
        refused with a hint).
    bin_size : float, optional
        Bin width of a count table, when its time axis cannot tell it.
    segment : int
        Which segment of a multi-segment neo file (default the first).
    units : list of int, optional
        NWB only: keep these unit ids (the Units table's ``id`` column), in this order.

    Returns
    -------
    SpikeTrains or SpikeCounts
        With ``unit_ids`` where the file names its units. Tokenise it with :meth:`SpikeTokenizer.encode`
        (``SpikeTrains`` are binned at the tokenizer's ``dt``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        The file is not what its suffix says (a ``ValueError`` that names the file).
    ValueError
        An unknown suffix or an option out of range.
    ImportError
        The optional reader (pynwb, neo) is not installed.

    Examples
    --------
    >>> from neuroformer import read_spikes  # doctest: +SKIP
    >>> spikes = read_spikes("A8604-211122.nwb")  # doctest: +SKIP
    >>> spikes.n_units, spikes.unit_ids  # doctest: +SKIP
    (3, ('0', '1', '2'))
    """
    p = check_path("path", path)
    layout = check_choice("layout", layout, TABLE_LAYOUTS)
    if bin_size is not None:
        bin_size = check_float("bin_size", bin_size, positive=True)
    segment = check_int("segment", segment, minimum=0)
    suffix = p.suffix.lower()
    if suffix not in SPIKE_SUFFIXES:
        raise FormatError(
            f"file {str(p)!r}: unknown format {suffix or '(no suffix)'}; neuroformer reads spikes from "
            f"{', '.join(SPIKE_SUFFIXES)}"
        )
    if units is not None and suffix != ".nwb":
        raise ValueError("units: selecting units by id is only for .nwb files")
    if suffix == ".nwb":
        return read_spike_trains(p, units=units) if units is not None else read_spike_trains(p)  # type: ignore[no-any-return]
    if suffix == ".npz":
        from neurotypes import load

        value = load(p)
        if not isinstance(value, SpikeTrains | SpikeCounts):
            raise FormatError(
                f"file {str(p)!r} holds a {type(value).__name__}, not SpikeTrains or SpikeCounts"
            )
        return value
    if suffix in (".csv", ".tsv"):
        if layout == "events":
            return _read_events_table(p)
        return _counts_from_table(
            p, "units-by-samples" if layout == "units-by-samples" else "samples-by-units", bin_size
        )
    got = read_spike_trains(p)
    trains = got if isinstance(got, list) else [got]
    if segment >= len(trains):
        raise ValueError(f"segment must be < {len(trains)} (the segments of file {str(p)!r}), got {segment}")
    value = trains[segment]
    if not isinstance(value, SpikeTrains) or value.n_spikes == 0:
        raise FormatError(f"file {str(p)!r} holds no spike trains in segment {segment}")
    return value
