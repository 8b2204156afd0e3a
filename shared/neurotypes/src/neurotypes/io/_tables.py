"""Views as pandas/xarray tables and delimited-text tables in (optional: only used when installed)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from neurotypes._base import FileMissingError, FormatError
from neurotypes.validation import check_float

if TYPE_CHECKING:
    from neurotypes.spikes import SpikeCounts, SpikeTrains
    from neurotypes.traces import Traces


def _require(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError as exc:
        raise ImportError(
            f"this view needs {name}, which neurotypes does not install: pip install {name}"
        ) from exc


def spike_counts_to_xarray(sc: SpikeCounts) -> Any:
    xr = _require("xarray")
    units = list(sc.unit_ids) if sc.unit_ids is not None else list(range(sc.n_units))
    return xr.DataArray(
        np.array(sc.counts),
        dims=("unit", "time"),
        coords={"unit": units, "time": sc.bin_centres},
        name="spike_counts",
        attrs={"bin_size": sc.bin_size, "t_start": sc.t_start, "time_units": "s"},
    )


def traces_to_xarray(tr: Traces) -> Any:
    xr = _require("xarray")
    units = list(tr.unit_ids) if tr.unit_ids is not None else list(range(tr.n_units))
    return xr.DataArray(
        np.array(tr.data),
        dims=("unit", "time"),
        coords={"unit": units, "time": tr.times},
        name="traces",
        attrs={"rate": tr.rate, "signal_units": tr.signal_units, "time_units": "s"},
    )


def spike_trains_to_dataframe(st: SpikeTrains) -> Any:
    pd = _require("pandas")
    frame = pd.DataFrame({"time": np.array(st.times), "unit": np.array(st.units)})
    if st.unit_ids is not None:
        frame["unit_id"] = np.asarray(st.unit_ids)[st.units] if st.n_spikes else np.zeros(0, dtype=str)
    return frame


Layout = Literal["units-by-samples", "samples-by-units"]


def _numbers(cells: list[str]) -> np.ndarray | None:
    try:
        return np.asarray([float(c) for c in cells], dtype=np.float64)
    except ValueError:
        return None


def _evenly_spaced(values: np.ndarray | None) -> bool:
    if values is None or values.size < 3 or not np.isfinite(values).all():
        return False
    steps = np.diff(values)
    return bool(steps.min() > 0 and np.abs(steps - steps.mean()).max() <= 1e-6 * abs(steps.mean()) + 1e-12)


def read_traces_table(
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    layout: Layout = "units-by-samples",
    delimiter: str | None = None,
) -> Traces:
    """Read traces from a delimited text table (CSV/TSV), refusing a table that looks transposed.

    ``units-by-samples``: one row per unit, its name in the first column, the header row holding the sample times
    (or sample indices). ``samples-by-units``: one row per sample, the first column the time in seconds, the
    header row holding the unit names. ``rate`` is inferred from evenly spaced times when not given.

    A table is refused, with a hint, when its *unit* names look like evenly spaced times (the other layout) or
    when a time axis is not evenly spaced.
    """
    from neurotypes.traces import Traces

    if layout not in ("units-by-samples", "samples-by-units"):
        raise ValueError(f"layout must be 'units-by-samples' or 'samples-by-units', got {layout!r}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise FileMissingError(f"no file at path {str(p)!r}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"file {str(p)!r} is not a text table (not UTF-8)") from None
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if r]
    if len(rows) < 2 or len(rows[0]) < 2:
        raise FormatError(f"file {str(p)!r} is not a table with a header row and a name/time column")
    header, body = rows[0], rows[1:]
    width = len(header)
    if any(len(r) != width for r in body):
        raise FormatError(f"file {str(p)!r}: rows have different numbers of cells")
    labels = [r[0] for r in body]
    cols = header[1:]
    try:
        values = np.asarray(
            [[float(c) if c.strip() not in ("", "nan", "NaN") else np.nan for c in r[1:]] for r in body]
        )
    except ValueError:
        raise FormatError(
            f"file {str(p)!r}: the table's cells (apart from the first row and column) must be numbers"
        ) from None
    other = "samples-by-units" if layout == "units-by-samples" else "units-by-samples"
    if layout == "units-by-samples":
        names, times, data = labels, _numbers(cols), values
    else:
        names, times, data = cols, _numbers(labels), values.T
    if _evenly_spaced(_numbers(names)):
        shown = ", ".join(names[:3])
        raise FormatError(
            f"file {str(p)!r}: the unit names ({shown}, ...) look like evenly spaced times: the table seems to be "
            f"{other}; pass layout={other!r} (CLI: --layout {other})"
        )
    if rate is None:
        if not _evenly_spaced(times):
            raise ValueError(
                f"rate: file {str(p)!r} has no evenly spaced time axis to infer the sampling rate from; pass rate"
            )
        assert times is not None
        step = float(np.diff(times).mean())
        fs, t0 = 1.0 / step, float(times[0])
    else:
        fs = check_float("rate", rate, positive=True)
        t0 = float(times[0]) if _evenly_spaced(times) and times is not None else 0.0
    ids = [n.strip() for n in names]
    unit_ids = ids if all(ids) and len(set(ids)) == len(ids) else None
    return Traces(data, fs, t0, unit_ids=unit_ids)
