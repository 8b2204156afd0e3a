"""Loaders for per-animal trace tables with neuron names (CSV, NPZ, MAT, NWB).

The C. elegans NeuroPAL recordings of the paper are not available offline; the embedded default data are the
generators in :mod:`dyn_connectome.synthetic`. Every loader returns a :class:`neurotypes.Traces` whose
``unit_ids`` are the neuron names (used to align animals) and rejects malformed files with a ``ValueError``
naming the file and the rule.

Formats
-------
CSV
    One row per neuron: the first column holds the neuron name, the other columns the samples (ΔF/F; empty
    cells or ``nan`` = missing). An optional header row, recognised by its first cell (empty, ``neuron``,
    ``name``, ``unit``, ``id`` or ``time``), lists the sample times in seconds, from which the rate is inferred
    when ``rate`` is not given.
NPZ
    A file written by ``neurotypes.Traces.save``, or arrays ``data`` [N, T], ``unit_ids`` (or ``neurons``) [N]
    and ``rate`` (Hz; or the ``rate`` argument), optional ``t_start``.
MAT
    The same keys as NPZ, read with :func:`scipy.io.loadmat`.
NWB
    The first ``RoiResponseSeries`` in the file (needs ``pynwb``: ``pip install 'dyn-connectome[nwb]'``);
    neuron names from the ROI table column ``neuron_name`` or ``label`` when present.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import Traces

__all__ = ["load_many", "load_traces", "save_traces_csv"]

log = logging.getLogger(__name__)


def _finish(path: Path, data: Any, names: Any, rate: Any, t_start: float = 0.0) -> Traces:
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise ValueError(f"{path}: data must be a 2-D [neurons, samples] matrix, got shape {arr.shape}")
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: data must be numeric") from err
    if rate is None:
        raise ValueError(f"{path}: no sampling rate in the file; pass rate=... (Hz)")
    rate_f = float(np.asarray(rate).ravel()[0])
    if not rate_f > 0:
        raise ValueError(f"{path}: rate must be > 0 Hz, got {rate_f}")
    ids = None
    if names is not None:
        ids = tuple(str(np.asarray(n).ravel()[0]) if np.ndim(n) else str(n) for n in names)
        ids = tuple(s.strip() for s in ids)
        if len(ids) != arr.shape[0]:
            raise ValueError(f"{path}: {len(ids)} neuron names for {arr.shape[0]} rows of data")
        if len(set(ids)) != len(ids):
            dup = sorted({n for n in ids if ids.count(n) > 1})
            raise ValueError(f"{path}: duplicate neuron names {dup}")
    try:
        return Traces(arr, rate=rate_f, t_start=float(t_start), unit_ids=ids)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from err


def _rate_from_times(path: Path, times: NDArray[np.float64]) -> float:
    dt = np.diff(times)
    if times.size < 2 or not np.all(dt > 0) or not np.allclose(dt, dt[0], rtol=1e-3):
        raise ValueError(f"{path}: header times must be increasing and evenly spaced to infer the rate")
    return float(1.0 / dt[0])


_HEADER_NAMES = {"", "neuron", "neurons", "name", "unit", "unit_id", "id", "time", "t"}


def _read_csv(path: Path, rate: float | None) -> Traces:
    with path.open(newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{path}: empty CSV file")

    def num(c: str) -> float:
        c = c.strip()
        return float("nan") if c == "" or c.lower() == "nan" else float(c)

    t_start = 0.0
    header = None
    if rows[0][0].strip().lower() in _HEADER_NAMES:
        header, rows = rows[0], rows[1:]
    if not rows:
        raise ValueError(f"{path}: no data rows after the header")
    width = {len(r) for r in rows}
    if len(width) != 1:
        raise ValueError(f"{path}: rows have different numbers of columns {sorted(width)}")
    names = [r[0] for r in rows]
    try:
        data = np.array([[num(c) for c in r[1:]] for r in rows])
    except ValueError as err:
        raise ValueError(f"{path}: non-numeric sample value ({err})") from err
    if header is not None and rate is None:
        try:
            times = np.array([float(c) for c in header[1:]])
        except ValueError as err:
            raise ValueError(
                f"{path}: header cells after the first must be sample times (s) or pass rate"
            ) from err
        if times.size != data.shape[1]:
            raise ValueError(f"{path}: header has {times.size} times for {data.shape[1]} samples")
        rate = _rate_from_times(path, times)
        t_start = float(times[0])
    return _finish(path, data, names, rate, t_start)


def _pick(z: Any, keys: Iterable[str]) -> Any:
    for k in keys:
        if k in z:
            return z[k]
    return None


def _read_npz(path: Path, rate: float | None) -> Traces:
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        if any(k.startswith("__schema") or k == "schema" for k in keys):
            try:
                return Traces.load(path)
            except Exception as err:
                raise ValueError(f"{path}: not a readable neurotypes.Traces file ({err})") from err
        if "data" not in keys:
            raise ValueError(
                f"{path}: NPZ must hold an array 'data' [neurons, samples]; found {sorted(keys)}"
            )
        names = _pick(z, ("unit_ids", "neurons", "names"))
        r = rate if rate is not None else _pick(z, ("rate", "fs"))
        t0 = float(z["t_start"]) if "t_start" in keys else 0.0
        return _finish(path, z["data"], None if names is None else list(names), r, t0)


def _read_mat(path: Path, rate: float | None) -> Traces:
    from scipy.io import loadmat

    try:
        z = loadmat(path)
    except Exception as err:
        raise ValueError(f"{path}: not a readable MAT file ({err})") from err
    if "data" not in z:
        raise ValueError(f"{path}: MAT file must hold a variable 'data' [neurons, samples]")
    names = _pick(z, ("unit_ids", "neurons", "names"))
    if names is not None:
        names = [
            np.asarray(n).ravel()[0] if np.size(n) else "" for n in np.asarray(names, dtype=object).ravel()
        ]
    r = rate if rate is not None else _pick(z, ("rate", "fs"))
    t0 = float(np.asarray(z["t_start"]).ravel()[0]) if "t_start" in z else 0.0
    return _finish(path, z["data"], names, r, t0)


def _read_nwb(path: Path, rate: float | None) -> Traces:
    try:
        from pynwb import NWBHDF5IO
        from pynwb.ophys import RoiResponseSeries
    except ImportError as err:
        raise ImportError("reading NWB needs pynwb: pip install 'dyn-connectome[nwb]'") from err
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        series = [o for o in nwb.all_children() if isinstance(o, RoiResponseSeries)]
        if not series:
            raise ValueError(f"{path}: no RoiResponseSeries in the NWB file")
        s = series[0]
        data = np.asarray(s.data[:]).T  # NWB stores [time, rois]
        r = rate if rate is not None else s.rate
        if r is None and s.timestamps is not None:
            r = _rate_from_times(path, np.asarray(s.timestamps[:]))
        table = s.rois.table
        col = next((c for c in ("neuron_name", "label") if c in table.colnames), None)
        idx = np.asarray(s.rois.data[:])
        names = [str(table[col][int(i)]) for i in idx] if col else [str(int(i)) for i in idx]
        t0 = float(s.starting_time or 0.0)
    return _finish(path, data, names, r, t0)


def load_traces(path: str | os.PathLike[str], rate: float | None = None) -> Traces:
    """Read one animal's traces with neuron names.

    Parameters
    ----------
    path
        ``.csv``, ``.npz``, ``.mat`` or ``.nwb`` file (see module docstring for the layouts).
    rate
        Sampling rate in Hz when the file does not state it (overrides the file's rate if given).

    Returns
    -------
    neurotypes.Traces
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path: no such file {p}")
    if rate is not None and not (isinstance(rate, int | float) and rate > 0):
        raise ValueError(f"rate: must be a positive number of Hz, got {rate!r}")
    readers = {".csv": _read_csv, ".npz": _read_npz, ".mat": _read_mat, ".nwb": _read_nwb}
    reader = readers.get(p.suffix.lower())
    if reader is None:
        raise ValueError(f"path: unsupported file type {p.suffix!r}; expected one of {sorted(readers)}")
    return reader(p, rate)


def load_many(paths: Sequence[str | os.PathLike[str]], rate: float | None = None) -> list[Traces]:
    """Read one file per animal (see :func:`load_traces`)."""
    if not paths:
        raise ValueError("paths: need at least one file")
    return [load_traces(p, rate) for p in paths]


def save_traces_csv(traces: Traces, path: str | os.PathLike[str]) -> Path:
    """Write traces as a CSV table (header: ``neuron`` + sample times) atomically."""
    p = Path(path)
    names = traces.unit_ids or tuple(str(k) for k in range(traces.n_units))
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["neuron", *[repr(float(t)) for t in traces.times]])
        for name, row in zip(names, traces.data, strict=True):
            w.writerow([name, *[repr(float(v)) for v in row]])
    os.replace(tmp, p)
    return p
