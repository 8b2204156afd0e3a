"""Recorded responses of cells to the K most discriminative stimuli, from the field's formats.

The embedded default data are the ground-truth twins of :mod:`mds_cluster.twins`. What users bring to type their
own cells on the fly (:meth:`mds_cluster.MDSClustering.assign`) is each cell's response to each of the K MDS,
read here from:

- a table (``.csv``/``.tsv``, through :func:`neurotypes.io.read_traces_table`): one row per cell with its name
  first and one column per MDS (``layout="units-by-samples"``, header ``cell,0,1,...,K-1``), or one row per MDS
  (``layout="samples-by-units"``, header ``mds,<cell names>``); a table that looks transposed is refused;
- a neurotypes ``.npz``: ``SpikeCounts`` with one bin per MDS (counts), or ``Traces``/``SpikeTrains`` recorded
  while the MDS were shown (with ``presentations``);
- an NWB file: the Units table of spike-sorted cells or a ``TimeSeries``/``RoiResponseSeries`` (with
  ``presentations``);
- any neo format (one segment, with ``presentations``).

A *presentations* table (CSV with header ``mds,start,stop``, times in seconds, one row per presentation) says
when each MDS was on the screen; the response of a cell to MDS k is its mean firing rate (spike trains) or mean
signal (traces) over the presentations of k.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from neurotypes import FormatError, SpikeCounts, SpikeTrains, Traces
from neurotypes.validation import check_array, check_choice, check_ids, check_int, check_path

__all__ = ["Presentations", "Responses", "load_responses", "read_presentations", "responses_from_recording"]

Layout = Literal["units-by-samples", "samples-by-units"]

_NEO_SUFFIXES = frozenset(
    {".abf", ".smr", ".smrx", ".plx", ".pl2", ".nev", ".ns5", ".ns6", ".ns2", ".edf", ".axgd", ".wcp", ".nix"}
)


@dataclass(frozen=True, eq=False)
class Responses:
    """Responses of ``n_cells`` cells to ``K`` stimuli.

    Attributes
    ----------
    values : numpy.ndarray, shape (n_cells, K)
        Response of each cell to each MDS (finite).
    cell_ids : tuple of str or None
        Cell names (unit ids of an NWB file, row names of a table).
    """

    values: NDArray[np.float64]
    cell_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        v = check_array("values", self.values, ndim=2, min_size=1)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "cell_ids", check_ids("cell_ids", self.cell_ids, v.shape[0]))

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return int(self.values.shape[0])

    @property
    def n_stimuli(self) -> int:
        """Number of stimuli K."""
        return int(self.values.shape[1])


@dataclass(frozen=True, eq=False)
class Presentations:
    """When each stimulus was shown: one row per presentation.

    Attributes
    ----------
    stimulus : numpy.ndarray of int
        Index of the MDS shown (0..K-1).
    start, stop : numpy.ndarray of float
        Onset and offset in seconds, ``stop > start``.
    """

    stimulus: NDArray[np.int64]
    start: NDArray[np.float64]
    stop: NDArray[np.float64]

    def __post_init__(self) -> None:
        k = check_array("stimulus", self.stimulus, ndim=1, dtype="int", nonnegative=True, min_size=1)
        a = check_array("start", self.start, shape=(k.size,))
        b = check_array("stop", self.stop, shape=(k.size,))
        if not (b > a).all():
            raise ValueError("stop must be after start for every presentation")
        object.__setattr__(self, "stimulus", k)
        object.__setattr__(self, "start", a)
        object.__setattr__(self, "stop", b)

    @property
    def n_stimuli(self) -> int:
        """K: one more than the largest stimulus index (every index 0..K-1 must be shown)."""
        return int(self.stimulus.max()) + 1


def read_presentations(path: str | os.PathLike[str]) -> Presentations:
    """Read a presentations table: CSV with header ``mds,start,stop`` (seconds), one row per presentation.

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Returns
    -------
    Presentations

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        Not such a table (the message names the file).
    """
    p = check_path("path", path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"file {str(p)!r} is not a text table (not UTF-8)") from None
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if not rows or [c.strip().lower() for c in rows[0]] != ["mds", "start", "stop"]:
        raise FormatError(f"file {str(p)!r}: a presentations table needs the header 'mds,start,stop'")
    try:
        body = np.asarray([[float(c) for c in r] for r in rows[1:]], dtype=np.float64)
    except ValueError:
        raise FormatError(
            f"file {str(p)!r}: presentations must be numbers (mds index, start s, stop s)"
        ) from None
    if body.ndim != 2 or body.shape[1] != 3 or body.shape[0] == 0:
        raise FormatError(f"file {str(p)!r}: expected rows of three numbers after the header")
    try:
        return Presentations(body[:, 0], body[:, 1], body[:, 2])  # type: ignore[arg-type]  # checked integral
    except (TypeError, ValueError) as exc:
        raise FormatError(f"file {str(p)!r}: {exc}") from None


def responses_from_recording(recording: SpikeTrains | Traces, presentations: Presentations) -> Responses:
    """Each cell's mean response to each MDS over its presentations.

    Parameters
    ----------
    recording : neurotypes.SpikeTrains or neurotypes.Traces
        Spike trains (responses in spikes per second) or traces (responses in the traces' units) of the cells.
    presentations : Presentations
        When each MDS was shown; every MDS 0..K-1 at least once, inside the recording.

    Returns
    -------
    Responses
        ``values[i, k]``: mean over the presentations of MDS k of the spike count in ``[start, stop)`` divided
        by ``stop - start``, or of the mean signal over the samples in ``[start, stop)``.

    Examples
    --------
    >>> st = SpikeTrains([0.1, 0.2, 1.5], [0, 0, 1], 2, 0.0, t_stop=2.0)
    >>> pres = Presentations([0, 1], [0.0, 1.0], [1.0, 2.0])
    >>> responses_from_recording(st, pres).values.tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    if not isinstance(presentations, Presentations):
        raise TypeError(f"presentations must be a Presentations, got {type(presentations).__name__}")
    k = presentations.n_stimuli
    shown = np.bincount(presentations.stimulus, minlength=k)
    if (shown == 0).any():
        raise ValueError(
            f"presentations must show every MDS 0..{k - 1}; missing {np.flatnonzero(shown == 0).tolist()}"
        )
    if isinstance(recording, SpikeTrains):
        lo, hi = recording.t_start, recording.t_stop
        n = recording.n_units
        ids = recording.unit_ids
    elif isinstance(recording, Traces):
        lo, hi = recording.t_start, recording.t_start + recording.duration
        n = recording.n_units
        ids = recording.unit_ids
    else:
        raise TypeError(f"recording must be neurotypes SpikeTrains or Traces, got {type(recording).__name__}")
    if presentations.start.min() < lo - 1e-9 or presentations.stop.max() > hi + 1e-9:
        raise ValueError(f"presentations must lie inside the recording [{lo:g}, {hi:g}] s")
    per = np.zeros((n, presentations.stimulus.size))
    for j, (a, b) in enumerate(zip(presentations.start, presentations.stop, strict=True)):
        if isinstance(recording, SpikeTrains):
            inside = (recording.times >= a) & (recording.times < b)
            per[:, j] = np.bincount(recording.units[inside], minlength=n) / (b - a)
        else:
            t = recording.times
            sel = (t >= a) & (t < b)
            if not sel.any():
                raise ValueError(f"presentation {j} ({a:g}-{b:g} s) holds no sample of the traces")
            block = recording.data[:, sel]
            if np.isnan(block).all(axis=1).any():
                raise ValueError(f"presentation {j} ({a:g}-{b:g} s) has a cell with no observed sample")
            per[:, j] = np.nanmean(block, axis=1)
    values = np.stack([per[:, presentations.stimulus == m].mean(axis=1) for m in range(k)], axis=1)
    return Responses(values, ids)


def load_responses(
    path: str | os.PathLike[str],
    *,
    presentations: Presentations | str | os.PathLike[str] | None = None,
    layout: Layout = "units-by-samples",
    series: str | None = None,
    segment: int | None = None,
) -> Responses:
    """Read the responses of recorded cells to the K MDS from a file, chosen by its suffix.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.tsv`` (cells x MDS table), ``.npz`` (neurotypes value), ``.nwb`` or a neo format.
    presentations : Presentations or path-like, optional
        When each MDS was shown (a :class:`Presentations` or a CSV path, see :func:`read_presentations`):
        needed for recordings over time (spike trains, traces); not for tables and ``SpikeCounts``.
    layout : {"units-by-samples", "samples-by-units"}
        Orientation of a table: one row per cell (default) or one row per MDS.
    series : str, optional
        Name of the NWB TimeSeries to read (an NWB file without a Units table).
    segment : int, optional
        Segment of a multi-segment neo file.

    Returns
    -------
    Responses

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        The file is not what its suffix says (a ``ValueError`` naming the file).
    ValueError, TypeError
        Bad arguments, a table that looks transposed, missing presentations.
    """
    p = check_path("path", path)
    layout = check_choice("layout", layout, ("units-by-samples", "samples-by-units"))
    if presentations is not None and not isinstance(presentations, Presentations):
        presentations = read_presentations(presentations)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        from neurotypes.io import read_traces_table

        table = read_traces_table(p, rate=1.0, layout=layout)
        if np.isnan(table.data).any():
            raise FormatError(
                f"file {str(p)!r}: every cell needs a response to every MDS (empty cells found)"
            )
        return Responses(table.data, table.unit_ids)
    recording: Any
    if suffix == ".npz":
        import neurotypes

        recording = neurotypes.load(p)
        if isinstance(recording, SpikeCounts):
            return Responses(recording.counts.astype(np.float64), recording.unit_ids)
        if not isinstance(recording, SpikeTrains | Traces):
            raise FormatError(
                f"file {str(p)!r} holds a {type(recording).__name__}, not SpikeCounts, SpikeTrains or Traces"
            )
    elif suffix == ".nwb":
        from neurotypes.io import read

        recording = Traces.from_nwb(p, name=series) if series is not None else read(p)
    elif suffix in _NEO_SUFFIXES:
        from neurotypes.io import read_traces

        segments = read_traces(p)
        if segment is None and len(segments) != 1:
            raise ValueError(
                f"segment: file {str(p)!r} holds {len(segments)} segments; pick one (CLI: --segment)"
            )
        index = 0 if segment is None else check_int("segment", segment, minimum=0, maximum=len(segments) - 1)
        recording = segments[index]
    else:
        raise FormatError(
            f"file {str(p)!r}: unknown format {suffix or '(no suffix)'}; mds-cluster reads .csv/.tsv, .npz, .nwb "
            "and the neo formats"
        )
    if presentations is None:
        raise ValueError(
            f"presentations: file {str(p)!r} holds a recording over time; say when each MDS was shown "
            "(a CSV mds,start,stop; CLI: --presentations)"
        )
    return responses_from_recording(recording, presentations)
