"""NWB (Neurodata Without Borders) through pynwb: Units tables <-> SpikeTrains, TimeSeries <-> Traces.

Optional: needs ``pip install 'neurotypes[nwb]'``. Every failure to read a file becomes a
:class:`neurotypes.FormatError` naming the file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neurotypes._base import FileMissingError, FormatError, _target, _temp_name
from neurotypes.validation import check_float, check_int

if TYPE_CHECKING:
    from neurotypes.partition import Partition
    from neurotypes.spikes import SpikeTrains
    from neurotypes.traces import Traces

# Prefix of the TimeSeries comment in which to_nwb keeps the traces' unit_ids.
_IDS_PREFIX = "neurotypes unit_ids: "

# Units-table columns that are not one scalar per unit, or that SpikeTrains holds itself.
_SKIP_COLUMNS = frozenset(
    {"spike_times", "obs_intervals", "electrodes", "waveforms", "waveform_mean", "waveform_sd"}
)


def _pynwb() -> Any:
    try:
        import pynwb
    except ImportError as exc:
        raise ImportError("NWB support needs the optional extra: pip install 'neurotypes[nwb]'") from exc
    return pynwb


@contextmanager
def _open(path: str | os.PathLike[str], mode: str = "r") -> Iterator[Any]:
    """Open an NWB file for reading; any failure becomes a FormatError naming the file."""
    pynwb = _pynwb()
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise FileMissingError(f"no file at path {str(p)!r}")
    if not p.is_file():
        raise FormatError(f"path {str(p)!r} is not a regular file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # namespace-cache chatter of hdmf; local to this block
            io = pynwb.NWBHDF5IO(str(p), mode, load_namespaces=True)
            nwb = io.read()
    except FormatError:
        raise
    except Exception as exc:  # h5py/hdmf raise OSError, KeyError, ValueError, TypeError, ... on foreign files
        raise FormatError(
            f"file {str(p)!r} is not a readable NWB file: {type(exc).__name__}: {exc}"
        ) from None
    try:
        yield nwb
    finally:
        io.close()


def _scalar(value: Any) -> Any:
    """One unit's cell of a table column as a storable scalar, or None when it is not one."""
    if hasattr(value, "name") and hasattr(value, "object_id"):  # an NWB container (e.g. ElectrodeGroup)
        return str(value.name)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str | bool | int | float | np.generic):
        return value.item() if isinstance(value, np.generic) else value
    return None


def _unit_columns(table: Any, rows: list[int], wanted: Iterable[str] | None) -> dict[str, np.ndarray]:
    names = list(table.colnames) if wanted is None else list(wanted)
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name not in table.colnames:
            raise ValueError(
                f"columns: the Units table has no column {name!r} (columns: {list(table.colnames)})"
            )
        if wanted is None and name in _SKIP_COLUMNS:
            continue
        col = table[name]
        cells = [_scalar(col[r]) for r in rows]
        if any(c is None for c in cells):
            if wanted is not None:
                raise ValueError(f"columns: column {name!r} does not hold one scalar per unit")
            continue
        arr = np.array(cells)
        if arr.dtype.kind in "biufU":
            out[name] = arr
    return out


