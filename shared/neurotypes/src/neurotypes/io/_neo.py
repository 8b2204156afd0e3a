"""neo: AnalogSignal <-> Traces, and reading any file format neo knows (ABF, Spike2, Plexon, Blackrock, ...).

Optional: needs ``pip install 'neurotypes[neo]'``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neurotypes._base import FileMissingError, FormatError

if TYPE_CHECKING:
    from neurotypes.spikes import SpikeTrains
    from neurotypes.traces import Traces


def _neo() -> tuple[Any, Any]:
    try:
        import neo
        import quantities as pq
    except ImportError as exc:
        raise ImportError("neo support needs the optional extra: pip install 'neurotypes[neo]'") from exc
    return neo, pq


def _pick_signal(signals: list[Any], signal: int | str | None, where: str) -> Any:
    if not signals:
        raise ValueError(f"{where} holds no AnalogSignal")
    if signal is None:
        if len(signals) > 1:
            names = [s.name for s in signals]
            raise ValueError(
                f"signal: {where} holds {len(signals)} signals {names}; pick one by index or name"
            )
        return signals[0]
    if isinstance(signal, bool):
        raise TypeError("signal must be an index or a name, not a bool")
    if isinstance(signal, int):
        if not 0 <= signal < len(signals):
            raise ValueError(f"signal must be in [0, {len(signals)}), got {signal}")
        return signals[signal]
    if isinstance(signal, str):
        named = [s for s in signals if s.name == signal]
        if len(named) != 1:
            raise ValueError(
                f"signal: {where} has no single signal named {signal!r} ({[s.name for s in signals]})"
            )
        return named[0]
    raise TypeError(f"signal must be an index or a name, got {type(signal).__name__}")


def traces_from_neo(obj: Any, *, signal: int | str | None = None) -> Traces:
    """See :meth:`neurotypes.Traces.from_neo`."""
    from neurotypes.traces import Traces

    neo, pq = _neo()
    if isinstance(obj, neo.Block):
        if len(obj.segments) != 1:
            raise ValueError(
                f"obj: a neo Block with {len(obj.segments)} segments gives one Traces per segment; "
                "use neurotypes.io.read_traces or pass a Segment"
            )
        obj = obj.segments[0]
    if isinstance(obj, neo.Segment):
        obj = _pick_signal(list(obj.analogsignals), signal, "the segment")
    if not isinstance(obj, neo.AnalogSignal):
        raise TypeError(
            f"obj must be a neo AnalogSignal, Segment or one-segment Block, got {type(obj).__name__}"
        )
    data = np.asarray(obj.magnitude, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    rate = float(obj.sampling_rate.rescale(pq.Hz).magnitude)
    t0 = float(obj.t_start.rescale(pq.s).magnitude)
    names = obj.array_annotations.get("channel_names") if obj.array_annotations else None
    ids = (
        [str(n) for n in names] if names is not None and len(set(map(str, names))) == data.shape[1] else None
    )
    if ids is not None and any(not i for i in ids):
        ids = None
    units = obj.units.dimensionality.string
    return Traces(data.T, rate, t0, unit_ids=ids, signal_units="" if units == "dimensionless" else units)


def traces_to_neo(tr: Traces) -> Any:
    """See :meth:`neurotypes.Traces.to_neo`."""
    neo, pq = _neo()
    try:
        unit = pq.Quantity(1.0, tr.signal_units) if tr.signal_units else pq.dimensionless
    except (LookupError, ValueError):
        raise ValueError(f"signal_units {tr.signal_units!r} is not a unit neo/quantities knows") from None
    names = np.asarray(tr.unit_ids if tr.unit_ids is not None else [f"ch{i}" for i in range(tr.n_units)])
    return neo.AnalogSignal(
        tr.data.T * unit,
        sampling_rate=tr.rate * pq.Hz,
        t_start=tr.t_start * pq.s,
        array_annotations={"channel_names": names},
    )


def read_block(path: str | os.PathLike[str]) -> Any:
    """Read a whole file with the neo IO its suffix names; failures are FormatErrors naming the file."""
    neo, _ = _neo()
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise FileMissingError(f"no file at path {str(p)!r}")
    try:
        io_cls = neo.io.get_io  # neo >= 0.10
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = io_cls(str(p))
            block = reader.read_block(lazy=False)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise FileMissingError(f"no file at path {str(p)!r}") from None
        raise FormatError(f"file {str(p)!r} cannot be read by neo: {exc}") from None
    except Exception as exc:  # neo's readers raise anything on foreign or damaged files
        raise FormatError(
            f"file {str(p)!r} is not a readable {p.suffix or 'recording'} file: {type(exc).__name__}: {exc}"
        ) from None
    return block


def read_traces(path: str | os.PathLike[str], *, signal: int | str | None = None) -> list[Traces]:
    """One Traces per segment (sweep, trial) of any file neo reads."""
    block = read_block(path)
    out = []
    for i, seg in enumerate(block.segments):
        try:
            out.append(traces_from_neo(seg, signal=signal))
        except ValueError as exc:
            raise ValueError(f"file {str(path)!r}, segment {i}: {exc}") from None
    if not out:
        raise FormatError(f"file {str(path)!r} holds no segments")
    return out


def read_spike_trains(path: str | os.PathLike[str]) -> list[SpikeTrains]:
    """One SpikeTrains per segment of any file neo reads (sorted units as neo gives them)."""
    from neurotypes.spikes import SpikeTrains

    block = read_block(path)
    out = []
    for i, seg in enumerate(block.segments):
        if not seg.spiketrains:
            raise ValueError(f"file {str(path)!r}, segment {i} holds no spike trains")
        out.append(SpikeTrains.from_neo(seg))
    return out
