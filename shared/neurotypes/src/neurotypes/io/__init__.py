"""Recordings in the field's formats, in and out, as neurotypes values.

- NWB (``neurotypes[nwb]``, pynwb): :func:`read_spike_trains` / ``SpikeTrains.from_nwb`` read a Units table,
  ``SpikeTrains.to_nwb`` writes one (with partitions as unit columns), ``Traces.from_nwb``/``to_nwb`` a
  ``TimeSeries`` or ``RoiResponseSeries``, :func:`add_unit_columns` adds results next to the units of an
  existing file, ``Partition.from_nwb`` reads a unit column back.
- neo (``neurotypes[neo]``): :func:`read_traces` / :func:`read_spike_trains` read any format neo knows (Axon
  ABF, Spike2, Plexon, Blackrock, Open Ephys, ...), one value per segment; ``Traces.from_neo``/``to_neo``.
- Text tables: :func:`read_traces_table` (CSV/TSV, refusing a table that looks transposed).
- :func:`read` picks by suffix.
- Package model files: :func:`save_arrays` / :func:`load_arrays` (named arrays plus JSON metadata in one versioned
  ``.npz``, written atomically, read without pickle and with the same checks as every neurotypes file).

Every failure to read a file is a :class:`neurotypes.FormatError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from neurotypes._base import FileMissingError, FormatError, load_arrays, save_arrays
from neurotypes.io._tables import read_traces_table

__all__ = [
    "NEO_SUFFIXES",
    "add_unit_columns",
    "load_arrays",
    "read",
    "read_spike_trains",
    "read_traces",
    "read_traces_table",
    "save_arrays",
]

#: Suffixes routed to neo (the common electrophysiology formats; any other neo format works with read_traces).
NEO_SUFFIXES = (
    ".abf",
    ".smr",
    ".smrx",
    ".plx",
    ".pl2",
    ".nev",
    ".ns5",
    ".ns6",
    ".ns2",
    ".edf",
    ".axgd",
    ".wcp",
    ".nix",
)


def _path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise FileMissingError(f"no file at path {str(p)!r}")
    return p


def read_spike_trains(path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """Spike trains from a file: ``.nwb`` (a Units table, see ``SpikeTrains.from_nwb`` for ``kwargs``),
    ``.npz`` (a saved neurotypes value), or any neo format (a list, one per segment)."""
    from neurotypes import load
    from neurotypes.spikes import SpikeTrains

    p = _path(path)
    suffix = p.suffix.lower()
    if suffix == ".nwb":
        return SpikeTrains.from_nwb(p, **kwargs)
    if suffix == ".npz":
        value = load(p)
        if not isinstance(value, SpikeTrains):
            raise FormatError(f"file {str(p)!r} holds a {type(value).__name__}, not SpikeTrains")
        return value
    from neurotypes.io._neo import read_spike_trains as neo_read

    return neo_read(p)


def read_traces(path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """Traces from a file: any neo format (a list, one per segment/sweep; ``signal=`` picks a signal),
    ``.nwb`` (a TimeSeries, ``name=``), ``.npz`` (a saved value), ``.csv``/``.tsv`` (see
    :func:`read_traces_table`)."""
    from neurotypes import load
    from neurotypes.traces import Traces

    p = _path(path)
    suffix = p.suffix.lower()
    if suffix == ".nwb":
        return Traces.from_nwb(p, **kwargs)
    if suffix == ".npz":
        value = load(p)
        if not isinstance(value, Traces):
            raise FormatError(f"file {str(p)!r} holds a {type(value).__name__}, not Traces")
        return value
    if suffix in (".csv", ".tsv", ".txt"):
        return read_traces_table(p, **kwargs)
    from neurotypes.io._neo import read_traces as neo_read

    return neo_read(p, **kwargs)


def read(path: str | os.PathLike[str]) -> Any:
    """Read a file by its suffix: ``.npz`` any neurotypes value; ``.nwb`` its Units table as SpikeTrains (or,
    without one, its only TimeSeries as Traces); neo formats a list of Traces, one per segment."""
    from neurotypes import load

    p = _path(path)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        return load(p)
    if suffix == ".nwb":
        from neurotypes.io._nwb import _open

        with _open(p) as nwb:
            has_units = nwb.units is not None and len(nwb.units) > 0
        return read_spike_trains(p) if has_units else read_traces(p)
    if suffix in (".csv", ".tsv"):
        return read_traces_table(p)
    if suffix in NEO_SUFFIXES:
        return read_traces(p)
    raise FormatError(
        f"file {str(p)!r}: unknown format {suffix or '(no suffix)'}; neurotypes reads .npz, .nwb, .csv/.tsv and "
        f"the neo formats {', '.join(NEO_SUFFIXES)}"
    )


def add_unit_columns(
    path: str | os.PathLike[str], columns: dict[str, Any], *, description: str = "written by neurotypes"
) -> Path:
    """Add per-unit results (arrays with one value per unit, or :class:`~neurotypes.Partition` values whose
    item ids are the unit ids) as new columns of the Units table of an existing NWB file, next to the units they
    describe. The file is updated atomically (a copy is changed, then renamed over the original)."""
    from neurotypes.io._nwb import add_unit_columns as impl

    return impl(path, columns, description=description)