def spike_trains_from_nwb(
    path: str | os.PathLike[str],
    *,
    units: Iterable[int] | None = None,
    where: Mapping[str, Any] | None = None,
    columns: Iterable[str] | None = None,
    t_start: float | None = None,
    t_stop: float | None = None,
) -> SpikeTrains:
    """See :meth:`neurotypes.SpikeTrains.from_nwb`."""
    from neurotypes.spikes import SpikeTrains

    with _open(path) as nwb:
        table = nwb.units
        if table is None or len(table) == 0:
            raise FormatError(f"file {str(path)!r} has no Units table (or it is empty)")
        if "spike_times" not in table.colnames:
            raise FormatError(f"file {str(path)!r}: the Units table has no spike_times column")
        ids = [int(i) for i in table.id[:]]
        rows = list(range(len(ids)))
        if units is not None:
            if isinstance(units, str | bytes):
                raise TypeError("units must be an iterable of unit ids (integers)")
            index = {uid: r for r, uid in enumerate(ids)}
            wanted = [check_int(f"units[{i}]", u) for i, u in enumerate(units)]
            absent = [u for u in wanted if u not in index]
            if absent:
                raise ValueError(f"units: ids {absent[:5]} are not in the Units table (ids: {ids[:10]}...)")
            if len(set(wanted)) != len(wanted):
                raise ValueError("units must not repeat an id")
            rows = [index[u] for u in wanted]
        if where:
            if not isinstance(where, Mapping):
                raise TypeError(f"where must be a mapping of column to value, got {type(where).__name__}")
            for col, val in where.items():
                if col not in table.colnames:
                    raise ValueError(
                        f"where: the Units table has no column {col!r} (columns: {list(table.colnames)})"
                    )
                rows = [r for r in rows if _scalar(table[col][r]) == val]
            if not rows:
                raise ValueError(f"where: no unit matches {dict(where)}")
        spike_col = table["spike_times"]
        times = [np.asarray(spike_col[r], dtype=np.float64).ravel() for r in rows]
        for r, t in zip(rows, times, strict=True):
            if t.size and not np.isfinite(t).all():
                raise FormatError(f"file {str(path)!r}: unit {ids[r]} has non-finite spike times")
        meta = _unit_columns(table, rows, columns)
        obs_end = None
        if "obs_intervals" in table.colnames:
            ends = [np.asarray(table["obs_intervals"][r], dtype=np.float64) for r in rows]
            flat = [e[..., 1].max() for e in ends if e.size]
            obs_end = max(flat) if flat else None
    all_times = np.concatenate(times) if times else np.zeros(0)
    first = float(all_times.min()) if all_times.size else 0.0
    last = float(all_times.max()) if all_times.size else None
    t0 = min(0.0, first) if t_start is None else check_float("t_start", t_start)
    if t_stop is None:
        candidates = [x for x in (last, obs_end) if x is not None]
        if not candidates:
            raise ValueError(
                f"t_stop: file {str(path)!r} has no spikes or observation intervals; pass t_stop"
            )
        t1 = max(candidates)
        if t1 <= t0:
            t1 = t0 + 1.0
    else:
        t1 = check_float("t_stop", t_stop)
    if t1 <= t0:
        raise ValueError(f"t_stop must be > t_start, got t_start={t0}, t_stop={t1}")
    kept = [t[(t >= t0) & (t <= t1)] for t in times]
    unit_index = np.repeat(np.arange(len(rows), dtype=np.int64), [k.size for k in kept])
    return SpikeTrains(
        np.concatenate(kept) if kept else np.zeros(0),
        unit_index,
        len(rows),
        t0,
        t_stop=t1,
        unit_ids=[str(ids[r]) for r in rows],
        unit_metadata=meta,
    )


def _new_file(description: str) -> Any:
    pynwb = _pynwb()
    return pynwb.NWBFile(
        session_description=description,
        identifier=str(uuid.uuid4()),
        session_start_time=_dt.datetime.now(_dt.UTC),
    )


def _write_atomic(nwb: Any, path: str | os.PathLike[str], overwrite: bool) -> Path:
    pynwb = _pynwb()
    target, parent = _target(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"path {str(target)!r} exists; pass overwrite=True to replace it")
    tmp = _temp_name(parent, target, ".tmp.nwb")
    try:
        with pynwb.NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        os.replace(tmp, target)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return target


def _partition_labels(name: str, part: Any, st: SpikeTrains) -> np.ndarray:
    from neurotypes.partition import Partition

    if not isinstance(part, Partition):
        raise TypeError(f"partitions[{name!r}] must be a neurotypes.Partition, got {type(part).__name__}")
    if part.n_items != st.n_units:
        raise ValueError(
            f"partitions[{name!r}] has {part.n_items} items, the spike trains {st.n_units} units"
        )
    if part.item_ids is not None and st.unit_ids is not None:
        if set(part.item_ids) != set(st.unit_ids):
            raise ValueError(f"partitions[{name!r}]: its item_ids are not the spike trains' unit_ids")
        index = {u: i for i, u in enumerate(part.item_ids)}
        return np.asarray([part.labels[index[u]] for u in st.unit_ids], dtype=np.int64)
    return np.asarray(part.labels, dtype=np.int64)


def spike_trains_to_nwb(
    st: SpikeTrains,
    path: str | os.PathLike[str],
    *,
    partitions: Mapping[str, Partition] | None = None,
    description: str = "spike trains written by neurotypes",
    overwrite: bool = False,
) -> Path:
    """See :meth:`neurotypes.SpikeTrains.to_nwb`."""
    nwb = _new_file(description)
    ids_numeric = st.unit_ids is not None and all(u.lstrip("-").isdigit() for u in st.unit_ids)
    ids = (
        [int(u) for u in st.unit_ids] if ids_numeric and st.unit_ids is not None else list(range(st.n_units))
    )
    columns: dict[str, np.ndarray] = dict(st.unit_metadata)
    if st.unit_ids is not None and not ids_numeric:
        if "unit_name" in columns:
            raise ValueError(
                "unit_metadata must not use the column name 'unit_name' when unit_ids are not integers"
            )
        columns["unit_name"] = np.asarray(st.unit_ids)
    # NWB predefines some Units columns with their own types (an ElectrodeGroup, a table region): metadata
    # carried under those names (e.g. read from another NWB file) is written as "<name>_name".
    for reserved in sorted(_SKIP_COLUMNS | {"electrode_group"}):
        if reserved in columns:
            columns[f"{reserved}_name"] = columns.pop(reserved)
    for name, part in (partitions or {}).items():
        if not isinstance(name, str) or not name or name in columns or name in _SKIP_COLUMNS:
            raise ValueError(f"partitions: invalid or duplicate column name {name!r}")
        columns[name] = _partition_labels(name, part, st)
    for name in columns:
        nwb.add_unit_column(name=name, description=f"{name} (written by neurotypes)")
    per_unit = st.to_unit_times()
    for i in range(st.n_units):
        cells = {k: (v[i].item() if isinstance(v[i], np.generic) else v[i]) for k, v in columns.items()}
        nwb.add_unit(spike_times=per_unit[i], id=ids[i], obs_intervals=[[st.t_start, st.t_stop]], **cells)
    return _write_atomic(nwb, path, overwrite)


def partition_from_nwb(path: str | os.PathLike[str], column: str) -> Partition:
    """A Partition stored as an integer column of an NWB file's Units table (items named by unit id)."""
    from neurotypes.partition import Partition

    if not isinstance(column, str) or not column:
        raise TypeError("column must be a non-empty string")
    with _open(path) as nwb:
        table = nwb.units
        if table is None or column not in table.colnames:
            have = [] if table is None else list(table.colnames)
            raise ValueError(f"column: file {str(path)!r} has no Units column {column!r} (columns: {have})")
        values = np.asarray(table[column][:])
        ids = [str(int(i)) for i in table.id[:]]
    if values.dtype.kind not in "iu":
        raise FormatError(
            f"file {str(path)!r}: Units column {column!r} holds {values.dtype}, not cluster integers"
        )
    return Partition(values.astype(np.int64), item_ids=ids)


def _series(nwb: Any) -> dict[str, Any]:
    """Every TimeSeries in acquisition and in the processing modules (inside data interfaces too)."""
    pynwb = _pynwb()
    found: dict[str, Any] = {}

    def visit(obj: Any) -> None:
        if isinstance(obj, pynwb.TimeSeries):
            found.setdefault(obj.name, obj)
            return
        for attr in ("roi_response_series", "electrical_series", "time_series", "spatial_series"):
            children = getattr(obj, attr, None)
            if isinstance(children, Mapping):
                for child in children.values():
                    visit(child)

    for obj in nwb.acquisition.values():
        visit(obj)
    for module in nwb.processing.values():
        for obj in module.data_interfaces.values():
            visit(obj)
    return found


def traces_from_nwb(path: str | os.PathLike[str], *, name: str | None = None) -> Traces:
    """See :meth:`neurotypes.Traces.from_nwb`."""
    from neurotypes.traces import Traces

    with _open(path) as nwb:
        series = _series(nwb)
        if not series:
            raise ValueError(f"file {str(path)!r} holds no TimeSeries")
        if name is None:
            if len(series) != 1:
                raise ValueError(
                    f"name: file {str(path)!r} holds several series, pick one of {sorted(series)}"
                )
            ts = next(iter(series.values()))
        elif name in series:
            ts = series[name]
        else:
            raise ValueError(f"name: file {str(path)!r} has no series {name!r} (series: {sorted(series)})")
        data = np.asarray(ts.data[:], dtype=np.float64)
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2:
            raise ValueError(
                f"series {ts.name!r} has {data.ndim}-D data; Traces holds (samples x channels) series"
            )
        if ts.rate is not None:
            rate = float(ts.rate)
            t0 = float(ts.starting_time or 0.0)
        else:
            stamps = np.asarray(ts.timestamps[:], dtype=np.float64)
            if stamps.size < 2:
                raise ValueError(f"series {ts.name!r} has fewer than 2 timestamps: its rate is unknown")
            steps = np.diff(stamps)
            step = float(np.median(steps))
            if step <= 0 or np.abs(steps - step).max() > 1e-6 * step + 1e-12:
                raise ValueError(f"series {ts.name!r} is not regularly sampled; Traces needs a fixed rate")
            rate, t0 = 1.0 / step, float(stamps[0])
        unit_ids = None
        rois = getattr(ts, "rois", None) or getattr(ts, "electrodes", None)
        if rois is not None:
            try:
                table = rois.table
                idx = np.asarray(rois.data[:], dtype=np.int64)
                if "roi_name" in table.colnames:
                    unit_ids = [str(table["roi_name"][int(i)]) for i in idx]
                else:
                    unit_ids = [str(int(table.id[int(i)])) for i in idx]
            except Exception:  # a region we cannot resolve: fall back to positions
                unit_ids = None
        comments = getattr(ts, "comments", None)
        if unit_ids is None and isinstance(comments, str) and comments.startswith(_IDS_PREFIX):
            try:
                unit_ids = [str(u) for u in json.loads(comments[len(_IDS_PREFIX) :])]
            except (ValueError, TypeError):
                unit_ids = None
        if unit_ids is not None and len(unit_ids) != data.shape[1]:
            unit_ids = None
        units = "" if ts.unit in (None, "n/a", "no unit") else str(ts.unit)
    return Traces(data.T, rate, t0, unit_ids=unit_ids, signal_units=units)


def traces_to_nwb(
    tr: Traces,
    path: str | os.PathLike[str],
    *,
    name: str = "traces",
    kind: str = "TimeSeries",
    description: str = "traces written by neurotypes",
    overwrite: bool = False,
) -> Path:
    """See :meth:`neurotypes.Traces.to_nwb`."""
    pynwb = _pynwb()
    if kind not in ("TimeSeries", "RoiResponseSeries"):
        raise ValueError(f"kind must be 'TimeSeries' or 'RoiResponseSeries', got {kind!r}")
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"name must be a non-empty name without '/', got {name!r}")
    nwb = _new_file(description)
    unit = tr.signal_units or "n/a"
    data = np.ascontiguousarray(tr.data.T)
    if kind == "TimeSeries":
        comments = "no comments"
        if tr.unit_ids is not None:  # TimeSeries have no channel names: keep them in a documented comment
            comments = _IDS_PREFIX + json.dumps(list(tr.unit_ids))
        nwb.add_acquisition(
            pynwb.TimeSeries(
                name=name,
                data=data,
                unit=unit,
                rate=tr.rate,
                starting_time=tr.t_start,
                description=description,
                comments=comments,
            )
        )
    else:
        from pynwb.ophys import ImageSegmentation, OpticalChannel, RoiResponseSeries

        device = nwb.create_device(name="unknown device")
        channel = OpticalChannel(name="channel", description="unknown", emission_lambda=float("nan"))
        plane = nwb.create_imaging_plane(
            name="imaging plane",
            optical_channel=channel,
            description="unknown",
            device=device,
            excitation_lambda=float("nan"),
            indicator="unknown",
            location="unknown",
        )
        seg = ImageSegmentation()
        planes = seg.create_plane_segmentation(
            name="rois", description="ROIs of the traces (no masks stored)", imaging_plane=plane
        )
        if tr.unit_ids is not None:
            planes.add_column(name="roi_name", description="the traces' unit_ids")
        for i in range(tr.n_units):
            extra = {} if tr.unit_ids is None else {"roi_name": tr.unit_ids[i]}
            planes.add_roi(pixel_mask=[(0, 0, 0.0)], id=i, **extra)
        module = nwb.create_processing_module(name="ophys", description="optical physiology")
        module.add(seg)
        region = planes.create_roi_table_region(region=list(range(tr.n_units)), description="all ROIs")
        module.add(
            RoiResponseSeries(
                name=name, data=data, rois=region, unit=unit, rate=tr.rate, starting_time=tr.t_start
            )
        )
    return _write_atomic(nwb, path, overwrite)


def add_unit_columns(path: str | os.PathLike[str], columns: Mapping[str, Any], *, description: str) -> Path:
    """See :func:`neurotypes.io.add_unit_columns`."""
    import shutil

    from neurotypes.partition import Partition

    pynwb = _pynwb()
    if not isinstance(columns, Mapping) or not columns:
        raise TypeError("columns must be a non-empty mapping of column name to values")
    with _open(path) as nwb:  # validates the file and reads what we need
        table = nwb.units
        if table is None or len(table) == 0:
            raise FormatError(f"file {str(path)!r} has no Units table to add columns to")
        ids = [str(int(i)) for i in table.id[:]]
        existing = set(table.colnames)
    prepared: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        if not isinstance(name, str) or not name or name in existing or "/" in name:
            raise ValueError(f"columns: invalid or existing column name {name!r}")
        if isinstance(values, Partition):
            if values.item_ids is not None:
                if set(values.item_ids) != set(ids):
                    raise ValueError(
                        f"columns[{name!r}]: the partition's item_ids are not the file's unit ids"
                    )
                index = {u: i for i, u in enumerate(values.item_ids)}
                arr = np.asarray([values.labels[index[u]] for u in ids], dtype=np.int64)
            else:
                arr = np.asarray(values.labels, dtype=np.int64)
        else:
            arr = np.asarray(values)
        if arr.ndim != 1 or arr.shape[0] != len(ids):
            raise ValueError(
                f"columns[{name!r}] must have one value per unit ({len(ids)}), got shape {arr.shape}"
            )
        if arr.dtype.kind not in "biufU":
            raise TypeError(f"columns[{name!r}] must hold numbers, booleans or strings, got {arr.dtype}")
        prepared[name] = arr
    target, parent = _target(path)
    tmp = _temp_name(parent, target, ".tmp.nwb")
    try:
        shutil.copy2(target, tmp)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pynwb.NWBHDF5IO(str(tmp), "a") as io:
                nwb = io.read()
                for name, arr in prepared.items():
                    nwb.units.add_column(name=name, description=description, data=arr.tolist())
                io.write(nwb)
        os.replace(tmp, target)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return target
